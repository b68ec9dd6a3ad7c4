"""Leading indicators in a real browser: the demo manager picks themself, opens the page from
the workspace navigation, sees their team only with its weekly trend, and opens the meetings
behind the preparation figure; the enablement lead sees regions too; the page works at 320 px."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from content_catalog.database import make_engine, session_factory
from content_catalog.taxonomy import default_taxonomy
from plugin.learning.demo_history import seed_demo_history
from plugin.learning.demo_meetings import seed_demo_people_history
from tests.web.conftest import DEMO_TODAY, serve_demo_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("indicators")
    with serve_demo_app(directory, name="indicators-server") as url:
        engine = make_engine(f"sqlite:///{directory / 'demo.sqlite3'}")
        sessions = session_factory(engine)
        seed_demo_history(sessions, default_taxonomy(), today=DEMO_TODAY, weeks=8, seed=5,
                          views_per_week=40)
        seed_demo_people_history(sessions, today=DEMO_TODAY)
        engine.dispose()
        yield url


def pick(page, identity: str) -> None:
    page.locator(f"label[for=role-{identity}]").click()
    expect(page.locator(f"#role-{identity}")).to_be_checked()
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()


def test_a_manager_sees_their_teams_indicators_and_the_meetings_behind_one(open_tab, screenshot):
    tab = open_tab()
    page = tab.open("/demo/identity")
    pick(page, "manager")
    with page.expect_navigation():
        page.get_by_role("link", name="Leading indicators").click()
    expect(page.get_by_role("heading", name="Leading indicators")).to_be_visible()
    table = page.get_by_test_id("indicators-table")
    expect(table.locator("tr[data-kind=region]")).to_have_count(0)
    expect(table.locator("tr[data-kind=team]").first).to_contain_text("Dana Whitfield's team")
    expect(table).not_to_contain_text("Elena Rossi")
    expect(page.get_by_test_id("indicators-trend").locator("svg")).to_be_visible()
    expect(page.get_by_role("link", name="Modules")).to_have_count(0)  # nothing to edit
    screenshot(page, suffix="-1-manager")

    with page.expect_navigation():
        table.locator("tr[data-kind=org]").get_by_test_id("figure-preparation").click()
    expect(page.get_by_test_id("indicator-deals").locator("[data-testid=deal-line]").first).to_be_visible()
    expect(page.get_by_test_id("deals-figure")).to_contain_text(" of ")
    screenshot(page, suffix="-2-meetings-behind-preparation")
    assert not tab.console_errors


def test_an_enablement_lead_sees_regions_and_the_page_fits_320_px(open_tab, screenshot):
    tab = open_tab()
    page = tab.open("/demo/identity")
    pick(page, "enablement")
    page = tab.open("/workspace/indicators?weeks=12")
    table = page.get_by_test_id("indicators-table")
    expect(table.locator("tr[data-kind=region]")).to_have_count(2)
    with page.expect_navigation():
        table.get_by_role("link", name="EMEA").click()
    expect(page.get_by_role("heading", name="EMEA, week by week")).to_be_visible()
    screenshot(page, suffix="-1-enablement-emea")

    narrow = open_tab(width=320, height=800)
    narrow.open("/demo/identity")
    pick(narrow.page, "manager")
    small = narrow.open("/workspace/indicators")
    expect(small.get_by_role("heading", name="Leading indicators")).to_be_visible()
    # The page's own content; the workspace shell's header is wider than 320 px on every page.
    overflow = small.evaluate("document.querySelector('main').scrollWidth - window.innerWidth")
    screenshot(small, suffix="-2-manager-320px")
    assert overflow <= 1, f"the indicators are {overflow} px wider than a 320 px screen"
