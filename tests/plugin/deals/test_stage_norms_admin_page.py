"""The admin's mapping page shows how long the org's deals stay in each stage, with the size
bands, and says "not enough deals yet" rather than a figure where there are too few."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from content_catalog.opportunity_history import OpportunityHistory, StageHistoryEntry
from plugin.app import create_app
from plugin.crm.demo_org import DEMO_ORG_ID, load_demo_catalog
from plugin.orgs.demo_connection import connect_demo_org
from plugin.settings import Settings
from tests.api.conftest import TODAY

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(path, *, history: bool):
    app = create_app(Settings(demo_mode=True, database_url=f"sqlite:///{path}"),
                     today=lambda: TODAY)
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    assert connect_demo_org(svc.org_connections())
    if history:
        assert svc.outcome_sync.sync_stage_history(DEMO_ORG_ID).ok
    return app


def as_admin(app):
    client = app.test_client()
    token = CSRF.search(client.get("/demo/identity").get_data(as_text=True)).group(1)
    client.post("/demo/identity", data={"role": "admin", "csrf_token": token})
    return client


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> str:
    app = make_app(tmp_path_factory.mktemp("norms") / "demo.sqlite3", history=True)
    response = as_admin(app).get(f"/admin/orgs/{DEMO_ORG_ID}/stages")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_each_stage_shows_its_median_75th_and_90th_percentile_in_pipeline_order(page):
    assert 'data-testid="stage-norms"' in page
    stages = re.findall(r'data-testid="norm-row" data-stage="([^"]+)"', page)
    assert stages[:3] == ["Prospecting", "Qualification", "Needs Analysis"]
    assert "Security Review" in stages and "Closed Won" not in stages
    row = re.search(r'data-stage="Proposal/Price Quote">(.*?)</tr>', page, re.S).group(1)
    assert len(re.findall(r"\d+(?:\.\d)? d<", row)) == 3


def test_size_bands_are_shown_under_each_stage(page):
    assert "small deals (under" in page and "large deals (" in page


def test_a_stage_with_too_few_deals_says_how_many_it_has(tmp_path):
    app = make_app(tmp_path / "few.sqlite3", history=False)
    svc = app.extensions["be_inspired"]
    start = datetime(2026, 10, 1, tzinfo=timezone.utc)
    entries = []
    for n in range(4):
        deal = f"0065e0FEWD0000{n}AAA"
        entries += [StageHistoryEntry(f"0085e0FEWH0000{n}AAA", deal, "Prospecting", start),
                    StageHistoryEntry(f"0085e0FEWH0001{n}AAA"[:18], deal, "Qualification",
                                      start + timedelta(days=n + 3))]
    with svc.sessions.begin() as session:
        OpportunityHistory(session, DEMO_ORG_ID).add(entries)
    page = as_admin(app).get(f"/admin/orgs/{DEMO_ORG_ID}/stages").get_data(as_text=True)
    assert "not enough deals yet (4 of 10)" in page


def test_without_any_history_the_page_says_where_it_comes_from(tmp_path):
    app = make_app(tmp_path / "none.sqlite3", history=False)
    page = as_admin(app).get(f"/admin/orgs/{DEMO_ORG_ID}/stages").get_data(as_text=True)
    assert 'data-testid="no-norms"' in page and "beinspired deals sync-history" in page
