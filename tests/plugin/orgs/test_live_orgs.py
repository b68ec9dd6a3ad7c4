"""The org settings a process serves: its own changes at once, another process's within the
recheck interval, and no statement per view in between."""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import event

from content_catalog.database import session_factory
from plugin.crm.salesforce.context_cache import InProcessContextCache
from plugin.orgs.connections import OrgConnections, SecretBox
from plugin.orgs.live import LiveOrgs
from tests.plugin.orgs.test_org_connections import acme

ACME = "00D5e000000AcmeEAC"  # the 18-character form the store keeps


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def box():
    return SecretBox([SecretBox.new_key()])


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def live(engine, box, clock):
    sessions = session_factory(engine)
    return LiveOrgs(sessions, OrgConnections(sessions, box), InProcessContextCache(),
                    recheck_s=1.0, clock=clock)


def statements_during(engine, action) -> int:
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def test_views_within_the_recheck_interval_ask_the_database_nothing(engine, live, clock):
    live.current()
    clock.now += 0.5
    assert statements_during(engine, live.current) == 0
    clock.now += 0.6
    assert statements_during(engine, live.current) == 1  # the version check


def test_this_processs_own_change_is_served_at_once(engine, box, live):
    sessions = session_factory(engine)
    assert live.current().orgs == {}
    OrgConnections(sessions, box).save(acme())  # another store object, as the admin pages use
    assert set(live.current().orgs) == {ACME}


def test_another_processs_change_is_served_after_the_recheck_interval(engine, box, live, clock,
                                                                      monkeypatch):
    sessions = session_factory(engine)
    OrgConnections(sessions, box).save(acme())
    assert live.current().orgs[ACME].name == "Acme"
    # Another process writes: this process's write count does not move.
    import plugin.orgs.connections as connections

    before = connections.local_writes()
    OrgConnections(sessions, box).save(replace(acme(), name="Acme Renamed"))
    monkeypatch.setattr(connections, "_local_writes", before)

    assert live.current().orgs[ACME].name == "Acme"  # within the interval
    clock.now += 1.1
    assert live.current().orgs[ACME].name == "Acme Renamed"
