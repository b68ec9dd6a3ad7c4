"""Org secrets are encrypted at rest, re-encrypted by key rotation, and never shown: not in the
database's plain columns, not in any log line at DEBUG (ours, requests', urllib3's,
simple-salesforce's), not in a page, a JSON answer or an error."""
from __future__ import annotations

import logging
from dataclasses import replace

import pytest
import responses
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import text

from content_catalog.taxonomy import JourneyPhase
from plugin.orgs.connections import OrgConnections, SecretBox, SecretsUnreadable
from plugin.orgs.mapping import OrgMapping
from plugin.crm.salesforce.config import PasswordCredentials
from tests.api.admin_fixtures import (  # noqa: F401  (fixtures)
    ACME,
    GLOBEX,
    GLOBEX_SECRET,
    acme_org,
    admin_app,
    admin_of,
    console,
    globex_org,
    salesforce,
    sign_in,
    store,
)
from tests.plugin.crm.salesforce.sf_fakes import CANVAS_SECRET, INSTANCE, load_json, load_text, sign_canvas
from tests.plugin.crm.salesforce.sf_org_fakes import CONSUMER_KEY, CONSUMER_SECRET

ORGS = "/api/v1/admin/orgs"
ACME_URL = f"{ORGS}/{ACME}"
PASSWORD = "pa55word-of-the-integration-user"
SECURITY_TOKEN = "t0ken-of-the-integration-user-XYZ"
NEW_CANVAS_SECRET = "a-rotated-canvas-secret-0f0f0f0f"
LOGGERS = ("", "urllib3", "requests", "simple_salesforce", "plugin", "werkzeug", "flask_wtf", "authlib")


@pytest.fixture(scope="module")
def private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def key_body(pem: str) -> str:
    """The secret part of a PEM key (its header and footer are public words)."""
    return "".join(pem.strip().splitlines()[1:-1])


@pytest.fixture
def every_log(caplog):
    """Every logger at DEBUG, kept."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def assert_nowhere(secrets: list[str], *texts: str) -> None:
    for secret in secrets:
        for chunk in _chunks(secret):
            for number, shown in enumerate(texts):
                assert chunk not in shown, f"a secret ({secret[:4]}…) shows up in text #{number}"


def _chunks(secret: str) -> list[str]:
    """The secret, and for a long one every 24-character piece of it, so that a key wrapped or
    cut differently is found too."""
    return [secret] + ([secret[i:i + 24] for i in range(0, len(secret) - 24, 12)] if len(secret) > 48 else [])


def log_text(caplog) -> str:
    return "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records) + caplog.text


def stored_rows(admin_app) -> list[tuple[str, str]]:
    with admin_app.extensions["be_inspired"].engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text("SELECT settings, secrets FROM org_connections"))]


# -- at rest --------------------------------------------------------------------------------------------
def test_the_secrets_column_holds_ciphertext_and_the_settings_no_secret(console, admin_app, private_key):
    created = console.send("POST", ORGS, json={
        "org_id": ACME, "name": "Acme", "auth_mode": "jwt_bearer", "instance_url": INSTANCE,
        "username": "integration@acme.example", "consumer_key": CONSUMER_KEY, "private_key": private_key,
        "canvas_secret": CANVAS_SECRET})
    assert created.status_code == 201, created.get_json()
    console.send("PATCH", ACME_URL, json={"timeout": 4})  # an edit keeps the secrets: still encrypted

    (settings, secrets), = stored_rows(admin_app)
    assert_nowhere([key_body(private_key), CANVAS_SECRET], settings, secrets)
    assert "integration@acme.example" in settings and CONSUMER_KEY in settings
    box = SecretBox(admin_app.extensions["be_inspired"].settings.encryption_key_list)
    assert box.open(secrets) == {"private_key": private_key.strip() + "\n", "canvas_secret": CANVAS_SECRET}


def test_rotation_reencrypts_every_org_and_keeps_everything_else(admin_app, store):
    sessions = admin_app.extensions["be_inspired"].sessions
    old_key = admin_app.extensions["be_inspired"].settings.encryption_key_list[0]
    acme = replace(acme_org(), mapping=OrgMapping(stage_phases=(("Pilot", JourneyPhase.BUYING),)))
    store.save(acme)
    store.save(globex_org())
    before = dict((s, c) for s, c in stored_rows(admin_app))
    new_key = Fernet.generate_key().decode()

    assert OrgConnections(sessions, SecretBox([new_key, old_key])).rotate() == 2

    after = dict((s, c) for s, c in stored_rows(admin_app))
    assert set(after) == set(before)  # the plain settings did not change
    assert all(after[s] != before[s] for s in before)  # every ciphertext did
    only_new = OrgConnections(sessions, SecretBox([new_key]))
    assert only_new.get(ACME) == acme and only_new.get(GLOBEX) == globex_org()
    with pytest.raises(SecretsUnreadable):
        OrgConnections(sessions, SecretBox([old_key])).get(ACME)


# -- never shown ----------------------------------------------------------------------------------------
def test_no_secret_is_logged_or_answered_through_a_whole_admin_session(console, store, salesforce, every_log,
                                                                        admin_app, private_key):
    """Connect, edit, test (passing, failing, refused), map, read stages, open every page; then
    look at every log record and every answer."""
    secrets = [CONSUMER_SECRET, CANVAS_SECRET, NEW_CANVAS_SECRET, key_body(private_key), PASSWORD, SECURITY_TOKEN]
    answers = [
        console.send("POST", ORGS, json={
            "org_id": ACME, "name": "Acme", "auth_mode": "client_credentials", "instance_url": INSTANCE,
            "consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET, "canvas_secret": CANVAS_SECRET}),
        console.send("PATCH", ACME_URL, json={"canvas_secret": NEW_CANVAS_SECRET}),
        console.send("POST", f"{ACME_URL}/test"),
        console.send("PUT", f"{ACME_URL}/fields", json={"challenge_field": "Hidden__c"}),
        console.send("POST", f"{ACME_URL}/test"),
        console.send("GET", f"{ACME_URL}/stages"),
        console.send("PATCH", ACME_URL, json={"auth_mode": "bogus", "consumer_secret": PASSWORD}),
        console.send("PATCH", ACME_URL, json={"auth_mode": "jwt_bearer", "private_key": "-----BEGIN PRIVATE KEY-----\n"
                                              + key_body(private_key)[:200] + "\n-----END PRIVATE KEY-----"}),
    ]
    salesforce.login_refused = True
    answers.append(console.send("POST", f"{ACME_URL}/test"))
    answers.append(console.form(f"/admin/orgs/{ACME}/test", {}))
    for page in ("", "/edit", "/fields", "/stages", "/frame-ancestors", "/remove"):
        answers.append(console.get(f"/admin/orgs/{ACME}{page}"))
    answers.append(console.form(f"/admin/orgs/{ACME}/edit", {
        "name": "Acme", "auth_mode": "password", "instance_url": INSTANCE, "username": "dev@acme.example",
        "password": PASSWORD, "security_token": SECURITY_TOKEN, "timeout": "many"}))

    assert answers[0].status_code == 201 and answers[2].get_json()["ok"]
    assert answers[6].status_code == 400 and answers[7].status_code == 400
    assert not answers[8].get_json()["ok"]
    assert_nowhere(secrets, log_text(every_log), *(a.get_data(as_text=True) for a in answers))
    logged = [r.getMessage() for r in every_log.records if r.name == "plugin.orgs.management"]
    assert any("connection test: Connection failed" in m for m in logged), logged  # the capture works


def test_no_secret_is_logged_when_the_integration_user_logs_in_with_a_password(console, store, every_log):
    store.save(acme_org(credentials=PasswordCredentials("dev@acme.example", PASSWORD, SECURITY_TOKEN)))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        http.add(responses.POST, f"{INSTANCE}/services/Soap/u/59.0", body=load_text("soap_login_fault.xml"), status=500)
        refused = console.send("POST", f"{ACME_URL}/test")
        http.replace(responses.POST, f"{INSTANCE}/services/Soap/u/59.0", body=load_text("soap_login_response.xml"))
        http.add(responses.GET, f"{INSTANCE}/services/data/v59.0/query/", json=load_json("organization.json"))
        http.add(responses.GET, f"{INSTANCE}/services/data/v59.0/sobjects/Opportunity/describe", status=500,
                 json=[{"errorCode": "UNKNOWN_EXCEPTION", "message": "An unexpected error occurred"}])
        failed = console.send("POST", f"{ACME_URL}/test")
        sent = [call.request.body for call in http.calls if call.request.body]
    assert "refused the login" in refused.get_json()["error"]
    assert failed.get_json()["org_name"] is None and failed.get_json()["error"]
    assert any(PASSWORD.encode() in (body if isinstance(body, bytes) else body.encode()) for body in sent)  # it was sent…
    assert_nowhere([PASSWORD, SECURITY_TOKEN, CANVAS_SECRET],  # …and never shown
                   log_text(every_log), refused.get_data(as_text=True), failed.get_data(as_text=True))


def test_no_secret_is_logged_when_the_panel_verifies_a_signed_request(admin_app, store, every_log):
    store.save(acme_org(credentials=None))
    client = admin_app.test_client()
    forged = client.post("/canvas", data={"signed_request": sign_canvas(load_json("canvas_request.json"), "wrong")})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        http.add(responses.GET, f"{INSTANCE}/services/data/v59.0/query/", json=load_json("opportunity_full.json"))
        panel = client.post("/canvas", data={"signed_request": sign_canvas(load_json("canvas_request.json"))})
    assert forged.status_code == 401 and panel.status_code == 200
    assert_nowhere([CANVAS_SECRET], log_text(every_log), forged.get_data(as_text=True), panel.get_data(as_text=True))


def test_undecryptable_secrets_are_an_error_page_that_names_no_secret(console, store, admin_app):
    other = OrgConnections(admin_app.extensions["be_inspired"].sessions, SecretBox([SecretBox.new_key()]))
    other.save(acme_org())  # written under a key the service does not hold
    page = console.get(f"/admin/orgs/{ACME}")
    api = console.get(ACME_URL)
    assert page.status_code == 500 and "do not decrypt" in page.get_data(as_text=True)
    assert api.status_code == 500 and api.get_json()["error"]["code"] == "secrets_unavailable"
    assert_nowhere([CONSUMER_SECRET, CANVAS_SECRET], page.get_data(as_text=True), api.get_data(as_text=True))


@pytest.mark.parametrize("secret, hint", [
    ("", "not set"), ("short", "set"), ("exactly-16-chars", "set ••••hars"),
    ("-----BEGIN PRIVATE KEY-----\nMIIEv…\n-----END PRIVATE KEY-----", "set"),
])  # fmt: skip
def test_a_secret_is_hinted_at_by_its_last_four_characters_at_most(secret, hint):
    from plugin.orgs.admin_input import secret_hint

    assert secret_hint(secret or None) == hint
