"""Browser tests of a channel manager's coaching: the demo's Marcus Bell sees the partner reps of
his region (Brightline Partners' Jamie Ortiz), their deals with the stuck flag and the content the
partner rep opened, recommends a partner module, and Jamie's panel shows it first with his name;
a module not marked for partners is refused with a 400 that stores nothing."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from content_catalog.manager_recommendations import ManagerRecommendations
from content_catalog.tables.learning_tables import PanelEventRow
from plugin.crm.demo_org import demo_module_payloads
from plugin.crm.demo_org.demo_stage_history import STUCK_DAYS
from tests.web.coaching_fixtures import be, page_at

pytestmark = pytest.mark.browser

JAMIE = "0055e00000JAMIOAA5"  # Brightline Partners' partner rep, reporting to Marcus Bell
STUCK_PARTNER_DEAL = "006Dn0000sRS5dUIAT"  # Larchmont Logistics, stuck in Value Proposition
PARTNER_MODULE = "pb-small-deal-fast-track"
NOTE = "Small deal: this gets it to signature without a security review."
MODULES = {m["id"]: m for m in demo_module_payloads()}
MODULES_BY_TITLE = {m["title"]: m for m in MODULES.values()}
DIRECT_ONLY = next(k for k, m in MODULES.items()
                   if not m.get("for_partners") and m["status"] == "published")


def open_recommendations(svc) -> list:
    with svc.sessions() as session:
        return ManagerRecommendations(session, svc.demo_org.org_id).open()


def events_on(svc, page: Page, count: int, timeout: float = 15.0) -> int:
    """Waits (on Playwright's clock, so the page's keepalive request can land) for ``count``
    panel events in the database; returns how many there are."""
    deadline = time.monotonic() + timeout
    while True:
        with svc.sessions() as session:
            found = session.query(PanelEventRow).count()
        if found >= count or time.monotonic() > deadline:
            return found
        page.wait_for_timeout(100)


def test_a_channel_manager_coaches_a_partner_rep_of_his_region(chromium, coaching_app, screenshot):
    url, svc = coaching_app
    partner_deal = next(o for o in svc.demo_org.opportunities()
                        if o.opportunity_id.startswith(STUCK_PARTNER_DEAL))
    assert partner_deal.owner_id == JAMIE and STUCK_PARTNER_DEAL in STUCK_DAYS

    # Jamie opens a suggestion on the deal from his panel: content the coaching view will show.
    jamie = page_at(chromium, 320)
    be(jamie, url, "partner_rep")
    jamie.goto(f"{url}/panel/{partner_deal.opportunity_id}")
    opened = jamie.locator(".bi-suggestion__title a").first
    opened_title = opened.inner_text().strip()
    opened.click()
    assert events_on(svc, jamie, 1) >= 1

    marcus = page_at(chromium, 1440)
    be(marcus, url, "channel_manager")
    expect(marcus.get_by_test_id("signed-in-as")).to_contain_text("Demo channel manager")
    marcus.goto(f"{url}/workspace/coaching")
    reps = marcus.get_by_test_id("coaching-reps")
    expect(reps).to_contain_text("Jamie Ortiz")
    expect(reps.locator("tr", has_text="Jamie Ortiz")).to_contain_text("Partner")
    expect(reps).not_to_contain_text("Sam Carter")  # Dana's team, not his
    row = marcus.locator(f"tr[data-opportunity-id='{partner_deal.opportunity_id}']")
    expect(row).to_contain_text(partner_deal.name)
    expect(row.get_by_test_id("stuck")).to_contain_text("Longer than usual")
    expect(row.locator("td[data-label='Days in stage']")).to_contain_text(
        str(STUCK_DAYS[STUCK_PARTNER_DEAL]))
    expect(row.locator("td[data-label='Content used']")).to_contain_text(opened_title)
    assert marcus.evaluate("document.documentElement.scrollWidth") <= 1440  # no sideways scroll
    screenshot(marcus, suffix="-coaching-view")

    # The form offers partner content only, so a module not for partners cannot be picked there.
    row.get_by_role("link", name="Recommend a module").click()
    expect(marcus.locator("h1")).to_contain_text("Recommend a module to Jamie Ortiz")
    expect(marcus.get_by_text("only content marked for partners is offered")).to_be_visible()
    marcus.get_by_label("Find a module").fill("small deals")
    marcus.get_by_role("button", name="Search").click()
    results = marcus.get_by_test_id("recommend-results")
    titles = [t.strip() for t in results.locator(".slds-radio__label .slds-form-element__label")
              .all_inner_texts()]
    assert titles and all(MODULES_BY_TITLE[t].get("for_partners") for t in titles)
    marcus.locator(f"label[for='m-{PARTNER_MODULE}']").click()
    marcus.get_by_label("Note (optional)").fill(NOTE)
    screenshot(marcus, suffix="-recommend-form")
    marcus.get_by_role("button", name="Recommend").click()
    expect(marcus.get_by_test_id("flash")).to_contain_text(PARTNER_MODULE)
    expect(marcus.locator(f"tr[data-opportunity-id='{partner_deal.opportunity_id}']")
           ).to_contain_text(f"{PARTNER_MODULE}: in the panel")

    for width in (1440, 320):
        rep = page_at(chromium, width)
        be(rep, url, "partner_rep")
        rep.goto(f"{url}/panel/{partner_deal.opportunity_id}")
        card = rep.get_by_test_id("internal").locator("li.bi-suggestion").first
        expect(card).to_have_attribute("data-testid", "manager-recommendation")
        expect(card).to_have_attribute("data-module-id", PARTNER_MODULE)
        expect(card).to_contain_text("Recommended by Marcus Bell")
        expect(card.get_by_test_id("manager-note")).to_contain_text(NOTE)
        box = card.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width + 1  # no sideways scroll
        screenshot(rep, suffix=f"-partner-panel-{width}")


def test_a_module_not_for_partners_is_refused_for_a_partner_rep_and_nothing_is_stored(
        chromium, coaching_app, screenshot):
    url, svc = coaching_app
    partner_deal = next(o for o in svc.demo_org.opportunities() if o.owner_id == JAMIE)
    marcus = page_at(chromium, 1440)
    be(marcus, url, "channel_manager")
    form_url = f"{url}/workspace/coaching/deals/{partner_deal.opportunity_id}/recommend?rep={JAMIE}"
    marcus.goto(f"{form_url}&q={MODULES[DIRECT_ONLY]['title']}")
    expect(marcus.get_by_test_id("recommend-none")).to_contain_text("marked for partners")
    # The form offers partner modules only: forge its choice to name a direct-only module.
    marcus.goto(f"{form_url}&q=small deals")
    marcus.locator(f"#m-{PARTNER_MODULE}").evaluate("(input, key) => { input.value = key; }",
                                                   DIRECT_ONLY)
    with marcus.expect_navigation() as sent:
        marcus.get_by_role("button", name="Recommend").click()
    assert sent.value is not None and sent.value.status == 400
    expect(marcus.locator("body")).to_contain_text("not marked for partners")
    screenshot(marcus, suffix="-refused")
    assert open_recommendations(svc) == []
