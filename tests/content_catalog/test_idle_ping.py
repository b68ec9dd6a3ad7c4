"""Pooled PostgreSQL connections are pinged only after sitting idle: a connection in steady use
costs its statements alone, and one the server closed while it was idle is replaced before a
caller sees it (real PostgreSQL)."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from content_catalog.database import make_engine
from tests.conftest import POSTGRES_URL, SKIP_POSTGRES

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(SKIP_POSTGRES, reason="BEINSPIRED_SKIP_POSTGRES=1"),
]


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar()


def test_a_connection_in_steady_use_is_not_pinged_before_each_checkout():
    engine = make_engine(POSTGRES_URL, pool_size=1, max_overflow=0, ping_after_idle_s=3600)
    pings = []
    engine.dialect.do_ping = lambda dbapi_connection: pings.append(dbapi_connection) or True
    try:
        for _ in range(5):
            _backend_pid(engine)
        assert pings == []
    finally:
        engine.dispose()


def test_a_connection_idle_past_the_limit_is_pinged_once_before_its_next_use():
    engine = make_engine(POSTGRES_URL, pool_size=1, max_overflow=0, ping_after_idle_s=0)
    real_ping, pings = engine.dialect.do_ping, []

    def counting_ping(dbapi_connection):
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)

    engine.dialect.do_ping = counting_ping
    try:
        first = _backend_pid(engine)  # a new connection: nothing to ping yet
        assert pings == []
        assert _backend_pid(engine) == first  # the same pooled connection, pinged first
        assert len(pings) == 1
    finally:
        engine.dispose()


def test_an_idle_connection_the_server_closed_is_replaced_before_the_caller_sees_it():
    engine = make_engine(POSTGRES_URL, pool_size=1, max_overflow=0, ping_after_idle_s=0)
    try:
        victim = _backend_pid(engine)
        with make_engine(POSTGRES_URL).connect() as admin:
            assert admin.execute(text("SELECT pg_terminate_backend(:pid)"),
                                 {"pid": victim}).scalar() is True
        replacement = _backend_pid(engine)  # would raise OperationalError without the ping
        assert replacement != victim
    finally:
        engine.dispose()


def test_without_the_ping_the_same_dead_connection_fails_its_statement():
    """The case above is the ping's doing: with no wait long enough to ping, the dead
    connection reaches the caller."""
    from sqlalchemy.exc import OperationalError

    engine = make_engine(POSTGRES_URL, pool_size=1, max_overflow=0, ping_after_idle_s=3600)
    try:
        victim = _backend_pid(engine)
        with make_engine(POSTGRES_URL).connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
        with pytest.raises(OperationalError):
            _backend_pid(engine)
        assert _backend_pid(engine) != victim  # and the pool recovers on the next checkout
    finally:
        engine.dispose()
