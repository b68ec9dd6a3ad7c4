"""Personalised Markdown as a PDF, built with fpdf2 from markdown-it's tokens like the .docx;
the built-in fonts draw Latin-1 only (docs/design/pdf-export.md)."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from fpdf import FPDF
from markdown_it import MarkdownIt
from markdown_it.token import Token

from content_catalog.placeholders import GAP_CLOSE, GAP_OPEN
from plugin.content.export_limits import check_export_size

PDF_MIMETYPE = "application/pdf"
LINK_SCHEMES = ("http", "https", "mailto")
BODY_FONT, MONOSPACE = "Helvetica", "Courier"
BODY_SIZE, LINE = 10.5, 5.5
HEADING_SIZES = {1: 17.0, 2: 14.0, 3: 12.0, 4: 11.0, 5: 10.5, 6: 10.5}
INDENT = 6.0
GAP_COLOUR = (180, 83, 9)
LINK_COLOUR = (11, 92, 171)

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")
_GAP = re.compile(f"({re.escape(GAP_OPEN)}[^{GAP_OPEN}{GAP_CLOSE}]*{re.escape(GAP_CLOSE)})")
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
    tokens = _markdown.parse(markdown or "")
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


class _Writer:
    """Walks the block tokens once, keeping the list, quote and table it is inside."""

    def __init__(self, pdf: FPDF):
        self.pdf = pdf
        self.left = pdf.l_margin
        self.lists: list[list[int]] = []  # one entry per open list: [next number] or [] (bullets)
        self.item_started = False
        self.quote_depth = 0
        self.table_rows: list[list[tuple[Token | None, bool]]] | None = None

    def write(self, tokens: list[Token]) -> None:
        for index, token in enumerate(tokens):
            handler = getattr(self, f"_{token.type}", None)
            if handler is not None:
                handler(token, tokens[index + 1] if index + 1 < len(tokens) else None)

    def _block(self, indent: float = 0.0) -> None:
        depth = len(self.lists) + self.quote_depth
        self.pdf.set_left_margin(self.left + INDENT * depth + indent)
        self.pdf.set_x(self.pdf.l_margin)

    def _end_block(self, space: float = 2.0) -> None:
        self.pdf.ln(LINE)
        self.pdf.set_y(self.pdf.get_y() + space)

    # -- blocks --------------------------------------------------------------------------------
    def _heading_open(self, token: Token, inline: Token | None) -> None:
        self._block()
        self.pdf.set_y(self.pdf.get_y() + 2)
        size = HEADING_SIZES[min(int(token.tag[1]), 6)]
        _InlineWriter(self.pdf, size=size, bold=True).write(_children(inline))
        self._end_block(1.0)

    def _paragraph_open(self, _token: Token, inline: Token | None) -> None:
        if self.table_rows is not None:
            return
        self._block()
        if self.lists and self.item_started:
            self.item_started = False
            numbers = self.lists[-1]
            marker = f"{numbers[0]}. " if numbers else "- "
            if numbers:
                numbers[0] += 1
            self.pdf.set_x(self.pdf.l_margin - INDENT + 1)
            self.pdf.set_font(BODY_FONT, size=BODY_SIZE)
            self.pdf.write(LINE, marker)
            self.pdf.set_x(max(self.pdf.get_x(), self.pdf.l_margin))
        _InlineWriter(self.pdf, italic=bool(self.quote_depth)).write(_children(inline))
        self._end_block(1.0 if self.lists else 2.0)

    def _bullet_list_open(self, _token: Token, _next: Token | None) -> None:
        self.lists.append([])

    def _ordered_list_open(self, token: Token, _next: Token | None) -> None:
        start = str(token.attrGet("start") or 1)
        self.lists.append([int(start) if start.isdigit() else 1])

    def _bullet_list_close(self, _token: Token, _next: Token | None) -> None:
        self.lists.pop()
        self._block()

    _ordered_list_close = _bullet_list_close

    def _list_item_open(self, _token: Token, _next: Token | None) -> None:
        self.item_started = True

    def _blockquote_open(self, _token: Token, _next: Token | None) -> None:
        self.quote_depth += 1

    def _blockquote_close(self, _token: Token, _next: Token | None) -> None:
        self.quote_depth -= 1
        self._block()

    def _code_block(self, token: Token, _next: Token | None) -> None:
        self._block()
        self.pdf.set_font(MONOSPACE, size=9)
        for line in token.content.rstrip("\n").split("\n"):
            self.pdf.write(4.5, latin1(line))
            self.pdf.ln(4.5)
        self.pdf.set_font(BODY_FONT, size=BODY_SIZE)
        self.pdf.set_y(self.pdf.get_y() + 2)

    _fence = _code_block

    def _hr(self, _token: Token, _next: Token | None) -> None:
        self._block()
        y = self.pdf.get_y() + 2
        self.pdf.set_draw_color(160, 160, 160)
        self.pdf.line(self.pdf.l_margin, y, self.pdf.w - self.pdf.r_margin, y)
        self.pdf.set_y(y + 4)

    # -- tables: rows are collected, then drawn at once ------------------------------------------
    def _table_open(self, _token: Token, _next: Token | None) -> None:
        self.table_rows = []

    def _tr_open(self, _token: Token, _next: Token | None) -> None:
        if self.table_rows is not None:
            self.table_rows.append([])

    def _th_open(self, _token: Token, inline: Token | None) -> None:
        if self.table_rows:
            self.table_rows[-1].append((inline, True))

    def _td_open(self, _token: Token, inline: Token | None) -> None:
        if self.table_rows:
            self.table_rows[-1].append((inline, False))

    def _table_close(self, _token: Token, _next: Token | None) -> None:
        rows, self.table_rows = self.table_rows or [], None
        columns = max((len(row) for row in rows), default=0)
        if not columns:
            return
        self._block()
        self.pdf.set_font(BODY_FONT, size=9)
        with self.pdf.table(first_row_as_headings=False, line_height=5,
                            width=self.pdf.w - self.pdf.l_margin - self.pdf.r_margin) as table:
            for cells in rows:
                row = table.row()
                for inline, header in cells + [(None, False)] * (columns - len(cells)):
                    self.pdf.set_font(BODY_FONT, style="B" if header else "", size=9)
                    row.cell(latin1(_plain(inline)))
        self.pdf.set_font(BODY_FONT, size=BODY_SIZE)
        self.pdf.set_y(self.pdf.get_y() + 2)


def _children(inline: Token | None) -> list[Token]:
    return (inline.children or []) if inline is not None and inline.type == "inline" else []


def _plain(inline: Token | None) -> str:
    return "".join(c.content for c in _children(inline) if c.type in ("text", "code_inline"))


class _InlineWriter:
    def __init__(self, pdf: FPDF, *, size: float = BODY_SIZE, bold: bool = False,
                 italic: bool = False):
        self.pdf = pdf
        self.size = size
        self.bold = 1 if bold else 0
        self.italic = 1 if italic else 0
        self.link: str | None = None

    def write(self, children: list[Token]) -> None:
        for child in children:
            kind = child.type
            if kind == "text":
                self._text(child.content)
            elif kind == "code_inline":
                self._text(child.content, monospace=True)
            elif kind in ("softbreak", "hardbreak"):
                self.pdf.ln(self._line())
            elif kind in ("strong_open", "strong_close"):
                self.bold += 1 if kind == "strong_open" else -1
            elif kind in ("em_open", "em_close"):
                self.italic += 1 if kind == "em_open" else -1
            elif kind == "link_open":
                href = str(child.attrGet("href") or "")
                self.link = href if urlsplit(href).scheme.lower() in LINK_SCHEMES else None
            elif kind == "link_close":
                self.link = None
            elif kind == "image":
                self._text(child.content)
        self.pdf.set_font(BODY_FONT, size=BODY_SIZE)
        self.pdf.set_text_color(0, 0, 0)

    def _line(self) -> float:
        return max(LINE, self.size * 0.5)

    def _text(self, text: str, *, monospace: bool = False) -> None:
        for part in _GAP.split(text):
            if not part:
                continue
            gap = bool(_GAP.fullmatch(part))
            style = ("B" if self.bold > 0 or gap else "") + ("I" if self.italic > 0 else "")
            if self.link:
                style += "U"
            self.pdf.set_font(MONOSPACE if monospace else BODY_FONT, style=style, size=self.size)
            colour = GAP_COLOUR if gap else LINK_COLOUR if self.link else (0, 0, 0)
            self.pdf.set_text_color(*colour)
            self.pdf.write(self._line(), latin1(part), link=self.link or "")
