"""The pieces of a Canvas embed in a real browser: our app as Salesforce's org would reach it, a
stand-in for the Salesforce page that frames it, and Chromium with third-party cookies blocked.

Sites matter here. The app listens on ``127.0.0.1`` and the host page is served as
``http://localhost:<port>``: different hosts, so different *sites*, so the panel's iframe is
third-party exactly as it is under ``*.lightning.force.com``. Ports do not separate sites, which
is why the cookie probe (also on ``127.0.0.1``) shares a cookie jar with the app.

No fixtures live here; ``tests/web/conftest.py`` wraps these in fixtures, next to its own.
"""
from __future__ import annotations

import html
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import responses
from playwright.sync_api import BrowserContext, Playwright
from werkzeug.serving import make_server

from content_catalog.database import upgrade
from content_catalog.importing import import_modules
from plugin.app import create_app
from plugin.crm.demo_org import demo_module_payloads
from plugin.orgs.connections import ConfiguredOrg, OrgConnections, SecretBox
from plugin.crm.salesforce.config import OrgConnection
from plugin.settings import Settings
from tests.plugin.crm.salesforce.sf_fakes import (
    CANVAS_SECRET, INSTANCE, LIMIT_INFO, ORG_ID, load_json,
)

APP_SECRET = "browser-test-app-secret-of-at-least-32-chars"
#: The query URL the connector calls (simple-salesforce, API v59.0), any SOQL.
QUERY_URL = f"{INSTANCE}/services/data/v59.0/query/"
#: Chromium's ``CookieControlsMode``: 0 allows third-party cookies, 1 blocks them (2 blocks
#: them in incognito only). Written into the profile before launch, so no default decides: Debian's
#: Chromium 156 with no preference already blocked them when this was written, which a later build
#: may not, and the control run needs them explicitly allowed.
ALLOW_THIRD_PARTY_COOKIES, BLOCK_THIRD_PARTY_COOKIES = 0, 1
PROBE_COOKIE = "probe=1; SameSite=None; Secure; Path=/"


# -- the app -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Exchange:
    """One request the app answered, as the server saw it (not as the browser reports it)."""

    method: str
    path: str
    status: int
    cookie: str | None
    authorization: str | None
    set_cookie: tuple[str, ...]


@dataclass
class CanvasApp:
    url: str
    exchanges: list[Exchange] = field(default_factory=list)

    def requests_to(self, path_prefix: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.path.startswith(path_prefix)]


def _recording(wsgi_app, exchanges: list[Exchange]):
    """Wraps the app to note each request's Cookie and Authorization and each Set-Cookie."""

    def app(environ, start_response):
        def start(status, headers, exc_info=None):
            exchanges.append(Exchange(
                method=environ["REQUEST_METHOD"],
                path=environ.get("PATH_INFO", ""),
                status=int(status.split()[0]),
                cookie=environ.get("HTTP_COOKIE"),
                authorization=environ.get("HTTP_AUTHORIZATION"),
                set_cookie=tuple(v for k, v in headers if k.lower() == "set-cookie"),
            ))
            return start_response(status, headers, exc_info)

        return wsgi_app(environ, start)

    return app


@contextmanager
def serve_canvas_app(database: Path, *, extra_frame_ancestors: tuple[str, ...],
                     today: Callable[[], date]) -> Iterator[CanvasApp]:
    """The real app with production settings (no demo), the Acme org in Canvas mode and the demo
    catalog loaded into it, served from a thread on a free loopback port."""
    settings = Settings(
        demo_mode=False,
        database_url=f"sqlite:///{database}",
        encryption_keys=SecretBox.new_key(),
        app_secret=APP_SECRET,
    )
    app = create_app(settings, today=today)
    svc = app.extensions["be_inspired"]
    upgrade(svc.engine)
    connection = OrgConnection(org_id=ORG_ID, instance_url=INSTANCE, canvas_secret=CANVAS_SECRET,
                               challenge_field="Customer_Challenge__c")
    OrgConnections(svc.sessions, SecretBox(settings.encryption_key_list)).save(
        ConfiguredOrg("Acme Corp", connection, extra_frame_ancestors))
    with svc.sessions.begin() as session:
        import_modules(session, ORG_ID, demo_module_payloads(), svc.taxonomy)

    exchanges: list[Exchange] = []
    app.wsgi_app = _recording(app.wsgi_app, exchanges)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="canvas-app", daemon=True)
    thread.start()
    try:
        yield CanvasApp(f"http://127.0.0.1:{server.server_port}", exchanges)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        svc.engine.dispose()


@contextmanager
def fake_salesforce() -> Iterator[responses.RequestsMock]:
    """Salesforce's REST API answering the context query with the Acme opportunity.

    ``responses`` patches ``requests`` for the whole process, so it also catches the calls the
    server thread makes. Nothing passes through: the browser does not use ``requests``.
    """
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.add(responses.GET, QUERY_URL, json=load_json("opportunity_full.json"),
                 headers=LIMIT_INFO)
        yield fake


def salesforce_queries(fake: responses.RequestsMock) -> list:
    return [call for call in fake.calls if "/query" in call.request.url]


# -- the page that frames it -------------------------------------------------------------------
def canvas_host_page(app_url: str, signed_request: str, *, frame_name: str = "canvas") -> str:
    """What Salesforce does for a Canvas app: an iframe, and a form that POSTs the signed request
    into it, submitted by script as soon as the page loads."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme - Opportunity (host stand-in)</title>
<link rel="icon" href="data:,"></head>
<body style="margin:0;font-family:sans-serif;background:#f3f3f3">
<h1 style="font-size:16px;padding:8px 16px;margin:0;background:#fff">Acme Corp - Platform renewal
  <small style="color:#666">(stand-in for the Salesforce record page)</small></h1>
<form id="canvas-post" method="POST" target="{frame_name}"
      action="{html.escape(app_url)}/canvas">
  <input type="hidden" name="signed_request" value="{html.escape(signed_request)}">
</form>
<iframe name="{frame_name}" data-testid="canvas-frame" title="Be Inspired"
        style="width:400px;height:1000px;border:1px solid #ccc;margin:16px;background:#fff">
</iframe>
<script>document.getElementById("canvas-post").submit();</script>
</body></html>"""


def cookie_probe_page(probe_url: str, path: str) -> str:
    favicon = '<link rel="icon" href="data:,">'
    return f'<!doctype html>{favicon}<iframe src="{probe_url}{path}"></iframe>'


class _Handler(BaseHTTPRequestHandler):
    server: "_Listener"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def do_GET(self):  # noqa: N802 - the base class's name
        self.server.site.seen.append((self.server.role, self.path, self.headers.get("Cookie")))
        if self.server.role == "probe":
            self._send("set" if self.path == "/set" else "echo",
                       [("Set-Cookie", PROBE_COOKIE)] if self.path == "/set" else [])
        elif self.path in self.server.site.pages:
            self._send(self.server.site.pages[self.path])
        else:
            self.send_error(404)

    def _send(self, body: str, headers: Sequence[tuple[str, str]] = ()):
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _Listener(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: "HostSite", role: str):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.site, self.role = site, role


class HostSite:
    """Two tiny listeners: the host pages as ``http://localhost:<port>`` (another site than the
    app), and a cookie probe on ``http://127.0.0.1:<port>`` (the app's site) whose ``/set`` sets a
    ``SameSite=None`` cookie and whose ``/echo`` records what came back. ``seen`` lists
    (listener, path, Cookie header) for every request either got."""

    def __init__(self):
        self.pages: dict[str, str] = {}
        self.seen: list[tuple[str, str, str | None]] = []
        self._listeners = [_Listener(self, "host"), _Listener(self, "probe")]
        self.origin = f"http://localhost:{self._listeners[0].server_port}"
        self.probe_url = f"http://127.0.0.1:{self._listeners[1].server_port}"
        self.pages["/probe-set"] = cookie_probe_page(self.probe_url, "/set")
        self.pages["/probe-echo"] = cookie_probe_page(self.probe_url, "/echo")
        self._threads = [threading.Thread(target=s.serve_forever, daemon=True)
                         for s in self._listeners]

    def __enter__(self) -> "HostSite":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        for listener in self._listeners:
            listener.shutdown()
            listener.server_close()

    def cookies_echoed(self) -> list[str | None]:
        return [cookie for role, path, cookie in self.seen if (role, path) == ("probe", "/echo")]


# -- the browser -------------------------------------------------------------------------------
def launch_chromium(playwright: Playwright, profile: Path, *, cookie_controls_mode: int,
                    executable: str, args: list[str]) -> BrowserContext:
    """Chromium on a fresh profile whose Preferences fix the third-party cookie setting; a
    persistent context, because only a real profile reads Preferences (a plain ``launch`` runs
    incognito-like contexts with Chromium's defaults)."""
    (profile / "Default").mkdir(parents=True, exist_ok=True)
    preferences = {"profile": {
        "cookie_controls_mode": cookie_controls_mode,
        "block_third_party_cookies": cookie_controls_mode == BLOCK_THIRD_PARTY_COOKIES,
    }}
    (profile / "Default" / "Preferences").write_text(json.dumps(preferences), encoding="utf-8")
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=executable, args=args,
        viewport={"width": 1000, "height": 1100},
    )
    context.set_default_timeout(10_000)
    return context

