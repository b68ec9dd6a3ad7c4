"""Placeholders and personalising: values go in as text, once, and never as code or Markdown."""
from __future__ import annotations

import json
import re
from importlib.resources import files

import pytest

from content_catalog.placeholders import (
    MAX_VALUE_CHARS,
    PLACEHOLDERS,
    PlaceholderUse,
    find_placeholders,
    gap,
    personalise,
    unknown_placeholders,
    used_placeholders,
)
from plugin.content.rendering import markdown_to_html

ALL_KNOWN = " ".join(f"{{{{{name}}}}}" for name in PLACEHOLDERS)


def as_html_text(value: str) -> str:
    """``value`` as text in markdown-it's HTML: shown exactly as written."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def account(value: str | None, template: str = "Prepared for {{account.name}}.") -> str:
    return personalise(template, {"account.name": value}).text


# -- the supported names -------------------------------------------------------------------------
def test_supported_placeholders_are_exactly_those_the_demo_catalog_uses():
    modules = json.loads(files("plugin.crm.demo_org").joinpath("modules.json").read_text(encoding="utf-8"))
    used = {name for module in modules for name in re.findall(r"\{\{\s*([\w.]+)\s*\}\}", module["body"])}
    assert used == set(PLACEHOLDERS)
    assert list(PLACEHOLDERS)[:2] == ["account.name", "opportunity.name"]
    assert all(description.strip() for description in PLACEHOLDERS.values())


def test_supported_placeholders_cannot_be_changed_at_run_time():
    with pytest.raises(TypeError):
        PLACEHOLDERS["os.system"] = "no"  # type: ignore[index]


# -- finding placeholders ------------------------------------------------------------------------
def test_placeholders_are_found_with_or_without_inner_spaces_and_with_their_positions():
    text = "Hi {{account.name}}, {{  buyer.role }} and {{\tindustry\t}}."
    uses = find_placeholders(text)
    assert [u.name for u in uses] == ["account.name", "buyer.role", "industry"]
    assert all(u.known for u in uses)
    assert [text[u.start:u.end] for u in uses] == ["{{account.name}}", "{{  buyer.role }}", "{{\tindustry\t}}"]


def test_unknown_names_are_flagged_once_each_in_order_of_use():
    text = "{{Account.Name}} {{ account name }} {{acount.name}} {{Account.Name}} {{account.name}}"
    assert unknown_placeholders(text) == ["Account.Name", "account name", "acount.name"]
    assert used_placeholders(text) == ["account.name"]
    assert find_placeholders("{{ opportunity.owner }}") == [PlaceholderUse("opportunity.owner", 0, 23, False)]


@pytest.mark.parametrize("text", [
    "{{ 7*7 }}", "{% for x in y %}{% endfor %}", "{{ account.name | upper }}", "{{}}", "{{ }}",
    "{ account.name }", "{{account.name}", "{{ account.name\n}}", "{{ ''.__class__ }}", "${account.name}",
])  # fmt: skip
def test_anything_else_in_braces_is_not_a_placeholder_and_stays_literal(text):
    assert find_placeholders(text) == []
    assert unknown_placeholders(text) == []
    assert personalise(text, {"account.name": "Acme"}).text == text


def test_unknown_placeholders_are_left_as_they_were_written():
    result = personalise("{{ Account.Name }} / {{account.name}}", {"account.name": "Acme", "Account.Name": "X"})
    assert result.text == "{{ Account.Name }} / Acme"
    assert result.missing == ()


def test_braces_around_a_placeholder_are_kept_as_text():
    assert account("Acme", "{{{account.name}}}") == "{Acme}"


# -- values go in as text ------------------------------------------------------------------------
def test_every_supported_placeholder_is_filled():
    values = {name: f"v{i}" for i, name in enumerate(PLACEHOLDERS)}
    result = personalise(ALL_KNOWN, values)
    assert result.text == " ".join(values.values())
    assert result.missing == ()


def test_html_and_script_in_a_value_are_shown_as_text():
    value = '<script>alert(1)</script><img src=x onerror=alert(1)> "quoted" & done'
    html = markdown_to_html(account(value))
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&amp; done" in html


@pytest.mark.parametrize("value", [
    "{{opportunity.amount}}", "{{ 7*7 }}", "{% for x in range(9) %}boom{% endfor %}",
    "{{ rep.name }}{{rep.name}}", "${7*7}", "#{7*7}", "<%= 7*7 %>", "{{''.__class__.__mro__}}",
])  # fmt: skip
def test_template_syntax_inside_an_account_name_is_inserted_literally(value):
    values = {"account.name": value, "opportunity.amount": "$5"}
    result = personalise("For {{account.name}}: {{opportunity.amount}}", values)
    assert markdown_to_html(result.text) == f"<p>For {as_html_text(value)}: $5</p>\n"
    assert result.missing == ()  # the rep.name inside the value was never looked at


def test_personalising_is_a_single_pass_over_the_template():
    """A value that names another placeholder is not filled in, whatever order they come in."""
    values = {"account.name": "{{buyer.name}}", "buyer.name": "{{account.name}}", "rep.name": None}
    result = personalise("{{account.name}} / {{buyer.name}}", values)
    assert result.text == "{{buyer.name}} / {{account.name}}"
    again = personalise(result.text, {"account.name": "A", "buyer.name": "B"})
    assert again.text == "B / A"  # only a second, deliberate pass would fill them


@pytest.mark.parametrize("value, shown", [
    ("**Acme** [x](javascript:alert(1))", "**Acme** [x](javascript:alert(1))"),
    ("![logo](https://evil.example/x.png)", "![logo](https://evil.example/x.png)"),
    ("<https://evil.example>", "&lt;https://evil.example&gt;"),
    ("_under_ `code` ~~strike~~", "_under_ `code` ~~strike~~"),
    ("a | b", "a | b"),
    ("back\\slash\\", "back\\slash\\"),
    ("&lt;not an entity&gt; &#65;", "&amp;lt;not an entity&amp;gt; &amp;#65;"),
])  # fmt: skip
def test_markdown_in_a_value_cannot_format_or_link(value, shown):
    html = markdown_to_html(account(value))
    assert html == f"<p>Prepared for {shown}.</p>\n"


@pytest.mark.parametrize("value", [
    "# Heading", "## Heading", "- item", "+ item", "* item", "1. item", "12) item", "> quote",
    "===", "---", "***", "___", "```js", "~~~", "    indented", "[ref]: https://evil.example",
])  # fmt: skip
def test_a_value_at_the_start_of_a_line_or_list_item_cannot_start_a_block(value):
    for template in ("{{account.name}}", "Intro\n{{account.name}}", "- {{account.name}}", "> {{account.name}}"):
        html = markdown_to_html(account(value, template))
        assert not re.search(r"<(h\d|ol|pre|code|hr|a|em|strong)\b", html), (template, html)
        assert value.strip() in html.replace("&gt;", ">"), (template, html)


def test_a_value_inside_a_table_cell_stays_in_its_cell():
    template = "| Customer | Amount |\n|---|---|\n| {{account.name}} | {{opportunity.amount}} |"
    html = markdown_to_html(personalise(template, {"account.name": "A | B | C", "opportunity.amount": "$1"}).text)
    assert "<td>A | B | C</td>" in html and "<td>$1</td>" in html
    assert html.count("<td>") == 2


def test_ordinary_punctuation_is_not_escaped_so_the_text_stays_readable():
    assert account("St. Aldric Health Partners (EMEA), Inc.: 50% off $1,000!") == (
        "Prepared for St. Aldric Health Partners (EMEA), Inc.: 50% off $1,000!."
    )
    assert account("Smith-Jones & Co") == "Prepared for Smith-Jones & Co."


# -- cleaning ------------------------------------------------------------------------------------
def test_control_characters_are_removed_and_line_breaks_become_spaces():
    value = "Acme\x00\x07 Corp\r\n# Not a heading\tLtd\x1b[31m\x7f\x85end\u202egnp.exe"
    text = account(value)
    assert text == "Prepared for Acme Corp \\# Not a heading Ltd\\[31m endgnp.exe."
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)


def test_a_value_cut_before_cleaning_is_still_marked_as_cut():
    assert account("Acme" + " " * 50_000 + "Corp") == "Prepared for Acme…."


def test_very_long_values_are_capped_with_an_ellipsis():
    values = {"account.name": "A" * 100_000, "challenge": "x" * MAX_VALUE_CHARS}
    result = personalise("{{account.name}}|{{challenge}}", values)
    name, challenge = result.text.split("|")
    assert name == "A" * (MAX_VALUE_CHARS - 1) + "…"
    assert challenge == "x" * MAX_VALUE_CHARS  # exactly at the limit: kept whole


def test_capping_counts_characters_before_escaping_and_never_leaves_a_dangling_escape():
    result = account("*" * 10_000)
    inner = result.removeprefix("Prepared for ").removesuffix(".")
    assert inner == "\\*" * (MAX_VALUE_CHARS - 1) + "…"
    assert markdown_to_html(result) == f"<p>Prepared for {'*' * (MAX_VALUE_CHARS - 1)}….</p>\n"


def test_a_long_template_with_many_hostile_values_is_personalised_quickly():
    template = ("{{account.name}} {{ 7*7 }} **{{challenge}}**\n" * 2_000)[:100_000]
    hostile = "{{account.name}}<b>" * 5_000
    result = personalise(template, {"account.name": hostile, "challenge": hostile})
    assert result.text.count("{{ 7*7 }}") == template.count("{{ 7*7 }}")
    assert not re.search(r"(?<!\\)<", result.text)  # every < escaped
    head = "\n".join(result.text.splitlines()[:20])
    assert "<b>" not in markdown_to_html(head) and "&lt;b&gt;" in markdown_to_html(head)


# -- missing values ------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [None, "", "   ", "\x00\x01", "\n\t"])
def test_a_missing_value_is_a_visible_gap_never_none(value):
    result = personalise("By {{rep.name}} for {{account.name}}", {"account.name": value})
    assert result.text == "By ⟦rep name⟧ for ⟦account name⟧"
    assert result.missing == ("rep.name", "account.name")
    assert "None" not in result.text
    assert "⟦account name⟧" in markdown_to_html(result.text)


def test_each_missing_placeholder_is_reported_once_in_order_of_first_use():
    template = "{{challenge}} {{industry}} {{challenge}} {{opportunity.close_date}}"
    result = personalise(template, {"industry": "Retail"})
    assert result.text == "⟦challenge⟧ Retail ⟦challenge⟧ ⟦opportunity close date⟧"
    assert result.missing == ("challenge", "opportunity.close_date")


def test_every_supported_placeholder_has_a_readable_gap():
    result = personalise(ALL_KNOWN, {})
    assert result.text.startswith("⟦account name⟧ ⟦opportunity name⟧")
    assert result.missing == tuple(PLACEHOLDERS)
    assert gap("opportunity.close_date") == "⟦opportunity close date⟧"
    assert re.fullmatch(r"(⟦[a-z ]+⟧ ?)+", result.text)


def test_a_value_cannot_pass_itself_off_as_a_gap():
    text = account("⟦rep name⟧")
    assert "⟦" not in text and "⟧" not in text
    assert markdown_to_html(text) == "<p>Prepared for [rep name].</p>\n"


def test_an_empty_or_missing_template_personalises_to_nothing():
    assert personalise("", {"account.name": "Acme"}).text == ""
    assert personalise(None, {}).text == ""  # type: ignore[arg-type]
