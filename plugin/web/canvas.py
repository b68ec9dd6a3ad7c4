"""``POST /canvas``: where Salesforce posts the Canvas signed request and gets the panel back."""
from __future__ import annotations

import logging

from flask import Blueprint, g, render_template, request

from plugin.crm.sources import OpportunityNotFound
from plugin.orgs.live import OrgsSnapshot
from plugin.crm.salesforce.signed_request import CanvasRequest, CanvasRequestError, verify_signed_request
from plugin.crm.salesforce.exceptions import CanvasSessionExpired
from plugin.web.app_services import services
from plugin.panel.partner_viewers import is_partner_user_type
from plugin.web.loss_review_offers import loss_review_for
from plugin.web.panel import SEARCH_BOUNDS, context_summary
from plugin.web.panel_cards import card_markup

log = logging.getLogger(__name__)
blueprint = Blueprint("canvas", __name__)


@blueprint.post("/canvas")
@blueprint.post("/panel/canvas")
def entry():
    orgs = services().orgs.current()
    try:
        canvas = verify_signed_request(request.form.get("signed_request"), orgs.connector.canvas_secret)
    except CanvasRequestError as exc:
        log.info("refused a signed request: %s", exc.reason)
        return _refusal(orgs, exc.reason, exc.http_status)
    g.frame_ancestors = orgs.frame_ancestors(canvas.org_id)
    if canvas.record_id is None:
        return _refusal(orgs, "Be Inspired works on Opportunity record pages; this page sent no Opportunity.", 400)
    return _panel(orgs, canvas)


def _panel(orgs: OrgsSnapshot, canvas: CanvasRequest):
    svc = services()
    try:
        source = orgs.connector.source(canvas.org_id, canvas=canvas)
    except CanvasRequestError as exc:
        log.info("refused a signed request: %s", exc.reason)
        return _refusal(orgs, exc.reason, exc.http_status)
    try:
        taxonomy = orgs.taxonomy(canvas.org_id, svc.taxonomy)
        view = svc.panel_views.view(source, canvas.record_id, taxonomy=taxonomy,
                                    viewer=canvas.user_id,
                                    partners_only=is_partner_user_type(canvas.user_type))
    except OpportunityNotFound:
        return _refusal(orgs, "This opportunity could not be found, or you cannot see it.", 404)
    except CanvasSessionExpired:
        return _refusal(orgs, "Your Salesforce session has expired. Reload the page to sign in again.", 401)
    token = svc.app_tokens.issue(canvas.org_id, canvas.user_id, canvas.record_id,
                                 ttl=svc.settings.app_token_seconds, user_name=canvas.full_name,
                                 opened_without_data=view.opportunity is None,
                                 partner=is_partner_user_type(canvas.user_type))
    return render_template(
        "panel/suggestions.html",
        view=view,
        opportunity_id=canvas.record_id,
        context_summary=context_summary(view),
        card_markup=card_markup(canvas.record_id),
        search_bounds=SEARCH_BOUNDS,
        app_token=token,
        loss_review=loss_review_for(canvas.org_id, canvas.user_id, view),
    )


def _refusal(orgs: OrgsSnapshot, reason: str, status: int):
    # An unverified request may come from any org's page: let every configured org frame the
    # message (it holds no data), so the admin sees why instead of a blank frame.
    if not g.get("frame_ancestors"):
        g.frame_ancestors = orgs.all_frame_ancestors() or None
    return render_template("error.html", status=status, message=reason), status
