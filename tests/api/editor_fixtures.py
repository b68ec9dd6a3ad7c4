"""Fixtures for the module editor's tests (API and pages): an app of its own, because these tests
write to the catalog and the shared ``demo_app`` is read by every other API test.

Import the fixtures into a test module to use them (pytest finds fixtures imported there).
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from content_catalog.database import make_engine, session_factory, upgrade
from content_catalog.editing import ModuleEditor
from content_catalog.modules import parse_module
from content_catalog.repository import ensure_org
from content_catalog.taxonomy import default_taxonomy
from plugin.app import create_app
from plugin.crm.demo_org import DEMO_ORG_ID, DEMO_ORG_NAME
from plugin.settings import Settings

#: As in tests/api/conftest.py: the day the demo catalog's review dates are chosen around.
TODAY = date(2026, 11, 23)
#: An org the signed-in (demo) user does not belong to.
OTHER_ORG = "00DB0000000BbbbMAC"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def module_payload(key: str = "audit-readiness", **overrides: Any) -> dict[str, Any]:
    """A valid module in the API's JSON shape; pass only what the test is about."""
    payload: dict[str, Any] = {
        "id": key,
        "title": "Audit readiness in 90 days",
        "summary": "How a hospital group cut audit preparation time.",
        "body": "## The challenge\n\nEvidence for every audit came from three systems.",
        "kind": "case_study",
        "audience": "client_facing",
        "author": "Priya Raman",
        "link": "https://example.com/audit-readiness",
        "review_by": "2027-06-30",
        "tags": {"journey_phase": ["buying"], "industry": ["Healthcare"]},
    }
    payload.update(overrides)
    return payload


@dataclass
class Workspace:
    """The test client as a signed-in enablement lead's browser: a session cookie and the CSRF
    token read from a workspace page's meta tag, sent as ``X-CSRFToken`` on every write."""

    client: FlaskClient
    token: str

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def write(self, method: str, url: str, *, if_match: str | int | None = None, csrf: bool = True,
              headers: dict[str, str] | None = None, **kwargs):
        headers = dict(headers or {})
        if csrf:
            headers["X-CSRFToken"] = self.token
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"' if isinstance(if_match, int) else if_match
        return self.client.open(url, method=method, headers=headers, **kwargs)

    def post(self, url: str, **kwargs):
        return self.write("POST", url, **kwargs)

    def put(self, url: str, **kwargs):
        return self.write("PUT", url, **kwargs)

    def form(self, url: str, data: dict[str, Any], *, csrf: bool = True):
        """Submit a page's form, as the browser does (the token in a hidden field)."""
        return self.client.post(url, data={**data, **({"csrf_token": self.token} if csrf else {})})

    def create(self, key: str = "audit-readiness", **overrides: Any) -> dict[str, Any]:
        response = self.post("/api/v1/modules", json=module_payload(key, **overrides))
        assert response.status_code == 201, response.get_json()
        return response.get_json()


@pytest.fixture(scope="session")
def editor_database(tmp_path_factory) -> Path:
    """A migrated SQLite file with the demo org (empty) and a second org holding one module of
    its own; each test gets a copy, which is much faster than migrating per test."""
    path = tmp_path_factory.mktemp("editor") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with session_factory(engine).begin() as session:
        ensure_org(session, DEMO_ORG_ID, DEMO_ORG_NAME, is_demo=True)
        ensure_org(session, OTHER_ORG, "Globex")
        module = parse_module(module_payload("globex-only", title="Globex's own module", status="published"), default_taxonomy())
        ModuleEditor(session, OTHER_ORG, "someone@globex.example").create(module)
    engine.dispose()
    return path


@pytest.fixture
def editor_app(editor_database, tmp_path):
    """Demo mode over a fresh copy of ``editor_database``."""
    database = tmp_path / "editor.sqlite3"
    shutil.copyfile(editor_database, database)
    app = create_app(Settings(demo_mode=True, database_url=f"sqlite:///{database}"), today=lambda: TODAY)
    yield app
    app.extensions["be_inspired"].engine.dispose()


@pytest.fixture
def workspace(editor_app) -> Workspace:
    client = editor_app.test_client()
    page = client.get("/workspace/modules").get_data(as_text=True)
    return Workspace(client, CSRF_META.search(page).group(1))
