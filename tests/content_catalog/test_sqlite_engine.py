"""The embedded SQLite database as the service opens it: write-ahead log, so readers and the
writer do not wait for each other, and a busy timeout for two writers."""
from __future__ import annotations

import threading
import time

from sqlalchemy import text

from content_catalog.database import SQLITE_BUSY_TIMEOUT_MS, make_engine


def test_the_embedded_database_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
    finally:
        engine.dispose()


def test_a_reader_is_not_held_up_by_a_writer_in_the_middle_of_a_transaction(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (n INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        with engine.connect() as writer:
            writer.execute(text("BEGIN EXCLUSIVE"))  # would lock readers out without WAL
            writer.execute(text("INSERT INTO t VALUES (2)"))
            started = time.monotonic()
            with engine.connect() as reader:
                seen = reader.execute(text("SELECT count(*) FROM t")).scalar()
            waited = time.monotonic() - started
            writer.execute(text("COMMIT"))
        assert seen == 1  # the committed state, at once
        assert waited < 1.0
    finally:
        engine.dispose()


def test_a_second_writer_waits_for_the_first_instead_of_failing(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (n INTEGER)"))
        errors: list[Exception] = []

        def write_later():
            try:
                with engine.begin() as second:
                    second.execute(text("INSERT INTO t VALUES (2)"))
            except Exception as exc:  # noqa: BLE001 - the test reports it
                errors.append(exc)

        with engine.connect() as first:
            first.execute(text("BEGIN IMMEDIATE"))
            first.execute(text("INSERT INTO t VALUES (1)"))
            other = threading.Thread(target=write_later)
            other.start()
            time.sleep(0.3)  # the second writer is now waiting on the lock
            first.execute(text("COMMIT"))
        other.join(timeout=10)
        assert errors == []
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 2
    finally:
        engine.dispose()
