"""Personal API tokens: made once, stored hashed, scoped to an org and a role, revocable; how
automation uses them, and how they differ from the panel's app tokens."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from content_catalog.database import session_factory
from content_catalog.tables.access_tables import ApiTokenRow
from content_catalog.repository import ensure_org
from plugin.access.api_tokens import ApiTokens, InvalidTokenRequest, looks_like_api_token
from plugin.access.role_mappings import Role
from plugin.access.user_sessions import token_hash
from tests.api.editor_fixtures import module_payload
from tests.plugin.access.access_fixtures import OTHER_ORG, api_token, bearer, make_app, person, signed_in
from tests.plugin.crm.salesforce.sf_fakes import ORG_ID, VIEWER_ID

TOKENS = "/api/v1/tokens"
MODULES = "/api/v1/modules"


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


# -- the store -----------------------------------------------------------------------------------
@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def tokens(engine, clock) -> ApiTokens:
    sessions = session_factory(engine)
    with sessions.begin() as s:
        ensure_org(s, ORG_ID, "Acme")
        ensure_org(s, OTHER_ORG, "Globex")
    return ApiTokens(sessions, clock=clock)


def test_a_new_token_is_bip_and_256_random_bits_and_only_its_hash_is_stored(tokens, engine):
    issued = tokens.create(ORG_ID, "nightly import", Role.ENABLEMENT, created_by="Priya")
    assert issued.secret.startswith("bip_") and len(issued.secret) == 47
    assert issued.token.prefix == issued.secret[:12] and issued.secret not in repr(issued)
    with session_factory(engine)() as s:
        row = s.scalars(select(ApiTokenRow)).one()
    assert row.token_hash == token_hash(issued.secret) and issued.secret not in (row.prefix, row.name)


def test_the_secret_authenticates_as_the_token_with_its_org_and_role(tokens):
    issued = tokens.create(ORG_ID, "ci", Role.ENABLEMENT, created_by="Priya")
    found = tokens.authenticate(issued.secret)
    assert found.id == issued.token.id and found.org_id == ORG_ID and found.role is Role.ENABLEMENT
    user = found.as_user()
    assert user.role is Role.ENABLEMENT and "ci" in user.name and issued.token.prefix in user.name


@pytest.mark.parametrize("secret", [None, "", "bip_", "bip_short", "not-bip-at-all", "bip_" + "A" * 43])
def test_anything_else_authenticates_nobody(tokens, secret):
    tokens.create(ORG_ID, "ci", Role.ADMIN, created_by="Priya")
    assert tokens.authenticate(secret) is None


def test_a_revoked_token_stops_working_at_once(tokens):
    issued = tokens.create(ORG_ID, "ci", Role.ENABLEMENT, created_by="Priya")
    revoked = tokens.revoke(ORG_ID, issued.token.id)
    assert revoked.revoked_at is not None
    assert tokens.authenticate(issued.secret) is None


@pytest.mark.parametrize("token_id", [0, -1, 2**31, 5915086148861605718302898227553239040])
def test_an_id_no_token_can_have_is_not_found_on_every_backend(tokens, token_id):
    assert tokens.revoke(ORG_ID, token_id) is None  # not an overflow error from the database


def test_another_orgs_token_cannot_be_revoked_and_is_not_listed(tokens):
    theirs = tokens.create(OTHER_ORG, "theirs", Role.ADMIN, created_by="Globex admin")
    assert tokens.revoke(ORG_ID, theirs.token.id) is None
    assert tokens.list(ORG_ID) == []
    assert tokens.authenticate(theirs.secret) is not None


def test_a_token_expires_when_it_says(tokens, clock):
    issued = tokens.create(ORG_ID, "ci", Role.ENABLEMENT, created_by="Priya",
                           expires_at=clock.now + timedelta(days=1))
    clock.now += timedelta(hours=23)
    assert tokens.authenticate(issued.secret) is not None
    clock.now += timedelta(hours=1)
    assert tokens.authenticate(issued.secret) is None


def test_last_used_is_written_cheaply_every_few_minutes_not_every_call(tokens, clock):
    issued = tokens.create(ORG_ID, "ci", Role.ENABLEMENT, created_by="Priya")
    first = clock.now
    tokens.authenticate(issued.secret)
    clock.now += timedelta(minutes=2)
    tokens.authenticate(issued.secret)
    assert tokens.list(ORG_ID)[0].last_used_at == first
    clock.now += timedelta(minutes=4)
    tokens.authenticate(issued.secret)
    assert tokens.list(ORG_ID)[0].last_used_at == clock.now


@pytest.mark.parametrize(("name", "expires_in", "field"), [
    ("", None, "name"), ("x" * 101, None, "name"), ("tab\there", None, "name"), ("ok", -1, "expires_at"),
])
def test_a_token_needs_a_name_and_a_future_expiry(tokens, clock, name, expires_in, field):
    expires_at = clock.now + timedelta(days=expires_in) if expires_in else None
    with pytest.raises(InvalidTokenRequest) as raised:
        tokens.create(ORG_ID, name, Role.REP, created_by="Priya", expires_at=expires_at)
    assert raised.value.field == field


def test_panel_app_tokens_never_look_like_api_tokens(tmp_path):
    app = make_app(tmp_path / "t.sqlite3")
    panel_token = app.extensions["be_inspired"].app_tokens.issue(ORG_ID, VIEWER_ID, None)
    assert not looks_like_api_token(panel_token)


# -- the JSON API (admins) -----------------------------------------------------------------------
@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path / "tokens.sqlite3")
    yield app
    app.extensions["be_inspired"].engine.dispose()


def test_an_admin_creates_a_token_whose_secret_is_shown_once(app):
    admin = signed_in(app, person(Role.ADMIN))
    created = admin.send("POST", TOKENS, json={"name": "nightly import", "role": "enablement"})
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    body = created.get_json()
    assert body["secret"].startswith("bip_") and body["token"]["role"] == "enablement"
    assert body["token"]["created_by"] == "Acme admin" and body["token"]["active"] is True
    listed = admin.client.get(TOKENS).get_json()["items"]
    assert [t["id"] for t in listed] == [body["token"]["id"]]
    assert body["secret"] not in admin.client.get(TOKENS).get_data(as_text=True)
    assert listed[0]["prefix"] == body["secret"][:12]


def test_an_admin_revokes_a_token_and_it_stops_working(app):
    admin = signed_in(app, person(Role.ADMIN))
    secret = admin.send("POST", TOKENS, json={"name": "ci", "role": "enablement"}).get_json()["secret"]
    token_id = admin.client.get(TOKENS).get_json()["items"][0]["id"]
    assert app.test_client().get(MODULES, headers=bearer(secret)).status_code == 200
    revoked = admin.send("POST", f"{TOKENS}/{token_id}/revoke")
    assert revoked.status_code == 200 and revoked.get_json()["active"] is False
    refused = app.test_client().get(MODULES, headers=bearer(secret))
    assert refused.status_code == 401 and refused.get_json()["error"]["reason"] == "invalid_api_token"


def test_another_orgs_admin_cannot_see_or_revoke_our_tokens(app):
    ours = signed_in(app, person(Role.ADMIN))
    ours.send("POST", TOKENS, json={"name": "ci", "role": "enablement"})
    token_id = ours.client.get(TOKENS).get_json()["items"][0]["id"]
    theirs = signed_in(app, person(Role.ADMIN, org_id=OTHER_ORG))
    assert theirs.client.get(TOKENS).get_json()["items"] == []
    assert theirs.send("POST", f"{TOKENS}/{token_id}/revoke").status_code == 404
    assert ours.client.get(TOKENS).get_json()["items"][0]["active"] is True


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "ci", "role": "owner"}, "role"),
    ({"name": "", "role": "rep"}, "name"),
    ({"role": "rep"}, "name"),
    ({"name": "ci", "role": "rep", "expires_at": "next week"}, "expires_at"),
    ({"name": "ci", "role": "rep", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
])
def test_invalid_token_requests_are_refused_naming_the_field(app, body, field):
    response = signed_in(app, person(Role.ADMIN)).send("POST", TOKENS, json=body)
    assert response.status_code == 400
    assert [f["field"] for f in response.get_json()["error"]["fields"]] == [field]


def test_token_management_is_for_admins_only(app):
    for role in (Role.REP, Role.ENABLEMENT):
        browser = signed_in(app, person(role))
        assert browser.client.get(TOKENS).status_code == 403
    enablement_token = api_token(app, Role.ENABLEMENT)
    assert app.test_client().get(TOKENS, headers=bearer(enablement_token)).status_code == 403
    assert app.test_client().get(TOKENS).status_code == 401


def test_creating_a_token_from_a_browser_session_needs_the_csrf_token(app):
    admin = signed_in(app, person(Role.ADMIN))
    response = admin.client.post(TOKENS, json={"name": "ci", "role": "rep"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"


# -- using a token ---------------------------------------------------------------------------------
def test_an_enablement_token_uses_the_modules_api_without_csrf(app):
    headers = bearer(api_token(app, Role.ENABLEMENT, name="catalog import"))
    client = app.test_client()
    created = client.post(MODULES, json=module_payload("from-ci"), headers=headers)
    assert created.status_code == 201, created.get_json()
    assert client.get(f"{MODULES}/from-ci", headers=headers).get_json()["status"] == "draft"
    audit = client.get("/api/v1/audit", headers=headers).get_json()["entries"]
    assert "API token catalog import" in audit[0]["actor"]


def test_a_rep_token_reads_published_modules_but_cannot_write(app):
    writer = bearer(api_token(app, Role.ENABLEMENT))
    client = app.test_client()
    client.post(MODULES, json=module_payload("draft-one"), headers=writer)
    client.post(MODULES, json=module_payload("live-one", status="published"), headers=writer)
    rep = bearer(api_token(app, Role.REP))
    assert client.get(f"{MODULES}/live-one", headers=rep).status_code == 200
    assert client.get(f"{MODULES}/draft-one", headers=rep).status_code == 404
    assert client.post(MODULES, json=module_payload("sneaky"), headers=rep).status_code == 403


def test_a_token_acts_in_its_own_org_only(app):
    client = app.test_client()
    client.post(MODULES, json=module_payload("acme-only"), headers=bearer(api_token(app, Role.ENABLEMENT)))
    globex = bearer(api_token(app, Role.ENABLEMENT, org_id=OTHER_ORG))
    assert client.get(f"{MODULES}/acme-only", headers=globex).status_code == 404
    assert client.get(MODULES, headers=globex).get_json()["total"] == 0


def test_the_panels_app_token_is_still_refused_by_the_workspace_api(app):
    panel_token = app.extensions["be_inspired"].app_tokens.issue(ORG_ID, VIEWER_ID, None)
    response = app.test_client().post(MODULES, json=module_payload(), headers=bearer(panel_token))
    assert response.status_code == 403 and response.get_json()["error"]["reason"] == "app_token_read_only"
    assert app.test_client().get(TOKENS, headers=bearer(panel_token)).status_code == 401


def test_a_bearer_header_is_judged_alone_never_with_the_session_cookie(app):
    """CSRF checks skip Bearer requests, so a bad token must not fall back to the cookie."""
    admin = signed_in(app, person(Role.ADMIN))
    forged = admin.client.post(TOKENS, json={"name": "x", "role": "admin"}, headers=bearer("bip_" + "A" * 43))
    assert forged.status_code == 401
    assert admin.client.get(TOKENS).get_json()["items"] == []


def test_a_token_of_an_org_no_longer_served_stops_working(app):
    secret = api_token(app, Role.ENABLEMENT)
    svc = app.extensions["be_inspired"]
    from plugin.orgs.connections import OrgConnections, SecretBox

    OrgConnections(svc.sessions, SecretBox(svc.settings.encryption_key_list)).remove(ORG_ID)
    assert app.test_client().get(MODULES, headers=bearer(secret)).status_code == 401


# -- the command line ------------------------------------------------------------------------------
def test_cli_creates_lists_and_revokes_tokens(app, monkeypatch):
    from plugin.cli import main

    svc = app.extensions["be_inspired"]
    monkeypatch.setenv("DATABASE_URL", svc.settings.database_url)
    monkeypatch.setenv("BEINSPIRED_ENCRYPTION_KEYS", svc.settings.encryption_keys)
    runner = CliRunner()
    created = runner.invoke(main, ["token", "create", "--org", ORG_ID, "--name", "nightly import"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("bip_")
    assert app.test_client().get(MODULES, headers=bearer(secret)).status_code == 200
    listed = runner.invoke(main, ["token", "list", "--org", ORG_ID])
    assert "nightly import" in listed.output and "active" in listed.output and secret not in listed.output
    token_id = listed.output.split()[0]
    assert runner.invoke(main, ["token", "revoke", "--org", ORG_ID, token_id]).exit_code == 0
    assert app.test_client().get(MODULES, headers=bearer(secret)).status_code == 401
    assert "revoked" in runner.invoke(main, ["token", "list", "--org", ORG_ID]).output


def test_cli_refuses_an_org_that_is_not_served(app, monkeypatch):
    from plugin.cli import main

    monkeypatch.setenv("DATABASE_URL", app.extensions["be_inspired"].settings.database_url)
    result = CliRunner().invoke(main, ["token", "create", "--org", "00D5e000000NoPeEAA"[:15], "--name", "x"])
    assert result.exit_code != 0 and "is configured" in result.output and "no org" in result.output
