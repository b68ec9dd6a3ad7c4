"""A rep reviews a lost deal in the panel, in a real browser at 320 px: the panel offers the
review on the rep's own lost deal only, the rep picks the stage and reason, unticks nothing, types hostile
text, saves; the review is stored, the panel shows it done, and the text stays text."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
from playwright.sync_api import expect

from content_catalog.database import make_engine, session_factory
from content_catalog.loss_reviews import LossReviews
from plugin.crm.demo_org import DEMO_ORG_ID
from tests.plugin.crm.salesforce.sf_fakes import (
    LIMIT_INFO, OPPORTUNITY_ID, ORG_ID, load_json, sign_canvas,
)
from tests.web.canvas_fixtures import QUERY_URL, canvas_host_page
from tests.web.conftest import serve_demo_app

pytestmark = pytest.mark.browser

SOLANO = "006Dn0000LygderIQA"  # Closed Lost, the demo rep's own deal
QUORRA = "006Dn0000t1iXR1IAM"  # Closed Lost, another rep's deal
OPEN_DEAL = "006Dn0000kl0JfIIAU"
VIEWER = load_json("canvas_request.json")["context"]["user"]["userId"]
HOSTILE = '<img src=x onerror="document.title=\'pwned\'"> we needed a TCO sheet'


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    directory = tmp_path_factory.mktemp("loss-review")
    with serve_demo_app(directory, name="loss-review-server") as url:
        yield url, directory / "demo.sqlite3"


@pytest.fixture
def live_server(site) -> str:
    return site[0]


def stored_reviews(database: Path, org_id: str = DEMO_ORG_ID):
    engine = make_engine(f"sqlite:///{database}")
    try:
        with session_factory(engine)() as session:
            return LossReviews(session, org_id).all()
    finally:
        engine.dispose()


def test_a_review_with_no_reason_is_refused_in_place_and_nothing_is_stored(open_tab, site):
    _, database = site
    before = len(stored_reviews(database))
    tab = open_tab(width=320, height=900)
    page = tab.open(f"/panel/{SOLANO}")
    review = page.get_by_test_id("loss-review")
    review.get_by_label("Stage where it stalled").select_option("Negotiation/Review")
    with page.expect_navigation():
        review.get_by_test_id("loss-review-submit").click()
    expect(page.get_by_test_id("loss-review-errors")).to_be_visible()
    expect(page.get_by_label("Stage where it stalled")).to_have_value("Negotiation/Review")
    assert len(stored_reviews(database)) == before


def test_a_rep_reviews_a_lost_deal_in_the_panel_at_320_px(open_tab, site, screenshot):
    _, database = site
    tab = open_tab(width=320, height=900)
    page = tab.open(f"/panel/{OPEN_DEAL}")
    expect(page.get_by_test_id("client-facing")).to_be_visible()
    expect(page.get_by_test_id("loss-review")).to_have_count(0)  # an open deal: nothing offered
    page = tab.open(f"/panel/{QUORRA}")
    expect(page.get_by_test_id("client-facing")).to_be_visible()
    expect(page.get_by_test_id("loss-review")).to_have_count(0)  # another rep's lost deal

    page = tab.open(f"/panel/{SOLANO}")
    review = page.get_by_test_id("loss-review")
    expect(review).to_have_attribute("data-state", "awaiting")
    expect(review.get_by_role("heading")).to_contain_text("This deal closed lost")
    screenshot(page, suffix="-offered")
    box = review.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320, box  # fits the narrow panel

    review.get_by_label("Stage where it stalled").select_option("Security Review")
    review.get_by_label("Main reason").select_option(label="Missing capability")
    review.get_by_label("What content was missing?").fill(HOSTILE)
    with page.expect_navigation():
        review.get_by_test_id("loss-review-submit").click()

    [saved] = stored_reviews(database)
    assert (saved.opportunity_id, saved.stalled_stage, saved.reason_key, saved.missing) == (
        SOLANO, "Security Review", "missing_capability", HOSTILE)
    review = page.get_by_test_id("loss-review")
    expect(review).to_have_attribute("data-state", "done")
    expect(page.get_by_test_id("loss-review-saved")).to_be_visible()
    summary = page.get_by_test_id("loss-review-summary")
    expect(summary).to_contain_text("Stalled in Security Review · Missing capability")
    expect(summary).to_contain_text('<img src=x onerror=')  # the rep's text, shown as text
    assert page.locator(".bi-loss-review img").count() == 0
    assert page.title() != "pwned"
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    screenshot(page, suffix="-done")
    assert not tab.console_errors, tab.console_errors


def test_inside_salesforce_the_owner_sends_the_review_with_the_app_token_and_no_cookie(
    chromium_profile, host_site, canvas_app, salesforce, tmp_path, screenshot
):
    """The Canvas frame (third-party cookies blocked): loss-review.js sends the form as JSON with
    the app token; the panel shows the review done without leaving the page."""
    lost = load_json("opportunity_full.json")
    lost["records"][0].update(StageName="Closed Lost", IsClosed=True, IsWon=False, OwnerId=VIEWER)
    salesforce.replace(responses.GET, QUERY_URL, json=lost, headers=LIMIT_INFO)
    app = canvas_app(extra_frame_ancestors=(host_site.origin,))
    page = chromium_profile().new_page()
    page.set_viewport_size({"width": 900, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    host_site.pages["/opportunity"] = canvas_host_page(app.url, sign_canvas(load_json("canvas_request.json")))
    page.goto(host_site.origin + "/opportunity")
    panel = page.frame_locator("[data-testid=canvas-frame]")

    review = panel.get_by_test_id("loss-review")
    expect(review).to_have_attribute("data-state", "awaiting")
    review.get_by_label("Stage where it stalled").select_option("Negotiation/Review")
    review.get_by_label("Main reason").select_option(label="Price")
    review.get_by_label("What content was missing?").fill("<b>A TCO sheet</b>")
    review.get_by_test_id("loss-review-submit").click()

    expect(review).to_have_attribute("data-state", "done")
    expect(review.get_by_role("heading")).to_have_text("Loss review done")
    expect(review.locator("[data-loss-review-status]")).to_have_text("Thanks: your review is saved.")
    expect(panel.get_by_test_id("loss-review-summary")).to_contain_text(
        "Stalled in Negotiation/Review · Price · missing: “<b>A TCO sheet</b>”")
    screenshot(page)
    [saved] = stored_reviews(tmp_path / "canvas.sqlite3", ORG_ID)
    assert (saved.stalled_stage, saved.reason_key, saved.missing, saved.author_id) == (
        "Negotiation/Review", "price", "<b>A TCO sheet</b>", VIEWER)
    sent = app.requests_to(f"/api/v1/opportunities/{OPPORTUNITY_ID}/loss-review")
    assert [e.status for e in sent] == [201] and sent[0].authorization.startswith("Bearer ")
    assert [e.path for e in app.exchanges if e.cookie or e.set_cookie] == []
    assert errors == []
