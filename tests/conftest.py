"""Fixtures shared by the whole suite.

Databases are real: a temporary SQLite file and the PostgreSQL server CI starts on
127.0.0.1:5432. Each backend's schema is built with the project's own Alembic migrations, never
with ``metadata.create_all``, so the tests exercise the schema production runs on.

PostgreSQL is required: if it cannot be reached its tests *fail*. Set
``BEINSPIRED_SKIP_POSTGRES=1`` to skip them on a machine without the server.
"""
from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

# The project is not installed into the venv, and pytest only puts test folders on sys.path.
# Test folders mirror the package names (tests/content_catalog, ...) as namespace folders, which
# must not stand in for the real packages, so the repository root goes first.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from content_catalog.database import make_engine, session_factory, upgrade
from content_catalog.tables import Base
from content_catalog.modules import ModuleInput
from content_catalog.taxonomy import (
    Audience,
    Dimension,
    ModuleKind,
    ModuleStatus,
    Taxonomy,
    default_taxonomy,
)

# The suite sends hundreds of expensive requests a minute as one demo user; the rate limits'
# own test (tests/api/test_rate_limits.py) sets a small limit explicitly.
os.environ.setdefault("BEINSPIRED_RATE_LIMIT_EXPENSIVE", "100000 per minute")

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SKIP_POSTGRES = os.environ.get("BEINSPIRED_SKIP_POSTGRES") == "1"

#: Parameters for fixtures that run once per backend. The mark lets `-m "not postgres"` deselect.
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


# -- databases ----------------------------------------------------------------------------------
@contextmanager
def scratch_schema() -> Iterator[str]:
    """The name of a brand-new PostgreSQL schema, dropped (with everything in it) afterwards.

    A schema per use keeps concurrent runs (and a developer's own data in ``public``) apart.
    """
    if SKIP_POSTGRES:
        pytest.skip("BEINSPIRED_SKIP_POSTGRES=1")
    schema = f"bi_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # fail loudly: CI starts the server, a skip would hide its absence
        admin.dispose()
        pytest.fail(
            f"PostgreSQL at {POSTGRES_URL} is unreachable ({exc.__class__.__name__}: {exc}); "
            "start it or set BEINSPIRED_SKIP_POSTGRES=1",
            pytrace=False,
        )
    try:
        yield schema
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def postgres_schema_engine() -> Iterator[Engine]:
    """An engine whose connections live in a :func:`scratch_schema`. ``lock_timeout`` turns a
    session a test forgot to close into an error instead of a hang."""
    with scratch_schema() as schema:
        engine = make_engine(
            POSTGRES_URL,
            connect_args={"options": f"-csearch_path={schema} -clock_timeout=10000"},
        )
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture
def schema_url() -> Iterator[str]:
    """A DATABASE_URL whose connections live in a :func:`scratch_schema`: for commands and
    servers started as processes of their own."""
    with scratch_schema() as schema:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


@contextmanager
def empty_database(backend: str, directory) -> Iterator[Engine]:
    """An engine on an empty database of ``backend`` (no tables, no Alembic version)."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{directory / 'catalog.sqlite3'}")
        try:
            yield engine
        finally:
            engine.dispose()
    else:
        with postgres_schema_engine() as engine:
            yield engine


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_engine(request, tmp_path_factory) -> Iterator[Engine]:
    """One migrated database per backend for the whole run; use ``engine``, which cleans it."""
    with empty_database(request.param, tmp_path_factory.mktemp(request.param)) as engine:
        upgrade(engine)
        yield engine


@pytest.fixture
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    """A migrated database (SQLite, then PostgreSQL), emptied again after the test."""
    yield migrated_engine
    with migrated_engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def empty_engine(request, tmp_path) -> Iterator[Engine]:
    """A database with nothing in it, for tests of the migrations themselves."""
    with empty_database(request.param, tmp_path) as engine:
        yield engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session as the service opens one (``expire_on_commit=False``); closed after the test."""
    with session_factory(engine)() as session:
        yield session


# -- domain objects -----------------------------------------------------------------------------
@pytest.fixture
def taxonomy() -> Taxonomy:
    return default_taxonomy()


@pytest.fixture
def module_factory(taxonomy: Taxonomy) -> Callable[..., ModuleInput]:
    """Builds a :class:`ModuleInput`; pass only what the test is about.

    Defaults to a *published*, client-facing case study with no tags (matches "any"), because most
    tests want a module the ranker may suggest. ``tags`` takes dimension names or
    :class:`Dimension` keys and a value or list of values; they go through the taxonomy, so a typo
    in a test fails loudly instead of silently matching nothing.
    """

    def make(key: str = "module", **fields: Any) -> ModuleInput:
        raw_tags = fields.pop("tags", {})
        tags = {}
        for dimension, values in raw_tags.items():
            values = [values] if isinstance(values, str) else list(values)
            if values:
                tags[Dimension(dimension)] = taxonomy.validate(dimension, values)
        defaults: dict[str, Any] = dict(
            title=f"Module {key}",
            summary="",
            body="",
            kind=ModuleKind.CASE_STUDY,
            audience=Audience.CLIENT_FACING,
            author="Enablement team",
            status=ModuleStatus.PUBLISHED,
            link=None,
            review_by=None,
        )
        defaults.update(fields)
        return ModuleInput(key=key, tags=tags, **defaults)

    return make


@pytest.fixture
def today() -> date:
    """A fixed "today", so review-by dates in tests do not expire as the calendar moves."""
    return date(2026, 6, 15)


# -- Redis for the job queue ---------------------------------------------------------------------
#: RQ's keys have fixed names (``rq:*``), so the job tests keep to a database number of their own
#: on the shared server and empty only their own keys in it, never the server. Two runs on one
#: machine at once (two checkouts) each set ``BEINSPIRED_TEST_JOBS_REDIS_URL`` to their own number.
JOBS_REDIS_URL = os.environ.get("BEINSPIRED_TEST_JOBS_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def jobs_redis_url() -> Iterator[str]:
    """``JOBS_REDIS_URL``, emptied of the queue's and the schedule's keys before and after."""
    import redis

    client = redis.Redis.from_url(JOBS_REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("BEINSPIRED_SKIP_REDIS") == "1":
            pytest.skip(f"Redis not reachable ({exc}); BEINSPIRED_SKIP_REDIS=1")
        pytest.fail(f"Redis not reachable on 127.0.0.1:6379: {exc} (BEINSPIRED_SKIP_REDIS=1 "
                    "skips)", pytrace=False)

    def clean() -> None:
        for pattern in ("rq:*", "beinspired:*"):
            keys = list(client.scan_iter(match=pattern))
            if keys:
                client.delete(*keys)

    clean()
    yield JOBS_REDIS_URL
    clean()
    client.close()
