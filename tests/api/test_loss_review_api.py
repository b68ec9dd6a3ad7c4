"""A lost deal's review through the panel's form (CSRF) and the JSON API: offered on lost deals
only, checked strictly, stored once per deal and editable, hostile text kept as text."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from content_catalog.loss_reviews import LossReviews
from content_catalog.tables.review_tables import LossReviewRow
from plugin.app import create_app
from plugin.crm.demo_org import DEMO_ORG_ID, load_demo_catalog
from plugin.settings import Settings
from tests.api.conftest import TODAY

SOLANO = "006Dn0000LygderIQA"  # Closed Lost, owned by the demo rep
QUORRA = "006Dn0000t1iXR1IAM"  # Closed Lost, owned by another rep
OPEN_DEAL = "006Dn0000kl0JfIIAU"  # Proposal/Price Quote
WON_DEAL = "006Dn0000ohkjXRIAY"  # Closed Won
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(tmp_path):
    settings = Settings(demo_mode=True, database_url=f"sqlite:///{tmp_path / 'reviews.sqlite3'}",
                        max_request_bytes=64_000)
    app = create_app(settings, today=lambda: TODAY)
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    yield app
    svc.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def stored(app):
    with app.extensions["be_inspired"].sessions() as session:
        return LossReviews(session, DEMO_ORG_ID).all()


def review_count(app) -> int:
    with app.extensions["be_inspired"].sessions() as session:
        return session.scalar(select(func.count()).select_from(LossReviewRow))


def csrf_token(client, opportunity_id: str = SOLANO) -> str:
    page = client.get(f"/panel/{opportunity_id}").get_data(as_text=True)
    return CSRF.search(page).group(1)


def form(client, token: str, **fields):
    data = {"csrf_token": token, "stalled_stage": "Proposal/Price Quote", "reason": "price",
            "missing": "A TCO comparison against the incumbent", **fields}
    return client.post(f"/panel/{SOLANO}/loss-review", data=data)


def test_a_lost_deals_panel_offers_the_review_and_open_or_won_deals_do_not(client):
    lost = client.get(f"/panel/{SOLANO}").get_data(as_text=True)
    assert 'data-testid="loss-review"' in lost and 'data-state="awaiting"' in lost
    assert "Security Review" in lost  # the org's own stages to choose from
    assert '<option value="Closed Lost"' not in lost and '<option value="Closed Won"' not in lost
    for other in (OPEN_DEAL, WON_DEAL):
        assert 'data-testid="loss-review"' not in client.get(f"/panel/{other}").get_data(as_text=True)


def test_a_review_sent_with_the_form_is_stored_and_the_panel_shows_it_done(app, client):
    response = form(client, csrf_token(client))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/panel/{SOLANO}?review=saved#loss-review")
    [saved] = stored(app)
    assert (saved.opportunity_id, saved.stalled_stage, saved.reason_key) == (
        SOLANO, "Proposal/Price Quote", "price")
    assert saved.missing == "A TCO comparison against the incumbent"
    page = client.get(f"/panel/{SOLANO}?review=saved").get_data(as_text=True)
    assert 'data-state="done"' in page and "Stalled in Proposal/Price Quote · Price" in page
    assert 'data-testid="loss-review-saved"' in page


def test_the_form_without_its_csrf_token_is_refused_and_nothing_is_stored(app, client):
    response = client.post(f"/panel/{SOLANO}/loss-review",
                           data={"stalled_stage": "Proposal/Price Quote", "reason": "price"})
    assert response.status_code == 400
    assert review_count(app) == 0


@pytest.mark.parametrize(("fields", "field"), [
    ({"stalled_stage": "Closed Lost"}, "stalled_stage"),
    ({"stalled_stage": ""}, "stalled_stage"),
    ({"reason": "the rep"}, "reason"),
    ({"used_modules": ["not-shown-here"]}, "used_modules"),
    ({"missing": "x" * 1001}, "missing"),
    ({"missing": "bidi \u202e trick"}, "missing"),
    ({"author_id": "005000000000001"}, "author_id"),
])
def test_a_bad_answer_gets_the_panel_back_with_the_field_marked_and_nothing_stored(
        app, client, fields, field):
    response = form(client, csrf_token(client), **fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'data-testid="loss-review-errors"' in page
    assert review_count(app) == 0


def test_hostile_text_is_stored_as_written_and_shown_as_text(app, client):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert form(client, csrf_token(client), missing=hostile).status_code == 303
    assert stored(app)[0].missing == hostile
    page = client.get(f"/panel/{SOLANO}").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page


def test_the_json_api_needs_the_csrf_token_without_an_app_token(app, client):
    response = client.post(f"/api/v1/opportunities/{SOLANO}/loss-review",
                           json={"stalled_stage": "Proposal/Price Quote", "reason": "price"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"
    assert review_count(app) == 0


def test_the_json_api_offers_stores_once_and_edits_the_review(app, client):
    headers = {"X-CSRFToken": csrf_token(client)}
    offered = client.get(f"/api/v1/opportunities/{SOLANO}/loss-review").get_json()
    assert offered["offered"] and not offered["done"] and offered["may_edit"]
    assert [r["key"] for r in offered["choices"]["reasons"]][:2] == ["price", "competitor"]
    assert "Security Review" in offered["choices"]["stages"]
    body = {"stalled_stage": "Security Review", "reason": "competitor", "used_modules": [],
            "missing": "A security questionnaire answered in advance"}
    first = client.post(f"/api/v1/opportunities/{SOLANO}/loss-review", json=body, headers=headers)
    assert first.status_code == 201
    assert first.get_json()["review"]["reason_label"] == "Lost to a competitor"
    assert "author_id" not in first.get_json()["review"]  # reviews are not about people
    again = client.post(f"/api/v1/opportunities/{SOLANO}/loss-review",
                        json={**body, "reason": "timing"}, headers=headers)
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert [r.reason_key for r in stored(app)] == ["timing"]
    done = client.get(f"/api/v1/opportunities/{SOLANO}/loss-review").get_json()
    assert done["done"] and done["review"]["reason"] == "timing"


def test_an_open_deal_cannot_be_reviewed(app, client):
    headers = {"X-CSRFToken": csrf_token(client)}
    assert client.get(f"/api/v1/opportunities/{OPEN_DEAL}/loss-review").get_json()["why"] == "not_lost"
    response = client.post(f"/api/v1/opportunities/{OPEN_DEAL}/loss-review", headers=headers,
                           json={"stalled_stage": "Prospecting", "reason": "price"})
    assert response.status_code == 409
    assert review_count(app) == 0


def test_a_malformed_json_review_is_refused_whole(app, client):
    headers = {"X-CSRFToken": csrf_token(client)}
    for body in ([], {"stalled_stage": 3, "reason": "price"},
                 {"stalled_stage": "Prospecting", "reason": "price", "used_modules": "all"}):
        response = client.post(f"/api/v1/opportunities/{SOLANO}/loss-review", json=body,
                               headers=headers)
        assert response.status_code == 400, body
        assert response.get_json()["error"]["fields"]
    assert review_count(app) == 0


def test_an_unknown_opportunity_is_a_404(client):
    assert client.get("/api/v1/opportunities/006Dn0000ZZZZZZZZZ/loss-review").status_code == 404


def as_role(app, role: str):
    client = app.test_client()
    with client.session_transaction() as session:
        session["demo_role"] = role
    return client


def test_a_review_reaches_the_coverage_maps_loss_view_and_the_loss_analytics(app, client):
    hostile = "<b>A security questionnaire</b> answered in advance"
    assert form(client, csrf_token(client), stalled_stage="Security Review", reason="competitor",
                missing=hostile).status_code == 303
    lead = as_role(app, "enablement")
    coverage = lead.get("/workspace/coverage/loss-reasons")
    assert coverage.status_code == 200
    page = coverage.get_data(as_text=True)
    assert 'data-stage="Security Review" data-reason="competitor" data-losses="1" data-gap="yes"' in page
    assert "&lt;b&gt;A security questionnaire&lt;/b&gt;" in page and "<b>A security" not in page
    analytics = lead.get("/workspace/losses").get_data(as_text=True)
    assert 'data-testid="losses-by-reason"' in analytics and "Lost to a competitor" in analytics
    assert "Loss reasons view" in lead.get("/workspace/coverage").get_data(as_text=True)


def test_reps_do_not_see_the_workspace_figures(app):
    assert as_role(app, "rep").get("/workspace/losses").status_code == 403


def test_another_reps_lost_deal_is_not_offered_and_cannot_be_reviewed(app, client):
    assert 'data-testid="loss-review"' not in client.get(f"/panel/{QUORRA}").get_data(as_text=True)
    offer = client.get(f"/api/v1/opportunities/{QUORRA}/loss-review").get_json()
    assert (offer["offered"], offer["why"], offer["review"]) == (False, "not_owner", None)
    response = client.post(f"/api/v1/opportunities/{QUORRA}/loss-review",
                           headers={"X-CSRFToken": csrf_token(client)},
                           json={"stalled_stage": "Prospecting", "reason": "price"})
    assert response.status_code == 403
    assert review_count(app) == 0


def test_while_the_crm_is_unreachable_a_review_is_refused_with_503_and_nothing_is_written(
        app, client, monkeypatch):
    from plugin.crm.sources import SourceUnavailable

    token = csrf_token(client)

    def unavailable(_opportunity_id):
        raise SourceUnavailable("Salesforce data unavailable, showing general suggestions")

    monkeypatch.setattr(app.extensions["be_inspired"].demo_org, "fetch", unavailable)
    response = client.post(f"/api/v1/opportunities/{SOLANO}/loss-review", headers={"X-CSRFToken": token},
                           json={"stalled_stage": "Prospecting", "reason": "price"})
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    assert "not saved" in response.get_json()["error"]["message"]
    assert form(client, token).status_code == 503
    assert review_count(app) == 0


def test_while_the_database_is_unreachable_the_lost_deals_panel_still_shows_its_suggestions(
        app, client, monkeypatch):
    import sqlalchemy.exc

    from plugin.deals.lost_deals import LostDealReviews

    def broken(*_args, **_kwargs):
        raise sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(LostDealReviews, "offer", broken)
    response = client.get(f"/panel/{SOLANO}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-testid="loss-review"' not in page and 'data-testid="internal"' in page
