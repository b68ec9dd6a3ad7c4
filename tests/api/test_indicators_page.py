"""``/workspace/indicators``: enablement leads see everyone, a manager their team, reps nothing;
hostile parameters are refused with a 400 and change nothing."""
from __future__ import annotations

import re

import pytest

from plugin.app import create_app
from plugin.crm.demo_org import load_demo_catalog
from plugin.learning.demo_history import seed_demo_history
from plugin.learning.demo_meetings import seed_demo_people_history
from plugin.settings import Settings
from tests.api.conftest import TODAY

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def indicators_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("indicators") / "demo.sqlite3"
    app = create_app(Settings(demo_mode=True, database_url=f"sqlite:///{path}"), today=lambda: TODAY)
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    seed_demo_history(svc.sessions, svc.taxonomy, today=TODAY, weeks=6, seed=5, views_per_week=40)
    seed_demo_people_history(svc.sessions, today=TODAY, demo=svc.demo_org)
    yield app
    svc.engine.dispose()


def as_(app, identity: str):
    client = app.test_client()
    token = CSRF.search(client.get("/demo/identity").get_data(as_text=True)).group(1)
    client.post("/demo/identity", data={"role": identity, "csrf_token": token})
    return client


def rows(page: str) -> list[str]:
    return re.findall(r'data-testid="indicator-row" data-kind="(\w+)"', page)


def test_an_enablement_lead_sees_regions_teams_and_reps(indicators_app):
    page = as_(indicators_app, "enablement").get("/workspace/indicators").get_data(as_text=True)
    kinds = rows(page)
    assert kinds[0] == "org" and {"region", "team", "rep"} <= set(kinds)
    assert "North America" in page and "Dana Whitfield&#39;s team" in page
    assert "nobody is ranked" in page


def test_a_manager_sees_only_their_team_and_the_deals_behind_a_figure(indicators_app):
    client = as_(indicators_app, "manager")
    page = client.get("/workspace/indicators").get_data(as_text=True)
    assert "region" not in rows(page) and "Elena Rossi" not in page and "Lukas" not in page
    assert "Your team" in page and "(simulated)" in page
    deals = client.get("/workspace/indicators/deals?indicator=preparation")
    assert deals.status_code == 200 and 'data-testid="deal-line"' in deals.get_data(as_text=True)
    assert client.get("/workspace/indicators?scope=region:EMEA").status_code == 404


def test_a_rep_may_not_see_indicators(indicators_app):
    assert as_(indicators_app, "rep").get("/workspace/indicators").status_code == 403
    assert as_(indicators_app, "partner_rep").get("/workspace/indicators").status_code == 403


@pytest.mark.parametrize("query", ["weeks=5", "weeks=-1", "weeks=9" * 30, "prep_days=0", "prep_days=99",
                                   "prep_days=1e3", "weeks=%00"])
def test_a_bad_period_is_a_400(indicators_app, query):
    assert as_(indicators_app, "enablement").get(f"/workspace/indicators?{query}").status_code == 400


def test_a_bad_indicator_or_scope_is_refused(indicators_app):
    client = as_(indicators_app, "enablement")
    assert client.get("/workspace/indicators/deals?indicator=losses").status_code == 400
    assert client.get("/workspace/indicators?scope=rep:" + "x" * 5000).status_code == 404
    assert client.get("/workspace/indicators?weeks=12&prep_days=5").status_code == 200
