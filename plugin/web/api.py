"""``/api/v1``: recommendations as JSON, for the panel and for any CRM."""
from __future__ import annotations

from importlib.resources import files

from flask import Blueprint, Response, request

from content_catalog.placeholders import used_placeholders
from content_catalog.repository import CatalogRepository, ModuleNotFound
from content_catalog.taxonomy import ModuleStatus
from plugin.errors import InvalidInput, NotFound
from plugin.opportunity_sources import OpportunityNotFound
from plugin.panel_view import build_panel_view, recommend_for_context
from plugin.rendering import markdown_to_html
from plugin.services import services
from plugin.web.context_request import parse_context_request
from plugin.web.orgs import current_org
from plugin.web.serialise import recommendations_json

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


@blueprint.get("/opportunities/<opportunity_id>/recommendations")
def opportunity_recommendations(opportunity_id: str):
    source = current_org(record_id=opportunity_id).source
    try:
        view = build_panel_view(services(), source, opportunity_id)
    except OpportunityNotFound:
        raise NotFound(f"No opportunity {opportunity_id[:40]!r} in this org.") from None
    return recommendations_json(view.mapped, view.suggestions, opportunity=view.opportunity, notice=view.notice)


@blueprint.post("/recommendations")
def context_recommendations():
    org = current_org()
    if not request.is_json:
        raise InvalidInput("Send the opportunity context as JSON (Content-Type: application/json).")
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidInput("The body is not valid JSON.")
    mapped = parse_context_request(body, services().taxonomy)
    suggestions = recommend_for_context(services(), org.org_id, mapped)
    return recommendations_json(mapped, suggestions)


@blueprint.get("/modules/<module_id>")
def module(module_id: str):
    """One published module with its body as sanitised HTML: how the framed panel opens content
    (its links cannot carry the app token, so its script fetches this instead)."""
    org = current_org()
    with services().sessions() as session:
        try:
            found = CatalogRepository(session, org.org_id).get(module_id[:64])
        except ModuleNotFound:
            found = None
    if found is None or found.status is not ModuleStatus.PUBLISHED:
        raise NotFound("This content module is not available.")
    return {
        "module_id": found.key,
        "title": found.title,
        "summary": found.summary,
        "kind": found.kind.value,
        "kind_label": found.kind.label,
        "audience": found.audience.value,
        "audience_label": found.audience.label,
        "author": found.author,
        "link": found.link,
        "version": found.version,
        "body_html": markdown_to_html(found.body),
        # What the panel offers to personalise (GET …/personalised): the supported ones only.
        "placeholders": used_placeholders(found.body),
    }


@blueprint.get("/taxonomy")
def taxonomy():
    """Every dimension's allowed values, so a CRM integration can map its picklists."""
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
