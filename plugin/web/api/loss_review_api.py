"""``/api/v1/opportunities/<id>/loss-review``: a lost deal's review as JSON, for the panel inside
Salesforce (app token) and for integrations; the same rules as the panel's form."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from content_catalog.loss_reviews import LossReview
from plugin.deals.lost_deals import LossReviewOffer, is_lost
from plugin.web.json_body import json_body
from plugin.web.loss_review_offers import fetch_record, lost_deal_reviews
from plugin.web.request_org import current_org

blueprint = Blueprint("loss_review_api", __name__, url_prefix="/api/v1")


@blueprint.get("/opportunities/<opportunity_id>/loss-review")
def get_loss_review(opportunity_id: str):
    org = current_org(record_id=opportunity_id)
    record = fetch_record(org, opportunity_id)
    offer = lost_deal_reviews(org.org_id).offer(record, org.viewer)
    if offer is None:
        return {"offered": False, "why": "not_owner" if is_lost(record) else "not_lost",
                "done": False, "may_edit": False, "review": None, "choices": None, "prefill": None}
    return {
        "offered": True,
        "why": None,
        "done": offer.done,
        "may_edit": offer.may_edit,
        "review": review_json(offer.review, offer) if offer.review else None,
        "choices": {
            "stages": list(offer.stages),
            "reasons": [{"key": r.key, "label": r.label} for r in offer.reasons],
            "modules": [{"key": m.key, "title": m.title, "engaged": m.engaged}
                        for m in offer.modules],
        },
        "prefill": {
            "stalled_stage": offer.stage,
            "reason": offer.reason,
            "used_modules": sorted(offer.used),
            "missing": offer.missing,
        },
    }


@blueprint.post("/opportunities/<opportunity_id>/loss-review")
def post_loss_review(opportunity_id: str):
    org = current_org(record_id=opportunity_id)
    answers = json_body("Send the review as a JSON object: stalled_stage, reason, used_modules, missing.")
    record = fetch_record(org, opportunity_id)
    reviews = lost_deal_reviews(org.org_id)
    saved, created = reviews.save(record, org.viewer, answers)
    offer = reviews.offer(record, org.viewer)
    return {"created": created, "review": review_json(saved, offer)}, (201 if created else 200)


def review_json(review: LossReview, offer: LossReviewOffer | None) -> dict[str, Any]:
    """The review as the API answers it: never who wrote it (reviews are not about people)."""
    return {
        "opportunity_id": review.opportunity_id,
        "stalled_stage": review.stalled_stage,
        "reason": review.reason_key,
        "reason_label": offer.reason_label(review.reason_key) if offer else review.reason_key,
        "used_modules": list(review.used_modules),
        "missing": review.missing,
        "created_at": review.created_at.isoformat() if review.created_at else None,
        "updated_at": review.updated_at.isoformat() if review.updated_at else None,
    }
