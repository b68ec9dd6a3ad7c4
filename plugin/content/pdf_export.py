"""Personalised Markdown as a PDF, built with fpdf2 from markdown-it's tokens like the .docx;
the built-in fonts draw Latin-1 only (docs/design/pdf-export.md)."""
from __future__ import annotations

import unicodedata

from fpdf import FPDF
from markdown_it.token import Token

from plugin.content import markdown_walk
from plugin.content.export_limits import check_export_size
from plugin.content.markdown_walk import BlockWalk, InlineWalk, ListItem, TableRows

PDF_MIMETYPE = "application/pdf"
BODY_FONT, MONOSPACE = "Helvetica", "Courier"
BODY_SIZE, LINE = 10.5, 5.5
HEADING_SIZES = {1: 17.0, 2: 14.0, 3: 12.0, 4: 11.0, 5: 10.5, 6: 10.5}
INDENT = 6.0
GAP_COLOUR = (180, 83, 9)
LINK_COLOUR = (11, 92, 171)

#: Latin-1 spellings of what business text commonly holds beyond it.
_LATIN1 = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-",
    "‑": "-", "−": "-", "…": "...", "•": "-", "‣": "-", "→": "->", "←": "<-", "€": "EUR",
    "™": "(TM)", "✓": "v", "⟦": "[", "⟧": "]", "\u00a0": " ", "\u202f": " ", "\u200b": "",
})  # fmt: skip


def latin1(text: str) -> str:
    """``text`` in what the PDF's built-in fonts can draw."""
    text = text.translate(_LATIN1)
    if all(ord(c) < 256 for c in text):
        return text
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) < 256
                        and not unicodedata.combining(c))
        out.append(plain or "?")
    return "".join(out)


def markdown_to_pdf(markdown: str, *, title: str) -> bytes:
    """The Markdown as a PDF; raises :class:`~plugin.content.export_limits.ExportTooLarge`
    before any drawing when the text is over the export bounds."""
    tokens = markdown_walk.parse(markdown or "")
    check_export_size(markdown or "", tokens)
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(title)[:255])
    pdf.set_creator("Be Inspired")
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_font(BODY_FONT, size=BODY_SIZE)
    _Writer(pdf).write(tokens)
    return bytes(pdf.output())


class _Writer(BlockWalk):
    """Draws each block where the walk says, indented by the lists and quotes it is inside."""

    def __init__(self, pdf: FPDF):
        super().__init__()
        self.pdf = pdf
        self.left = pdf.l_margin

    def _block(self, indent: float = 0.0) -> None:
        depth = len(self.lists) + self.quote_depth
        self.pdf.set_left_margin(self.left + INDENT * depth + indent)
        self.pdf.set_x(self.pdf.l_margin)

    def _end_block(self, space: float = 2.0) -> None:
        self.pdf.ln(LINE)
        self.pdf.set_y(self.pdf.get_y() + space)

    def heading(self, level: int, inline: Token | None) -> None:
        self._block()
        self.pdf.set_y(self.pdf.get_y() + 2)
        _InlineWriter(self.pdf, size=HEADING_SIZES[level], bold=True).write(
            markdown_walk.children(inline))
        self._end_block(1.0)

    def paragraph(self, inline: Token | None, item: ListItem | None) -> None:
        self._block()
        if item is not None:
            marker = f"{item.number}. " if item.number is not None else "- "
            self.pdf.set_x(self.pdf.l_margin - INDENT + 1)
            self.pdf.set_font(BODY_FONT, size=BODY_SIZE)
            self.pdf.write(LINE, marker)
            self.pdf.set_x(max(self.pdf.get_x(), self.pdf.l_margin))
        _InlineWriter(self.pdf, italic=bool(self.quote_depth)).write(markdown_walk.children(inline))
        self._end_block(1.0 if self.lists else 2.0)

    def block_closed(self) -> None:
        self._block()

    def code(self, text: str) -> None:
        self._block()
        self.pdf.set_font(MONOSPACE, size=9)
        for line in text.split("\n"):
            self.pdf.write(4.5, latin1(line))
            self.pdf.ln(4.5)
        self.pdf.set_font(BODY_FONT, size=BODY_SIZE)
        self.pdf.set_y(self.pdf.get_y() + 2)

    def rule(self) -> None:
        self._block()
        y = self.pdf.get_y() + 2
        self.pdf.set_draw_color(160, 160, 160)
        self.pdf.line(self.pdf.l_margin, y, self.pdf.w - self.pdf.r_margin, y)
        self.pdf.set_y(y + 4)

    def table(self, rows: TableRows, columns: int) -> None:
        self._block()
        self.pdf.set_font(BODY_FONT, size=9)
        with self.pdf.table(first_row_as_headings=False, line_height=5,
                            width=self.pdf.w - self.pdf.l_margin - self.pdf.r_margin) as table:
            for cells in rows:
                row = table.row()
                for inline, header in cells + [(None, False)] * (columns - len(cells)):
                    self.pdf.set_font(BODY_FONT, style="B" if header else "", size=9)
                    row.cell(latin1(markdown_walk.plain_text(inline)))
        self.pdf.set_font(BODY_FONT, size=BODY_SIZE)
        self.pdf.set_y(self.pdf.get_y() + 2)


class _InlineWriter(InlineWalk):
    def __init__(self, pdf: FPDF, *, size: float = BODY_SIZE, bold: bool = False,
                 italic: bool = False):
        super().__init__(bold=bold, italic=italic)
        self.pdf = pdf
        self.size = size
        self.link: str | None = None

    def write(self, tokens: list[Token]) -> None:
        super().write(tokens)
        self.pdf.set_font(BODY_FONT, size=BODY_SIZE)
        self.pdf.set_text_color(0, 0, 0)

    def _line(self) -> float:
        return max(LINE, self.size * 0.5)

    def line_break(self) -> None:
        self.pdf.ln(self._line())

    def link_opened(self, href: str | None) -> None:
        self.link = href

    def text(self, text: str, *, monospace: bool) -> None:
        for part, gap in markdown_walk.gap_parts(text):
            style = ("B" if self.bold > 0 or gap else "") + ("I" if self.italic > 0 else "")
            if self.link:
                style += "U"
            self.pdf.set_font(MONOSPACE if monospace else BODY_FONT, style=style, size=self.size)
            colour = GAP_COLOUR if gap else LINK_COLOUR if self.link else (0, 0, 0)
            self.pdf.set_text_color(*colour)
            self.pdf.write(self._line(), latin1(part), link=self.link or "")
