"""Personalised Markdown as a Word document: Word's own headings, lists and tables, no HTML."""
from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.enum.text import WD_COLOR_INDEX

from plugin.content.docx_export import markdown_to_docx
from plugin.content.export_limits import MAX_EXPORT_BLOCKS as MAX_BLOCKS
from plugin.content.export_limits import MAX_EXPORT_CHARS as MAX_CHARS
from plugin.content.export_limits import ExportTooLarge


def open_document(markdown: str, title: str = "Business case"):
    return docx.Document(io.BytesIO(markdown_to_docx(markdown, title=title)))


def paragraphs(document) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in document.paragraphs]


def test_headings_paragraphs_and_lists_become_words_own():
    document = open_document(
        "## Business case\n\nIntro line\nsecond line\n\n### Steps\n- one\n- two\n  - nested\n\n"
        "1. first\n2. second\n\n3) third alone\n\n> A quote\n\n```\ncode\nmore\n```\n\n---\n"
    )
    assert paragraphs(document) == [
        ("Heading 2", "Business case"),
        ("Normal", "Intro line\nsecond line"),
        ("Heading 3", "Steps"),
        ("List Bullet", "one"),
        ("List Bullet", "two"),
        ("List Bullet 2", "nested"),
        ("List Continue", "1. first"),
        ("List Continue", "2. second"),
        ("List Continue", "3. third alone"),  # a new list numbers from its own start
        ("Quote", "A quote"),
        ("No Spacing", "code\nmore"),
        ("Normal", ""),  # the rule
    ]


def test_bold_italics_and_code_are_run_formatting_not_markup():
    (paragraph,) = open_document("Plain **bold** *italic* `code`").paragraphs
    runs = [(r.text, r.bold, r.italic, r.font.name) for r in paragraph.runs]
    assert runs == [
        ("Plain ", None, None, None),
        ("bold", True, None, None),
        (" ", None, None, None),
        ("italic", None, True, None),
        (" ", None, None, None),
        ("code", None, None, "Courier New"),
    ]


def test_tables_keep_their_cells_with_a_bold_header():
    document = open_document("| Driver | Baseline |\n|---|---|\n| Hours | ___ |\n| Fees | **$5** |")
    (table,) = document.tables
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells == [["Driver", "Baseline"], ["Hours", "___"], ["Fees", "$5"]]
    assert table.rows[0].cells[0].paragraphs[0].runs[0].bold is True


def test_only_web_and_mail_links_become_hyperlinks():
    links = "[site](https://example.com/x) [mail](mailto:a@b.c) [bad](javascript:alert(1))"
    data = markdown_to_docx(links, title="t")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        relationships = archive.read("word/_rels/document.xml.rels").decode()
        body = archive.read("word/document.xml").decode()
    assert 'Target="https://example.com/x"' in relationships and 'Target="mailto:a@b.c"' in relationships
    assert "javascript" not in relationships
    assert body.count("<w:hyperlink") == 2
    assert "[bad](javascript:alert(1))" in open_document("[bad](javascript:alert(1))").paragraphs[0].text


def test_gaps_for_missing_values_are_highlighted():
    (paragraph,) = open_document("Prepared by ⟦rep name⟧ for **⟦account name⟧**").paragraphs
    highlighted = [r.text for r in paragraph.runs if r.font.highlight_color == WD_COLOR_INDEX.YELLOW]
    assert highlighted == ["⟦rep name⟧", "⟦account name⟧"]


@pytest.mark.parametrize(
    "text", ["a\x00b\x01c\x0bd\x1fe", "<w:t>x</w:t>]]>&amp;", "\ud800 lone surrogate", "x" * MAX_CHARS]
)
def test_any_text_gives_a_valid_document(text):
    document = open_document(text, title="Title\x00 with <markup>")
    assert document.paragraphs
    assert document.core_properties.title == "Title with <markup>"


def test_document_carries_the_title_and_no_library_author():
    properties = open_document("x", title="Business case: Acme").core_properties
    assert properties.title == "Business case: Acme"
    assert properties.author == "" and properties.last_modified_by == ""


def test_a_text_beyond_the_bounds_is_refused_before_any_drawing():
    with pytest.raises(ExportTooLarge, match="longer than 120,000 characters"):
        markdown_to_docx("x" * (MAX_CHARS + 1), title="t")
    with pytest.raises(ExportTooLarge, match="more than 1,500 paragraphs"):
        markdown_to_docx("\n\n".join("p" for _ in range(MAX_BLOCKS + 1)), title="t")
    with pytest.raises(ExportTooLarge, match="more than 1,500 paragraphs"):  # table cells count too
        markdown_to_docx("| a |\n|---|\n" + "\n".join("| x |" for _ in range(MAX_BLOCKS)), title="t")


def test_a_document_at_the_bounds_keeps_every_block_and_its_style():
    # A heading is one block, a quote two (the quote and its paragraph): 500 of each is 1,500.
    text = "\n\n".join(f"## heading {i}\n\n> quote {i}" for i in range(500))
    document = open_document(text)
    assert paragraphs(document) == [p for i in range(500) for p in (("Heading 2", f"heading {i}"), ("Quote", f"quote {i}"))]
