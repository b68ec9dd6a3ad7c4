"""Spaced refreshers in a real browser at 320 px: the demo rep's HIPAA refresher is back on
St. Aldric with why; "Don't bring this back" removes it, for good, across reloads.

What only a browser can check: the card's reason and button fit a 320 px panel, and the button
works under the strict CSP and really stores the dismissal (the card stays gone after reloads).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from content_catalog.database import make_engine, session_factory
from content_catalog.tables.learning_tables import RefresherDismissalRow
from plugin.app import create_app
from plugin.crm.demo_org import load_demo_catalog
from plugin.learning.demo_refreshers import DEMO_USES, seed_demo_refreshers
from plugin.settings import Settings
from plugin.web.identity import DEMO_USER_ID

pytestmark = pytest.mark.browser

#: As in conftest.py: some demo modules' review-by dates pass in 2026.
DEMO_TODAY = date(2026, 6, 15)
ST_ALDRIC = "006Dn0000kl0JfIIAU"
REFRESHER = DEMO_USES[0].module_key
BACK = "[data-testid=internal] > li.bi-refresher-back"


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The demo app on a database of this module's own, with the demo rep's refresher use."""
    database = tmp_path_factory.mktemp("refreshers") / "demo.sqlite3"
    settings = Settings(demo_mode=True, database_url=f"sqlite:///{database}", log_level="WARNING")
    app = create_app(settings, today=lambda: DEMO_TODAY)
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    seed_demo_refreshers(svc.sessions, svc.taxonomy, DEMO_USER_ID, DEMO_TODAY)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="refreshers-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", database
    finally:
        server.shutdown()
        thread.join(timeout=5)
        svc.engine.dispose()


def dismissed(database: Path) -> list[tuple[str, str]]:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with session_factory(engine)() as session:
            rows = session.execute(select(RefresherDismissalRow.user_id,
                                          RefresherDismissalRow.module_key))
            return [tuple(row) for row in rows]
    finally:
        engine.dispose()


def test_a_refresher_back_says_why_and_dismissing_it_lasts_across_reloads(
        chromium, demo_site, screenshot):
    base_url, database = demo_site
    context = chromium.new_context(viewport={"width": 320, "height": 900})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{base_url}/panel/{ST_ALDRIC}")

        card = page.locator(BACK)
        expect(card).to_have_count(1)
        expect(card).to_have_attribute("data-module-id", REFRESHER)
        expect(card.get_by_test_id("refresher-back")).to_have_text(
            "You opened this 9 days ago; a second look now helps it stick")
        button = card.get_by_role("button", name="Don't bring this back")
        expect(button).to_be_visible()
        # It fits the panel: nothing wider than 320 px, the button inside the card.
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 320
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320
        card.scroll_into_view_if_needed()
        screenshot(page, full_page=False, suffix="-320px")

        button.click()
        expect(page.locator(f"[data-module-id='{REFRESHER}']")).to_have_count(0)
        assert dismissed(database) == [(DEMO_USER_ID, REFRESHER)]

        for _ in range(2):
            page.reload()
            expect(page.locator("[data-testid=internal] > li.bi-suggestion")).not_to_have_count(0)
            expect(page.locator(BACK)).to_have_count(0)
            # Gone from this rep's lists altogether, not only from coming back.
            expect(page.locator(f"[data-module-id='{REFRESHER}']")).to_have_count(0)
        screenshot(page, full_page=False, suffix="-after-dismissal")
        assert not errors, errors
    finally:
        context.close()
