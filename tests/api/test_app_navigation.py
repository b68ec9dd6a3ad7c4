"""One navigation for the roles a person has, and a refused page that says how to get in."""
from __future__ import annotations

import re

import pytest

from plugin.access.role_mappings import Role
from plugin.app import create_app
from plugin.settings import Settings
from tests.api.admin_fixtures import (  # noqa: F401  (fixtures)
    ACME,
    acme_org,
    admin_app,
    admin_of,
    sign_in,
    store,
)
from tests.api.test_demo_identity import REMOTE, pick

SWITCHER = re.compile(r'data-testid="app-(\w+)"')


def areas(page: str) -> list[str]:
    return SWITCHER.findall(page)


@pytest.mark.parametrize(("role", "page", "expected"), [
    ("enablement", "/workspace/modules", ["demo", "workspace"]),
    ("admin", "/workspace/modules", ["demo", "workspace", "admin"]),
    ("admin", "/admin/orgs", ["demo", "workspace", "admin"]),
])
def test_the_shell_links_every_area_of_the_persons_roles_and_no_other(fresh_app, role, page,
                                                                      expected):
    client = fresh_app.test_client()
    pick(client, role)
    shown = client.get(page).get_data(as_text=True)
    assert areas(shown) == expected
    assert 'data-testid="view-as"' in shown


def test_the_demo_header_offers_view_as_rep_lead_and_admin_and_the_persons_areas(fresh_app,
                                                                               demo_opportunities):
    client = fresh_app.test_client()
    record = f"/demo/{demo_opportunities[0].opportunity_id}"
    page = client.get(record).get_data(as_text=True)
    for role in ("rep", "enablement", "admin"):
        assert f'data-testid="view-as-{role}"' in page
    assert areas(page) == ["workspace"]  # the lead everyone starts as
    pick(client, "admin")
    assert areas(client.get(record).get_data(as_text=True)) == ["workspace", "admin"]
    pick(client, "rep")
    assert areas(client.get(record).get_data(as_text=True)) == []


def test_a_rep_refused_the_admin_console_in_the_demo_is_offered_view_as(fresh_app):
    client = fresh_app.test_client()
    pick(client, "rep")
    refused = client.get("/admin/orgs")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403
    assert "signed in as a rep" in page
    assert 'href="/demo/identity?next=%2Fadmin%2Forgs"' in page


def test_from_another_machine_the_demo_offers_no_picker(fresh_app, demo_opportunities):
    client = fresh_app.test_client()
    page = client.get(f"/demo/{demo_opportunities[0].opportunity_id}", environ_base=REMOTE)
    assert 'data-testid="demo-roles"' not in page.get_data(as_text=True)


@pytest.fixture
def live_app(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'live.sqlite3'}"))
    yield app
    app.extensions["be_inspired"].engine.dispose()


@pytest.mark.parametrize("path", ["/admin/", "/workspace/modules"])
def test_outside_the_demo_a_refused_page_says_how_to_sign_in_and_whom_to_ask(live_app, path):
    refused = live_app.test_client().get(path)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 401
    assert 'data-testid="sign-in-form"' in page and 'action="/auth/login"' in page
    assert f'name="next" value="{path}"' in page
    assert "Ask an admin of your org" in page and "Roles" in page
    assert "/demo/identity" not in page


def test_a_signed_in_rep_refused_the_console_is_told_whom_to_ask_and_how_to_sign_in_again(
    admin_app, store, sign_in
):
    store.save(acme_org())
    sign_in(admin_of(ACME, Role.REP))
    refused = admin_app.test_client().get("/admin/orgs")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403
    assert "signed in as a rep" in page and "Ada (rep) (role: rep)" in page
    assert f'href="/auth/login?org={ACME}&amp;next=%2Fadmin%2Forgs"' in page
    assert "Ask an admin of your org" in page and "the admin role" in page
    assert "/demo/identity" not in page and 'data-testid="sign-in-form"' not in page
