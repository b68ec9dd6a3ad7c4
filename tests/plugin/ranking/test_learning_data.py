"""Stored impressions, events and outcomes become the learner's impressions with one meaning of
opened, helpful, used and won."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from content_catalog.events import EventKind, Impression, PanelEvent, PanelEventLog, add_impressions
from content_catalog.deal_outcomes import DealOutcome, DealOutcomes
from content_catalog.repository import ensure_org
from plugin.ranking.logged_views import context_from_json, logged_impressions
from recommender.types import OpportunityContext

ORG = "00DA0000000AaaaMAC"
WON_OPP = "006A0000001AbcdIAA"
OPEN_OPP = "006A0000001AbceIAA"
MONDAY = datetime(2026, 6, 15, 9, 30, tzinfo=timezone.utc)
CONTEXT = {"stage": "Negotiation", "journey_phase": "buying", "buyer_roles": ["Economic Buyer"],
           "amount": 185000.0, "text": "audit"}


def shown(n: int, opportunity: str | None = WON_OPP) -> Impression:
    return Impression(
        impression_id=f"{n:032x}", org_id=ORG, view_id="v" * 32, opportunity_id=opportunity,
        user_id=None, module_key=f"module-{n}", audience="client_facing", position=n,
        score=5.0, propensity=0.9, explored=n == 2, model_version="learned-abc",
        context=CONTEXT, shown_at=MONDAY,
    )


def did(n: int, impression: int, kind: EventKind, minutes: int) -> PanelEvent:
    return PanelEvent(event_id=f"e{n:031x}", impression_id=f"{impression:032x}", kind=kind,
                      occurred_at=MONDAY + timedelta(minutes=minutes))


@pytest.fixture
def logged(session):
    ensure_org(session, ORG, "Acme")
    add_impressions(session, [shown(1), shown(2), shown(3), shown(4, OPEN_OPP), shown(5, None)])
    PanelEventLog(session, ORG).add_events([
        did(1, 1, EventKind.OPEN, 1),
        did(2, 1, EventKind.NOT_HELPFUL, 2),
        did(3, 1, EventKind.HELPFUL, 3),        # changed their mind: the last vote counts
        did(4, 2, EventKind.COPY, 1),           # used without an open event: still opened
        did(5, 3, EventKind.OPEN, 1),
        did(6, 3, EventKind.NOT_HELPFUL, 2),
    ])
    DealOutcomes(session, ORG).save([DealOutcome(WON_OPP, won=True, stage="Closed Won",
                                                 amount=Decimal("10.00"))])
    session.commit()
    return {i.module_id: i for i in logged_impressions(
        session, ORG, MONDAY - timedelta(days=1), MONDAY + timedelta(days=1))}


def test_the_last_vote_counts_and_an_open_is_not_a_use(logged):
    first = logged["module-1"]
    assert (first.opened, first.helpful, first.used, first.rewarded) == (True, True, False, True)
    third = logged["module-3"]
    assert (third.opened, third.helpful, third.used, third.rewarded) == (True, False, False, False)


def test_a_use_counts_as_opened_and_rewarded(logged):
    second = logged["module-2"]
    assert (second.opened, second.helpful, second.used, second.rewarded) == (True, None, True, True)
    assert second.explored and second.propensity == 0.9 and second.position == 2


def test_the_deal_outcome_is_joined_by_opportunity(logged):
    assert logged["module-1"].deal_won is True
    assert logged["module-4"].deal_won is None  # still open
    assert logged["module-5"].deal_won is None  # shown without a record


def test_the_context_comes_back_as_it_was_shown(logged):
    assert logged["module-1"].context == OpportunityContext(
        stage="Negotiation", journey_phase="buying", buyer_roles=("Economic Buyer",),
        amount=185000.0, text="audit")


def test_a_context_key_from_another_version_is_ignored():
    assert context_from_json({"stage": "Prospecting", "retired_field": 1}) == OpportunityContext(
        stage="Prospecting")


def test_one_modules_impressions_can_be_read_alone(session, logged):
    only = logged_impressions(session, ORG, MONDAY - timedelta(days=1),
                              MONDAY + timedelta(days=1), module_key="module-1")
    assert only == [logged["module-1"]]
