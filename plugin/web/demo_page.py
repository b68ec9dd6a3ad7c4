"""``/demo``: a stand-in for a Salesforce Lightning Opportunity record page (demo mode only)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from plugin.errors import NotFound
from plugin.crm.sources import OpportunityNotFound
from plugin.orgs.stage_phases import stage_phase
from plugin.web.app_services import services
from plugin.web.identity import DEMO_IDENTITIES, Role, current_user, demo_identity

#: The "view as" buttons' words, short enough for the demo header.
BUTTON_LABELS = {"rep": "Rep", "partner_rep": "Partner rep", "manager": "Manager",
                 "enablement": "Enablement lead", "admin": "Admin"}
BUTTON_LABELS["channel_manager"] = "Channel manager"

blueprint = Blueprint("demo", __name__, url_prefix="/demo")


@blueprint.get("/")
def record_page():
    demo_org = services().demo_org
    chosen = request.args.get("opportunity")
    if chosen:
        return redirect(url_for("demo.opportunity_page", opportunity_id=chosen[:40]))
    first = demo_org.opportunities()[0]
    return redirect(url_for("demo.opportunity_page", opportunity_id=first.opportunity_id))


@blueprint.get("/<opportunity_id>")
def opportunity_page(opportunity_id: str):
    demo_org = services().demo_org
    try:
        opportunity = demo_org.fetch(opportunity_id)
    except OpportunityNotFound:
        raise NotFound("There is no demo opportunity with this Id.") from None
    return render_template(
        "demo/record.html",
        opportunity=opportunity,
        opportunities=demo_org.opportunities(),
        phase=stage_phase(services().taxonomy_for(demo_org.org_id), opportunity.stage).mapped_phase,
        viewer=current_user(), identities=DEMO_IDENTITIES.values(),
        viewing_as=demo_identity().key, button_labels=BUTTON_LABELS,
        lands_on={Role.REP: request.path, Role.MANAGER: url_for("workspace.home"),
                  Role.ENABLEMENT: url_for("workspace.home"), Role.ADMIN: url_for("admin.home")},
    )
