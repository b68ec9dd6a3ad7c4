"""The demo's coaching: its manager, Dana Whitfield, has recommended one module to the demo rep
on one of his open deals, so his panel shows a manager's card from the first view."""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session

from content_catalog.manager_recommendations import ManagerRecommendations
from plugin.coaching.recommendations import Recommending, recommend_module
from plugin.crm.demo_org import DemoOrg

DEMO_MANAGER_ID = "0055e00000DANAWAA5"
DEMO_MANAGER_NAME = "Dana Whitfield"
DEMO_REP_ID = "0055e00000DEMOLAA5"
DEMO_MODULE = "pb-enterprise-multi-threading"
DEMO_NOTE = ("Before the proposal goes out, get a second thread into finance: this playbook has "
             "the checklist we used on the Harbor deal.")


def seed_demo_recommendation(sessions: Callable[[], Session], demo_org: DemoOrg | None) -> str:
    """What was done, in a line; nothing when the demo org has a recommendation already.
    ``demo_org`` None (``load-demo`` outside demo mode): the bundled one."""
    demo_org = demo_org or DemoOrg()
    with sessions() as session:
        if ManagerRecommendations(session, demo_org.org_id).open(limit=1):
            return "a manager's recommendation is there already: left as it is"
    deal = demo_deal(demo_org)
    if deal is None:
        return "no open deal of the demo rep: nothing recommended"
    recommend_module(sessions, Recommending(demo_org.org_id, DEMO_MANAGER_ID, DEMO_MANAGER_NAME),
                     rep_id=DEMO_REP_ID, opportunity_id=deal.opportunity_id,
                     module_id=DEMO_MODULE, note=DEMO_NOTE)
    return f"{DEMO_MANAGER_NAME} recommended {DEMO_MODULE} to the demo rep on {deal.name}"


def demo_deal(demo_org):
    """The demo rep's first open deal in the picker's order."""
    return next((o for o in demo_org.opportunities()
                 if o.owner_id == DEMO_REP_ID and not o.is_closed), None)
