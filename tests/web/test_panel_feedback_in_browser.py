"""A rep tells the panel what helped, in a real browser, and the events arrive in the database
naming the exact suggestions (impressions) the rep acted on: in the demo's panel, and inside a
third-party Canvas frame where every call carries the app token and no cookie.

What only a browser can check: the buttons and the reason form work under the strict CSP, the
batches go out on the 2-second timer and when the page is left (fetch with keepalive), and the
Canvas panel's token reaches the events endpoint.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FrameLocator, Locator, Page, expect
from sqlalchemy import select
from werkzeug.serving import make_server

from content_catalog.database import make_engine, session_factory
from content_catalog.tables.learning_tables import PanelEventRow, PanelImpressionRow
from plugin.app import create_app
from plugin.crm.demo_org import load_demo_catalog
from plugin.settings import Settings
from tests.plugin.crm.salesforce.sf_fakes import OPPORTUNITY_ID, ORG_ID, load_json, sign_canvas
from tests.web.canvas_fixtures import canvas_host_page

pytestmark = pytest.mark.browser

CLIENT_FACING = "[data-testid=client-facing] > li.bi-suggestion"
VIEWER = load_json("canvas_request.json")["context"]["user"]["userId"]
#: As in conftest.py: some demo modules' review-by dates pass in 2026.
DEMO_TODAY = date(2026, 6, 15)


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The demo app on a database of this module's own, so its events can be read back."""
    database = tmp_path_factory.mktemp("feedback") / "demo.sqlite3"
    settings = Settings(demo_mode=True, database_url=f"sqlite:///{database}", log_level="WARNING")
    app = create_app(settings, today=lambda: DEMO_TODAY)
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="feedback-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", database
    finally:
        server.shutdown()
        thread.join(timeout=5)
        svc.engine.dispose()


def events_in(database: Path, page: Page, count: int, timeout: float = 15.0) -> list[PanelEventRow]:
    """Waits (with Playwright's own clock, so the page's timers keep running) for ``count``
    events in the database."""
    deadline = time.monotonic() + timeout
    while True:
        rows = read(database, select(PanelEventRow).order_by(PanelEventRow.pk))
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        page.wait_for_timeout(100)


def read(database: Path, query) -> list:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(query))
    finally:
        engine.dispose()


def vote_helpful(card: Locator) -> None:
    helpful = card.get_by_role("button", name="Helpful", exact=True)
    helpful.click()
    expect(helpful).to_have_attribute("aria-pressed", "true")
    expect(card.locator("[data-feedback-status]")).to_have_text("Thanks: marked as helpful.")


def vote_not_helpful(card: Locator, reason: str) -> None:
    card.get_by_role("button", name="Not helpful", exact=True).click()
    field = card.get_by_label("What would have helped? (optional)")
    expect(field).to_be_focused()
    field.fill(reason)
    card.get_by_role("button", name="Send", exact=True).click()
    expect(card.locator("[data-reason-form]")).to_be_hidden()
    not_helpful = card.get_by_role("button", name="Not helpful", exact=True)
    expect(not_helpful).to_have_attribute("aria-pressed", "true")


def test_rep_votes_opens_and_personalises_in_the_demo_panel(
    chromium: Browser, demo_site, opportunity_named, screenshot
):
    base_url, database = demo_site
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    sent_ids: list[str | None] = []
    page.on("request", lambda r: sent_ids.append(r.headers.get("x-request-id"))
            if r.url.endswith("/api/v1/events") else None)
    try:
        opportunity = opportunity_named("St. Aldric Health Partners")
        page.goto(f"{base_url}/demo/{opportunity.opportunity_id}")
        panel = page.frame_locator("[data-testid=panel-frame]")
        cards = panel.locator(CLIENT_FACING)
        expect(cards.first).to_be_visible()
        first, second = cards.nth(0), cards.nth(1)
        template = panel.locator("li.bi-suggestion[data-module-id^='bct-']").first
        ids = [c.get_attribute("data-impression-id") for c in (first, second, template)]
        view_id = panel.locator("body").get_attribute("data-request-id")

        vote_helpful(first)
        vote_not_helpful(second, "Our customer is not in the US")
        screenshot(page, suffix="-votes")
        # Opening a module leaves the panel's page: the "open" goes out with keepalive.
        template.locator(".bi-suggestion__title a").click()
        panel.get_by_test_id("personalise").click()
        expect(panel.get_by_test_id("personalised")).to_be_visible()
        panel.get_by_test_id("copy-personalised").click()
        expect(panel.get_by_test_id("personalise-status")).to_have_text("Copied to the clipboard.")

        rows = events_in(database, page, 5)
    finally:
        context.close()

    assert sorted((r.impression_id, r.kind, r.reason) for r in rows) == sorted([
        (ids[0], "helpful", None),
        (ids[1], "not_helpful", "Our customer is not in the US"),
        (ids[2], "open", None),
        (ids[2], "personalise", None),
        (ids[2], "copy", None),
    ])
    assert len({r.event_id for r in rows}) == 5
    assert errors == []
    # Each page's request id travels with its events, so the logs tie them together: the
    # panel view's with the votes, the module page's with what was done there.
    assert view_id and len(view_id) == 32 and sent_ids[0] == view_id
    assert all(sent and len(sent) == 32 for sent in sent_ids)


def test_canvas_panel_sends_its_events_with_the_app_token_and_no_cookie(
    chromium_profile, host_site, canvas_app, salesforce, tmp_path, screenshot
):
    app = canvas_app(extra_frame_ancestors=(host_site.origin,))
    page = chromium_profile().new_page()  # third-party cookies blocked
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    signed = sign_canvas(load_json("canvas_request.json"))
    host_site.pages["/opportunity"] = canvas_host_page(app.url, signed)
    page.goto(host_site.origin + "/opportunity")
    panel: FrameLocator = page.frame_locator("[data-testid=canvas-frame]")

    cards = panel.locator(CLIENT_FACING)
    expect(cards.first).to_be_visible()
    first, second = cards.nth(0), cards.nth(1)
    ids = [c.get_attribute("data-impression-id") for c in (first, second)]
    vote_not_helpful(first, "Wrong industry")
    second.locator(".bi-suggestion__title a").click()
    expect(panel.get_by_test_id("module-view")).to_be_visible()  # the panel stays: the timer sends
    screenshot(page)

    rows = events_in(tmp_path / "canvas.sqlite3", page, 2)
    got = sorted((r.org_id, r.impression_id, r.kind, r.reason, r.user_id) for r in rows)
    assert got == sorted([
        (ORG_ID, ids[0], "not_helpful", "Wrong industry", VIEWER),
        (ORG_ID, ids[1], "open", None, VIEWER),
    ])
    sent = app.requests_to("/api/v1/events")
    assert sent and all(e.status == 202 and e.authorization.startswith("Bearer ") for e in sent)
    assert [e.path for e in app.exchanges if e.cookie or e.set_cookie] == []
    assert errors == []
    shown_on = read(tmp_path / "canvas.sqlite3", select(PanelImpressionRow.opportunity_id).where(
        PanelImpressionRow.impression_id.in_(ids)))
    assert shown_on == [OPPORTUNITY_ID, OPPORTUNITY_ID]  # the token's record: else "other_record"
