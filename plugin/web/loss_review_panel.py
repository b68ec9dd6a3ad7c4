"""The loss review in the panel: offered on a lost deal's panel (loss_review_offers.py), sent as
a form with its CSRF token; inside Salesforce panel JS sends JSON with the app token instead."""
from __future__ import annotations

from flask import redirect, render_template, url_for

from plugin.errors import InvalidInput
from plugin.web.app_services import services
from plugin.web.loss_review_offers import fetch_record, form_answers, lost_deal_reviews
from plugin.web.panel import SEARCH_BOUNDS, blueprint, context_summary
from plugin.web.panel_cards import card_markup
from plugin.web.request_org import current_org


@blueprint.post("/<opportunity_id>/loss-review")
def save_loss_review(opportunity_id: str):
    org = current_org(record_id=opportunity_id)
    record = fetch_record(org, opportunity_id)
    reviews = lost_deal_reviews(org.org_id)
    answers = form_answers()
    try:
        reviews.save(record, org.viewer, answers)
    except InvalidInput as exc:
        # The panel again, the rep's answers kept and each field's problem beside it.
        view = services().panel_views.view(org.source, opportunity_id, viewer=org.viewer)
        return render_template(
            "panel/suggestions.html", view=view, opportunity_id=opportunity_id,
            context_summary=context_summary(view), card_markup=card_markup(opportunity_id),
            search_bounds=SEARCH_BOUNDS, loss_review=reviews.offer(record, org.viewer),
            loss_review_errors={e.field: e.message for e in exc.errors},
            loss_review_answers=answers,
        ), 400
    return redirect(url_for("panel.suggestions", opportunity_id=opportunity_id,
                            review="saved") + "#loss-review", 303)
