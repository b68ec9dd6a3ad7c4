"""The coaching view (``/workspace/coaching``): a manager's team deals and reps, and the
"recommend a module" action (pick a module by search, optional note)."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from flask import flash, g, redirect, render_template, request, url_for

from content_catalog.manager_recommendations import NOTE_MAX_CHARS
from content_catalog.people_store import PeopleStore
from content_catalog.queries import ModuleQuery
from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import ModuleStatus
from plugin.coaching.recommendations import RecommendationRefused, Recommending, recommend_module
from plugin.coaching.team_deals import build_coaching_view
from plugin.coaching.stage_clock import stage_clock
from plugin.coaching.team_reach import coached_reps
from plugin.deals.stuck_deals import StuckDeals
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.deals.people import OrgPeople
from plugin.errors import InvalidInput, NotFound
from plugin.analytics.indicator_data import DEFAULT_WEEKS, load_indicator_data
from plugin.analytics.leading_indicators import indicators_for, rep_lines
from plugin.web.org_taxonomy import org_taxonomy
from plugin.web.workspace.indicators_page import interval_text
from plugin.web.app_services import services
from plugin.web.workspace import MANAGER_AREAS, NAVIGATION, NavItem, blueprint

log = logging.getLogger(__name__)
NAVIGATION.append(NavItem("workspace.coaching_view", "Coaching", "coaching"))
MANAGER_AREAS.add("coaching")
#: A search for a module to recommend: at most this many characters and results.
SEARCH_MAX_CHARS = 100
RESULTS_AT_MOST = 20


@blueprint.get("/coaching")
def coaching_view():
    svc = services()
    org_id = g.user.org_id
    stuck = StuckDeals(svc.sessions, lambda org: svc.taxonomies.for_org(org).stage_order)
    view = build_coaching_view(svc.sessions, org_id, g.user.user_id, _listed_deals(org_id),
                               svc.today(), stage_clock=_clock(stuck, org_id))
    return render_template("workspace/coaching.html", view=view, note_max=NOTE_MAX_CHARS,
                           indicators=_rep_indicators(view), interval_text=interval_text,
                           indicator_weeks=DEFAULT_WEEKS)


def _clock(stuck: StuckDeals, org_id: str):
    """Days in stage from the org's stage history; none (a dash) when it cannot be read."""
    try:
        return stage_clock(stuck, org_id, datetime.now(timezone.utc))
    except Exception:  # noqa: BLE001 - the page still serves, without days in stage
        log.exception("could not read the stage figures of org %s", org_id)
        return None


def _rep_indicators(view) -> dict:
    """Each coached rep's leading indicators over the indicators page's default window."""
    svc = services()
    org_id = g.user.org_id
    demo = svc.demo_org if svc.demo_org is not None and svc.demo_org.org_id == org_id else None
    stages = ([s.value for s in demo.stages()] if demo is not None
              else list(org_taxonomy().stage_phases))
    owners = ({r.opportunity_id: r.owner_id for r in demo.opportunities() if r.owner_id}
              if demo is not None else {})
    with svc.sessions() as session:
        data = load_indicator_data(session, org_id, today=svc.today(), weeks=DEFAULT_WEEKS,
                                   stage_order=stages, known_owners=owners,
                                   stage_phases=org_taxonomy().stage_phases)
    lines = rep_lines(data.inputs)
    return {rep.rep_id: indicators_for({rep.rep_id}, data.inputs, lines) for rep in view.reps}


@blueprint.get("/coaching/deals/<opportunity_id>/recommend")
def coaching_recommend_form(opportunity_id: str):
    """Pick a module for the deal's rep: a search over the published modules (partner content
    only when the rep is a partner user), then a note."""
    deal, rep, partner = _coached_deal(opportunity_id, request.args.get("rep", ""))
    words = request.args.get("q", "").strip()
    if len(words) > SEARCH_MAX_CHARS:
        raise InvalidInput(f"Search with at most {SEARCH_MAX_CHARS} characters.")
    results = ()
    if words:
        query = ModuleQuery(text=words, statuses=(ModuleStatus.PUBLISHED,), partners_only=partner,
                            page_size=RESULTS_AT_MOST)
        with services().sessions() as session:
            results = CatalogRepository(session, g.user.org_id).search(query).items
    return render_template("workspace/coaching_recommend.html", deal=deal, rep=rep,
                           partner=partner, words=words, results=results, note_max=NOTE_MAX_CHARS)


@blueprint.post("/coaching/recommendations")
def coaching_recommend():
    form = request.form
    try:
        saved = recommend_module(
            services().sessions, Recommending(g.user.org_id, g.user.user_id, g.user.name),
            rep_id=form.get("rep_id"), opportunity_id=form.get("opportunity_id"),
            module_id=form.get("module_id"), note=form.get("note", ""))
    except RecommendationRefused as exc:
        raise InvalidInput(f"Not recommended: {exc.field} {exc.message}.") from None
    flash(f"Recommended “{saved.module_key}”: it now comes first in the rep's panel on this deal.",
          "success")
    return redirect(url_for("workspace.coaching_view"))


def _listed_deals(org_id: str):
    """The org's deals when its source can list them (the demo's); None: the coaching view
    reads the deals the team opened the panel on."""
    demo = services().demo_org
    return demo.opportunities() if demo is not None and demo.org_id == org_id else None


def _coached_deal(opportunity_id: str, rep_id: str):
    try:
        opportunity_id, rep_id = to_18(opportunity_id, prefix="006"), to_18(rep_id, prefix="005")
    except InvalidSalesforceId:
        raise NotFound("There is no such deal in your team.") from None
    with services().sessions() as session:
        people = OrgPeople.build(PeopleStore(session, g.user.org_id).users())
    if rep_id not in coached_reps(people, g.user.user_id):
        raise NotFound("There is no such deal in your team.")
    listed = _listed_deals(g.user.org_id) or ()
    deal = next((d for d in listed if d.opportunity_id == opportunity_id), None)
    return ({"id": opportunity_id, "name": deal.name if deal else opportunity_id,
             "stage": deal.stage if deal else None},
            {"id": rep_id, "name": people.name(rep_id) or rep_id}, people.is_partner(rep_id))
