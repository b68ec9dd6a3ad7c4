"""Sessions for code that only reads (the warm panel view): a statement leaves no transaction
open behind it, on either backend, so a view costs one round trip, not BEGIN, SELECT,
ROLLBACK."""
from __future__ import annotations

from sqlalchemy import text

from content_catalog.database import read_session_factory, session_factory


def _in_transaction_after_a_select(engine, sessions) -> bool:
    with sessions() as session:
        connection = session.connection()
        assert connection.execute(text("SELECT 1")).scalar() == 1
        if engine.dialect.name == "sqlite":
            return connection.connection.dbapi_connection.in_transaction
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with engine.connect() as observer:  # how the server sees that session right now
            state = observer.execute(
                text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).scalar()
        return state == "idle in transaction"


def test_a_read_session_keeps_no_transaction_open_between_its_statements(engine):
    assert _in_transaction_after_a_select(engine, read_session_factory(engine)) is False


def test_an_ordinary_session_on_postgresql_does_hold_one(engine):
    held = _in_transaction_after_a_select(engine, session_factory(engine))
    assert held is (engine.dialect.name == "postgresql")  # SQLite's driver opens none to read
