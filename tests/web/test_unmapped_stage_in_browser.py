"""A deal in a stage no one mapped: the rep reads, in the panel, which phase the suggestions
assume and why, on the demo record page and in the panel at its narrowest."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

NOTICE = ("This deal's stage “Security Review” isn't set up in Be Inspired yet, so these "
          "suggestions assume it sits between Proposal/Price Quote and Negotiation/Review "
          "(buying).")


def test_the_panel_of_a_deal_in_an_unmapped_stage_says_which_phase_it_assumes(
    open_tab, opportunity_named, screenshot
):
    keystone = opportunity_named("Keystone Wealth Advisors")
    page = open_tab().open(f"/demo/{keystone.opportunity_id}")
    panel = page.frame_locator("[data-testid=panel-frame]")

    expect(panel.get_by_test_id("stage-notice")).to_have_text(NOTICE)
    expect(panel.get_by_test_id("context")).to_contain_text("Buying phase")
    reasons = panel.locator("[data-testid=client-facing] .bi-reason").all_inner_texts()
    assert reasons and "Implementation & adoption phase" not in reasons
    screenshot(page)


def test_the_unmapped_stage_notice_fits_the_narrowest_panel(
    open_tab, opportunity_named, screenshot
):
    keystone = opportunity_named("Keystone Wealth Advisors")
    page = open_tab(320, 800).open(f"/panel/{keystone.opportunity_id}")

    notice = page.get_by_test_id("stage-notice")
    expect(notice).to_have_text(NOTICE)
    box = notice.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320, box
    assert page.evaluate(
        "() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth"
    )
    screenshot(page)


def test_a_deal_in_a_mapped_stage_gets_no_stage_notice(open_tab, opportunity_named):
    aldric = opportunity_named("St. Aldric Health Partners")
    page = open_tab().open(f"/panel/{aldric.opportunity_id}")
    expect(page.locator("li.bi-suggestion").first).to_be_visible()
    expect(page.get_by_test_id("stage-notice")).to_have_count(0)
