"""Browser tests of coaching: the demo manager opens the coaching view, recommends a module to
the demo rep on one of his deals by searching for it, and the rep's panel shows it first with
the manager's name and note, at desktop width and at 320 px; the partner rep's panel holds
partner content only."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from plugin.coaching.demo_coaching import DEMO_REP_ID, demo_deal
from plugin.crm.demo_org import demo_module_payloads
from tests.web.coaching_fixtures import be, page_at

pytestmark = pytest.mark.browser

NOTE = "Use the finance checklist before Thursday's call."
FOR_PARTNERS = {m["title"] for m in demo_module_payloads() if m.get("for_partners")}


def test_a_manager_recommends_a_module_and_the_rep_sees_it_first(chromium, coaching_app,
                                                                 screenshot):
    url, svc = coaching_app
    deal = demo_deal(svc.demo_org)
    manager = page_at(chromium, 1440)
    be(manager, url, "manager")
    manager.goto(f"{url}/workspace/coaching")
    expect(manager.get_by_test_id("coaching-reps")).to_contain_text("Sam Carter")
    row = manager.locator(f"tr[data-opportunity-id='{deal.opportunity_id}']")
    expect(row).to_contain_text(deal.name)
    expect(manager.get_by_test_id("coaching-deals")).to_contain_text("Longer than usual")
    screenshot(manager, suffix="-coaching-view")
    row.get_by_role("link", name="Recommend a module").click()
    manager.get_by_label("Find a module").fill("multi-threading")
    manager.get_by_role("button", name="Search").click()
    manager.locator("label[for='m-pb-enterprise-multi-threading']").click()
    manager.get_by_label("Note (optional)").fill(NOTE)
    screenshot(manager, suffix="-recommend-form")
    manager.get_by_role("button", name="Recommend").click()
    expect(manager.locator(f"tr[data-opportunity-id='{deal.opportunity_id}']")).to_contain_text(
        "pb-enterprise-multi-threading: in the panel")

    for width in (1440, 320):
        rep = page_at(chromium, width)
        be(rep, url, "rep")
        rep.goto(f"{url}/panel/{deal.opportunity_id}")
        card = rep.get_by_test_id("internal").locator("li.bi-suggestion").first
        expect(card).to_have_attribute("data-testid", "manager-recommendation")
        expect(card).to_contain_text("Recommended by Dana Whitfield, your manager")
        expect(card.get_by_test_id("manager-note")).to_contain_text(NOTE)
        box = card.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width + 1  # no sideways scroll
        screenshot(rep, suffix=f"-rep-panel-{width}")


def test_the_partner_reps_panel_holds_partner_content_only(chromium, coaching_app, screenshot):
    url, svc = coaching_app
    partner_deal = next(o for o in svc.demo_org.opportunities()
                        if o.owner_id == "0055e00000JAMIOAA5")
    page = page_at(chromium, 320)
    be(page, url, "partner_rep")
    page.goto(f"{url}/panel/{partner_deal.opportunity_id}")
    titles = {t.strip() for t in page.locator(".bi-suggestion__title a").all_inner_texts()}
    assert titles and titles <= FOR_PARTNERS
    screenshot(page, suffix="-partner-panel-320")
    assert DEMO_REP_ID  # the demo rep is not who this page shows
