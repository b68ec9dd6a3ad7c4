"""The loss review inside Salesforce: Canvas opens the panel on a lost deal (Salesforce faked at
the HTTP layer, the opportunity in its documented query shape) and the review is sent as JSON
with the panel's app token, no cookie and no CSRF token; only the deal's owner is offered it."""
from __future__ import annotations

import responses
from sqlalchemy import func, select

from content_catalog.loss_reviews import LossReviews
from content_catalog.tables.review_tables import LossReviewRow
from tests.canvas.conftest import QUERY, OPPORTUNITY_ID, ORG_ID, query_calls, token_of
from tests.plugin.crm.salesforce.sf_fakes import LIMIT_INFO, load_json

VIEWER = load_json("canvas_request.json")["context"]["user"]["userId"]
ANSWERS = {"stalled_stage": "Security Review", "reason": "missing_capability", "used_modules": [],
           "missing": "Answers to the security questionnaire"}


def lost_deal(owner: str) -> dict:
    body = load_json("opportunity_full.json")
    body["records"][0].update(StageName="Closed Lost", IsClosed=True, IsWon=False, OwnerId=owner)
    return body


def open_panel(client, salesforce, signed, owner: str) -> str:
    salesforce.add(responses.GET, QUERY, json=lost_deal(owner), headers=LIMIT_INFO)
    response = client.post("/canvas", data={"signed_request": signed})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers  # the review's form adds no session cookie
    return response.get_data(as_text=True)


def reviews(app) -> int:
    with app.extensions["be_inspired"].sessions() as session:
        return session.scalar(select(func.count()).select_from(LossReviewRow))


def test_the_owner_reviews_a_lost_deal_inside_salesforce_with_the_app_token(
        acme_app, client, salesforce, signed):
    page = open_panel(client, salesforce, signed, owner=VIEWER)
    assert 'data-testid="loss-review"' in page and "loss-review.js" in page
    headers = {"Authorization": f"Bearer {token_of(page)}"}
    offer = client.get(f"/api/v1/opportunities/{OPPORTUNITY_ID}/loss-review", headers=headers)
    assert offer.status_code == 200 and offer.get_json()["offered"]
    stages = offer.get_json()["choices"]["stages"]
    answers = {**ANSWERS, "stalled_stage": stages[-1]}

    saved = client.post(f"/api/v1/opportunities/{OPPORTUNITY_ID}/loss-review", json=answers,
                        headers=headers)

    assert saved.status_code == 201, saved.get_json()
    with acme_app.extensions["be_inspired"].sessions() as session:
        [review] = LossReviews(session, ORG_ID).all()
    assert (review.stalled_stage, review.reason_key, review.author_id) == (
        stages[-1], "missing_capability", VIEWER)
    assert query_calls(salesforce) == 1  # the panel's read is reused: no second API call


def test_a_lost_deal_owned_by_someone_else_is_not_offered_and_not_written(
        acme_app, client, salesforce, signed):
    page = open_panel(client, salesforce, signed, owner="0055e00000OthErAAJ")
    assert 'data-testid="loss-review"' not in page
    headers = {"Authorization": f"Bearer {token_of(page)}"}
    refused = client.post(f"/api/v1/opportunities/{OPPORTUNITY_ID}/loss-review",
                          json={**ANSWERS, "stalled_stage": "Prospecting"}, headers=headers)
    assert refused.status_code == 403
    assert reviews(acme_app) == 0


def test_a_token_for_another_record_cannot_review_this_one(acme_app, client, salesforce, signed):
    page = open_panel(client, salesforce, signed, owner=VIEWER)
    headers = {"Authorization": f"Bearer {token_of(page)}"}
    refused = client.post("/api/v1/opportunities/0065e00000ZzZzZAAV/loss-review",
                          json={**ANSWERS, "stalled_stage": "Prospecting"}, headers=headers)
    assert refused.status_code == 403
    assert reviews(acme_app) == 0
