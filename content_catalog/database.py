"""Engines, sessions and schema upgrades for the catalog's database."""
from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.tables import Base

MIGRATIONS = Path(__file__).with_name("migrations")


#: A pooled server connection idle longer than this is pinged before it is handed out.
PING_AFTER_IDLE_S = 2.0


def make_engine(url: str, *, ping_after_idle_s: float = PING_AFTER_IDLE_S, **kwargs) -> Engine:
    """An engine with the settings each backend needs to behave like the others."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _sqlite_functions)
        return engine
    engine = create_engine(url, **kwargs)
    _ping_after_idle(engine, ping_after_idle_s)
    return engine


def _ping_after_idle(engine: Engine, after_s: float) -> None:
    """Ping a pooled connection before use only if it sat idle ``after_s`` or longer: one that
    did may have been closed by a server restart, a failover or an idle timeout, and a dead one
    is replaced before a request sees it. ``pool_pre_ping`` pinged on every checkout: under
    load a warm panel view paid a second round trip for its one statement (issue 12: about 4 %
    of the web workers' CPU and 5 % of PostgreSQL's). A connection in steady use that dies
    fails its statement instead; SQLAlchemy then invalidates the pool and the panel serves
    from memory, as it does while the database is unreachable. The pool's own events
    (``checkout`` raising ``DisconnectionError`` has the pool connect again) carry it."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < after_s:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"an idle pooled connection is gone: {exc}") from exc


#: How long a SQLite writer waits for another's write lock before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # SQLite ignores FOREIGN KEY clauses otherwise
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # Write-ahead log: readers never wait for a writer, nor a writer for readers, so the panel's
    # reads go on while impressions are written (the rollback journal made both wait). The mode
    # is stored in the file; an in-memory database stays "memory". NORMAL is WAL's usual
    # durability: a power cut may lose the last commits, never corrupt the file.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_functions(dbapi_connection, _record) -> None:
    """SQLite's lower() folds ASCII only; searches must find "Über" as PostgreSQL's lower() does
    (``content_catalog.queries.folded`` compiles to this on SQLite)."""
    dbapi_connection.create_function("bi_lower", 1, _lower, deterministic=True)


def _lower(text):
    return text.lower() if isinstance(text, str) else text


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; safe to run on every start."""
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration this code knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def analyze(connection: Connection, tables: Iterable[Table]) -> None:
    """PostgreSQL: ANALYZE ``tables`` after a bulk write, so the planner plans with statistics.
    Autovacuum would get there later, or never where it is off (as on this project's benchmark
    server); until then it guesses. SQLite plans without statistics; nothing to do there."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        connection.exec_driver_sql(f'ANALYZE "{table.name}"')


def refresh_statistics(engine: Engine) -> None:
    """:func:`analyze` every table of the schema after a bulk load (the demo's history), as
    PostgreSQL's manual advises. Unanalysed, a lost deal's panel took 70–80 ms of the
    database's CPU a view under load (issue 12): the planner probed the org's events by user
    instead of by impression, 500 times a view."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        analyze(connection, Base.metadata.sorted_tables)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for code that only reads, each statement standing alone. On PostgreSQL they run
    in autocommit: under READ COMMITTED every statement takes its own snapshot anyway, so this
    reads the same rows and saves the BEGIN and the ROLLBACK around a warm panel view's one
    statement (two of its three round trips). SQLite's driver opens no transaction for a
    SELECT in the first place. Never for writes: each would commit on its own."""
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return session_factory(engine)
