"""Engines, sessions and schema upgrades for the catalog's database."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str, **kwargs) -> Engine:
    """An engine with the settings each backend needs to behave like the others."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _sqlite_functions)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


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
