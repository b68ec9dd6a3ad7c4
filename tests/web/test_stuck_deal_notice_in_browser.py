"""A stuck deal: the rep reads, in the panel, how long the deal has been in its stage and how
soon this org's deals usually move on, on the demo record page and in the panel at 320 px."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from plugin.crm.demo_org import DEMO_ORG_ID
from plugin.orgs.demo_connection import connect_demo_org
from plugin.services import build_services
from plugin.settings import Settings
from tests.web.conftest import serve_demo_app

pytestmark = pytest.mark.browser

STUCK_TEXT = re.compile(r"^34 days in Proposal/Price Quote; deals here usually move within \d+$")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[str]:
    """The demo server with the demo org's simulated stage history synced, as `make demo` does."""
    directory = tmp_path_factory.mktemp("stuck")
    with serve_demo_app(directory, name="stuck-server") as url:
        svc = build_services(Settings(demo_mode=True,
                                      database_url=f"sqlite:///{directory / 'demo.sqlite3'}"))
        try:
            assert svc.outcome_sync.sync_stage_history(DEMO_ORG_ID).ok
            connect_demo_org(svc.org_connections())  # so its admin sees its mapping page
        finally:
            svc.engine.dispose()
        yield url


def test_a_stuck_deals_panel_says_how_long_and_how_soon_deals_usually_move(
    open_tab, opportunity_named, screenshot
):
    aldric = opportunity_named("St. Aldric Health Partners")
    page = open_tab().open(f"/demo/{aldric.opportunity_id}")
    panel = page.frame_locator("[data-testid=panel-frame]")

    notice = panel.get_by_test_id("stuck-notice")
    expect(panel.get_by_test_id("stuck-text")).to_have_text(STUCK_TEXT)
    expect(notice).to_contain_text("3 in 4 of this org")
    expect(panel.locator("li.bi-suggestion").first).to_be_visible()
    screenshot(page)


def test_the_stuck_deal_notice_fits_the_narrowest_panel(open_tab, opportunity_named, screenshot):
    aldric = opportunity_named("St. Aldric Health Partners")
    page = open_tab(320, 900).open(f"/panel/{aldric.opportunity_id}")

    notice = page.get_by_test_id("stuck-notice")
    expect(page.get_by_test_id("stuck-text")).to_have_text(STUCK_TEXT)
    box = notice.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320, box
    assert page.evaluate(
        "() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth"
    )
    screenshot(page, full_page=False)


def test_a_deal_moving_as_usual_gets_no_notice(open_tab, opportunity_named):
    pembroke = opportunity_named("Pembroke Engineering Group")  # 2 days in Proposal/Price Quote
    page = open_tab().open(f"/panel/{pembroke.opportunity_id}")
    expect(page.locator("li.bi-suggestion").first).to_be_visible()
    expect(page.get_by_test_id("stuck-notice")).to_have_count(0)


def test_the_admin_sees_the_stage_norms_on_the_mapping_page(open_tab, opportunity_named,
                                                            screenshot):
    aldric = opportunity_named("St. Aldric Health Partners")
    page = open_tab().open(f"/demo/{aldric.opportunity_id}")
    page.get_by_test_id("view-as-admin").click()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("Demo admin · admin")
    page.locator(f"[data-org-id='{DEMO_ORG_ID}']").get_by_role("link", name="Stages").click()
    norms = page.get_by_test_id("stage-norms")
    expect(norms).to_contain_text("How long deals stay in each stage")
    proposal = norms.locator("[data-testid=norm-row][data-stage='Proposal/Price Quote']")
    expect(proposal).to_contain_text(re.compile(r"\d+ d"))
    norms.scroll_into_view_if_needed()
    screenshot(page)
