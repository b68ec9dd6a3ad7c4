"""A rep reviews a lost deal in the panel, in a real browser at 320 px: the panel offers the
review on the rep's own lost deal only, the rep picks the stage and reason, unticks nothing, types hostile
text, saves; the review is stored, the panel shows it done, and the text stays text."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from content_catalog.database import make_engine, session_factory
from content_catalog.loss_reviews import LossReviews
from plugin.crm.demo_org import DEMO_ORG_ID
from tests.web.conftest import serve_demo_app

pytestmark = pytest.mark.browser

SOLANO = "006Dn0000LygderIQA"  # Closed Lost, the demo rep's own deal
QUORRA = "006Dn0000t1iXR1IAM"  # Closed Lost, another rep's deal
OPEN_DEAL = "006Dn0000kl0JfIIAU"
HOSTILE = '<img src=x onerror="document.title=\'pwned\'"> we needed a TCO sheet'


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    directory = tmp_path_factory.mktemp("loss-review")
    with serve_demo_app(directory, name="loss-review-server") as url:
        yield url, directory / "demo.sqlite3"


@pytest.fixture
def live_server(site) -> str:
    return site[0]


def stored_reviews(database: Path):
    engine = make_engine(f"sqlite:///{database}")
    try:
        with session_factory(engine)() as session:
            return LossReviews(session, DEMO_ORG_ID).all()
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
