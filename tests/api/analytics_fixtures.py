"""A hand-counted log of impressions, events and outcomes in the demo org, for the content
analytics tests (pages and API): an app of its own, since they write panel history.

Import the fixtures into a test module to use them (pytest finds fixtures imported there).
"""
from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta, timezone

import pytest

from content_catalog.events import EventKind, Impression, PanelEvent, PanelEventLog, add_impressions
from content_catalog.deal_outcomes import DealOutcome, DealOutcomes
from content_catalog.repository import CatalogRepository, ensure_org
from plugin.crm.demo_org import DEMO_ORG_ID
from tests.api.conftest import TODAY

OTHER_ORG = "00D5e00000OTHERAAA"
NOON = time(12, 0)
HEALTH = {"journey_phase": "buying", "industry": "Healthcare",
          "buyer_roles": ["Economic Buyer", "Evaluator"], "stage": "Proposal/Price Quote"}
BANK = {"journey_phase": "awareness", "industry": "Banking", "buyer_roles": ["Evaluator"],
        "stage": "Prospecting"}


def at(days_ago: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), NOON, tzinfo=timezone.utc)


class Log:
    """Writes what a panel would have: impressions, then the events reps sent, then outcomes."""

    def __init__(self, app, org_id: str = DEMO_ORG_ID):
        self.services = app.extensions["be_inspired"]
        self.org_id = org_id
        self.impressions: list[Impression] = []
        self.events: list[PanelEvent] = []
        self.outcomes: list[DealOutcome] = []

    def shown(self, module: str, opportunity: str | None, context: dict, days_ago: int = 3,
              *did: EventKind) -> None:
        impression_id = uuid.uuid4().hex
        self.impressions.append(Impression(
            impression_id=impression_id, org_id=self.org_id, view_id=uuid.uuid4().hex,
            opportunity_id=opportunity, user_id="005000000000001AAA", module_key=module,
            audience="client_facing", position=1, score=3.0, propensity=1.0, explored=False,
            model_version="tag-text-v1", context=context, shown_at=at(days_ago),
        ))
        for minutes, kind in enumerate(did, start=1):
            self.events.append(PanelEvent(
                event_id=uuid.uuid4().hex, impression_id=impression_id, kind=kind,
                occurred_at=at(days_ago) + timedelta(minutes=minutes),
            ))

    def closed(self, opportunity: str, won: bool) -> None:
        self.outcomes.append(DealOutcome(opportunity, won=won,
                                         stage="Closed Won" if won else "Closed Lost"))

    def write(self) -> None:
        with self.services.sessions.begin() as session:
            ensure_org(session, self.org_id, self.org_id)
            add_impressions(session, self.impressions)
            PanelEventLog(session, self.org_id).add_events(self.events)
            DealOutcomes(session, self.org_id).save(self.outcomes)


@pytest.fixture
def web(fresh_app):
    return fresh_app.test_client()


@pytest.fixture
def catalog(fresh_app, module_factory):
    svc = fresh_app.extensions["be_inspired"]
    with svc.sessions.begin() as session:
        CatalogRepository(session, DEMO_ORG_ID).upsert_many([
            module_factory("roi-story", title="ROI story for hospital CFOs"),
            module_factory("dusty-deck", title="Dusty overview deck"),
            module_factory("disliked", title="Generic battle card"),
            module_factory("unshown", title="A module nobody saw"),
        ])
        ensure_org(session, OTHER_ORG, OTHER_ORG)
        CatalogRepository(session, OTHER_ORG).upsert_many([module_factory("theirs")])


@pytest.fixture
def logged(fresh_app, catalog):
    """roi-story, in the 90-day window (counted by hand):
        W1 Healthcare: open, helpful, copy — won        W2 Healthcare: open — won
        L1 Banking: open, not helpful — lost            L2 Banking: nothing — lost
        OPEN Healthcare: share — still open
      → 5 impressions, 4 opened (a share counts as opened), votes 1 helpful of 2,
        helpful-or-used 2 (W1, OPEN), uses 2; deals used 1 won / 0 lost, not used 1 won / 2 lost.
      Plus one impression 60 days ago (outside 30 days) and one 120 days ago (only in 180 days),
      and one 200 days ago (in no window).
    dusty-deck: shown 10 times on Banking opportunities, never opened.
    disliked: 6 Healthcare impressions, each voted not helpful."""
    log = Log(fresh_app)
    log.shown("roi-story", "W1", HEALTH, 3, EventKind.OPEN, EventKind.HELPFUL, EventKind.COPY)
    log.shown("roi-story", "W2", HEALTH, 10, EventKind.OPEN)
    log.shown("roi-story", "L1", BANK, 3, EventKind.OPEN, EventKind.NOT_HELPFUL)
    log.shown("roi-story", "L2", BANK, 4)
    log.shown("roi-story", "OPEN", HEALTH, 5, EventKind.SHARE)
    log.shown("roi-story", "OLD1", HEALTH, 60, EventKind.OPEN)
    log.shown("roi-story", "OLD2", HEALTH, 120, EventKind.OPEN)
    log.shown("roi-story", "OLD3", HEALTH, 200, EventKind.OPEN)
    for n in range(10):
        log.shown("dusty-deck", f"D{n}", BANK, 2 + n)
    for n in range(6):
        log.shown("disliked", f"X{n}", HEALTH, 2, EventKind.OPEN, EventKind.NOT_HELPFUL)
    for won, opportunity in ((True, "W1"), (True, "W2"), (False, "L1"), (False, "L2")):
        log.closed(opportunity, won)
    log.write()
    theirs = Log(fresh_app, OTHER_ORG)
    theirs.shown("theirs", "T1", HEALTH, 3, EventKind.OPEN)
    theirs.write()
    return log
