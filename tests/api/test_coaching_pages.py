"""The coaching view: a manager sees their team's open deals and reps, recommends a module to a
rep on a deal (strict input: another team's rep, a draft, a partner rep given direct-only content,
an over-long note are each refused, storing nothing), and the rep's panel shows it first."""
from __future__ import annotations

import re

import pytest

from content_catalog.manager_recommendations import ManagerRecommendations
from plugin.coaching.demo_coaching import DEMO_REP_ID, demo_deal, seed_demo_recommendation
from plugin.crm.demo_org import demo_module_payloads
from plugin.app import create_app
from plugin.crm.demo_org import load_demo_catalog
from plugin.deals.people_sync import PeopleSync
from plugin.settings import Settings
from tests.api.conftest import TODAY

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LUKAS = "0055e00000LUKABAA5"  # Elena Rossi's team, not Dana's
JAMIE = "0055e00000JAMIOAA5"  # Brightline's partner rep, Marcus Bell's
DIRECT_ONLY = next(m["id"] for m in demo_module_payloads()
                   if not m.get("for_partners") and m["status"] == "published")


@pytest.fixture
def app(tmp_path):
    """The demo org's catalog and people in a database of the test's own (these tests write)."""
    settings = Settings(demo_mode=True, database_url=f"sqlite:///{tmp_path / 'coaching.sqlite3'}")
    app = create_app(settings, today=lambda: TODAY)
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    PeopleSync(svc.sessions, svc.demo_org).sync_demo()
    yield app
    svc.engine.dispose()


def as_(app, identity: str):
    client = app.test_client()
    page = client.get("/demo/identity").get_data(as_text=True)
    client.post("/demo/identity", data={"role": identity, "csrf_token": CSRF.search(page)[1]})
    return client


def csrf(client) -> str:
    return CSRF.search(client.get("/demo/identity").get_data(as_text=True))[1]


def stored(app) -> int:
    svc = app.extensions["be_inspired"]
    with svc.sessions() as session:
        return len(ManagerRecommendations(session, svc.demo_org.org_id).open())


def test_the_manager_sees_the_team_and_its_open_deals(app):
    page = as_(app, "manager").get("/workspace/coaching")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for name in ("Sam Carter", "Priya Natarajan", "Chris Lowe"):
        assert name in html
    assert "Lukas Brandt" not in html and "Jamie Ortiz" not in html
    deal = demo_deal(app.extensions["be_inspired"].demo_org)
    assert f'data-opportunity-id="{deal.opportunity_id}"' in html


def test_a_rep_may_not_open_the_coaching_view(app):
    assert as_(app, "rep").get("/workspace/coaching").status_code == 403


def test_the_recommend_form_finds_modules_by_search(app):
    deal = demo_deal(app.extensions["be_inspired"].demo_org)
    client = as_(app, "manager")
    page = client.get(f"/workspace/coaching/deals/{deal.opportunity_id}/recommend"
                      f"?rep={DEMO_REP_ID}&q=multi-threading").get_data(as_text=True)
    assert 'value="pb-enterprise-multi-threading"' in page
    other = client.get(f"/workspace/coaching/deals/{deal.opportunity_id}/recommend?rep={LUKAS}")
    assert other.status_code == 404


@pytest.mark.parametrize("change, field", [
    ({"rep_id": LUKAS}, "rep_id"),
    ({"rep_id": "not-an-id"}, "rep_id"),
    ({"module_id": "vm-predictive-workload-forecasting-draft"}, "module_id"),
    ({"module_id": "x" * 65}, "module_id"),
    ({"note": "n" * 501}, "note"),
])
def test_a_refused_recommendation_is_a_400_that_stores_nothing(app, change, field):
    client = as_(app, "manager")
    deal = demo_deal(app.extensions["be_inspired"].demo_org)
    before = stored(app)
    form = {"rep_id": DEMO_REP_ID, "opportunity_id": deal.opportunity_id,
            "module_id": "pb-enterprise-multi-threading", "note": "", "csrf_token": csrf(client)}
    answer = client.post("/workspace/coaching/recommendations", data={**form, **change})
    assert answer.status_code == 400 and field in answer.get_data(as_text=True)
    assert stored(app) == before


def test_a_channel_manager_may_give_a_partner_rep_partner_content_only(app):
    svc = app.extensions["be_inspired"]
    from plugin.coaching.recommendations import (
        RecommendationRefused, Recommending, recommend_module)
    marcus = Recommending(svc.demo_org.org_id, "0055e00000MARCBAA5", "Marcus Bell")
    partner_deal = next(o for o in svc.demo_org.opportunities() if o.owner_id == JAMIE)
    with pytest.raises(RecommendationRefused) as refused:
        recommend_module(svc.sessions, marcus, rep_id=JAMIE,
                         opportunity_id=partner_deal.opportunity_id, module_id=DIRECT_ONLY)
    assert refused.value.field == "module_id"
    saved = recommend_module(svc.sessions, marcus, rep_id=JAMIE,
                             opportunity_id=partner_deal.opportunity_id,
                             module_id="pb-small-deal-fast-track", note="Start here")
    assert saved.manager_name == "Marcus Bell"


def test_the_channel_manager_is_refused_a_direct_only_module_for_his_partner_rep(app):
    svc = app.extensions["be_inspired"]
    partner_deal = next(o for o in svc.demo_org.opportunities() if o.owner_id == JAMIE)
    marcus = as_(app, "channel_manager")
    form = {"rep_id": JAMIE, "opportunity_id": partner_deal.opportunity_id,
            "module_id": DIRECT_ONLY, "note": "", "csrf_token": csrf(marcus)}
    answer = marcus.post("/workspace/coaching/recommendations", data=form)
    assert answer.status_code == 400
    assert "module_id is not marked for partners" in answer.get_data(as_text=True)
    assert stored(app) == 0
    saved = marcus.post("/workspace/coaching/recommendations",
                        data={**form, "module_id": "pb-small-deal-fast-track"})
    assert saved.status_code == 302 and stored(app) == 1


def test_the_demo_reps_panel_shows_his_managers_recommendation_first(app):
    svc = app.extensions["be_inspired"]
    seed_demo_recommendation(svc.sessions, svc.demo_org)
    deal = demo_deal(svc.demo_org)
    client = as_(app, "rep")
    page = client.get(f"/panel/{deal.opportunity_id}").get_data(as_text=True)
    assert 'data-testid="manager-recommendation"' in page
    assert "Recommended by Dana Whitfield, your manager" in page
    answer = client.get(f"/api/v1/opportunities/{deal.opportunity_id}/recommendations").get_json()
    first = answer["internal"][0]
    assert first["module_id"] == "pb-enterprise-multi-threading"


# -- the admin maps partner accounts to regions ---------------------------------------------------
BRIGHTLINE = "0015e00000BRTLNAA5"


def regions(app):
    svc = app.extensions["be_inspired"]
    from content_catalog.people_store import PeopleStore
    with svc.sessions() as session:
        return PeopleStore(session, svc.demo_org.org_id).region_mappings()


def test_the_admin_maps_a_partner_account_to_a_region_and_the_channel_view_follows(app):
    admin = as_(app, "admin")
    page = admin.get("/admin/regions").get_data(as_text=True)
    assert "Brightline Partners" in page and "Jamie Ortiz" in page
    saved = admin.post("/admin/regions", data={"account_id": BRIGHTLINE, "region": "EMEA",
                                               "csrf_token": csrf(admin)})
    assert saved.status_code == 302
    assert [(m.kind, m.key, m.region) for m in regions(app)] == [
        ("partner_account", BRIGHTLINE, "EMEA")]
    admin.post("/admin/regions", data={"account_id": BRIGHTLINE, "region": "",
                                       "csrf_token": csrf(admin)})
    assert regions(app) == []


@pytest.mark.parametrize("form", [
    {"account_id": "0015e00000NOPEXAA5", "region": "EMEA"},   # not a partner account here
    {"account_id": "not-an-id", "region": "EMEA"},
    {"account_id": BRIGHTLINE, "region": "E" * 81},
    {"account_id": BRIGHTLINE, "region": "<script>"},
])
def test_a_bad_region_mapping_is_a_400_that_changes_nothing(app, form):
    admin = as_(app, "admin")
    answer = admin.post("/admin/regions", data={**form, "csrf_token": csrf(admin)})
    assert answer.status_code == 400 and regions(app) == []


def test_only_an_admin_opens_the_regions_page(app):
    assert as_(app, "manager").get("/admin/regions").status_code == 403


# -- the rep dismisses or uses a manager's recommendation ------------------------------------------
def open_recommendations(app):
    svc = app.extensions["be_inspired"]
    with svc.sessions() as session:
        return ManagerRecommendations(session, svc.demo_org.org_id).on_deals(
            [demo_deal(svc.demo_org).opportunity_id])


def test_the_rep_dismisses_it_and_it_leaves_the_panel(app):
    svc = app.extensions["be_inspired"]
    seed_demo_recommendation(svc.sessions, svc.demo_org)
    deal = demo_deal(svc.demo_org).opportunity_id
    [rec] = open_recommendations(app)
    url = f"/api/v1/manager-recommendations/{rec.pk}/dismissal"
    manager = as_(app, "manager")  # not the rep it was made for
    assert manager.post(url, json={"opportunity_id": deal}).status_code == 404
    rep = as_(app, "rep")
    assert rep.post(url, json={"opportunity_id": deal, "extra": 1}).status_code == 400
    assert rep.post(url, json={"opportunity_id": "nope"}).status_code == 400
    assert rep.post(url, json={"opportunity_id": deal}).status_code == 200
    assert rep.post(url, json={"opportunity_id": deal}).status_code == 404  # once
    page = rep.get(f"/panel/{deal}").get_data(as_text=True)
    assert 'data-testid="manager-recommendation"' not in page
    [rec] = open_recommendations(app)
    assert rec.dismissed_at is not None


def test_a_use_through_its_card_marks_the_recommendation_used(app):
    svc = app.extensions["be_inspired"]
    seed_demo_recommendation(svc.sessions, svc.demo_org)
    deal = demo_deal(svc.demo_org).opportunity_id
    rep = as_(app, "rep")
    card = rep.get(f"/api/v1/opportunities/{deal}/recommendations").get_json()["internal"][0]
    assert card["module_id"] == "pb-enterprise-multi-threading"
    sent = rep.post("/api/v1/events", json={"events": [
        {"event_id": "e" * 32, "impression_id": card["impression_id"], "kind": "copy"}]})
    assert sent.status_code == 202
    [rec] = open_recommendations(app)
    assert rec.used_at is not None


def test_with_the_stage_history_synced_the_deals_show_their_days_in_stage(app):
    svc = app.extensions["be_inspired"]
    svc.outcome_sync.sync_stage_history(svc.demo_org.org_id)
    html = as_(app, "manager").get("/workspace/coaching").get_data(as_text=True)
    days = re.findall(r'<td data-label="Days in stage">\s*(\d+)', html)
    assert days, "no deal shows its days in stage"
