"""The demo record page, the panel and the module page as a rep sees them, in a real browser.

What only a browser can check: the panel inside its iframe, the picker's script, the strict CSP
(no inline script or style may slip in), layout at the panel's real widths, and that hostile text
from the CRM stays text.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import FrameLocator, Locator, Page, expect

pytestmark = pytest.mark.browser

PANEL = "[data-testid=panel-frame]"
DOC_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
#: Set to regenerate the README's screenshots in docs/screenshots/ (they are committed).
UPDATE_DOC_SCREENSHOTS = os.environ.get("BEINSPIRED_UPDATE_DOC_SCREENSHOTS") == "1"


def panel_of(page: Page) -> FrameLocator:
    return page.frame_locator(PANEL)


def cards(scope: Page | FrameLocator, list_testid: str = "client-facing") -> Locator:
    return scope.locator(f"[data-testid={list_testid}] > li.bi-suggestion")


def reasons_of(card: Locator) -> list[str]:
    return [text.strip() for text in card.locator(".bi-reason").all_inner_texts()]


def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate(
        "() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth"
    )


# -- the demo record page ----------------------------------------------------------------------
def test_demo_page_shows_the_opportunity_and_suggestions_in_the_panel(
    open_tab, demo_opportunities, screenshot
):
    first = demo_opportunities[0]
    page = open_tab().open("/demo/")

    expect(page).to_have_url(re.compile(rf"/demo/{first.opportunity_id}$"))
    expect(page.get_by_test_id("opportunity-name")).to_have_text(first.name)
    expect(page.get_by_test_id("stage")).to_have_text(first.stage)
    suggestions = cards(panel_of(page))
    expect(suggestions.first).to_be_visible()
    assert suggestions.count() >= 3
    for card in suggestions.all():
        expect(card.locator(".bi-suggestion__title a")).not_to_be_empty()
        expect(card.locator(".bi-kind")).not_to_be_empty()
        expect(card.locator(".bi-author")).not_to_be_empty()
        assert reasons_of(card), f"no reason badge on {card.inner_text()!r}"
    screenshot(page)


def test_record_header_highlights_span_the_whole_header(open_tab, opportunity_named, screenshot):
    """Lightning's highlights row is a white band across the header, not a block as wide as its
    four fields (what SLDS draws when the row misses slds-page-header__col-details)."""
    opportunity = opportunity_named("St. Aldric Health Partners")
    page = open_tab(1280, 800).open(f"/demo/{opportunity.opportunity_id}")

    header = page.locator(".slds-page-header_record-home").bounding_box()
    highlights = page.get_by_test_id("highlights").bounding_box()
    assert highlights["width"] >= header["width"] - 4, (highlights, header)
    expect(page.get_by_test_id("account-name")).to_have_text(opportunity.account_name)
    expect(page.get_by_test_id("amount")).to_have_text("$640,000")
    screenshot(page)


def test_healthcare_economic_buyer_in_proposal_gets_suggestions_tagged_for_that_context(
    open_tab, opportunity_named, screenshot
):
    opportunity = opportunity_named("St. Aldric Health Partners")
    assert (opportunity.stage, opportunity.industry) == ("Proposal/Price Quote", "Healthcare")
    page = open_tab().open(f"/demo/{opportunity.opportunity_id}")
    panel = panel_of(page)

    expect(panel.get_by_test_id("context")).to_have_text(
        "Buying phase · Healthcare · Economic Buyer"
    )
    top = cards(panel).all()[:3]
    assert len(top) == 3
    for card in top:
        reasons = set(reasons_of(card))
        assert {"Buying phase", "Economic Buyer", "Healthcare"} <= reasons, card.inner_text()
    screenshot(page)


def test_closed_won_opportunity_gets_implementation_and_adoption_suggestions(
    open_tab, demo_opportunities, screenshot
):
    won = next(o for o in demo_opportunities if o.stage == "Closed Won")
    page = open_tab().open(f"/demo/{won.opportunity_id}")
    panel = panel_of(page)

    expect(panel.get_by_test_id("context")).to_contain_text("Implementation & adoption phase")
    expect(cards(panel).first).to_be_visible()
    for card in cards(panel).all():
        assert "Implementation & adoption phase" in reasons_of(card), card.inner_text()
    screenshot(page)


def test_picker_switches_to_the_chosen_opportunity_and_its_suggestions(
    open_tab, opportunity_named, screenshot
):
    start = opportunity_named("St. Aldric Health Partners")
    chosen = opportunity_named("Harrowgate Community Bank")
    page = open_tab().open(f"/demo/{start.opportunity_id}")
    expect(panel_of(page).get_by_test_id("context")).to_contain_text("Healthcare")

    with page.expect_navigation():
        page.locator("#opportunity-picker").select_option(chosen.opportunity_id)

    expect(page).to_have_url(re.compile(rf"/demo/{chosen.opportunity_id}$"))
    expect(page.get_by_test_id("opportunity-name")).to_have_text(chosen.name)
    expect(page.locator("#opportunity-picker")).to_have_value(chosen.opportunity_id)
    expect(panel_of(page).get_by_test_id("context")).to_contain_text("Banking")
    screenshot(page)


def test_hostile_description_is_shown_as_text_and_never_run(
    open_tab, opportunity_named, screenshot
):
    opportunity = opportunity_named("Marisol Hotels Group")
    assert "<script>alert(1)</script>" in opportunity.description
    assert "{{ 7*7 }}" in opportunity.description
    tab = open_tab()
    page = tab.open(f"/demo/{opportunity.opportunity_id}")

    description = page.get_by_test_id("description")
    expect(description).to_contain_text("<script>alert(1)</script>")
    expect(description).to_contain_text("{{ 7*7 }}")
    assert "49" not in description.inner_text()
    assert description.locator("script").count() == 0
    expect(cards(panel_of(page)).first).to_be_visible()
    screenshot(page)
    assert tab.dialogs == []


def test_pages_load_without_csp_violations_or_script_errors(open_tab, opportunity_named):
    """style-src and script-src are 'self' only: an inline style or script in a template would be
    blocked, and Chromium reports each block as a console error."""
    opportunity = opportunity_named("St. Aldric Health Partners")
    tab = open_tab()
    page = tab.open(f"/demo/{opportunity.opportunity_id}")
    panel = panel_of(page)
    panel.locator(".bi-suggestion__title a").first.click()
    expect(panel.get_by_test_id("module-title")).to_be_visible()
    page.wait_for_load_state("networkidle")

    assert tab.console_errors == []


# -- the panel ---------------------------------------------------------------------------------
@pytest.mark.parametrize("width", [320, 360, 400], ids=lambda w: f"{w}px")
def test_panel_is_readable_at_its_narrowest_and_widest_without_horizontal_scroll(
    open_tab, opportunity_named, screenshot, width
):
    opportunity = opportunity_named("St. Aldric Health Partners")
    page = open_tab(width, 800).open(f"/panel/{opportunity.opportunity_id}")

    expect(cards(page).first).to_be_visible()
    assert no_horizontal_scroll(page)
    for badge in page.locator(".bi-reason, .bi-suggestion__title").all():
        box = badge.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (badge.inner_text(), box)
    screenshot(page)


def test_opening_a_module_shows_its_body_and_a_way_back(open_tab, opportunity_named, screenshot):
    opportunity = opportunity_named("St. Aldric Health Partners")
    page = open_tab().open(f"/demo/{opportunity.opportunity_id}")
    panel = panel_of(page)
    first_title = panel.locator(".bi-suggestion__title a").first
    title = first_title.inner_text().strip()

    first_title.click()

    expect(panel.get_by_test_id("module-title")).to_have_text(title)
    body = panel.locator(".bi-body")
    expect(body.locator("h2, h3").first).to_be_visible()
    assert len(body.inner_text()) > 200
    back = panel.get_by_role("link", name="Back to suggestions")
    expect(back).to_be_visible()
    screenshot(page)

    back.click()
    expect(cards(panel).first).to_be_visible()


def test_module_page_fits_the_narrowest_panel(open_tab, opportunity_named, screenshot):
    opportunity = opportunity_named("St. Aldric Health Partners")
    page = open_tab(320, 800).open(f"/panel/{opportunity.opportunity_id}")
    page.locator(".bi-suggestion__title a").first.click()

    expect(page.get_by_test_id("module-title")).to_be_visible()
    assert no_horizontal_scroll(page)
    screenshot(page)


def test_unknown_opportunity_shows_an_error_in_the_panels_look(open_tab, screenshot):
    tab = open_tab(360, 600)
    response = tab.page.goto(f"{tab.base_url}/panel/006000000000000AAA")

    assert response.status == 404
    expect(tab.page.get_by_test_id("error")).to_contain_text("could not be found")
    expect(tab.page.get_by_role("heading", name="Be Inspired")).to_be_visible()
    screenshot(tab.page)


def test_missing_module_error_leads_back_to_the_suggestions(
    open_tab, opportunity_named, screenshot
):
    opportunity = opportunity_named("St. Aldric Health Partners")
    tab = open_tab(360, 600)
    path = f"/panel/{opportunity.opportunity_id}/modules/no-such-module"
    response = tab.page.goto(tab.base_url + path)

    assert response.status == 404
    expect(tab.page.get_by_test_id("error")).to_contain_text("not available")
    screenshot(tab.page)
    tab.page.get_by_role("link", name="Back to suggestions").click()
    expect(cards(tab.page).first).to_be_visible()


# -- the README's pictures ---------------------------------------------------------------------
def test_readme_screenshots_show_the_st_aldric_page_and_the_panel(
    open_tab, opportunity_named, screenshot
):
    """Always taken into artifacts/; written to docs/screenshots/ (committed, shown in the README)
    only with BEINSPIRED_UPDATE_DOC_SCREENSHOTS=1, so an ordinary run leaves the tree clean."""
    opportunity = opportunity_named("St. Aldric Health Partners")

    page = open_tab(1440, 900).open(f"/demo/{opportunity.opportunity_id}")
    expect(cards(panel_of(page)).first).to_be_visible()
    screenshot(page, full_page=False)
    if UPDATE_DOC_SCREENSHOTS:
        screenshot(page, full_page=False, path=DOC_SCREENSHOTS / "demo-record-page.png")

    panel = open_tab(360, 800).open(f"/panel/{opportunity.opportunity_id}")
    expect(cards(panel).first).to_be_visible()
    screenshot(panel, suffix="-panel")
    if UPDATE_DOC_SCREENSHOTS:
        screenshot(panel, path=DOC_SCREENSHOTS / "panel.png")
