"""How much text one document download may turn into a file: a bound on the work a single
request can cause, checked before any drawing."""
from __future__ import annotations

from typing import Sequence

from markdown_it.token import Token

#: The longest edited text turned into a document, in characters.
MAX_EXPORT_CHARS = 120_000
#: The most blocks (headings, paragraphs, list items, table cells, ...) in one document.
MAX_EXPORT_BLOCKS = 1_500


class ExportTooLarge(ValueError):
    """The text is over the export bounds; the message says which, in a rep's words."""


def check_export_size(markdown: str, tokens: Sequence[Token]) -> None:
    if len(markdown) > MAX_EXPORT_CHARS:
        raise ExportTooLarge(
            f"The text is longer than {MAX_EXPORT_CHARS:,} characters; shorten it to download it.")
    blocks = sum(1 for token in tokens if token.nesting == 1 or token.type in ("fence", "code_block", "hr"))
    if blocks > MAX_EXPORT_BLOCKS:
        raise ExportTooLarge(
            f"The text has more than {MAX_EXPORT_BLOCKS:,} paragraphs, headings, list items or "
            "table cells; shorten it to download it.")
