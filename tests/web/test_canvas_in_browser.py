"""The panel as Salesforce embeds it, in a real browser: a page on another site POSTs a signed
request into an iframe, third-party cookies are blocked, and the panel still works.

What only a browser can check: that frame-ancestors lets the org's pages (and only those) frame
the panel, and that nothing in the panel leans on a cookie the browser would refuse a third-party
frame. The host page stands in for Salesforce on http://localhost:<port>; the app is on
http://127.0.0.1:<port>, another site, so the frame is third-party (see canvas_fixtures.py).
"""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import BrowserContext, FrameLocator, Page, Request, Response, expect

from tests.plugin.crm.salesforce.sf_fakes import load_json, sign_canvas
from tests.web.canvas_fixtures import (
    ALLOW_THIRD_PARTY_COOKIES,
    CanvasApp,
    HostSite,
    canvas_host_page,
    salesforce_queries,
)

pytestmark = pytest.mark.browser

FRAME = "[data-testid=canvas-frame]"
VIEWERS_TOKEN = load_json("canvas_request.json")["client"]["oauthToken"]


def open_record_page(page: Page, host_site: HostSite, app: CanvasApp) -> FrameLocator:
    """Loads the host page, whose script POSTs the signed request into the panel's iframe."""
    host_site.pages["/opportunity"] = canvas_host_page(
        app.url, sign_canvas(load_json("canvas_request.json")))
    page.goto(host_site.origin + "/opportunity")
    return page.frame_locator(FRAME)


def probe_third_party_cookie(page: Page, host_site: HostSite) -> str | None:
    """Frames the probe on the app's site twice from the host's site: once it sets a
    SameSite=None cookie, then it reports the Cookie header it got back."""
    page.goto(host_site.origin + "/probe-set")
    page.goto(host_site.origin + "/probe-echo")
    (echoed,) = host_site.cookies_echoed()
    return echoed


def app_cookies(context: BrowserContext) -> list[dict]:
    return [c for c in context.cookies() if c["domain"] == "127.0.0.1"]


def test_cookie_probe_sees_a_third_party_cookie_when_the_browser_allows_them(
    chromium_profile, host_site
):
    """The control for the blocked runs below: with third-party cookies allowed, the same probe
    gets its cookie back, so a missing cookie there is the browser's setting at work."""
    context = chromium_profile(ALLOW_THIRD_PARTY_COOKIES)
    page = context.new_page()

    assert probe_third_party_cookie(page, host_site) == "probe=1"
    assert [c["name"] for c in app_cookies(context)] == ["probe"]


def test_signed_request_posted_into_a_third_party_frame_shows_the_opportunitys_suggestions(
    chromium_profile, host_site, canvas_app, salesforce, screenshot
):
    app = canvas_app(extra_frame_ancestors=(host_site.origin,))
    context = chromium_profile()  # third-party cookies blocked
    page = context.new_page()
    requests: list[Request] = []
    responses: list[Response] = []
    console_errors: list[str] = []
    page.on("request", lambda r: requests.append(r))
    page.on("response", lambda r: responses.append(r))
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    assert probe_third_party_cookie(page, host_site) is None, "third-party cookies are not blocked"
    assert app_cookies(context) == []

    panel = open_record_page(page, host_site, app)

    cards = panel.locator("[data-testid=client-facing] > li.bi-suggestion")
    expect(cards.first).to_be_visible()
    expect(panel.get_by_test_id("context")).to_contain_text("Banking")  # the faked record's
    assert cards.count() >= 3
    for card in cards.all():
        assert card.locator(".bi-reason").all_inner_texts(), f"no reason on {card.inner_text()!r}"
    screenshot(page)

    link = cards.first.locator(".bi-suggestion__title a")
    title = link.inner_text().strip()
    link.click()
    expect(panel.get_by_test_id("module-view")).to_be_visible()
    expect(panel.get_by_test_id("module-title")).to_have_text(title)
    expect(cards.first).to_be_hidden()  # the module takes the suggestions' place
    screenshot(page, suffix="-module")

    # The module came through the app-token API: a Bearer header, no cookie, as the browser
    # sent it and as the server received it.
    (module_call,) = [r for r in requests if "/api/v1/modules/" in r.url]
    sent = module_call.all_headers()
    assert sent.get("authorization", "").startswith("Bearer ")
    assert "cookie" not in sent
    (received,) = app.requests_to("/api/v1/modules/")
    assert received.status == 200 and received.authorization.startswith("Bearer ")

    # No cookie either way, on any exchange with the app.
    assert [e.path for e in app.exchanges if e.cookie or e.set_cookie] == []
    from_app = [r for r in responses if r.url.startswith(app.url)]
    assert from_app and not [r.url for r in from_app if "set-cookie" in r.all_headers()]
    assert app_cookies(context) == []

    panel.get_by_role("button", name="Back to suggestions").click()
    expect(cards.first).to_be_visible()
    expect(panel.get_by_test_id("module-view")).to_be_hidden()

    # One Salesforce query, made with the viewing user's own token.
    (query,) = salesforce_queries(salesforce)
    assert query.request.headers["Authorization"] == f"Bearer {VIEWERS_TOKEN}"
    assert console_errors == []


def test_frame_ancestors_keeps_the_panel_out_of_a_page_the_org_does_not_list(
    chromium_profile, host_site, canvas_app, screenshot
):
    """Without the host page's origin among the org's frame-ancestors, the app still answers the
    signed request, but Chromium refuses to show the answer inside the frame."""
    app = canvas_app()  # framable only by acme.my.salesforce.com and its sibling hosts
    page = chromium_profile().new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))

    panel = open_record_page(page, host_site, app)
    _wait_until(page, lambda: app.requests_to("/canvas"))

    (answered,) = app.requests_to("/canvas")
    assert answered.status == 200  # the panel was rendered; the browser blocked it
    frame = page.frame(name="canvas")
    _wait_until(page, lambda: frame.url != "about:blank")
    assert frame.url.startswith("chrome-error://"), frame.url
    expect(panel.locator(".bi-suggestion")).to_have_count(0)
    assert any("frame-ancestors" in line for line in console), console
    screenshot(page)


def _wait_until(page: Page, condition, timeout: float = 10.0) -> None:
    """Polls with Playwright's own wait, so its events (frame navigations) keep arriving."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        page.wait_for_timeout(50)
