"""Fixtures for driving the real app in Debian's Chromium through Playwright.

One server and one browser serve the whole session, because starting Chromium costs about a
second; each test gets its own browser context (cookies, viewport) and so cannot leak into the
next. The Canvas tests are the exception: they launch Chromium on a profile of their own, whose
Preferences fix the third-party cookie setting. Playwright never downloads a browser here: it is
pointed at /usr/bin/chromium.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Playwright,
    sync_playwright,
)
from werkzeug.serving import make_server

from content_catalog.database import upgrade
from content_catalog.importing import import_modules
from content_catalog.repository import ensure_org
from plugin.app import create_app
from plugin.crm.demo_org import DEMO_ORG_ID, DEMO_ORG_NAME, DemoOrg, demo_module_payloads
from plugin.crm.records import OpportunityRecord
from plugin.settings import Settings
from tests.web.coaching_fixtures import serve_coaching_app
from tests.web.canvas_fixtures import (
    BLOCK_THIRD_PARTY_COOKIES,
    CanvasApp,
    HostSite,
    fake_salesforce,
    launch_chromium,
    serve_canvas_app,
)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: A fixed "today": a few demo modules' review-by dates fall in 2026, and once they pass, those
#: modules drop out of the suggestions and the pages would change under the tests.
DEMO_TODAY = date(2026, 6, 15)


# -- the app -----------------------------------------------------------------------------------
@contextmanager
def serve_demo_app(directory: Path, name: str = "live-server") -> Iterator[str]:
    """The real app in demo mode over a fresh SQLite file in ``directory`` holding the demo
    catalog, served on a free loopback port from a thread; yields its base URL."""
    settings = Settings(demo_mode=True, database_url=f"sqlite:///{directory / 'demo.sqlite3'}")
    app = create_app(settings, today=lambda: DEMO_TODAY)
    services = app.extensions["be_inspired"]
    upgrade(services.engine)
    with services.sessions.begin() as session:
        ensure_org(session, DEMO_ORG_ID, DEMO_ORG_NAME, is_demo=True)
        import_modules(session, DEMO_ORG_ID, demo_module_payloads(), services.taxonomy)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        services.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[str]:
    """One demo server for the whole session (tests that write to the catalog override it)."""
    with serve_demo_app(tmp_path_factory.mktemp("web")) as url:
        yield url


@pytest.fixture(scope="session")
def demo_opportunities() -> list[OpportunityRecord]:
    return DemoOrg().opportunities()


@pytest.fixture(scope="session")
def opportunity_named(demo_opportunities) -> Callable[[str], OpportunityRecord]:
    """The demo opportunity whose name starts with the given text."""

    def find(prefix: str) -> OpportunityRecord:
        matches = [o for o in demo_opportunities if o.name.startswith(prefix)]
        assert len(matches) == 1, f"{len(matches)} demo opportunities are named {prefix!r}..."
        return matches[0]

    return find


# -- the browser -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """One Playwright for the session: its sync API cannot run two at once in a thread."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@dataclass
class BrowserTab:
    """A page plus what it reported: any JavaScript dialog is a failure (nothing in the product
    opens one), and console errors and uncaught exceptions are kept for the tests to inspect."""

    page: Page
    base_url: str
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> Page:
        self.page.goto(self.base_url + path)
        return self.page

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)


@pytest.fixture
def open_tab(chromium: Browser, live_server: str) -> Iterator[Callable[..., BrowserTab]]:
    """Opens a tab at a given viewport size in a context of its own; closed after the test, which
    fails if a dialog opened."""
    contexts = []
    tabs: list[BrowserTab] = []

    def open_tab_(width: int = 1440, height: int = 900) -> BrowserTab:
        context = chromium.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(10_000)
        contexts.append(context)
        tab = BrowserTab(context.new_page(), live_server)
        tab.page.on("dialog", tab._on_dialog)
        tab.page.on("console", tab._on_console)
        tab.page.on("pageerror", lambda error: tab.console_errors.append(f"uncaught: {error}"))
        tabs.append(tab)
        return tab

    yield open_tab_
    for context in contexts:
        context.close()
    dialogs = [d for tab in tabs for d in tab.dialogs]
    assert not dialogs, f"a JavaScript dialog opened: {dialogs}"


@pytest.fixture
def screenshot(request) -> Callable[..., Path]:
    """Saves artifacts/screenshots/<test name><suffix>.png (the whole page, by default), or
    ``path``, and checks it was written. Waits for the network to settle first: the icon sprites
    load after the page."""

    def take(
        page: Page, *, full_page: bool = True, suffix: str = "", path: Path | None = None
    ) -> Path:
        page.wait_for_load_state("networkidle")
        path = path or SCREENSHOTS / f"{request.node.name}{suffix}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=full_page)
        assert path.is_file() and path.stat().st_size > 0, f"no screenshot at {path}"
        return path

    return take


# -- the panel inside a Salesforce-like frame (tests/web/canvas_fixtures.py) --------------------
@pytest.fixture
def host_site() -> Iterator[HostSite]:
    """The framing page's own site, http://localhost:<port>, plus the cookie probe."""
    with HostSite() as site:
        yield site


@pytest.fixture
def salesforce():
    with fake_salesforce() as fake:
        yield fake


@pytest.fixture
def canvas_app(tmp_path, salesforce) -> Iterator[Callable[..., CanvasApp]]:
    """Starts the app with the Acme org in Canvas mode, framable by the given extra origins;
    one app per test, so each starts with an empty context cache."""
    with ExitStack() as stack:

        def start(*, extra_frame_ancestors: tuple[str, ...] = ()) -> CanvasApp:
            return stack.enter_context(serve_canvas_app(
                tmp_path / "canvas.sqlite3", extra_frame_ancestors=extra_frame_ancestors,
                today=lambda: DEMO_TODAY,
            ))

        yield start


@pytest.fixture
def chromium_profile(playwright: Playwright, tmp_path) -> Iterator[Callable[..., BrowserContext]]:
    """Launches Chromium on a profile of its own with third-party cookies blocked (or, for a
    control, allowed); closed after the test."""
    with ExitStack() as stack:

        def launch(cookie_controls_mode: int = BLOCK_THIRD_PARTY_COOKIES) -> BrowserContext:
            profile = tmp_path / f"chromium-profile-{cookie_controls_mode}"
            context = launch_chromium(
                playwright, profile, cookie_controls_mode=cookie_controls_mode,
                executable=CHROMIUM, args=CHROMIUM_ARGS,
            )
            stack.callback(context.close)
            return context

        yield launch


# -- coaching: the demo with people and stage history (tests/web/coaching_fixtures.py) ----------
@pytest.fixture
def coaching_app(tmp_path) -> Iterator[tuple[str, object]]:
    with serve_coaching_app(tmp_path, today=lambda: DEMO_TODAY) as served:
        yield served
