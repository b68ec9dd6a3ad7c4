"""Content analytics read from roll-ups, in a real browser: the same twelve weeks of history as
the analytics browser test, rolled up, and the page saying up to when the roll-up counted."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timezone

import pytest
from playwright.sync_api import expect

from content_catalog.database import make_engine, session_factory
from content_catalog.deal_outcomes import DealOutcomes
from content_catalog.events import PanelEventLog, add_impressions
from plugin.analytics.rollup_job import AnalyticsRollupJob
from plugin.crm.demo_org import DEMO_ORG_ID
from tests.web.conftest import DEMO_TODAY, serve_demo_app
from tests.web.test_workspace_analytics_in_browser import STAR, simulated_log

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("analytics-rollups")
    with serve_demo_app(directory, name="analytics-rollup-server") as url:
        engine = make_engine(f"sqlite:///{directory / 'demo.sqlite3'}")
        impressions, events, outcomes = simulated_log()
        sessions = session_factory(engine)
        with sessions.begin() as session:
            add_impressions(session, impressions)
            PanelEventLog(session, DEMO_ORG_ID).add_events(events)
            DealOutcomes(session, DEMO_ORG_ID).save(outcomes)
        noon = datetime.combine(DEMO_TODAY, time(12), tzinfo=timezone.utc)
        AnalyticsRollupJob(sessions, lambda: DEMO_TODAY, now=lambda: noon).rebuild(DEMO_ORG_ID)
        engine.dispose()
        yield url


def test_the_rolled_up_analytics_say_up_to_when_they_count(open_tab, screenshot):
    page = open_tab().open("/workspace/analytics")
    notice = page.get_by_test_id("analytics-rolled-up")
    expect(notice).to_have_text(
        "Figures up to 15 Jun 2026, 11:58 UTC come from the last roll-up, with what reps had "
        "done by then; views since are counted as they happen.")
    expect(page.get_by_test_id("trend-chart").locator("svg rect.bi-chart__bar").first).to_be_visible()
    expect(page.locator(f"[data-testid=module-table] tr[data-module-id='{STAR}']")).to_be_visible()
    screenshot(page, suffix="-overview")

    with page.expect_navigation():
        page.locator(f"[data-testid=module-table] tr[data-module-id='{STAR}'] th a").click()
    expect(page.get_by_test_id("analytics-rolled-up")).to_be_visible()
    expect(page.get_by_test_id("won-lost-table")).to_be_visible()
    screenshot(page, suffix="-module")
