"""An org's stage figures are read once and held for a bounded time: a warm panel view asks
the database nothing to find a stuck deal (issue 12's one statement per warm view stays one)."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import event

from plugin.crm.demo_org import DEMO_ORG_ID
from plugin.crm.demo_org.demo_stage_history import OPEN_STAGES, STUCK_DAYS
from plugin.crm.salesforce.ids import to_18
from plugin.deals.stuck_deals import MAX_AGE_SECONDS, StuckDeals
from tests.plugin.learning.outcome_fakes import services_on

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
ALDRIC = to_18("006Dn0000kl0JfIIAU")


class Clock:
    def __init__(self):
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


def statements(engine):
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_figures_are_read_once_then_held_until_they_are_old(engine):
    svc = services_on(engine)
    assert svc.outcome_sync.stage_history.sync(DEMO_ORG_ID, now=NOW).ok
    clock = Clock()
    stuck = StuckDeals(svc.sessions, lambda org: OPEN_STAGES, clock=clock, now=lambda: NOW)
    seen = statements(engine)
    first = stuck.stuck(DEMO_ORG_ID, ALDRIC, "Proposal/Price Quote", 640000.0)
    read = len(seen)
    assert first is not None and first.notice.days == STUCK_DAYS["006Dn0000kl0JfIIAU"]
    assert read >= 1
    for _ in range(5):
        stuck.stuck(DEMO_ORG_ID, ALDRIC, "Proposal/Price Quote", 640000.0)
    assert len(seen) == read  # warm: nothing asked
    clock.seconds = MAX_AGE_SECONDS + 1
    before = threading.active_count()
    assert stuck.stuck(DEMO_ORG_ID, ALDRIC, "Proposal/Price Quote", 640000.0) is not None
    for thread in threading.enumerate():
        if thread.name.startswith("stage-norms-"):
            thread.join(timeout=30)
    assert len(seen) == 2 * read  # old: read again once, in the background
    assert threading.active_count() <= before
    stuck.stuck(DEMO_ORG_ID, ALDRIC, "Proposal/Price Quote", 640000.0)
    assert len(seen) == 2 * read  # and held again


def test_the_days_count_on_while_the_figures_are_held(engine):
    svc = services_on(engine)
    svc.outcome_sync.stage_history.sync(DEMO_ORG_ID, now=NOW)
    later = [NOW]
    stuck = StuckDeals(svc.sessions, lambda org: OPEN_STAGES, now=lambda: later[0])
    assert stuck.stuck(DEMO_ORG_ID, ALDRIC, "Proposal/Price Quote").notice.days == 34
    later[0] = NOW + timedelta(days=2)
    assert stuck.stuck(DEMO_ORG_ID, ALDRIC, "Proposal/Price Quote").notice.days == 36


def test_a_deal_whose_crm_stage_is_newer_than_the_history_gets_no_notice(engine):
    svc = services_on(engine)
    svc.outcome_sync.stage_history.sync(DEMO_ORG_ID, now=NOW)
    stuck = StuckDeals(svc.sessions, lambda org: OPEN_STAGES, now=lambda: NOW)
    assert stuck.stuck(DEMO_ORG_ID, ALDRIC, "Negotiation/Review") is None
    assert stuck.stuck(DEMO_ORG_ID, to_18("006000000000001"), "Proposal/Price Quote") is None
