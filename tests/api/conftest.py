"""An app in demo mode over a temporary SQLite database with the demo org loaded."""
from __future__ import annotations

from datetime import date

import pytest

from content_catalog.database import upgrade
from content_catalog.repository import ensure_org
from plugin.app import create_app
from plugin.crm.demo_org import DEMO_ORG_ID, DEMO_ORG_NAME, DemoOrg, load_demo_catalog
from plugin.settings import Settings

#: The demo catalog's review dates are chosen relative to this day.
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory) -> Settings:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    return Settings(demo_mode=True, database_url=f"sqlite:///{path}", max_request_bytes=64_000)


@pytest.fixture(scope="session")
def demo_app(demo_settings):
    app = create_app(demo_settings, today=lambda: TODAY)
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    return app


@pytest.fixture
def client(demo_app):
    return demo_app.test_client()


@pytest.fixture(scope="session")
def demo_opportunities():
    return DemoOrg().opportunities()


@pytest.fixture
def opportunity_where(demo_opportunities):
    """The first demo opportunity that satisfies ``predicate``."""

    def find(predicate):
        return next(o for o in demo_opportunities if predicate(o))

    return find


@pytest.fixture
def fresh_app(tmp_path):
    """An app in demo mode whose demo org starts with an empty catalog, for tests that write to
    the catalog or need exact counts (the shared ``demo_app`` is read by every other test)."""
    settings = Settings(demo_mode=True, database_url=f"sqlite:///{tmp_path / 'fresh.sqlite3'}", max_request_bytes=64_000)
    app = create_app(settings, today=lambda: TODAY)
    svc = app.extensions["be_inspired"]
    upgrade(svc.engine)
    with svc.sessions.begin() as session:
        ensure_org(session, DEMO_ORG_ID, DEMO_ORG_NAME, is_demo=True)
    yield app
    svc.engine.dispose()
