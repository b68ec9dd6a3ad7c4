"""The panel's stuck-deal notice on the demo org, its simulated stage history synced: shown for
deals past their stage's usual time, in a rep's words; not shown otherwise or without norms."""
from __future__ import annotations

import re
from datetime import date

import pytest

from plugin.app import create_app
from plugin.crm.demo_org import DEMO_ORG_ID, DemoOrg, load_demo_catalog
from plugin.crm.demo_org.demo_stage_history import STUCK_DAYS
from plugin.crm.salesforce.ids import to_18
from plugin.settings import Settings

TODAY = date(2026, 11, 23)
STUCK = re.compile(r'data-testid="stuck-text">(.*?)</p>', re.S)


def make_app(path, *, history: bool):
    app = create_app(Settings(demo_mode=True, database_url=f"sqlite:///{path}"),
                     today=lambda: TODAY)
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    if history:
        assert svc.outcome_sync.sync_stage_history(DEMO_ORG_ID).ok
    return app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("stuck") / "demo.sqlite3", history=True).test_client()


def record(opportunity_id: str):
    return DemoOrg().fetch(opportunity_id)


def test_a_deal_past_its_stages_usual_time_says_so_in_a_reps_words(client):
    aldric = record("006Dn0000kl0JfIIAU")
    html = client.get(f"/panel/{aldric.opportunity_id}").get_data(as_text=True)
    said = STUCK.search(html)
    assert said, "no stuck-deal notice"
    assert re.fullmatch(r"34 days in Proposal/Price Quote; deals here usually move within \d+",
                        said.group(1))
    assert "deals that left it" in html and "large deals (" in html


@pytest.mark.parametrize("opportunity_id", sorted(STUCK_DAYS))
def test_each_stuck_demo_deal_gets_the_notice(client, opportunity_id):
    html = client.get(f"/panel/{to_18(opportunity_id)}").get_data(as_text=True)
    days = STUCK_DAYS[opportunity_id]
    assert STUCK.search(html).group(1).startswith(f"{days} days in ")


def test_a_deal_within_its_stages_usual_time_gets_no_notice(client):
    moving = [r for r in DemoOrg().opportunities()
              if not r.is_closed and r.opportunity_id not in STUCK_DAYS]
    assert len(moving) > 10
    for deal in moving:
        html = client.get(f"/panel/{deal.opportunity_id}").get_data(as_text=True)
        assert 'data-testid="stuck-notice"' not in html, deal.name


def test_a_closed_deal_gets_no_notice(client):
    closed = next(r for r in DemoOrg().opportunities() if r.is_closed)
    html = client.get(f"/panel/{closed.opportunity_id}").get_data(as_text=True)
    assert 'data-testid="stuck-notice"' not in html


def test_without_a_synced_history_there_are_no_norms_and_no_notice(tmp_path):
    client = make_app(tmp_path / "bare.sqlite3", history=False).test_client()
    html = client.get(f"/panel/{to_18('006Dn0000kl0JfIIAU')}").get_data(as_text=True)
    assert 'data-testid="stuck-notice"' not in html
    assert 'data-testid="client-facing"' in html  # the panel itself is unchanged


def test_the_json_api_carries_the_stuck_notice_with_its_figures(client):
    body = client.get(f"/api/v1/opportunities/{to_18('006Dn0000kl0JfIIAU')}/recommendations").json
    stuck = body["stuck"]
    assert (stuck["stage"], stuck["days_in_stage"]) == ("Proposal/Price Quote", 34)
    assert 1 <= stuck["usual_days"] < 34 and stuck["percentile"] in (75, 90)
    assert stuck["deals"] >= 10 and stuck["text"].startswith("34 days in Proposal/Price Quote")
    moving = next(r for r in DemoOrg().opportunities()
                  if not r.is_closed and r.opportunity_id not in STUCK_DAYS)
    assert client.get(f"/api/v1/opportunities/{moving.opportunity_id}/recommendations"
                      ).json["stuck"] is None


def test_a_posted_context_carries_the_notice_only_when_the_record_is_known(client):
    """Without an app token (the demo) no record is known: ``stuck`` is null. With one (a live
    org's panel token names its record) the route passes its record id, as here."""
    from plugin.ranking.context_mapping import map_context
    svc = client.application.extensions["be_inspired"]
    context = {"stage": "Proposal/Price Quote", "industry": "Healthcare", "amount": 640000}
    assert client.post("/api/v1/recommendations", json=context).json["stuck"] is None
    taxonomy = svc.taxonomy_for(DEMO_ORG_ID)
    mapped = map_context(taxonomy, stage="Proposal/Price Quote", amount=640000.0)
    aldric = to_18("006Dn0000kl0JfIIAU")
    stuck = svc.panel_views.stuck_for(DEMO_ORG_ID, aldric, mapped)
    assert stuck is not None and stuck.notice.days == 34
    assert svc.panel_views.stuck_for(DEMO_ORG_ID, None, mapped) is None
    elsewhere = map_context(taxonomy, stage="Negotiation/Review", amount=640000.0)
    assert svc.panel_views.stuck_for(DEMO_ORG_ID, aldric, elsewhere) is None  # the CRM moved it
