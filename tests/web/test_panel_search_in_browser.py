"""A rep searches the panel when the suggestions are not what they need, in a real browser: in the
demo's panel at 1440 px, in the narrowest 320 px panel, and inside a third-party Canvas frame
whose search must go out with the app token. The results are the same cards as the suggestions,
with the same actions, and their impressions are logged as a search.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect
from sqlalchemy import select

from content_catalog.database import make_engine, session_factory
from content_catalog.tables.learning_tables import PanelEventRow, PanelImpressionRow
from tests.plugin.crm.salesforce.sf_fakes import load_json, sign_canvas
from tests.web.canvas_fixtures import canvas_host_page
from tests.web.conftest import serve_demo_app

pytestmark = pytest.mark.browser

RESULTS = "[data-testid=search-result-list] > li.bi-suggestion"


@pytest.fixture(scope="module")
def search_site(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The demo app on a database of this module's own, so impressions and events can be read."""
    directory = tmp_path_factory.mktemp("search")
    with serve_demo_app(directory, "search-server") as url:
        yield url, directory / "demo.sqlite3"


def read(database: Path, query) -> list:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(query))
    finally:
        engine.dispose()


def wait_for_rows(database: Path, page: Page, query, count: int, timeout: float = 15.0) -> list:
    """Waits with Playwright's clock (the page's timers keep running) for ``count`` rows."""
    deadline = time.monotonic() + timeout
    while True:
        rows = read(database, query)
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        page.wait_for_timeout(100)


def search(panel: FrameLocator | Page, text: str) -> None:
    box = panel.get_by_test_id("search-input")
    box.fill(text)
    box.press("Enter")


def test_rep_searches_the_demo_panel_then_votes_and_opens_a_result(
    chromium: Browser, search_site, opportunity_named, screenshot
):
    base_url, database = search_site
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    try:
        opportunity = opportunity_named("St. Aldric Health Partners")
        page.goto(f"{base_url}/demo/{opportunity.opportunity_id}")
        panel = page.frame_locator("[data-testid=panel-frame]")
        expect(panel.get_by_test_id("client-facing")).to_be_visible()

        search(panel, "  payer   AUDIT ")
        results = panel.locator(RESULTS)
        expect(results.first).to_be_visible()
        expect(panel.get_by_test_id("search-text")).to_have_text("payer AUDIT")
        expect(panel.get_by_test_id("client-facing")).to_be_hidden()  # results replace the lists
        titles = results.locator(".bi-suggestion__title a").all_inner_texts()
        # Found in the title beats found in the text; every result is published.
        assert titles[0] == "Mercy Ridge Health cut HIPAA and payer-audit preparation costs by 41%"
        assert all("superseded" not in t and not t.startswith("Draft") for t in titles)
        expect(results.first.locator(".bi-reason").first).to_have_text("Found in the title")
        first_id = results.first.get_attribute("data-impression-id")
        screenshot(page)

        results.first.get_by_role("button", name="Helpful", exact=True).click()
        expect(results.first.locator("[data-feedback-status]")).to_have_text("Thanks: marked as helpful.")
        second = results.nth(1)
        second_id = second.get_attribute("data-impression-id")
        second_title = second.locator(".bi-suggestion__title a").inner_text()
        second.locator(".bi-suggestion__title a").click()
        expect(panel.get_by_test_id("module-title")).to_have_text(second_title)

        events = wait_for_rows(database, page, select(PanelEventRow).order_by(PanelEventRow.pk), 2)
        shown = read(database, select(PanelImpressionRow).where(
            PanelImpressionRow.impression_id.in_([first_id, second_id])))
    finally:
        context.close()

    assert sorted((e.impression_id, e.kind) for e in events) == sorted(
        [(first_id, "helpful"), (second_id, "open")])
    assert {(s.origin, s.search_text, s.model_version, s.opportunity_id) for s in shown} == {
        ("search", "payer AUDIT", "search", opportunity.opportunity_id)}
    assert errors == []


def test_panel_search_fits_the_narrowest_panel_and_shows_hostile_text_as_text(
    open_tab, opportunity_named, screenshot
):
    opportunity = opportunity_named("St. Aldric Health Partners")
    tab = open_tab(320, 800)
    page = tab.open(f"/panel/{opportunity.opportunity_id}")
    box = page.get_by_test_id("search-input")
    expect(box).to_have_attribute("placeholder", "Not what you need? Search all content")
    search(page, "economic buyer")
    expect(page.locator(RESULTS).first).to_be_visible()

    width = page.evaluate("document.scrollingElement.clientWidth")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    for locator in (box, page.get_by_test_id("search-clear"), page.locator(RESULTS).first):
        bounds = locator.bounding_box()
        assert bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= width
    screenshot(page)

    search(page, "<img src=x onerror=alert(1)>")
    expect(page.get_by_test_id("search-empty")).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator("img").count() == 0
    page.get_by_test_id("search-clear").click()
    expect(page.get_by_test_id("client-facing")).to_be_visible()
    assert tab.console_errors == []


def test_panel_fits_the_narrowest_panel_before_its_stylesheets_arrive(open_tab, opportunity_named):
    """Chromium lays out a page whose stylesheets are still on the way (a revalidation after a
    search's navigation) when a script asks: without width and height attributes every SLDS
    icon is then 300 x 150 and the 320 px panel scrolls sideways."""
    opportunity = opportunity_named("St. Aldric Health Partners")
    tab = open_tab(320, 800)
    page = tab.page
    page.route("**/*.css", lambda route: route.abort())
    page.goto(f"{tab.base_url}/panel/{opportunity.opportunity_id}/search?q=economic+buyer")
    expect(page.locator(RESULTS).first).to_be_visible()
    unstyled = "getComputedStyle(document.querySelector('.slds-assistive-text')).position"
    assert page.evaluate(unstyled) == "static"  # SLDS would make it absolute

    icons = page.evaluate("[...document.querySelectorAll('svg')].map(i => i.getBoundingClientRect().width)")
    assert icons and max(icons) <= 48
    width = page.evaluate("document.scrollingElement.clientWidth")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width


def test_canvas_panel_searches_with_its_token_and_shows_results_in_place(
    chromium_profile, host_site, canvas_app, salesforce, screenshot
):
    app = canvas_app(extra_frame_ancestors=(host_site.origin,))
    page = chromium_profile().new_page()  # third-party cookies blocked
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    host_site.pages["/opportunity"] = canvas_host_page(app.url, sign_canvas(load_json("canvas_request.json")))
    page.goto(host_site.origin + "/opportunity")
    panel = page.frame_locator("[data-testid=canvas-frame]")
    expect(panel.get_by_test_id("client-facing")).to_be_visible()

    search(panel, "audit")
    results = panel.locator(RESULTS)
    expect(results.first).to_be_visible()
    expect(panel.get_by_test_id("client-facing")).to_be_hidden()
    expect(panel.locator("#bi-search-heading")).to_be_focused()  # a screen reader hears the count
    screenshot(page, suffix="-results")
    title = results.first.locator(".bi-suggestion__title a")
    expected = title.inner_text()
    title.click()
    expect(panel.get_by_test_id("module-title")).to_have_text(expected)  # opened in place
    screenshot(page)

    searches = app.requests_to("/panel/")
    searched = [e for e in searches if "/search" in e.path]
    assert [e.status for e in searched] == [200]
    assert searched[0].authorization.startswith("Bearer ") and not searched[0].cookie
    panel.get_by_role("button", name="← Back to suggestions").click()
    panel.get_by_test_id("search-clear").click()
    expect(panel.get_by_test_id("client-facing")).to_be_visible()
    assert errors == []
