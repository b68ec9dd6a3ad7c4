"""Browser test: an enablement lead signs in with Salesforce, works, and signs out.

Salesforce's login page is played by a tiny HTTPS server on this machine (a self-signed
certificate made here; the browser context is told to accept it), standing in for the org's
instance: an org's instance URL must be https. It shows an "Allow" button that sends the browser
back to the app's callback with a code and the state it was given, as Salesforce does after a
login. The app's own calls to the token, userinfo and query endpoints of that host are answered
by ``responses`` in this process.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import ipaddress
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import responses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from playwright.sync_api import expect
from werkzeug.serving import make_server

from content_catalog.database import upgrade
from plugin.app import create_app
from plugin.orgs.connections import ConfiguredOrg, SecretBox
from plugin.access.role_mappings import RoleMappings, parse_role_mapping
from plugin.crm.salesforce.config import OrgConnection
from plugin.settings import Settings
from tests.plugin.crm.salesforce.sf_fakes import ORG_ID, VIEWER_ID, load_json

CONSUMER_KEY = "3MVG9BrowserTestConsumerKey"
CANVAS_SECRET = "browser-test-consumer-secret"


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class _LoginPage(BaseHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def do_GET(self):  # noqa: N802 - the base class's name
        url = urlsplit(self.path)
        if url.path != "/services/oauth2/authorize":
            self.send_error(404)
            return
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.server.authorize_requests.append(query)
        back = f"{query['redirect_uri']}?{urlencode({'code': 'aPrxBrowserCode', 'state': query['state']})}"
        body = (f'<!doctype html><title>Login | Salesforce (stand-in)</title><h1>Allow Be Inspired?</h1>'
                f'<a id="allow" href="{html.escape(back)}">Allow</a>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def salesforce_login(tmp_path) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LoginPage)
    server.daemon_threads = True
    server.authorize_requests = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed(tmp_path))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def signed_in_app(tmp_path, salesforce_login) -> Iterator[tuple[str, str]]:
    """The app (not demo) serving an org whose instance is the stand-in; yields (app URL, instance)."""
    instance = f"https://127.0.0.1:{salesforce_login.server_port}"
    settings = Settings(demo_mode=False, database_url=f"sqlite:///{tmp_path / 'app.sqlite3'}",
                        encryption_keys=SecretBox.new_key(), app_secret="browser-sign-in-app-secret-32-chars+",
                        allowed_crm_hosts="127.0.0.1")  # the operator allows the loopback stand-in
    app = create_app(settings)
    svc = app.extensions["be_inspired"]
    upgrade(svc.engine)
    svc.org_connections().save(ConfiguredOrg(
        "Acme Corp", OrgConnection(org_id=ORG_ID, instance_url=instance, canvas_secret=CANVAS_SECRET),
        consumer_key=CONSUMER_KEY))
    with svc.sessions.begin() as session:
        RoleMappings(session, ORG_ID).put(parse_role_mapping("user", VIEWER_ID, "enablement"))
    server = make_server("localhost", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}", instance
    finally:
        server.shutdown()
        thread.join(timeout=5)
        svc.engine.dispose()


def fake_salesforce_api(fake: responses.RequestsMock, instance: str, authorize_requests: list) -> None:
    def token(request):
        nonce = authorize_requests[-1]["nonce"]
        now = int(time.time())
        claims = {"iss": "https://login.salesforce.com", "aud": CONSUMER_KEY, "iat": now, "exp": now + 300, "nonce": nonce,
                  "sub": load_json("userinfo.json")["sub"]}
        body = {**load_json("oauth_web_server_token.json"), "instance_url": instance,
                "id_token": jwt.encode(claims, "not-verified-by-the-app-see-sign_in.py", algorithm="HS256")}
        return 200, {}, json.dumps(body)

    fake.add_callback(responses.POST, f"{instance}/services/oauth2/token", callback=token)
    fake.add(responses.GET, f"{instance}/services/oauth2/userinfo", json=load_json("userinfo.json"))
    fake.add(responses.GET, f"{instance}/services/data/v59.0/query/",
             json={"totalSize": 1, "done": True, "records": [{"ProfileId": "00e5e000000SaLeAAK"}]})


def test_an_enablement_lead_signs_in_with_salesforce_works_and_signs_out(chromium, signed_in_app, salesforce_login, screenshot):
    app_url, instance = signed_in_app
    context = chromium.new_context(ignore_https_errors=True)  # the stand-in's self-signed certificate
    context.set_default_timeout(10_000)
    page = context.new_page()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake_salesforce_api(fake, instance, salesforce_login.authorize_requests)
        page.goto(f"{app_url}/workspace/modules")
        expect(page.get_by_text("Sign in with Salesforce")).to_be_visible()  # the 401 page says how

        page.goto(f"{app_url}/auth/login?org={ORG_ID}&next=/workspace/coverage")
        assert page.url.startswith(f"{instance}/services/oauth2/authorize")
        sent = salesforce_login.authorize_requests[-1]
        assert sent["code_challenge_method"] == "S256" and sent["client_id"] == CONSUMER_KEY
        page.click("#allow")

        page.wait_for_url(f"{app_url}/workspace/coverage")
        expect(page.get_by_test_id("signed-in-as")).to_have_text("Priya Raman")
        cookie = next(c for c in context.cookies() if c["name"] == "__Host-bi_session")
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"
        page.goto(f"{app_url}/workspace/modules")
        expect(page.get_by_test_id("signed-in-as")).to_have_text("Priya Raman")
        screenshot(page)

        page.get_by_test_id("sign-out").click()
        expect(page.get_by_test_id("signed-out")).to_be_visible()
        assert not [c for c in context.cookies() if c["name"] == "__Host-bi_session"]
        page.goto(f"{app_url}/workspace/modules")
        expect(page.get_by_text("Sign in with Salesforce")).to_be_visible()
    context.close()
