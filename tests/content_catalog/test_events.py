"""Impressions and events in the database, on SQLite and PostgreSQL."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError

from content_catalog.events import (
    EventKind, Impression, ImpressionOrigin, ModuleActivity, PanelEvent, PanelEventLog, add_impressions,
)
from content_catalog.repository import ensure_org

ORG_A = "00DA0000000AaaaMAC"
ORG_B = "00DB0000000BbbbMAC"
OPP = "006A0000001AbcdIAA"
MONDAY = datetime(2026, 6, 15, 9, 30, tzinfo=timezone.utc)
CONTEXT = {"stage": "Negotiation", "journey_phase": "buying", "buyer_roles": ["Economic Buyer"],
           "amount": 185000.0, "text": "audit é"}


def impression(n: int, *, org: str = ORG_A, module: str = "a", at: datetime = MONDAY,
               position: int = 1) -> Impression:
    return Impression(
        impression_id=f"{n:032x}", org_id=org, view_id=f"{n // 10:032x}", opportunity_id=OPP,
        user_id="0055e00000DEMOL", module_key=module, audience="client_facing",
        position=position, score=7.25, propensity=0.8, explored=n % 2 == 1,
        model_version="v1", context=CONTEXT, shown_at=at,
    )


def event(n: int, impression_n: int, kind: EventKind = EventKind.OPEN, **fields) -> PanelEvent:
    return PanelEvent(event_id=f"e{n:031x}", impression_id=f"{impression_n:032x}", kind=kind,
                      occurred_at=fields.pop("at", MONDAY + timedelta(minutes=n)), **fields)


@pytest.fixture
def log(session):
    ensure_org(session, ORG_A, "Acme")
    ensure_org(session, ORG_B, "Globex")
    session.commit()
    return PanelEventLog(session, ORG_A)


def everything(log: PanelEventLog):
    return log.shown_with_events(MONDAY - timedelta(days=1), MONDAY + timedelta(days=1))


def test_an_impression_reads_back_as_it_was_shown(log, session):
    add_impressions(session, [impression(1, position=3)])
    session.commit()

    (shown,) = everything(log)
    assert shown.impression == impression(1, position=3)
    assert shown.events == ()


def test_impressions_of_several_orgs_go_in_one_batch_each_to_its_org(log, session):
    add_impressions(session, [impression(1), impression(2, org=ORG_B), impression(3)])
    session.commit()

    assert [s.impression.impression_id for s in everything(log)] == [f"{1:032x}", f"{3:032x}"]
    assert len(everything(PanelEventLog(session, ORG_B))) == 1


def test_an_impression_written_twice_is_stored_once(log, session):
    add_impressions(session, [impression(1)])
    add_impressions(session, [impression(1), impression(2)])
    session.commit()
    assert len(everything(log)) == 2


def test_a_large_batch_is_split_into_several_inserts(log, session):
    add_impressions(session, [impression(n, at=MONDAY + timedelta(seconds=n)) for n in range(1200)])
    session.commit()
    assert len(everything(log)) == 1200


def test_events_are_stored_once_per_event_id_and_repeats_counted(log, session):
    add_impressions(session, [impression(1), impression(2)])
    first = log.add_events([event(1, 1), event(2, 2, EventKind.HELPFUL), event(1, 1)])
    retry = log.add_events([event(1, 1), event(2, 2, EventKind.HELPFUL), event(3, 2)])
    session.commit()

    assert (first.accepted, first.duplicates) == (2, 1)  # the repeat inside the batch
    assert (retry.accepted, retry.duplicates) == (3, 2)
    kinds = {s.impression.impression_id[-1]: [e.kind for e in s.events] for s in everything(log)}
    assert kinds == {"1": [EventKind.OPEN], "2": [EventKind.HELPFUL, EventKind.OPEN]}


def test_the_same_event_id_in_two_orgs_is_two_events(log, session):
    add_impressions(session, [impression(1), impression(2, org=ORG_B)])
    log.add_events([event(1, 1)])
    stored = PanelEventLog(session, ORG_B).add_events([event(1, 2)])
    session.commit()
    assert (stored.accepted, stored.duplicates) == (1, 0)


def test_an_event_cannot_name_an_impression_that_was_never_stored(log, session):
    with pytest.raises(IntegrityError):
        log.add_events([event(1, 99)])
        session.flush()
    session.rollback()


def test_a_vote_keeps_its_reason_and_sender(log, session):
    add_impressions(session, [impression(1)])
    log.add_events([event(1, 1, EventKind.NOT_HELPFUL, reason="Old figures", user_id="005X")])
    session.commit()

    (stored,) = everything(log)[0].events
    assert (stored.kind, stored.reason, stored.user_id) == (
        EventKind.NOT_HELPFUL, "Old figures", "005X")
    assert stored.occurred_at == MONDAY + timedelta(minutes=1)
    assert stored.received_at is not None and stored.received_at.tzinfo is not None


def test_impression_records_are_only_the_orgs_own(log, session):
    add_impressions(session, [impression(1), impression(2, org=ORG_B)])
    session.commit()
    assert log.impression_records([f"{1:032x}", f"{2:032x}", f"{3:032x}"]) == {f"{1:032x}": OPP}


def test_shown_with_events_reads_a_time_range_and_one_module(log, session):
    add_impressions(session, [
        impression(1, module="a", at=MONDAY),
        impression(2, module="b", at=MONDAY + timedelta(hours=1)),
        impression(3, module="a", at=MONDAY + timedelta(hours=2)),
        impression(4, module="a", at=MONDAY + timedelta(days=3)),
    ])
    log.add_events([event(1, 3, EventKind.COPY), event(2, 2, EventKind.SHARE)])
    session.commit()

    ranged = log.shown_with_events(MONDAY, MONDAY + timedelta(hours=2), module_key="a")
    assert [s.impression.impression_id[-1] for s in ranged] == ["1"]
    day = log.shown_with_events(MONDAY, MONDAY + timedelta(days=1), module_key="a")
    copied = [(s.impression.impression_id[-1], s.did(EventKind.COPY)) for s in day]
    assert copied == [("1", False), ("3", True)]


def test_activity_by_module_counts_impressions_and_each_kind(log, session):
    add_impressions(session, [impression(1, module="a"), impression(2, module="a"),
                              impression(3, module="b"), impression(4, org=ORG_B, module="a")])
    log.add_events([event(1, 1), event(2, 1, EventKind.HELPFUL), event(3, 2)])
    PanelEventLog(session, ORG_B).add_events([event(4, 4, EventKind.NOT_HELPFUL)])
    session.commit()

    assert log.activity_by_module(MONDAY, MONDAY + timedelta(hours=1)) == {
        "a": ModuleActivity(shown=2, events={"open": 2, "helpful": 1}),
        "b": ModuleActivity(shown=1, events={}),
    }


def test_search_impressions_are_kept_apart_from_suggestions(log, session):
    searched = replace(impression(2, module="b"), origin=ImpressionOrigin.SEARCH,
                       search_text="audit evidence", model_version="search", propensity=1.0)
    add_impressions(session, [impression(1, module="a"), searched])
    log.add_events([event(1, 2, EventKind.HELPFUL)])
    session.commit()

    assert [s.impression.module_key for s in everything(log)] == ["a"]  # what training reads
    (found,) = log.shown_with_events(MONDAY - timedelta(days=1), MONDAY + timedelta(days=1),
                                     origins=(ImpressionOrigin.SEARCH,))
    assert found.impression == searched and found.did(EventKind.HELPFUL)
    hour = (MONDAY, MONDAY + timedelta(hours=1))
    assert log.activity_by_module(*hour) == {"a": ModuleActivity(shown=1, events={})}
    assert log.activity_by_module(*hour, origins=tuple(ImpressionOrigin)) == {
        "a": ModuleActivity(shown=1, events={}),
        "b": ModuleActivity(shown=1, events={"helpful": 1}),
    }
