"""Personalised Markdown as a Word document, built with python-docx from markdown-it's tokens.
Design: docs/design/content.md."""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_COLOR_INDEX
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph
from markdown_it import MarkdownIt
from markdown_it.token import Token

from content_catalog.placeholders import GAP_CLOSE, GAP_OPEN
from plugin.content.export_limits import check_export_size

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LINK_SCHEMES = ("http", "https", "mailto")
MONOSPACE = "Courier New"

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")
# Characters XML 1.0 cannot hold; python-docx refuses a string that contains one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_GAP = re.compile(f"({re.escape(GAP_OPEN)}[^{GAP_OPEN}{GAP_CLOSE}]*{re.escape(GAP_CLOSE)})")

def markdown_to_docx(markdown: str, *, title: str) -> bytes:
    text = _NOT_XML.sub("", markdown or "")
    check_export_size(text, ())  # the length before parsing, the blocks after: both before drawing
    tokens = _markdown.parse(text)
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


class _Writer:
    """Walks the block tokens once, keeping the list, quote and table it is inside."""

    def __init__(self, document: DocxDocument):
        self.document = document
        self.lists: list[list[int]] = []  # one entry per open list: [next number] or [] (bullets)
        self.item_started = False
        self.quote_depth = 0
        self.table_rows: list[list[tuple[Token | None, bool]]] | None = None
        self.style_ids: dict[str, str] = {}

    def paragraph(self, style: str | None = None) -> Paragraph:
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

    def write(self, tokens: list[Token]) -> None:
        for index, token in enumerate(tokens):
            handler = getattr(self, f"_{token.type}", None)
            if handler is not None:
                handler(token, tokens[index + 1] if index + 1 < len(tokens) else None)

    # -- blocks --------------------------------------------------------------------------------
    def _heading_open(self, token: Token, inline: Token | None) -> None:
        level = min(int(token.tag[1]), 6)
        self._inline(self.paragraph(f"Heading {level}"), inline)

    def _paragraph_open(self, _token: Token, inline: Token | None) -> None:
        if self.table_rows is not None:
            return
        if self.lists and self.item_started:
            self.item_started = False
            numbers = self.lists[-1]
            depth = "" if len(self.lists) == 1 else f" {min(len(self.lists), 3)}"
            if numbers:
                paragraph = self.paragraph("List Continue" + depth)
                paragraph.add_run(f"{numbers[0]}. ")
                numbers[0] += 1
            else:
                paragraph = self.paragraph("List Bullet" + depth)
        elif self.lists:
            paragraph = self.paragraph("List Continue")
        elif self.quote_depth:
            paragraph = self.paragraph("Quote")
        else:
            paragraph = self.paragraph()
        self._inline(paragraph, inline)

    def _bullet_list_open(self, _token: Token, _next: Token | None) -> None:
        self.lists.append([])

    def _ordered_list_open(self, token: Token, _next: Token | None) -> None:
        start = str(token.attrGet("start") or 1)
        self.lists.append([int(start) if start.isdigit() else 1])

    def _bullet_list_close(self, _token: Token, _next: Token | None) -> None:
        self.lists.pop()

    _ordered_list_close = _bullet_list_close

    def _list_item_open(self, _token: Token, _next: Token | None) -> None:
        self.item_started = True

    def _blockquote_open(self, _token: Token, _next: Token | None) -> None:
        self.quote_depth += 1

    def _blockquote_close(self, _token: Token, _next: Token | None) -> None:
        self.quote_depth -= 1

    def _code_block(self, token: Token, _next: Token | None) -> None:
        paragraph = self.paragraph("No Spacing")
        for number, line in enumerate(token.content.rstrip("\n").split("\n")):
            run = paragraph.add_run()
            run.font.name = MONOSPACE
            run.font.size = Pt(9)
            if number:
                run.add_break()
            run.add_text(line)

    _fence = _code_block

    def _hr(self, _token: Token, _next: Token | None) -> None:
        paragraph = self.paragraph()
        borders = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for name, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "A0A0A0")):
            bottom.set(qn(f"w:{name}"), value)
        borders.append(bottom)
        paragraph._p.get_or_add_pPr().append(borders)

    # -- tables: rows are collected, then written at once (python-docx wants the size first) ---
    def _table_open(self, _token: Token, _next: Token | None) -> None:
        self.table_rows = []

    def _tr_open(self, _token: Token, _next: Token | None) -> None:
        if self.table_rows is not None:
            self.table_rows.append([])

    def _th_open(self, _token: Token, inline: Token | None) -> None:
        self._cell(inline, header=True)

    def _td_open(self, _token: Token, inline: Token | None) -> None:
        self._cell(inline, header=False)

    def _cell(self, inline: Token | None, *, header: bool) -> None:
        if self.table_rows:
            self.table_rows[-1].append((inline, header))

    def _table_close(self, _token: Token, _next: Token | None) -> None:
        rows, self.table_rows = self.table_rows or [], None
        columns = max((len(row) for row in rows), default=0)
        if not columns:
            return
        table = self.document.add_table(rows=len(rows), cols=columns)
        table._tbl.tblStyle_val = self.style_id("Table Grid")
        for row, cells in zip(table.rows, rows):
            for cell, (inline, header) in zip(row.cells, cells):
                self._inline(cell.paragraphs[0], inline, bold=header)

    # -- inline --------------------------------------------------------------------------------
    def _inline(self, paragraph: Paragraph, inline: Token | None, *, bold: bool = False) -> None:
        if inline is None or inline.type != "inline":
            return
        _InlineWriter(paragraph, bold=bold).write(inline.children or [])


class _InlineWriter:
    def __init__(self, paragraph: Paragraph, *, bold: bool = False):
        self.paragraph = paragraph
        self.bold = 1 if bold else 0
        self.italic = 0
        self.link = None  # the open <w:hyperlink>, if any

    def write(self, children: list[Token]) -> None:
        for child in children:
            kind = child.type
            if kind == "text":
                self._text(child.content)
            elif kind == "code_inline":
                self._text(child.content, monospace=True)
            elif kind in ("softbreak", "hardbreak"):
                self._run("").add_break()
            elif kind in ("strong_open", "strong_close"):
                self.bold += 1 if kind == "strong_open" else -1
            elif kind in ("em_open", "em_close"):
                self.italic += 1 if kind == "em_open" else -1
            elif kind == "link_open":
                self._open_link(str(child.attrGet("href") or ""))
            elif kind == "link_close":
                self.link = None
            elif kind == "image":
                self._text(child.content)

    def _text(self, text: str, *, monospace: bool = False) -> None:
        for part in _GAP.split(text):
            if not part:
                continue
            run = self._run(part)
            if monospace:
                run.font.name = MONOSPACE
            if _GAP.fullmatch(part):
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

    def _open_link(self, href: str) -> None:
        if urlsplit(href).scheme.lower() not in LINK_SCHEMES:
            return  # the text stays, as plain text
        part = self.paragraph.part
        relationship = part.relate_to(href, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
        self.link = OxmlElement("w:hyperlink")
        self.link.set(qn("r:id"), relationship)
        self.paragraph._p.append(self.link)
