"""Markdown to safe HTML: rendered by markdown-it, then sanitised by nh3 (Ammonia).
Design: docs/design/content.md."""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

# ``breaks``: authors write "**Prepared for:** …" on one line and "**Prepared by:** …" on the
# next and expect two lines, as in the editors they know.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def markdown_to_html(text: str) -> str:
    html = _markdown.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
