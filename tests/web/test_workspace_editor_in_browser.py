"""An enablement lead at work in the module editor, in a real browser: write and tag a module,
publish it and find it in a rep's panel; lose a race between two tabs without losing a word;
read the history, compare versions and restore one.

What only a browser can check: the live preview and the placeholder buttons (workspace-editor.js
under the strict CSP, sending the CSRF token), the pickers, and the conflict page's layout.

These tests publish and edit modules, so they run against a server of their own: the shared one
would then suggest different content to the other browser tests.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import serve_demo_app

pytestmark = pytest.mark.browser

TITLE = "Audit-ready in one quarter: a hospital group's compliance story"
BODY = """## The challenge

Eleven external audits a year, and evidence for each one pulled by hand from the EHR, access logs and spreadsheets.
The CFO put audit and compliance preparation at millions a year.

## What changed

- One evidence trail for OCR, payer and internal audits
- Audit preparation cost cut by 35% in the first quarter

Prepared for """


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[str]:
    """Overrides the session's server for this module only: the demo catalog on a fresh file."""
    with serve_demo_app(tmp_path_factory.mktemp("editor-web"), name="editor-web-server") as url:
        yield url


#: Chromium logs a page answered 400 (a form with errors) or 409 (the conflict page) as a failed
#: load; those are the product working. Anything else in the console is a fault.
EXPECTED_STATUS = re.compile(r"^Failed to load resource: the server responded with a status of (400|409) ")


def faults(console_errors: list[str]) -> list[str]:
    return [e for e in console_errors if not EXPECTED_STATUS.match(e)]


def pick(page: Page, dimension: str, *labels: str) -> None:
    picker = page.get_by_test_id(f"picker-{dimension}")
    for label in labels:
        picker.get_by_text(label, exact=True).click()
        expect(picker.get_by_label(label, exact=True)).to_be_checked()


def create_draft(page: Page, title: str, body: str) -> str:
    """Fill the new-module form with the minimum and save; returns the module id."""
    page.goto(re.sub(r"/workspace/.*$", "/workspace/modules/new", page.url))
    page.get_by_label("Title").fill(title)
    module_id = page.get_by_label("Module id").input_value()
    page.get_by_label("Kind").select_option("value_message")
    page.get_by_label("Markdown").fill(body)
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("status-badge").first).to_have_text("Draft")
    return module_id


def test_lead_writes_tags_and_publishes_a_module_that_the_panel_then_suggests(open_tab, opportunity_named, screenshot):
    tab = open_tab(1440, 1000)
    page = tab.open("/workspace/")
    expect(page.get_by_test_id("page-title")).to_have_text("Content modules")
    page.get_by_test_id("new-module").click()

    # A first try with mistakes: each is named at its field, and nothing typed is lost.
    page.get_by_label("Markdown").fill("Draft notes on the audit story")
    page.get_by_label("Link").fill("ftp://files.example.com/story.pdf")
    pick(page, "industry", "Healthcare")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("form-errors")).to_contain_text("4 things to fix")
    expect(page.get_by_test_id("error-f-title")).to_have_text("Is required.")
    expect(page.get_by_test_id("error-f-kind")).to_contain_text("Allowed: case_study, value_message")
    expect(page.get_by_test_id("error-f-link")).to_contain_text("Allowed: http, https, mailto")
    expect(page.get_by_label("Markdown")).to_have_value("Draft notes on the audit story")
    expect(page.get_by_test_id("picker-industry").get_by_label("Healthcare", exact=True)).to_be_checked()
    screenshot(page, suffix="-0-errors", full_page=False)
    page.get_by_label("Link").fill("")

    page.get_by_label("Title").fill(TITLE)
    expect(page.get_by_label("Module id")).to_have_value("audit-ready-in-one-quarter-a-hospital-group-s-compliance-story")
    page.get_by_label("Module id").fill("cs-audit-ready-one-quarter")
    page.get_by_label("Summary").fill("How a hospital group cut audit preparation by a third and answered OCR on time.")
    page.get_by_label("Kind").select_option("case_study")
    expect(page.get_by_label("Client-facing")).to_be_checked()
    expect(page.get_by_label("Author")).to_have_value("Demo enablement lead")

    body = page.get_by_label("Markdown")
    body.fill(BODY)
    page.get_by_role("button", name="{{account.name}}").click()  # inserted at the cursor: the end
    expect(body).to_have_value(BODY + "{{account.name}}")
    preview = page.get_by_test_id("preview")
    expect(preview.locator("h2").first).to_have_text("The challenge")
    expect(preview.locator("li")).to_have_count(2)
    expect(page.get_by_test_id("placeholders-used")).to_have_text("Personalised with: account.name")
    body.press("End")
    body.type(" for {{acount.name}}")
    expect(page.get_by_test_id("unknown-placeholders")).to_contain_text("{{acount.name}}")
    body.fill(BODY + "{{account.name}}")
    expect(page.get_by_test_id("unknown-placeholders")).to_have_text("")

    pick(page, "journey_phase", "Buying")
    pick(page, "buyer_role", "Economic Buyer")
    pick(page, "deal_stage", "Proposal/Price Quote")
    pick(page, "challenge", "Risk & compliance")
    pick(page, "deal_size", "Large deal")
    screenshot(page, suffix="-1-editor")

    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("page-title")).to_have_text(TITLE)
    expect(page.locator(".bi-flash")).to_contain_text("as a draft")
    expect(page.get_by_test_id("status-badge").first).to_have_text("Draft")
    expect(page.get_by_test_id("body").locator("h2").first).to_have_text("The challenge")

    page.get_by_test_id("to-published").click()
    expect(page.locator(".bi-flash")).to_contain_text("Published (version 2)")
    expect(page.get_by_test_id("status-badge").first).to_have_text("Published")
    expect(page.get_by_test_id("tags")).to_contain_text("Economic Buyer")
    screenshot(page, suffix="-2-published")

    page.goto(f"{tab.base_url}/workspace/modules?tag.industry=Healthcare&tag.challenge=risk_compliance&status=published&q=OCR")
    expect(page.locator("tr[data-module-id=cs-audit-ready-one-quarter]")).to_contain_text(TITLE)
    for status in page.get_by_test_id("modules-table").get_by_test_id("status-badge").all():
        expect(status).to_have_text("Published")
    expect(page.get_by_test_id("filter-industry").get_by_label("Healthcare")).to_be_checked()
    expect(page.get_by_test_id("filter-buyer_role").get_by_label("Economic Buyer")).not_to_be_checked()
    screenshot(page, suffix="-3-list")

    opportunity = opportunity_named("St. Aldric Health Partners")
    page.set_viewport_size({"width": 400, "height": 900})  # the panel's width on a record page
    panel = tab.open(f"/panel/{opportunity.opportunity_id}")
    card = panel.locator("[data-testid=client-facing] > li.bi-suggestion[data-module-id=cs-audit-ready-one-quarter]")
    expect(card).to_be_visible()
    expect(card.locator(".bi-suggestion__title")).to_have_text(TITLE)
    expect(card.locator(".bi-author")).to_have_text("Demo enablement lead")
    screenshot(panel, suffix="-4-panel")
    assert faults(tab.console_errors) == []


def test_two_tabs_editing_one_module_conflict_and_nothing_typed_is_lost(open_tab, screenshot):
    tab = open_tab(1440, 1000)
    first = tab.open("/workspace/modules")
    module_id = create_draft(first, "Value message for finance leaders", "Finance teams close the books faster.")
    edit_url = f"{tab.base_url}/workspace/modules/{module_id}/edit"
    second = first.context.new_page()  # the same person, a second tab
    second_errors: list[str] = []
    second.on("console", lambda m: m.type == "error" and second_errors.append(m.text))
    first.goto(edit_url)
    second.goto(edit_url)

    first.get_by_label("Title").fill("Value message for CFOs")
    first.get_by_test_id("save").click()
    expect(first.locator(".bi-flash")).to_contain_text("Saved version 2")

    typed = "Finance teams close the books in four days instead of nine.\n\nAsk about the audit trail."
    second.get_by_label("Markdown").fill(typed)
    second.get_by_test_id("save").click()

    expect(second.get_by_test_id("conflict")).to_contain_text("it is now version 2")
    expect(second.get_by_label("Markdown")).to_have_value(typed)  # nothing lost
    expect(second.get_by_label("Title")).to_have_value("Value message for CFOs")  # their change kept
    expect(second.get_by_test_id("theirs-title")).to_contain_text("Value message for CFOs")
    expect(second.get_by_test_id("theirs-body")).to_have_text("Finance teams close the books faster.")
    expect(second.get_by_test_id("mark-body")).to_have_text("Your change")
    expect(second.get_by_test_id("mark-title")).to_have_text("Their change")
    expect(second.get_by_test_id("preview")).to_contain_text("four days instead of nine")
    screenshot(second, suffix="-conflict")

    second.get_by_test_id("save").click()
    expect(second.locator(".bi-flash")).to_contain_text("Saved version 3")
    expect(second.get_by_test_id("page-title")).to_have_text("Value message for CFOs")
    expect(second.get_by_test_id("body")).to_contain_text("four days instead of nine")
    assert faults(tab.console_errors) == [] and faults(second_errors) == []


def test_history_compares_versions_and_restores_one(open_tab, screenshot):
    tab = open_tab(1440, 1000)
    page = tab.open("/workspace/modules")
    module_id = create_draft(page, "Battle card: the spreadsheet status quo", "Spreadsheets break at audit time.\nNobody owns them.")
    page.get_by_test_id("edit").click()
    page.get_by_label("Title").fill("Battle card: beating the spreadsheet")
    page.get_by_label("Markdown").fill("Spreadsheets break at audit time.\nOne owner, one trail.")
    pick(page, "industry", "Finance")
    page.get_by_test_id("save").click()
    page.get_by_test_id("to-published").click()
    expect(page.get_by_test_id("version")).to_have_text("3")

    page.get_by_test_id("history").click()
    rows = page.get_by_test_id("versions").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Published")
    expect(rows.nth(1)).to_contain_text("changed title, body, tags")
    expect(rows.nth(2)).to_contain_text("Demo enablement lead")
    screenshot(page, suffix="-1-history")

    page.get_by_label("Compare from version 1").check()
    page.get_by_label("Compare to version 3").check()
    page.get_by_test_id("compare").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Version 1 → version 3")
    expect(page.locator(".bi-diff__line_del")).to_contain_text(["Nobody owns them."])
    expect(page.locator(".bi-diff__line_add")).to_contain_text(["One owner, one trail."])
    expect(page.get_by_test_id("tag-diff").locator(".bi-diff-add")).to_have_text("Finance")
    removed = page.locator(".bi-diff__line_del").first
    assert removed.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"  # coloured
    screenshot(page, suffix="-2-diff")

    page.get_by_test_id("restore-1").click()
    expect(page.locator(".bi-flash")).to_contain_text("Restored the content of version 1 as version 4")
    expect(page.get_by_test_id("page-title")).to_have_text("Battle card: the spreadsheet status quo")
    expect(page.get_by_test_id("status-badge").first).to_have_text("Published")  # the status stays
    page.goto(f"{tab.base_url}/workspace/audit?module={module_id}")
    expect(page.get_by_test_id("audit-table").locator("tbody tr")).to_have_count(4)
    screenshot(page, suffix="-3-audit")
    assert tab.console_errors == []
