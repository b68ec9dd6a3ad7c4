"""The analytics pages and API over the hand-counted log, read from roll-ups: the same JSON as
read raw, and the pages say up to when the roll-up counted."""
from __future__ import annotations

from datetime import datetime, time, timezone

import pytest

from plugin.analytics.rollup_job import AnalyticsRollupJob
from plugin.crm.demo_org import DEMO_ORG_ID
from tests.api.analytics_fixtures import catalog, logged, web  # noqa: F401  (fixtures)
from tests.api.conftest import TODAY

QUERIES = [
    "/api/v1/analytics/modules",
    "/api/v1/analytics/modules?window=30",
    "/api/v1/analytics/modules?window=180&segment=industry",
    "/api/v1/analytics/modules?segment=industry&value=Banking",
    "/api/v1/analytics/modules?segment=role&value=(not set)",
    "/api/v1/analytics/modules/roi-story?segment=industry",
    "/api/v1/analytics/modules/roi-story?window=180",
    "/api/v1/analytics/modules/unshown",
]


def roll_up(app) -> None:
    svc = app.extensions["be_inspired"]
    noon = datetime.combine(TODAY, time(12), tzinfo=timezone.utc)
    AnalyticsRollupJob(svc.sessions, lambda: TODAY, now=lambda: noon).rebuild(DEMO_ORG_ID)


def figures(web, path: str) -> dict:
    body = web.get(path).get_json()
    return {key: value for key, value in body.items() if key != "rolled_up_until"}


def test_the_api_gives_the_same_figures_from_roll_ups(fresh_app, web, logged):
    raw = {path: figures(web, path) for path in QUERIES}
    assert web.get(QUERIES[0]).get_json()["rolled_up_until"] is None
    roll_up(fresh_app)
    assert {path: figures(web, path) for path in QUERIES} == raw
    assert web.get(QUERIES[0]).get_json()["rolled_up_until"] == "2026-11-23T11:58:00+00:00"


@pytest.mark.parametrize("path", ["/workspace/analytics", "/workspace/analytics/roi-story"])
def test_the_pages_say_up_to_when_the_roll_up_counted(fresh_app, web, logged, path):
    assert 'data-testid="analytics-rolled-up"' not in web.get(path).get_data(as_text=True)
    roll_up(fresh_app)
    html = web.get(path).get_data(as_text=True)
    assert ("Figures up to 23 Nov 2026, 11:58 UTC come from the last roll-up, with what reps "
            "had done by then; views since are counted as they happen.") in html
