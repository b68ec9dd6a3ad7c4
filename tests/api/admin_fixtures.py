"""The admin console's test setting: the real app outside demo mode over a fresh SQLite file, a
person signed in by replacing :func:`plugin.web.identity.current_user` (the one place every route
asks), and Salesforce faked at the HTTP layer (:mod:`tests.plugin.crm.salesforce.sf_org_fakes`).

Import the fixtures into a test module to use them (pytest finds fixtures imported there).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from content_catalog.database import upgrade
from plugin.web import identity
from plugin.app import create_app
from plugin.web.identity import Role, User
from plugin.orgs.connections import ConfiguredOrg, OrgConnections, SecretBox
from plugin.crm.salesforce.config import ClientCredentials, OrgConnection
from plugin.settings import Settings
from tests.plugin.crm.salesforce.sf_fakes import CANVAS_SECRET, INSTANCE, ORG_ID
from tests.plugin.crm.salesforce.sf_org_fakes import CONSUMER_KEY, CONSUMER_SECRET, FakeOrg

ACME = ORG_ID
GLOBEX = "00D5e000002GlbXEAS"
GLOBEX_SECRET = "globex-canvas-secret-7d1e5b"
APP_SECRET = "admin-tests-app-secret-of-at-least-32-chars"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def acme_org(**connection: Any) -> ConfiguredOrg:
    """Acme with server-to-server credentials (client credentials) and a Canvas secret."""
    values = {"org_id": ACME, "instance_url": INSTANCE, "canvas_secret": CANVAS_SECRET,
              "credentials": ClientCredentials(CONSUMER_KEY, CONSUMER_SECRET), **connection}
    return ConfiguredOrg("Acme Corp", OrgConnection(**values))


def globex_org() -> ConfiguredOrg:
    return ConfiguredOrg("Globex", OrgConnection(GLOBEX, "https://globex.my.salesforce.com", canvas_secret=GLOBEX_SECRET))


def admin_of(org_id: str, role: Role = Role.ADMIN) -> User:
    return User(org_id, "0055e000001AdMnAAC", f"Ada ({role.value})", role)


@pytest.fixture
def admin_app(tmp_path) -> Iterator[Flask]:
    settings = Settings(demo_mode=False, database_url=f"sqlite:///{tmp_path / 'admin.sqlite3'}",
                        encryption_keys=SecretBox.new_key(), app_secret=APP_SECRET)
    app = create_app(settings)
    app.config["SESSION_COOKIE_SECURE"] = False  # the test client speaks plain http
    upgrade(app.extensions["be_inspired"].engine)
    yield app
    app.extensions["be_inspired"].engine.dispose()


@pytest.fixture
def store(admin_app) -> OrgConnections:
    svc = admin_app.extensions["be_inspired"]
    return OrgConnections(svc.sessions, SecretBox(svc.settings.encryption_key_list))


@pytest.fixture
def sign_in(monkeypatch) -> Callable[[User], None]:
    def sign_in_(user: User) -> None:
        monkeypatch.setattr(identity, "current_user", lambda: user)

    return sign_in_


@pytest.fixture
def salesforce() -> Iterator[FakeOrg]:
    org = FakeOrg()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        org.install(mock)
        org.calls = mock.calls  # type: ignore[attr-defined]
        yield org


@dataclass
class Console:
    """The test client as an admin's browser: the CSRF token from a console page's meta tag,
    sent as ``X-CSRFToken`` on API writes and as the hidden field on forms."""

    client: FlaskClient
    token: str

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def send(self, method: str, url: str, *, csrf: bool = True, **kwargs):
        headers = {**({"X-CSRFToken": self.token} if csrf else {}), **kwargs.pop("headers", {})}
        return self.client.open(url, method=method, headers=headers, **kwargs)

    def form(self, url: str, data: dict[str, Any], *, csrf: bool = True):
        return self.client.post(url, data={**data, **({"csrf_token": self.token} if csrf else {})})


def open_console(app: Flask) -> Console:
    client = app.test_client()
    page = client.get("/admin/orgs")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return Console(client, CSRF_META.search(page.get_data(as_text=True)).group(1))


@pytest.fixture
def console(admin_app, sign_in) -> Console:
    """Acme's admin, signed in; no org connected yet."""
    sign_in(admin_of(ACME))
    return open_console(admin_app)
