"""Content analytics as an enablement lead uses it, in a real browser: the overview with its
trend chart, switching the segment, sorting, and one module's page with its won/lost deals and
the association caution. The server has a database of its own, with twelve weeks of impressions,
events and outcomes written into it for a handful of demo modules.
"""
from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from datetime import datetime, time, timedelta, timezone

import pytest
from playwright.sync_api import expect

from content_catalog.database import make_engine, session_factory
from content_catalog.events import EventKind, Impression, PanelEvent, PanelEventLog, add_impressions
from content_catalog.deal_outcomes import DealOutcome, DealOutcomes
from plugin.crm.demo_org import DEMO_ORG_ID
from recommender.evaluation import ASSOCIATION_CAUTION
from tests.web.conftest import DEMO_TODAY, serve_demo_app

pytestmark = pytest.mark.browser

STAR = "cs-healthcare-audit-cost-reduction"
#: module → (open probability, helpful-vote probability, use probability)
MODULES = {
    STAR: (0.6, 0.8, 0.35),
    "bct-healthcare-cfo-compliance-roi": (0.4, 0.6, 0.2),
    "cs-banking-commercial-onboarding": (0.3, 0.5, 0.1),
    "vm-banking-cro-operational-resilience": (0.0, 0.0, 0.0),  # shown, never opened
    "bc-vs-stratum-bpm-financial-services": (0.5, 0.1, 0.0),   # opened, voted down
}
CONTEXTS = [
    {"journey_phase": "buying", "industry": "Healthcare", "buyer_roles": ["Economic Buyer"]},
    {"journey_phase": "awareness", "industry": "Banking", "buyer_roles": ["Evaluator"]},
    {"journey_phase": "implementation_adoption", "industry": "Healthcare",
     "buyer_roles": ["Technical Buyer"]},
]


def simulated_log(seed: int = 11):
    """Deterministic history: 60 opportunities over twelve weeks, each viewed a few times."""
    rng = random.Random(seed)
    impressions, events, outcomes = [], [], []
    for n in range(60):
        opportunity = f"006A00000{n:09d}"
        context = CONTEXTS[n % len(CONTEXTS)]
        used_star = False
        for view in range(rng.randint(1, 3)):
            shown_at = datetime.combine(DEMO_TODAY - timedelta(days=rng.randint(0, 83)),
                                        time(9 + view, 0), tzinfo=timezone.utc)
            view_id = uuid.UUID(int=rng.getrandbits(128)).hex
            for position, module in enumerate(rng.sample(sorted(MODULES), 3), start=1):
                impression_id = uuid.UUID(int=rng.getrandbits(128)).hex
                impressions.append(Impression(
                    impression_id=impression_id, org_id=DEMO_ORG_ID, view_id=view_id,
                    opportunity_id=opportunity, user_id=None, module_key=module,
                    audience="client_facing", position=position, score=2.0, propensity=1.0,
                    explored=False, model_version="tag-text-v1", context=context,
                    shown_at=shown_at,
                ))
                p_open, p_helpful, p_use = MODULES[module]
                kinds = []
                if rng.random() < p_open:
                    kinds.append(EventKind.OPEN)
                    if rng.random() < 0.5:
                        kinds.append(EventKind.HELPFUL if rng.random() < p_helpful
                                     else EventKind.NOT_HELPFUL)
                    if rng.random() < p_use:
                        kinds.append(EventKind.COPY)
                        used_star |= module == STAR
                for minute, kind in enumerate(kinds, start=1):
                    events.append(PanelEvent(uuid.UUID(int=rng.getrandbits(128)).hex,
                                             impression_id, kind,
                                             shown_at + timedelta(minutes=minute)))
        if n % 4 != 3:  # a quarter still open
            won = rng.random() < (0.6 if used_star else 0.4)
            outcomes.append(DealOutcome(opportunity, won=won,
                                        stage="Closed Won" if won else "Closed Lost"))
    return impressions, events, outcomes


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("analytics")
    with serve_demo_app(directory, name="analytics-server") as url:
        engine = make_engine(f"sqlite:///{directory / 'demo.sqlite3'}")
        impressions, events, outcomes = simulated_log()
        with session_factory(engine).begin() as session:
            add_impressions(session, impressions)
            PanelEventLog(session, DEMO_ORG_ID).add_events(events)
            DealOutcomes(session, DEMO_ORG_ID).save(outcomes)
        engine.dispose()
        yield url


def test_an_enablement_lead_segments_the_analytics_and_opens_a_modules_detail(
    open_tab, screenshot
):
    tab = open_tab()
    page = tab.open("/workspace/analytics")

    expect(page.get_by_role("heading", name="Content analytics")).to_be_visible()
    chart = page.get_by_test_id("trend-chart").locator("svg")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.bi-chart__bar").first).to_be_visible()
    never = page.get_by_test_id("never-opened")
    never_opened = never.locator("tr[data-module-id='vm-banking-cro-operational-resilience']")
    expect(never_opened).to_be_visible()
    expect(page.get_by_test_id("often-not-helpful")).to_contain_text("(1)")
    screenshot(page, suffix="-1-overview")

    page.get_by_label("Segment by").select_option("industry")
    with page.expect_navigation():
        page.get_by_test_id("analytics-apply").click()
    segments = page.get_by_test_id("segment-table")
    expect(segments.get_by_role("columnheader").first).to_have_text("Industry")
    expect(segments.locator("tbody tr")).to_have_count(2)  # Healthcare and Banking
    with page.expect_navigation():
        segments.get_by_role("link", name="Banking").click()
    expect(page.get_by_test_id("analytics-window")).to_contain_text("industry is Banking")

    with page.expect_navigation():
        page.get_by_test_id("module-table").get_by_role("link", name="Open rate").click()
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Open rate")
    screenshot(page, suffix="-2-banking-by-open-rate")

    with page.expect_navigation():
        page.locator(f"[data-testid=module-table] tr[data-module-id='{STAR}'] th a").click()
    expect(page.get_by_test_id("module-title")).to_be_visible()
    expect(page.get_by_test_id("trend-chart").locator("svg")).to_be_visible()
    caution = page.get_by_test_id("association-caution")
    expect(caution).to_be_visible()
    expect(caution).to_contain_text(ASSOCIATION_CAUTION)
    expect(page.get_by_test_id("won-lost-table")).to_be_visible()
    expect(page.get_by_test_id("module-segment-table")).to_contain_text("Healthcare")
    screenshot(page, suffix="-3-module")

    with page.expect_navigation():
        page.get_by_test_id("module-page-link").click()
    expect(page).to_have_url(re.compile(rf"/workspace/modules/{STAR}$"))
    assert not tab.console_errors, tab.console_errors
