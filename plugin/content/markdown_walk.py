"""The one walk over markdown-it's tokens that the .docx and the PDF exports share: parsing,
list/quote/table bookkeeping and inline styles; each export only draws (docs/design/content.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from content_catalog.placeholders import GAP_CLOSE, GAP_OPEN

LINK_SCHEMES = ("http", "https", "mailto")

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")
_GAP = re.compile(f"({re.escape(GAP_OPEN)}[^{GAP_OPEN}{GAP_CLOSE}]*{re.escape(GAP_CLOSE)})")

#: A table as collected: rows of (the cell's inline token, whether it is a header cell).
TableRows = list[list[tuple[Token | None, bool]]]


def parse(markdown: str) -> list[Token]:
    """Block tokens of ``markdown``, raw HTML off, tables on, newlines kept as line breaks."""
    return _markdown.parse(markdown)


def link_target(href: str) -> str | None:
    """``href`` when it is a link a document may carry (http, https, mailto), else None."""
    return href if urlsplit(href).scheme.lower() in LINK_SCHEMES else None


def gap_parts(text: str) -> list[tuple[str, bool]]:
    """``text`` split into (part, is a gap left for a missing value), empty parts dropped."""
    return [(part, bool(_GAP.fullmatch(part))) for part in _GAP.split(text) if part]


def children(inline: Token | None) -> list[Token]:
    return (inline.children or []) if inline is not None and inline.type == "inline" else []


def plain_text(inline: Token | None) -> str:
    return "".join(c.content for c in children(inline) if c.type in ("text", "code_inline"))


@dataclass(frozen=True)
class ListItem:
    """The first paragraph of a list item: its number (None for a bullet) and nesting depth."""

    number: int | None
    depth: int


class BlockWalk:
    """Walks the block tokens once, keeping the list, quote and table it is inside, and calls
    the drawing hooks a subclass overrides."""

    def __init__(self) -> None:
        self.lists: list[list[int]] = []  # one entry per open list: [next number] or [] (bullets)
        self.item_started = False
        self.quote_depth = 0
        self.table_rows: TableRows | None = None

    def write(self, tokens: list[Token]) -> None:
        for index, token in enumerate(tokens):
            handler = getattr(self, f"_{token.type}", None)
            if handler is not None:
                handler(token, tokens[index + 1] if index + 1 < len(tokens) else None)

    # -- hooks ----------------------------------------------------------------------------------
    def heading(self, level: int, inline: Token | None) -> None:
        raise NotImplementedError

    def paragraph(self, inline: Token | None, item: ListItem | None) -> None:
        """A paragraph; ``item`` is set for the first paragraph of a list item."""
        raise NotImplementedError

    def code(self, text: str) -> None:
        raise NotImplementedError

    def rule(self) -> None:
        raise NotImplementedError

    def table(self, rows: TableRows, columns: int) -> None:
        raise NotImplementedError

    def block_closed(self) -> None:
        """A list or a quote ended (the PDF moves its margin back)."""

    # -- tokens ---------------------------------------------------------------------------------
    def _heading_open(self, token: Token, inline: Token | None) -> None:
        self.heading(min(int(token.tag[1]), 6), inline)

    def _paragraph_open(self, _token: Token, inline: Token | None) -> None:
        if self.table_rows is not None:
            return
        item = None
        if self.lists and self.item_started:
            self.item_started = False
            numbers = self.lists[-1]
            item = ListItem(numbers[0] if numbers else None, len(self.lists))
            if numbers:
                numbers[0] += 1
        self.paragraph(inline, item)

    def _bullet_list_open(self, _token: Token, _next: Token | None) -> None:
        self.lists.append([])

    def _ordered_list_open(self, token: Token, _next: Token | None) -> None:
        start = str(token.attrGet("start") or 1)
        self.lists.append([int(start) if start.isdigit() else 1])

    def _bullet_list_close(self, _token: Token, _next: Token | None) -> None:
        self.lists.pop()
        self.block_closed()

    _ordered_list_close = _bullet_list_close

    def _list_item_open(self, _token: Token, _next: Token | None) -> None:
        self.item_started = True

    def _blockquote_open(self, _token: Token, _next: Token | None) -> None:
        self.quote_depth += 1

    def _blockquote_close(self, _token: Token, _next: Token | None) -> None:
        self.quote_depth -= 1
        self.block_closed()

    def _code_block(self, token: Token, _next: Token | None) -> None:
        self.code(token.content.rstrip("\n"))

    _fence = _code_block

    def _hr(self, _token: Token, _next: Token | None) -> None:
        self.rule()

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
        if columns:
            self.table(rows, columns)


class InlineWalk:
    """Walks one inline token's children, keeping bold, italic and the open link, and calls the
    drawing hooks a subclass overrides."""

    def __init__(self, *, bold: bool = False, italic: bool = False):
        self.bold = 1 if bold else 0
        self.italic = 1 if italic else 0

    def write(self, tokens: list[Token]) -> None:
        for child in tokens:
            kind = child.type
            if kind in ("text", "image"):
                self.text(child.content, monospace=False)
            elif kind == "code_inline":
                self.text(child.content, monospace=True)
            elif kind in ("softbreak", "hardbreak"):
                self.line_break()
            elif kind in ("strong_open", "strong_close"):
                self.bold += 1 if kind == "strong_open" else -1
            elif kind in ("em_open", "em_close"):
                self.italic += 1 if kind == "em_open" else -1
            elif kind == "link_open":
                self.link_opened(link_target(str(child.attrGet("href") or "")))
            elif kind == "link_close":
                self.link_opened(None)

    def text(self, text: str, *, monospace: bool) -> None:
        raise NotImplementedError

    def line_break(self) -> None:
        raise NotImplementedError

    def link_opened(self, href: str | None) -> None:
        """A link begins (``href``: where to, None when it may not be a link) or ends (None)."""
        raise NotImplementedError
