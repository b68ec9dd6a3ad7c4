"""Markdown to PDF: what the built-in fonts can draw, and the bounds checked before drawing."""
import pytest

from plugin.content.export_limits import MAX_EXPORT_BLOCKS, ExportTooLarge, check_export_size
from plugin.content.pdf_export import latin1, markdown_to_pdf


@pytest.mark.parametrize("text, drawn", [
    ("“Quoted” — it’s ⟦rep name⟧…", '"Quoted" - it\'s [rep name]...'),
    ("café × 3 €", "café × 3 EUR"),
    ("ﬁle Ⅳ", "file IV"),  # compatibility forms spelled plainly
    ("中文", "??"),  # no Latin-1 equivalent: shown, not dropped silently
])
def test_text_is_spelled_in_what_the_fonts_draw(text, drawn):
    assert latin1(text) == drawn


def test_every_block_kind_becomes_a_pdf():
    markdown = ("# Title\n\nA **bold** and *italic* [link](https://example.com) `code` "
                "[bad](javascript:alert(1))\n\n- one\n  - nested\n1. first\n\n> quote\n\n"
                "```\ncode block\n```\n\n---\n\n| a | b |\n|---|---|\n| 1 |\n")
    pdf = markdown_to_pdf(markdown, title="T")
    assert pdf.startswith(b"%PDF-") and b"javascript" not in pdf
    assert b"https://example.com" in pdf


def test_blocks_are_counted_before_anything_is_drawn():
    from markdown_it import MarkdownIt
    parse = MarkdownIt("commonmark").parse
    check_export_size("x", parse("para\n\n" * MAX_EXPORT_BLOCKS))
    with pytest.raises(ExportTooLarge, match="more than 1,500"):
        check_export_size("x", parse("para\n\n" * (MAX_EXPORT_BLOCKS + 1)))
