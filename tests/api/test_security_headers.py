"""Headers on every response: pages and JSON that carry a user's data are never stored by a
browser or proxy; HSTS whenever the request came over https."""
from __future__ import annotations

import pytest

from tests.api.editor_fixtures import (  # noqa: F401  (fixtures)
    editor_app,
    editor_database,
    workspace,
)

HSTS = "max-age=31536000; includeSubDomains"


@pytest.fixture
def admin_client(workspace):
    page = workspace.get("/demo/identity").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    workspace.client.post("/demo/identity", data={"role": "admin", "csrf_token": csrf})
    workspace.create("draft-module")
    return workspace.client


@pytest.mark.parametrize("path", [
    "/workspace/modules", "/workspace/modules/draft-module", "/workspace/coverage", "/workspace/import",
    "/api/v1/tokens", "/api/v1/role-mappings", "/api/v1/modules", "/api/v1/modules/draft-module",
    "/api/v1/audit", "/workspace/analytics", "/api/v1/modules?kind=nonsense",
])
def test_pages_and_json_with_user_data_are_not_stored(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code in (200, 400), (path, response.status_code)
    assert response.headers["Cache-Control"] == "no-store"


def test_static_assets_keep_their_revalidation_headers(admin_client):
    response = admin_client.get("/static/panel.js")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_hsts_only_over_https(admin_client):
    assert admin_client.get("/api/v1/modules", base_url="https://localhost").headers["Strict-Transport-Security"] == HSTS
    assert "Strict-Transport-Security" not in admin_client.get("/api/v1/modules").headers
