"""Server-side sessions of people signed in with Salesforce: what the cookie's token opens, and
when it stops opening it. Real SQLite and PostgreSQL; the clock is a test double."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from content_catalog.database import session_factory
from content_catalog.tables.access_tables import UserSessionRow
from content_catalog.repository import ensure_org
from plugin.access.role_mappings import Role, User
from plugin.access.user_sessions import UserSessions, token_hash

ORG = "00D5e000001AcmEEAS"
OTHER_ORG = "00DB0000000BbbbMAC"
LEAD = User(ORG, "0055e000001ReP1AAK", "Priya Raman", Role.ENABLEMENT)


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(engine, clock) -> UserSessions:
    sessions = session_factory(engine)
    with sessions.begin() as s:
        ensure_org(s, ORG, "Acme")
        ensure_org(s, OTHER_ORG, "Globex")
    return UserSessions(sessions, max_seconds=8 * 3600, idle_seconds=3600, clock=clock)


def test_the_token_finds_the_person_it_was_started_for(store):
    token = store.start(LEAD)
    found = store.find(token)
    assert found is not None and found.user == LEAD


def test_only_the_hash_of_the_token_is_stored(store, engine):
    token = store.start(LEAD)
    with session_factory(engine)() as s:
        ids = list(s.scalars(select(UserSessionRow.id)))
    assert ids == [token_hash(token)] and token not in ids


@pytest.mark.parametrize("token", [None, "", "not-a-token", "x" * 500])
def test_an_unknown_or_absurd_token_finds_nobody(store, token):
    store.start(LEAD)
    assert store.find(token) is None


def test_a_session_used_within_the_idle_limit_lives_on(store, clock):
    token = store.start(LEAD)
    for _ in range(7):
        clock.advance(minutes=55)
        assert store.find(token) is not None


def test_a_session_left_idle_too_long_ends_and_is_deleted(store, clock, engine):
    token = store.start(LEAD)
    clock.advance(minutes=60)
    assert store.find(token) is None
    clock.now -= timedelta(minutes=30)  # even going back does not revive it
    assert store.find(token) is None
    with session_factory(engine)() as s:
        assert s.scalars(select(UserSessionRow)).first() is None


def test_a_session_ends_at_its_absolute_lifetime_however_busy(store, clock):
    token = store.start(LEAD)
    for _ in range(15):
        clock.advance(minutes=30)
        assert store.find(token) is not None
    clock.advance(minutes=30)  # 8 hours after sign-in
    assert store.find(token) is None


def test_last_seen_is_written_at_most_once_a_minute(store, clock):
    token = store.start(LEAD)
    clock.advance(seconds=30)
    assert store.find(token).last_seen == clock.now - timedelta(seconds=30)
    clock.advance(seconds=40)
    assert store.find(token).last_seen == clock.now


def test_ending_a_session_closes_it_for_good(store):
    token = store.start(LEAD)
    assert store.end(token) is True
    assert store.find(token) is None
    assert store.end(token) is False


def test_ending_one_persons_sessions_leaves_the_others(store):
    mine, theirs = store.start(LEAD), store.start(User(ORG, "0055e000001OthrAAC", "Sam", Role.REP))
    elsewhere = store.start(User(OTHER_ORG, LEAD.user_id, "Priya at Globex", Role.ADMIN))
    assert store.end_all(ORG, LEAD.user_id) == 1
    assert store.find(mine) is None
    assert store.find(theirs) is not None and store.find(elsewhere) is not None


def test_starting_a_session_clears_out_expired_ones(store, clock, engine):
    store.start(LEAD)
    clock.advance(hours=2)
    store.start(LEAD)
    with session_factory(engine)() as s:
        assert len(list(s.scalars(select(UserSessionRow)))) == 1
