"""The coverage map's loss-reason view in a real browser, as an enablement lead sees it: losses
by stage and reason, the gaps marked where reps missed content and no module is tagged for the
stage, what reps said shown as text, and a way to write the missing module."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from content_catalog.database import make_engine, session_factory
from content_catalog.loss_reviews import LossReview, LossReviews
from plugin.crm.demo_org import DEMO_ORG_ID
from tests.web.conftest import serve_demo_app

pytestmark = pytest.mark.browser

HOSTILE = "<script>document.title='pwned'</script>Security questionnaire answers"
REVIEWS = [
    ("Security Review", "missing_capability", HOSTILE),
    ("Security Review", "missing_capability", "A reference architecture for on-premise connectors"),
    ("Security Review", "competitor", ""),
    ("Negotiation/Review", "price", "A payback calculator"),  # demo modules are tagged for it
    ("Qualification", "no_decision", ""),
    ("Qualification", "no_decision", "A cost-of-doing-nothing one-pager"),
]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("loss-coverage")
    with serve_demo_app(directory, name="loss-coverage-server") as url:
        engine = make_engine(f"sqlite:///{directory / 'demo.sqlite3'}")
        with session_factory(engine).begin() as session:
            store = LossReviews(session, DEMO_ORG_ID)
            for n, (stage, reason, missing) in enumerate(REVIEWS):
                store.save(LossReview(f"006Dn0000SIM{n:03d}AAA", stage, reason, (), missing,
                                      author_id="0055e0REP000001AAA"))
        engine.dispose()
        yield url


def test_the_loss_reason_view_marks_the_gaps_and_quotes_what_reps_missed(open_tab, screenshot):
    tab = open_tab()
    page = tab.open("/workspace/coverage")
    page.get_by_test_id("loss-reasons-view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coverage map: loss reasons")
    expect(page.get_by_test_id("loss-totals")).to_contain_text("6 reviewed lost deals")

    cell = page.locator('[data-testid=loss-cell][data-stage="Security Review"][data-reason="missing_capability"]')
    expect(cell).to_have_attribute("data-gap", "yes")
    expect(cell).to_contain_text("2")
    covered = page.locator('[data-testid=loss-cell][data-stage="Negotiation/Review"][data-reason="price"]')
    expect(covered).to_have_attribute("data-gap", "no")
    gaps = page.get_by_test_id("loss-gap")
    expect(gaps).to_have_count(2)
    expect(gaps.first).to_contain_text("Security Review · Missing capability: 2 of 2 lost deals missed content")
    expect(page.get_by_test_id("missing-text").filter(has_text="<script>document.title")).to_have_count(1)
    assert page.title() != "pwned"
    expect(page.get_by_test_id("never-blame")).to_contain_text("never about people")
    assert "0055e0REP" not in page.content()
    screenshot(page)

    gaps.first.get_by_test_id("new-module-for-gap").click()
    expect(page).to_have_url(re.compile(r"tag\.deal_stage=Security\+Review"))
    assert not tab.console_errors, tab.console_errors
