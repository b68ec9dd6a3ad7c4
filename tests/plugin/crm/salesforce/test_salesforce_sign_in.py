"""Sign in with Salesforce: the OAuth 2.0 web-server flow with PKCE, against a fake Salesforce
(``responses``) answering its token, userinfo and query endpoints in their documented shapes."""
from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
import responses
from sqlalchemy import update

from content_catalog.tables.access_tables import UserSessionRow
from plugin.access.role_mappings import Role, RoleMappings, parse_role_mapping
from tests.plugin.access.access_fixtures import (
    COOKIE, CONSUMER_KEY, OTHER_ORG, make_app, person, signed_in,
)
from tests.plugin.crm.salesforce.sf_fakes import CANVAS_SECRET, INSTANCE, ORG_ID, VIEWER_ID, load_json

AUTHORIZE_URL = f"{INSTANCE}/services/oauth2/authorize"
TOKEN_URL = f"{INSTANCE}/services/oauth2/token"
USERINFO_URL = f"{INSTANCE}/services/oauth2/userinfo"
QUERY_URL = f"{INSTANCE}/services/data/v59.0/query/"
PROFILE_ID = "00e5e000000SaLeAAK"


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path / "sign-in.sqlite3")
    yield app
    app.extensions["be_inspired"].engine.dispose()


@pytest.fixture
def salesforce():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        yield fake


def id_token(nonce: str, audience: str = CONSUMER_KEY) -> str:
    now = int(time.time())
    claims = {"iss": "https://login.salesforce.com", "sub": load_json("userinfo.json")["sub"], "aud": audience,
              "exp": now + 300, "iat": now, "nonce": nonce}
    return jwt.encode(claims, "salesforce-signs-this-with-its-own-rsa-key!", algorithm="HS256")


def answer(salesforce, *, nonce: str | None, userinfo: dict | None = None, token_status: int = 200,
           token_body: dict | None = None, profile_status: int = 200) -> None:
    token = load_json("oauth_web_server_token.json")
    token["id_token"] = id_token(nonce) if nonce else None
    salesforce.add(responses.POST, TOKEN_URL, json=token_body or token, status=token_status)
    salesforce.add(responses.GET, USERINFO_URL, json=userinfo or load_json("userinfo.json"))
    profile = {"totalSize": 1, "done": True, "records": [
        {"attributes": {"type": "User", "url": f"/services/data/v59.0/sobjects/User/{VIEWER_ID}"}, "ProfileId": PROFILE_ID}]}
    salesforce.add(responses.GET, QUERY_URL, json=profile if profile_status == 200 else load_json("error_invalid_session.json"),
                   status=profile_status)


def start(client, org: str = ORG_ID, next_path: str | None = None) -> dict[str, str]:
    """GET /auth/login; the authorize request's parameters."""
    response = client.get("/auth/login", query_string={"org": org, **({"next": next_path} if next_path else {})})
    assert response.status_code == 302, response.get_data(as_text=True)
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == AUTHORIZE_URL
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def sign_in(client, salesforce, **answers):
    params = start(client)
    answer(salesforce, nonce=params["nonce"], **answers)
    return client.get("/auth/callback", query_string={"code": "aPrxSignedInCode==", "state": params["state"]}), params


def token_request(salesforce) -> dict[str, str]:
    calls = [c for c in salesforce.calls if c.request.url == TOKEN_URL]
    assert len(calls) == 1
    return {k: v[0] for k, v in parse_qs(calls[0].request.body).items()}


# -- the flow --------------------------------------------------------------------------------------
def test_login_sends_the_browser_to_the_orgs_authorize_page_with_state_pkce_and_nonce(app):
    params = start(app.test_client())
    assert params["response_type"] == "code" and params["client_id"] == CONSUMER_KEY
    assert params["redirect_uri"] == "http://localhost/auth/callback"
    assert params["scope"] == "openid api" and params["code_challenge_method"] == "S256"
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32 and len(params["code_challenge"]) == 43


def test_callback_signs_in_with_a_secure_httponly_lax_session_cookie(app, salesforce):
    client = app.test_client()
    response, _ = sign_in(client, salesforce)
    assert response.status_code == 303 and response.headers["Location"] == "/workspace/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "Secure" in cookie and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Path=/" in cookie
    assert client.get("/workspace/modules").status_code == 403  # signed in, but a rep


def test_token_exchange_sends_the_code_the_pkce_verifier_and_the_client_credentials(app, salesforce):
    _, params = sign_in(app.test_client(), salesforce)
    sent = token_request(salesforce)
    assert sent["grant_type"] == "authorization_code" and sent["code"] == "aPrxSignedInCode=="
    assert sent["client_id"] == CONSUMER_KEY and sent["client_secret"] == CANVAS_SECRET
    assert sent["redirect_uri"] == "http://localhost/auth/callback"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(sent["code_verifier"].encode()).digest()).rstrip(b"=").decode()
    assert challenge == params["code_challenge"]
    userinfo = next(c for c in salesforce.calls if c.request.url == USERINFO_URL)
    assert userinfo.request.headers["Authorization"] == f"Bearer {load_json('oauth_web_server_token.json')['access_token']}"


def test_the_role_comes_from_the_mapping_of_the_profile_read_with_the_persons_token(app, salesforce):
    svc = app.extensions["be_inspired"]
    with svc.sessions.begin() as session:
        RoleMappings(session, ORG_ID).put(parse_role_mapping("profile", PROFILE_ID, "enablement"))
    client = app.test_client()
    sign_in(client, salesforce)
    page = client.get("/workspace/modules")
    assert page.status_code == 200 and "Priya Raman" in page.get_data(as_text=True)
    query = next(c for c in salesforce.calls if c.request.url.startswith(QUERY_URL))
    assert "ProfileId" in query.request.url and VIEWER_ID in query.request.url


def test_a_user_mapping_beats_the_profile_and_a_failed_profile_lookup_grants_nothing(app, salesforce):
    svc = app.extensions["be_inspired"]
    with svc.sessions.begin() as session:
        RoleMappings(session, ORG_ID).put(parse_role_mapping("profile", PROFILE_ID, "admin"))
    client = app.test_client()
    sign_in(client, salesforce, profile_status=401)  # the profile cannot be read: no profile role
    assert client.get("/workspace/modules").status_code == 403
    with svc.sessions.begin() as session:
        RoleMappings(session, ORG_ID).put(parse_role_mapping("user", VIEWER_ID, "enablement"))
    again = app.test_client()
    sign_in(again, salesforce)
    assert again.get("/workspace/modules").status_code == 200
    assert again.get("/api/v1/tokens").status_code == 403  # enablement, not the profile's admin


def test_after_sign_in_the_browser_returns_to_where_it_was_going_on_this_site_only(app, salesforce):
    client = app.test_client()
    params = start(client, next_path="/workspace/coverage?industry=Healthcare")
    answer(salesforce, nonce=params["nonce"])
    back = client.get("/auth/callback", query_string={"code": "c", "state": params["state"]})
    assert back.headers["Location"] == "/workspace/coverage?industry=Healthcare"
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        params = start(client, next_path=elsewhere)
        assert params  # the login itself goes ahead
        answer(salesforce, nonce=params["nonce"])
        back = client.get("/auth/callback", query_string={"code": "c", "state": params["state"]})
        assert back.headers["Location"] == "/workspace/", elsewhere


# -- refusals ----------------------------------------------------------------------------------------
def no_session(client) -> bool:
    return (client.get("/workspace/modules").status_code == 401
            and client.get_cookie(COOKIE) is None)


def test_a_state_that_does_not_match_is_refused_before_any_token_exchange(app, salesforce):
    client = app.test_client()
    params = start(client)
    answer(salesforce, nonce=params["nonce"])
    state = params["state"]
    other = state[:-1] + ("y" if state.endswith("x") else "x")  # always a different state
    response = client.get("/auth/callback", query_string={"code": "c", "state": other})
    assert response.status_code == 400 and not salesforce.calls
    assert no_session(client)


def test_a_callback_nobody_started_here_is_refused(app, salesforce):
    response = app.test_client().get("/auth/callback", query_string={"code": "c", "state": "s" * 43})
    assert response.status_code == 400 and not salesforce.calls


def test_a_callback_works_once(app, salesforce):
    client = app.test_client()
    first, params = sign_in(client, salesforce)
    assert first.status_code == 303
    replay = client.get("/auth/callback", query_string={"code": "aPrxSignedInCode==", "state": params["state"]})
    assert replay.status_code == 400 and len([c for c in salesforce.calls if c.request.url == TOKEN_URL]) == 1


def test_access_denied_is_refused_without_exchanging_anything(app, salesforce):
    client = app.test_client()
    params = start(client)
    response = client.get("/auth/callback", query_string={
        "error": "access_denied", "error_description": "end-user denied authorization", "state": params["state"]})
    assert response.status_code == 401 and "denied" in response.get_data(as_text=True)
    assert "end-user denied" not in response.get_data(as_text=True)  # only our own words
    assert not salesforce.calls and no_session(client)


def test_a_user_of_another_org_is_refused(app, salesforce):
    userinfo = {**load_json("userinfo.json"), "organization_id": OTHER_ORG}
    client = app.test_client()
    response, _ = sign_in(client, salesforce, userinfo=userinfo)
    assert response.status_code == 403 and "another Salesforce org" in response.get_data(as_text=True)
    assert no_session(client)


def test_an_id_token_for_another_sign_in_is_refused(app, salesforce):
    client = app.test_client()
    params = start(client)
    answer(salesforce, nonce="not-the-nonce-this-sign-in-sent")
    response = client.get("/auth/callback", query_string={"code": "c", "state": params["state"]})
    assert response.status_code == 400 and no_session(client)


def test_an_id_token_for_another_app_is_refused(app, salesforce):
    client = app.test_client()
    params = start(client)
    token = {**load_json("oauth_web_server_token.json"), "id_token": id_token(params["nonce"], audience="3MVG9Other")}
    answer(salesforce, nonce=None, token_body=token)
    response = client.get("/auth/callback", query_string={"code": "c", "state": params["state"]})
    assert response.status_code == 400 and no_session(client)


def test_a_refused_code_exchange_signs_nobody_in(app, salesforce):
    client = app.test_client()
    params = start(client)
    answer(salesforce, nonce=None, token_status=400, token_body=load_json("oauth_access_denied.json"))
    response = client.get("/auth/callback", query_string={"code": "c", "state": params["state"]})
    assert response.status_code == 401 and no_session(client)


def test_salesforce_unreachable_is_a_502_page_not_a_stack_trace(app, salesforce):
    client = app.test_client()
    params = start(client)
    salesforce.add(responses.POST, TOKEN_URL, body=requests.ConnectionError("down"))
    response = client.get("/auth/callback", query_string={"code": "c", "state": params["state"]})
    assert response.status_code == 502 and "could not be reached" in response.get_data(as_text=True)


@pytest.mark.parametrize(("org", "status"), [
    ("", 400), ("006000000000001", 400), ("00D5e000000NoPe", 404),
    (OTHER_ORG, 404),  # configured, but with no consumer key: no sign-in there
])
def test_login_for_an_org_that_cannot_sign_in_here_is_refused(app, org, status):
    assert app.test_client().get("/auth/login", query_string={"org": org}).status_code == status


# -- the session afterwards ----------------------------------------------------------------------------
def enablement_lead_signed_in(app, salesforce):
    svc = app.extensions["be_inspired"]
    with svc.sessions.begin() as session:
        RoleMappings(session, ORG_ID).put(parse_role_mapping("user", VIEWER_ID, "enablement"))
    client = app.test_client()
    sign_in(client, salesforce)
    assert client.get("/workspace/modules").status_code == 200
    return client


def age_sessions(app, **columns) -> None:
    svc = app.extensions["be_inspired"]
    with svc.sessions.begin() as session:
        session.execute(update(UserSessionRow).values(**columns))


def test_a_session_unused_for_the_idle_limit_is_over(app, salesforce):
    client = enablement_lead_signed_in(app, salesforce)
    age_sessions(app, last_seen=datetime.now(timezone.utc) - timedelta(seconds=3601))
    assert client.get("/workspace/modules").status_code == 401


def test_a_session_past_its_absolute_lifetime_is_over(app, salesforce):
    client = enablement_lead_signed_in(app, salesforce)
    age_sessions(app, expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    assert client.get("/workspace/modules").status_code == 401


def test_lifetimes_come_from_the_settings(tmp_path, salesforce):
    app = make_app(tmp_path / "short.sqlite3", session_max_seconds=600, session_idle_seconds=120)
    client = enablement_lead_signed_in(app, salesforce)
    svc = app.extensions["be_inspired"]
    with svc.sessions() as session:
        row = session.query(UserSessionRow).one()
        assert (row.expires_at - row.created_at).total_seconds() == 600
    age_sessions(app, last_seen=datetime.now(timezone.utc) - timedelta(seconds=121))
    assert client.get("/workspace/modules").status_code == 401


def test_logout_ends_the_session_and_deletes_the_cookie(app):
    browser = signed_in(app, person(Role.ENABLEMENT))
    token = browser.client.get_cookie(COOKIE).value
    response = browser.send("POST", "/auth/logout")
    assert response.status_code == 200 and "signed out" in response.get_data(as_text=True)
    assert f"{COOKIE}=;" in response.headers["Set-Cookie"]
    assert browser.client.get("/workspace/modules").status_code == 401
    stolen = app.test_client()
    stolen.set_cookie(COOKIE, token)  # a copy of the old cookie opens nothing either
    assert stolen.get("/workspace/modules").status_code == 401


def test_logout_needs_the_csrf_token(app):
    browser = signed_in(app, person(Role.ENABLEMENT))
    assert browser.client.post("/auth/logout").status_code == 400
    assert browser.client.get("/workspace/modules").status_code == 200


def test_a_session_of_an_org_no_longer_served_opens_nothing(app):
    from plugin.orgs.connections import OrgConnections, SecretBox

    browser = signed_in(app, person(Role.ENABLEMENT))
    svc = app.extensions["be_inspired"]
    OrgConnections(svc.sessions, SecretBox(svc.settings.encryption_key_list)).remove(ORG_ID)
    assert browser.client.get("/workspace/modules").status_code == 401


def test_the_callback_url_follows_the_public_url_setting(tmp_path):
    app = make_app(tmp_path / "public.sqlite3", public_url="https://be-inspired.example.com/")
    params = start(app.test_client())
    assert params["redirect_uri"] == "https://be-inspired.example.com/auth/callback"


def test_the_consumer_key_survives_storage_and_a_canvas_org_without_one_has_no_sign_in(app):
    orgs = app.extensions["be_inspired"].orgs.current().orgs
    assert orgs[ORG_ID].consumer_key == CONSUMER_KEY and orgs[OTHER_ORG].consumer_key is None
    json.dumps(orgs[ORG_ID].consumer_key)  # plain text setting, not a secret


# -- issue 13, defect 13: the org's CA certificates, whatever REQUESTS_CA_BUNDLE says -------------
def test_sign_in_trusts_the_orgs_certificates_even_with_requests_ca_bundle_set(
        app, salesforce, monkeypatch, tmp_path):
    from plugin.crm.salesforce.config import OrgConnection
    from plugin.orgs.connections import ConfiguredOrg
    from tests.plugin.crm.salesforce.sf_fakes import ca_pem

    svc = app.extensions["be_inspired"]
    svc.org_connections().save(ConfiguredOrg("Acme Corp", OrgConnection(
        org_id=ORG_ID, instance_url=INSTANCE, canvas_secret=CANVAS_SECRET, ca_bundle=ca_pem()),
        consumer_key=CONSUMER_KEY))
    environment_bundle = tmp_path / "environment-ca.pem"
    environment_bundle.write_text(ca_pem())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(environment_bundle))

    response, _ = sign_in(app.test_client(), salesforce)

    assert response.status_code == 303
    for url in (TOKEN_URL, USERINFO_URL):
        call = next(c for c in salesforce.calls if c.request.url == url)
        verify = call.request.req_kwargs["verify"]
        assert verify != str(environment_bundle)
        with open(verify, encoding="ascii") as trusted:
            assert trusted.read() == ca_pem()
