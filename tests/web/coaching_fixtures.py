"""The demo app with its people and stage history synced, for the coaching browser tests, and
the steps those tests share: a page at a given width, and picking who the demo user is."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page
from werkzeug.serving import make_server

from plugin.app import create_app
from plugin.crm.demo_org import load_demo_catalog
from plugin.deals.people_sync import PeopleSync
from plugin.settings import Settings


@contextmanager
def serve_coaching_app(directory: Path, today) -> Iterator[tuple[str, object]]:
    """The demo app over a fresh SQLite file: catalog, people (managers, partner reps) and stage
    history (days in stage, stuck flags) loaded; yields its base URL and its services."""
    settings = Settings(demo_mode=True, database_url=f"sqlite:///{directory / 'demo.sqlite3'}")
    app = create_app(settings, today=today)
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    PeopleSync(svc.sessions, svc.demo_org).sync_demo()
    svc.outcome_sync.sync_stage_history(svc.demo_org.org_id)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="coaching-app", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", svc
    finally:
        server.shutdown()
        thread.join(timeout=5)
        svc.engine.dispose()


def page_at(chromium: Browser, width: int) -> Page:
    context = chromium.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    return context.new_page()


def be(page: Page, url: str, identity: str) -> None:
    """Pick ``identity`` (a key of the demo picker) in the demo's "who are you?" page."""
    page.goto(f"{url}/demo/identity")
    page.locator(f"label[for=role-{identity}]").click()
    page.get_by_role("button", name="Continue").click()
