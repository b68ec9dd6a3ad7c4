"""Preview as a rep: the panel a rep would see for an opportunity, and why each module is there."""
from __future__ import annotations

from dataclasses import dataclass

from flask import g, render_template, request

from content_catalog.modules import FieldError
from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import Dimension
from plugin.errors import InvalidInput
from plugin.crm.sources import OpportunityNotFound, OpportunitySource
from plugin.panel.view import PanelView
from plugin.panel.suggestions import SuggestionCard
from plugin.crm.salesforce.config import AuthMode
from plugin.crm.salesforce.connector import OrgNotConfigured
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.panel.score_explanation import BreakdownRow, explain
from plugin.web.app_services import services
from plugin.web.api.context_body import parse_context_request
from plugin.web.org_taxonomy import org_taxonomy
from plugin.web.panel import context_summary
from plugin.web.workspace import NAVIGATION, NavItem, blueprint
from plugin.web.workspace.links import module_url

NAVIGATION.append(NavItem("workspace.preview_page", "Preview", "preview"))

SOURCES = ("demo", "salesforce", "context")
#: Characters of description a hand-entered preview takes (it travels in the URL).
MAX_DESCRIPTION = 4000
NOT_IN_ORG = "is not an opportunity in this org"
NO_CONNECTION = (
    "This org has no Salesforce connection yet. An admin connects one with “beinspired org add” "
    "(see the admin guide); until then, preview a context."
)
CANVAS_ONLY = (
    "This org reads Salesforce with each rep's own session, inside the panel, and the workspace "
    "has none. Describe the opportunity by hand instead."
)


@dataclass(frozen=True)
class ExplainedCard:
    card: SuggestionCard
    rows: list[BreakdownRow]


@dataclass(frozen=True)
class Preview:
    view: PanelView
    opportunity_id: str | None
    explained: list[ExplainedCard]


@dataclass(frozen=True)
class LiveOrg:
    """Whether this org's opportunities can be read for a preview, and if not, why."""

    source: OpportunitySource | None
    reason: str | None = None


@blueprint.get("/preview")
def preview_page():
    svc = services()
    demo = svc.demo_org if svc.demo_org and svc.demo_org.org_id == g.user.org_id else None
    live = live_org(g.user.org_id)
    default = "demo" if demo else "salesforce" if live.source else "context"
    chosen = request.args.get("source") or default
    chosen = chosen if chosen in SOURCES else "context"
    errors: list[FieldError] = []
    preview = None
    try:
        if chosen == "demo" and demo and request.args.get("opportunity"):
            preview = preview_opportunity(demo, request.args["opportunity"])
        elif chosen == "salesforce" and live.source and request.args.get("opportunity_id"):
            opportunity_id = _opportunity_id(request.args["opportunity_id"])
            preview = preview_opportunity(live.source, opportunity_id)
        elif chosen == "context" and request.args.get("preview"):
            preview = preview_context(request.args)
    except InvalidInput as exc:
        errors = exc.errors or [FieldError("opportunity", exc.message)]
    return render_template(
        "workspace/preview.html",
        chosen=chosen,
        demo_opportunities=demo.opportunities() if demo else None,
        live=live,
        preview=preview,
        errors=errors,
        taxonomy=org_taxonomy(),
        weights=svc.recommendations.weights,
        dimension=Dimension,
        max_description=MAX_DESCRIPTION,
        # The panel's own template, with its titles leading to the workspace's module page.
        context_summary=context_summary(preview.view) if preview else "",
        opportunity_id=preview.opportunity_id if preview else None,
        card_href=lambda card: module_url(card.module_id),
        view=preview.view if preview else None,
    ), (400 if errors else 200)


def live_org(org_id: str) -> LiveOrg:
    try:
        snapshot = services().orgs.current()
        org = snapshot.org(org_id)
    except OrgNotConfigured:
        return LiveOrg(None, NO_CONNECTION)
    if org.connection.auth_mode is AuthMode.CANVAS:
        return LiveOrg(None, CANVAS_ONLY)
    return LiveOrg(snapshot.connector.source(org_id))


def preview_opportunity(source: OpportunitySource, opportunity_id: str) -> Preview:
    try:
        view = services().panel_views.view(
            source, opportunity_id, taxonomy=org_taxonomy(), count_shown=False
        )
    except OpportunityNotFound:
        raise InvalidInput(
            "No such opportunity.",
            errors=[FieldError("opportunity_id", NOT_IN_ORG, opportunity_id[:40])],
        ) from None
    return Preview(view, opportunity_id, _explain(view))


def preview_context(args) -> Preview:
    roles = [r for r in [args.get("primary_role", "")] + args.getlist("other_roles") if r]
    body = {
        "stage": args.get("stage") or None,
        "industry": args.get("industry") or None,
        "buyer_roles": list(dict.fromkeys(roles)),
        "challenge": args.get("challenge") or None,
        "amount": args.get("amount", "").replace(",", "").strip() or None,
        "description": args.get("description", "")[:MAX_DESCRIPTION],
        "strict": True,
    }
    given = {name: value for name, value in body.items() if value is not None}
    mapped = parse_context_request(given, org_taxonomy())
    suggestions = services().panel_views.for_context(g.user.org_id, mapped, count_shown=False)
    view = PanelView(None, mapped, suggestions)
    return Preview(view, None, _explain(view))


def _explain(view: PanelView) -> list[ExplainedCard]:
    svc = services()
    cards = view.suggestions.client_facing + view.suggestions.internal
    with svc.sessions() as session:
        modules = CatalogRepository(session, g.user.org_id).find(c.module_id for c in cards)
    weights, context = svc.recommendations.weights, view.mapped.context
    taxonomy = org_taxonomy()
    return [
        ExplainedCard(card, explain(card, context, modules[card.module_id], weights, taxonomy))
        for card in cards
        if card.module_id in modules
    ]


def _opportunity_id(raw: str) -> str:
    try:
        return to_18(raw.strip(), prefix="006")
    except InvalidSalesforceId as exc:
        raise InvalidInput(
            "Not an Opportunity Id.", errors=[FieldError("opportunity_id", exc.reason, raw[:40])]
        ) from None
