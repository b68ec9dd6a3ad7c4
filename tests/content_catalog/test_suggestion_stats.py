"""Counting suggestions per module, on SQLite and PostgreSQL."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from content_catalog.database import session_factory
from content_catalog.repository import ensure_org
from content_catalog.suggestion_stats import SuggestionStats

ORG_A = "00DA0000000AaaaMAC"
ORG_B = "00DB0000000BbbbMAC"
MONDAY = datetime(2026, 6, 15, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def stats(session):
    ensure_org(session, ORG_A, "Acme")
    ensure_org(session, ORG_B, "Globex")
    session.commit()
    return SuggestionStats(session, ORG_A)


def test_record_counts_each_suggested_module(stats, session):
    stats.record(["a", "b"], MONDAY)
    stats.record(["b", "c", "c"], MONDAY + timedelta(hours=1))
    session.commit()
    assert stats.counts() == {"a": 1, "b": 2, "c": 1}
    assert stats.last_suggested() == {
        "a": MONDAY, "b": MONDAY + timedelta(hours=1), "c": MONDAY + timedelta(hours=1)
    }


def test_a_view_recorded_late_does_not_move_the_last_suggestion_back(stats, session):
    stats.record(["a"], MONDAY)
    stats.record(["a"], MONDAY - timedelta(minutes=5))
    session.commit()
    assert (stats.counts(), stats.last_suggested()) == ({"a": 2}, {"a": MONDAY})


def test_record_is_one_statement_whatever_the_number_of_modules(engine, stats, session):
    stats.record(["a"], MONDAY)
    statements = []

    def seen(_connection, _cursor, statement, *_):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        stats.record(["a", "b", "c", "d", "e"], MONDAY)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len([s for s in statements if "module_stats" in s]) == 1
    assert stats.counts() == {"a": 2, "b": 1, "c": 1, "d": 1, "e": 1}


def test_recording_nothing_writes_nothing(stats, session):
    stats.record([], MONDAY)
    assert stats.counts() == {}


def test_never_suggested_lists_published_modules_with_no_suggestion_in_the_order_given(stats):
    stats.record(["b"], MONDAY)
    assert stats.never_suggested(["c", "b", "a", "c"]) == ["c", "a"]
    assert stats.never_suggested([]) == []


def test_counts_are_kept_per_org(stats, session):
    other = SuggestionStats(session, ORG_B)
    stats.record(["shared", "acme-only"], MONDAY)
    other.record(["shared"], MONDAY)
    other.record(["shared"], MONDAY)
    session.commit()
    assert stats.counts() == {"shared": 1, "acme-only": 1}
    assert other.counts() == {"shared": 2}
    assert other.never_suggested(["shared", "acme-only"]) == ["acme-only"]


def test_rolled_back_view_is_not_counted(stats, session):
    stats.record(["a"], MONDAY)
    session.rollback()
    assert stats.counts() == {}


def test_concurrent_views_lose_no_count(engine, stats):
    """Panel views of the same modules at the same moment: each one is counted."""
    views, barrier, errors = 6, threading.Barrier(6), []

    def view():
        try:
            with session_factory(engine)() as session:
                barrier.wait()
                SuggestionStats(session, ORG_A).record(["a", "b"], MONDAY)
                session.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=view) for _ in range(views)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert stats.counts() == {"a": views, "b": views}
