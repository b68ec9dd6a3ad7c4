"""The demo's identity picker: rep, enablement lead or admin, in demo mode and from this machine
only."""
from __future__ import annotations

import re

import pytest

from plugin.app import create_app
from plugin.settings import Settings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
REMOTE = {"REMOTE_ADDR": "203.0.113.7"}


def pick(client, role: str, **kwargs):
    page = client.get("/demo/identity", **kwargs)
    assert page.status_code == 200
    token = CSRF.search(page.get_data(as_text=True)).group(1)
    return client.post("/demo/identity", data={"role": role, "csrf_token": token}, **kwargs)


def test_the_demo_starts_as_the_enablement_lead(fresh_app):
    client = fresh_app.test_client()
    assert client.get("/workspace/modules").status_code == 200
    assert 'value="enablement" checked' in client.get("/demo/identity").get_data(as_text=True)


@pytest.mark.parametrize(("role", "workspace", "tokens", "lands_on"), [
    ("rep", 403, 403, "/demo/"),
    ("enablement", 200, 403, "/workspace/"),
    ("admin", 200, 200, "/workspace/"),
])
def test_the_picked_role_is_who_the_demo_user_is(fresh_app, role, workspace, tokens, lands_on):
    client = fresh_app.test_client()
    picked = pick(client, role)
    assert picked.status_code == 303 and picked.headers["Location"] == lands_on
    assert client.get("/workspace/modules").status_code == workspace
    assert client.get("/api/v1/tokens").status_code == tokens


def test_picking_needs_the_csrf_token_and_a_real_role(fresh_app):
    client = fresh_app.test_client()
    assert client.post("/demo/identity", data={"role": "admin"}).status_code == 400
    assert pick(client, "owner").status_code == 400
    assert client.get("/api/v1/tokens").status_code == 403


def test_from_another_machine_the_picker_does_not_exist_and_the_role_cannot_be_raised(fresh_app):
    client = fresh_app.test_client()
    pick(client, "admin")  # picked locally; the signed cookie now says admin
    token = CSRF.search(client.get("/demo/identity").get_data(as_text=True)).group(1)
    assert client.get("/demo/identity", environ_base=REMOTE).status_code == 404
    sent = client.post("/demo/identity", data={"role": "admin", "csrf_token": token}, environ_base=REMOTE)
    assert sent.status_code == 404
    assert client.get("/api/v1/tokens", environ_base=REMOTE).status_code == 403  # the same cookie, remote


def test_through_a_proxy_the_picker_does_not_exist(fresh_app):
    client = fresh_app.test_client()
    assert client.get("/demo/identity", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 404
    assert client.get("/demo/identity", headers={"Forwarded": "for=203.0.113.7"}).status_code == 404


def test_a_demo_served_beyond_this_machine_has_no_picker(tmp_path):
    settings = Settings(demo_mode=True, host="0.0.0.0", database_url=f"sqlite:///{tmp_path / 'd.sqlite3'}")
    assert create_app(settings).test_client().get("/demo/identity").status_code == 404


def test_outside_demo_mode_there_is_no_picker(tmp_path):
    settings = Settings(demo_mode=False, database_url=f"sqlite:///{tmp_path / 'p.sqlite3'}", app_secret="s" * 40)
    client = create_app(settings).test_client()
    assert client.get("/demo/identity").status_code == 404
    assert client.get("/workspace/modules").status_code == 401


@pytest.mark.parametrize(("identity", "viewer"), [
    ("manager", "0055e00000DANAWAA5"), ("partner_rep", "0055e00000JAMIOAA5"),
    ("rep", "0055e00000DEMOLAA5"), ("channel_manager", "0055e00000MARCBAA5"),
])
def test_the_picked_person_is_who_the_demo_user_is(fresh_app, identity, viewer):
    from plugin.web import identity as who

    client = fresh_app.test_client()
    pick(client, identity)
    with fresh_app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        from flask import session
        session[who.DEMO_ROLE_KEY] = identity
        assert who.demo_user().user_id == viewer


def test_a_manager_sees_the_workspace_analytics_and_nothing_to_edit(fresh_app):
    client = fresh_app.test_client()
    picked = pick(client, "manager")
    assert picked.headers["Location"] == "/workspace/"
    assert client.get("/workspace/").headers["Location"].endswith("/workspace/analytics")
    page = client.get("/workspace/analytics")
    assert page.status_code == 200 and 'href="/workspace/modules"' not in page.get_data(as_text=True)
    assert client.get("/workspace/modules").status_code == 403
    assert client.get("/api/v1/analytics/modules").status_code == 200
    assert client.get("/api/v1/tokens").status_code == 403
    assert client.get("/admin/").status_code == 403


def test_the_picker_offers_the_manager_and_the_partner_rep_with_their_people(fresh_app):
    page = fresh_app.test_client().get("/demo/identity").get_data(as_text=True)
    assert 'value="manager"' in page and "Dana Whitfield" in page
    assert 'value="partner_rep"' in page and "Jamie Ortiz" in page


def test_the_picker_offers_the_channel_manager_with_his_person(fresh_app):
    page = fresh_app.test_client().get("/demo/identity").get_data(as_text=True)
    assert 'value="channel_manager"' in page and "Marcus Bell" in page
