"""A service outside demo mode serving the Acme org, and ways in: a signed-in browser session
(started directly, as the sign-in callback would) or a personal API token.

Imported by name from the test modules that use it (``from tests.plugin.access.access_fixtures import
…``), like ``tests/api/editor_fixtures.py``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from content_catalog.database import upgrade
from plugin.app import create_app
from plugin.access.api_tokens import ApiTokens
from plugin.orgs.connections import ConfiguredOrg, OrgConnections, SecretBox
from plugin.access.role_mappings import Role, User
from plugin.crm.salesforce.config import OrgConnection
from plugin.settings import Settings
from plugin.access.user_sessions import UserSessions
from tests.plugin.crm.salesforce.sf_fakes import CANVAS_SECRET, INSTANCE, ORG_ID, VIEWER_ID

APP_SECRET = "access-tests-app-secret-of-at-least-32-chars"
CONSUMER_KEY = "3MVG9AcmeConsumerKeyForBeInspiredSignIn"
OTHER_ORG = "00DB0000000BbbbMAC"
COOKIE = "__Host-bi_session"
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def make_app(database: Path, **settings) -> Flask:
    """The real app (not demo) with Acme and Globex configured, Canvas mode, Acme with the
    consumer key that sign-in needs."""
    settings = Settings(demo_mode=False, database_url=f"sqlite:///{database}",
                        encryption_keys=SecretBox.new_key(), app_secret=APP_SECRET, **settings)
    app = create_app(settings)
    svc = app.extensions["be_inspired"]
    upgrade(svc.engine)
    configure_orgs(app)
    return app


def configure_orgs(app: Flask) -> None:
    """(Re)configure Acme and Globex as :func:`make_app` first did."""
    svc = app.extensions["be_inspired"]
    store = OrgConnections(svc.sessions, SecretBox(svc.settings.encryption_key_list))
    store.save(ConfiguredOrg("Acme Corp", OrgConnection(org_id=ORG_ID, instance_url=INSTANCE, canvas_secret=CANVAS_SECRET),
                             consumer_key=CONSUMER_KEY))
    store.save(ConfiguredOrg("Globex", OrgConnection(org_id=OTHER_ORG, instance_url="https://globex.my.salesforce.com",
                                                     canvas_secret="globex-secret")))


def person(role: Role, org_id: str = ORG_ID, user_id: str = VIEWER_ID) -> User:
    return User(org_id, user_id, f"Acme {role.value}", role)


@dataclass
class Browser:
    """A test client signed in with a session cookie; writes send the CSRF token of its pages."""

    client: FlaskClient
    csrf: str | None = None

    def csrf_token(self) -> str:
        if self.csrf is None:
            page = self.client.get("/workspace/modules")
            assert page.status_code == 200, "the CSRF token comes from a workspace page"
            self.csrf = _CSRF_META.search(page.get_data(as_text=True)).group(1)
        return self.csrf

    def send(self, method: str, url: str, **kwargs):
        headers = {"X-CSRFToken": self.csrf_token(), **kwargs.pop("headers", {})}
        return self.client.open(url, method=method, headers=headers, **kwargs)


def signed_in(app: Flask, user: User) -> Browser:
    svc = app.extensions["be_inspired"]
    token = UserSessions(svc.sessions, max_seconds=3600, idle_seconds=600).start(user)
    client = app.test_client()
    client.set_cookie(COOKIE, token)
    return Browser(client)


def api_token(app: Flask, role: Role, org_id: str = ORG_ID, name: str = "ci") -> str:
    svc = app.extensions["be_inspired"]
    return ApiTokens(svc.sessions).create(org_id, name, role, created_by="tests").secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
