"""Markdown bodies to HTML a rep's browser can show safely."""
from plugin.content.rendering import markdown_to_html


def test_single_line_breaks_are_kept_as_authors_expect():
    html = markdown_to_html("**Prepared for:** Acme\n**Prepared by:** Dana")
    assert "<br" in html and html.count("<p>") == 1


def test_links_other_than_http_https_mailto_are_not_links():
    html = markdown_to_html("[a](javascript:alert(1)) [b](data:text/html,x) [c](https://ok.example) [d](mailto:a@b.c)")
    assert 'href="javascript' not in html and 'href="data' not in html
    assert 'href="https://ok.example"' in html and 'href="mailto:a@b.c"' in html


def test_links_open_without_leaking_the_panel():
    assert 'rel="noopener noreferrer nofollow"' in markdown_to_html("[c](https://ok.example)")
