"""What the panel and the API share about a lost deal's review: the offer for a view, the record
a review is written for, the form's answers (routes: loss_review_panel.py, api/loss_review_api.py)."""
from __future__ import annotations

import logging

import sqlalchemy.exc
from flask import request

from plugin.crm.records import OpportunityRecord
from plugin.crm.sources import OpportunityNotFound, SourceUnavailable
from plugin.deals.lost_deals import LossReviewOffer, LostDealReviews, is_offered_to
from plugin.errors import NotFound, ServiceUnavailable
from plugin.panel.view import PanelView
from plugin.web.app_services import services
from plugin.web.request_org import RequestOrg

log = logging.getLogger(__name__)
#: What a client is told to wait while the CRM cannot say whether the deal is lost.
SOURCE_RETRY_AFTER_S = 30


def lost_deal_reviews(org_id: str) -> LostDealReviews:
    svc = services()
    return LostDealReviews(svc.sessions, org_id, svc.taxonomy_for(org_id))


def loss_review_for(org_id: str, viewer: str | None, view: PanelView) -> LossReviewOffer | None:
    """The review the panel offers on this view, or None; never an error: the suggestions
    matter more, so a database hiccup here only leaves the review out."""
    record = view.opportunity
    if record is None or not is_offered_to(record, viewer):
        return None
    try:
        return lost_deal_reviews(org_id).offer(record, viewer)
    except sqlalchemy.exc.SQLAlchemyError as exc:
        log.warning("org %s: loss review left out of the panel: %s", org_id, type(exc).__name__)
        return None


def fetch_record(org: RequestOrg, opportunity_id: str) -> OpportunityRecord:
    """The record a review is written for, or the specific refusal: 404 for an unknown one, 503
    while the CRM cannot say how the deal ended (nothing is written then)."""
    try:
        return org.source.fetch(opportunity_id)
    except OpportunityNotFound:
        raise NotFound("This opportunity could not be found in the org.") from None
    except SourceUnavailable as exc:
        raise ServiceUnavailable(
            f"{exc.notice}: the loss review was not saved. Try again in a moment.",
            retry_after=SOURCE_RETRY_AFTER_S) from None


def form_answers() -> dict[str, object]:
    """The form's fields as the JSON body names them (checkboxes as a list); the CSRF token is
    the form's, not the review's."""
    answers: dict[str, object] = {}
    for name in request.form:
        if name == "csrf_token":
            continue
        answers[name] = request.form.getlist(name) if name == "used_modules" else request.form.get(name)
    answers.setdefault("used_modules", [])
    return answers
