"""The Be Inspired panel: the compact page Salesforce frames on the Opportunity record."""
from __future__ import annotations

import re

from flask import Blueprint, render_template, request

from content_catalog.placeholders import used_placeholders
from content_catalog.repository import CatalogRepository, ModuleNotFound
from content_catalog.taxonomy import Dimension, ModuleStatus
from plugin.errors import NotFound
from plugin.crm.sources import OpportunityNotFound
from plugin.panel import panel_search
from plugin.panel.suggestions import PanelSuggestions
from plugin.panel.view import PanelView
from plugin.panel.partner_viewers import visible_to
from plugin.content.rendering import markdown_to_html
from plugin.web.app_services import services
from plugin.web.loss_review_offers import loss_review_for
from plugin.web.panel_cards import card_markup
from plugin.web.request_org import current_org

blueprint = Blueprint("panel", __name__, url_prefix="/panel")

#: An impression id as the panel links it (``?impression=``), so the module page's events can
#: name the suggestion it was opened from.
IMPRESSION_ID = re.compile(r"[0-9a-f]{32}")


@blueprint.get("/<opportunity_id>")
def suggestions(opportunity_id: str):
    org = current_org(record_id=opportunity_id)
    try:
        view = services().panel_views.view(org.source, opportunity_id, viewer=org.viewer,
                                           partners_only=org.partner)
    except OpportunityNotFound:
        raise NotFound("This opportunity could not be found in the org.") from None
    return render_template(
        "panel/suggestions.html",
        view=view,
        opportunity_id=opportunity_id,
        context_summary=context_summary(view),
        card_markup=card_markup(opportunity_id),
        search_bounds=SEARCH_BOUNDS,
        loss_review=loss_review_for(org.org_id, org.viewer, view),
    )


#: What the search box tells the browser, so it refuses what the server would.
SEARCH_BOUNDS = {"min_chars": panel_search.MIN_QUERY_CHARS, "max_chars": panel_search.MAX_QUERY_CHARS}


@blueprint.get("/<opportunity_id>/search")
def search(opportunity_id: str):
    """The panel with a search's results in place of the suggestions; with ``fragment=1`` only
    the results (panel.js inside Salesforce fetches them with the app token)."""
    org = current_org(record_id=opportunity_id)
    try:
        found = services().panel_views.search(org.source, opportunity_id, request.args.get("q", ""),
                                              viewer=org.viewer, partners_only=org.partner)
    except OpportunityNotFound:
        raise NotFound("This opportunity could not be found in the org.") from None
    if request.args.get("fragment") == "1":
        return render_template("panel/_search_results.html", search=found,
                               opportunity_id=opportunity_id)
    view = PanelView(None, found.mapped, PanelSuggestions((), ()), notice=found.notice)
    return render_template(
        "panel/suggestions.html",
        view=view,
        opportunity_id=opportunity_id,
        context_summary=context_summary(view),
        search_bounds=SEARCH_BOUNDS,
        search=found,
    )


def context_summary(view: PanelView) -> str:
    """"Buying phase · Healthcare · Economic Buyer": what the suggestions were chosen for."""
    context = view.mapped.context
    taxonomy = services().taxonomy
    parts = []
    if context.journey_phase:
        parts.append(taxonomy.spec(Dimension.JOURNEY_PHASE).label_of(context.journey_phase) + " phase")
    parts += [v for v in (context.industry, context.primary_role) if v]
    return " · ".join(parts)


@blueprint.get("/<opportunity_id>/modules/<module_id>")
def open_module(opportunity_id: str, module_id: str):
    org = current_org(record_id=opportunity_id)
    with services().sessions() as session:
        try:
            module = CatalogRepository(session, org.org_id).get(module_id)
        except ModuleNotFound:
            module = None
    if (module is None or module.status is not ModuleStatus.PUBLISHED
            or not visible_to(module, partner=org.partner)):
        raise NotFound("This content module is not available.")
    return render_template(
        "panel/module.html",
        module=module,
        body_html=markdown_to_html(module.body),
        opportunity_id=opportunity_id,
        personalisable=bool(used_placeholders(module.body)),
        impression_id=_impression_id(request.args.get("impression")),
    )


def _impression_id(value: str | None) -> str | None:
    return value if value and IMPRESSION_ID.fullmatch(value) else None
