"""Personalised Markdown as a Word document, built with python-docx from markdown-it's tokens.
Design: docs/design/content.md."""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_COLOR_INDEX
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph
from markdown_it.token import Token

from plugin.content import markdown_walk
from plugin.content.export_limits import check_export_size
from plugin.content.markdown_walk import BlockWalk, InlineWalk, ListItem, TableRows

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MONOSPACE = "Courier New"

# Characters XML 1.0 cannot hold; python-docx refuses a string that contains one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def markdown_to_docx(markdown: str, *, title: str) -> bytes:
    text = _NOT_XML.sub("", markdown or "")
    check_export_size(text, ())  # the length before parsing, the blocks after: both before drawing
    tokens = markdown_walk.parse(text)
    check_export_size(text, tokens)
    document = Document()
    properties = document.core_properties
    properties.title = _NOT_XML.sub("", title)[:255]
    properties.author = properties.last_modified_by = properties.comments = ""
    properties.created = properties.modified = datetime.now(timezone.utc).replace(microsecond=0)
    _Writer(document).write(tokens)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


class _Writer(BlockWalk):
    """Writes each block the walk meets as Word's own paragraph, list, quote or table."""

    def __init__(self, document: DocxDocument):
        super().__init__()
        self.document = document
        self.style_ids: dict[str, str] = {}

    def new_paragraph(self, style: str | None = None) -> Paragraph:
        paragraph = self.document.add_paragraph()
        if style is not None:
            paragraph._p.style = self.style_id(style)
        return paragraph

    def style_id(self, name: str) -> str:
        """Looked up once per document: python-docx looks a style name up among all styles on
        every use, milliseconds per paragraph (issue 13: 19.7 s for a 54 KB text)."""
        if name not in self.style_ids:
            self.style_ids[name] = self.document.styles[name].style_id
        return self.style_ids[name]

    def heading(self, level: int, inline: Token | None) -> None:
        self._inline(self.new_paragraph(f"Heading {level}"), inline)

    def paragraph(self, inline: Token | None, item: ListItem | None) -> None:
        if item is not None:
            depth = "" if item.depth == 1 else f" {min(item.depth, 3)}"
            if item.number is not None:
                paragraph = self.new_paragraph("List Continue" + depth)
                paragraph.add_run(f"{item.number}. ")
            else:
                paragraph = self.new_paragraph("List Bullet" + depth)
        elif self.lists:
            paragraph = self.new_paragraph("List Continue")
        elif self.quote_depth:
            paragraph = self.new_paragraph("Quote")
        else:
            paragraph = self.new_paragraph()
        self._inline(paragraph, inline)

    def code(self, text: str) -> None:
        paragraph = self.new_paragraph("No Spacing")
        for number, line in enumerate(text.split("\n")):
            run = paragraph.add_run()
            run.font.name = MONOSPACE
            run.font.size = Pt(9)
            if number:
                run.add_break()
            run.add_text(line)

    def rule(self) -> None:
        paragraph = self.new_paragraph()
        borders = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for name, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "A0A0A0")):
            bottom.set(qn(f"w:{name}"), value)
        borders.append(bottom)
        paragraph._p.get_or_add_pPr().append(borders)

    def table(self, rows: TableRows, columns: int) -> None:
        """Written at once: python-docx wants the table's size first."""
        table = self.document.add_table(rows=len(rows), cols=columns)
        table._tbl.tblStyle_val = self.style_id("Table Grid")
        for row, cells in zip(table.rows, rows):
            for cell, (inline, header) in zip(row.cells, cells):
                self._inline(cell.paragraphs[0], inline, bold=header)

    def _inline(self, paragraph: Paragraph, inline: Token | None, *, bold: bool = False) -> None:
        if inline is None or inline.type != "inline":
            return
        _InlineWriter(paragraph, bold=bold).write(inline.children or [])


class _InlineWriter(InlineWalk):
    def __init__(self, paragraph: Paragraph, *, bold: bool = False):
        super().__init__(bold=bold)
        self.paragraph = paragraph
        self.link = None  # the open <w:hyperlink>, if any

    def line_break(self) -> None:
        self._run("").add_break()

    def text(self, text: str, *, monospace: bool) -> None:
        for part, gap in markdown_walk.gap_parts(text):
            run = self._run(part)
            if monospace:
                run.font.name = MONOSPACE
            if gap:
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW

    def _run(self, text: str):
        run = self.paragraph.add_run(text)
        if self.bold > 0:  # setting None would still add an empty <w:rPr> to every run
            run.bold = True
        if self.italic > 0:
            run.italic = True
        if self.link is not None:
            run.font.underline = True
            run.font.color.rgb = RGBColor(0x0B, 0x5C, 0xAB)
            self.link.append(run._r)  # moves the run inside the hyperlink
        return run

    def link_opened(self, href: str | None) -> None:
        if href is None:
            self.link = None  # a link's end, or one that stays plain text
            return
        part = self.paragraph.part
        relationship = part.relate_to(href, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
        self.link = OxmlElement("w:hyperlink")
        self.link.set(qn("r:id"), relationship)
        self.paragraph._p.append(self.link)
