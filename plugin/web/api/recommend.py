"""``/api/v1``: recommendations as JSON, for the panel and for any CRM. (Modules themselves are
served by :mod:`plugin.web.api.catalog_modules`.)"""
from __future__ import annotations

from importlib.resources import files

from flask import Blueprint, Response, request

from plugin.errors import NotFound, Unauthorised
from plugin.crm.sources import OpportunityNotFound
from plugin.panel.suggestions import CatalogUnavailable
from plugin.panel.view import FROM_MEMORY_NOTICE
from plugin.web.app_services import services
from plugin.web.api.context_body import parse_context_request
from plugin.web.json_body import json_body
from plugin.web.org_taxonomy import org_taxonomy
from plugin.web.request_org import current_org
from plugin.web.api.suggestion_json import card_json, recommendations_json

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


@blueprint.get("/opportunities/<opportunity_id>/recommendations")
def opportunity_recommendations(opportunity_id: str):
    org = current_org(record_id=opportunity_id)
    try:
        view = services().panel_views.view(org.source, opportunity_id, viewer=org.viewer,
                                           partners_only=org.partner)
    except OpportunityNotFound:
        raise NotFound(f"No opportunity {opportunity_id[:40]!r} in this org.") from None
    if view.catalog_unavailable:
        raise CatalogUnavailable(org.org_id)  # 503 with Retry-After (error_responses)
    return recommendations_json(view.mapped, view.suggestions, opportunity=view.opportunity, notice=view.notice,
                                stuck=view.stuck)


@blueprint.get("/opportunities/<opportunity_id>/search")
def opportunity_search(opportunity_id: str):
    """The org's published content matching ``q``, the opportunity's context breaking ties: the
    panel's search. Each result carries an impression id (``origin: search``) for its events."""
    org = current_org(record_id=opportunity_id)
    try:
        found = services().panel_views.search(org.source, opportunity_id, request.args.get("q", ""),
                                              viewer=org.viewer, partners_only=org.partner)
    except OpportunityNotFound:
        raise NotFound(f"No opportunity {opportunity_id[:40]!r} in this org.") from None
    return {
        "query": found.results.text,
        "total": found.results.total,
        "notice": found.notice,
        "results": [card_json(card) for card in found.results.cards],
    }


@blueprint.post("/recommendations")
def context_recommendations():
    org = current_org()
    body = json_body("Send the opportunity context as a JSON object.")
    mapped = parse_context_request(body, services().taxonomy_for(org.org_id))
    views = services().panel_views
    record_id = org.token.record_id if org.token is not None else None
    stuck = views.stuck_for(org.org_id, record_id, mapped)
    suggestions = views.for_context(org.org_id, mapped, viewer=org.viewer,
                                    partners_only=org.partner, record_id=record_id)
    return recommendations_json(
        mapped, suggestions, notice=FROM_MEMORY_NOTICE if suggestions.from_memory else None,
        stuck=stuck.notice if stuck is not None else None)


@blueprint.get("/taxonomy")
def taxonomy():
    """Every dimension's allowed values, so a CRM integration can map its picklists and an
    import tag its modules: the caller's org's (its own stages too) when a workspace user or an
    API token asks, else the defaults every org starts from."""
    try:
        tax = org_taxonomy()
    except Unauthorised:
        tax = services().taxonomy
    return {
        "dimensions": {
            dim.value: {"label": spec.label, "values": [{"value": v.value, "label": v.label} for v in spec.values]}
            for dim, spec in tax.dimensions.items()
        },
        "stage_phases": {stage: phase.value for stage, phase in tax.stage_phases.items()},
    }


@blueprint.get("/openapi.yaml")
def openapi():
    text = files("plugin").joinpath("openapi.yaml").read_text(encoding="utf-8")
    return Response(text, mimetype="application/yaml")
