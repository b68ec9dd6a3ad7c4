"""Browser tests of the demo without dead ends: the demo admin maps Keystone's custom stage
"Security Review" in the console and the panel changes; a second load of the demo keeps what a
lead edited."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from plugin.app import create_app
from plugin.crm.demo_org import DEMO_ORG_ID, load_demo_catalog
from plugin.orgs.demo_connection import connect_demo_org
from plugin.settings import Settings
from tests.web.conftest import DEMO_TODAY

pytestmark = pytest.mark.browser

KEYSTONE = "006Dn0000x5uWHqIAM"  # Keystone Wealth Advisors, in the custom stage "Security Review"
POST_SALE = ("Welcome and kickoff email after signature", "60-day adoption check-in email")
EDITED = "email-kickoff-welcome"


@dataclass
class DemoApp:
    url: str
    services: object

    def reload_demo(self):
        """What a second ``make demo`` does to the catalog and the connection."""
        svc = self.services
        loaded = load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
        connect_demo_org(svc.org_connections())
        return loaded


@pytest.fixture
def demo_app(tmp_path) -> Iterator[DemoApp]:
    settings = Settings(demo_mode=True, database_url=f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    app = create_app(settings, today=lambda: DEMO_TODAY)
    svc = app.extensions["be_inspired"]
    demo = DemoApp("", svc)
    demo.reload_demo()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="demo-admin-app", daemon=True)
    thread.start()
    demo.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield demo
    finally:
        server.shutdown()
        thread.join(timeout=5)
        svc.engine.dispose()


@pytest.fixture
def page(chromium, demo_app) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@dataclass(frozen=True)
class PanelState:
    """What a rep sees of the panel: the phase it assumes, its notices and its suggestions."""

    context: str
    notices: tuple[str, ...]
    titles: tuple[str, ...]


def panel_state(page: Page) -> PanelState:
    panel = page.frame_locator("[data-testid=panel-frame]")
    expect(panel.locator(".bi-suggestion__title a").first).to_be_visible()
    return PanelState(
        panel.get_by_test_id("context").inner_text().strip(),
        tuple(t.strip() for t in panel.locator(".bi-notice").all_inner_texts()),
        tuple(t.strip() for t in panel.locator(".bi-suggestion__title a").all_inner_texts()),
    )


def test_the_demo_admin_maps_security_review_and_the_keystone_panel_changes(
    page, demo_app, screenshot
):
    page.goto(f"{demo_app.url}/demo/{KEYSTONE}")
    expect(page.get_by_test_id("stage")).to_have_text("Security Review")
    before = panel_state(page)

    page.get_by_test_id("view-as-admin").click()  # the demo header's "view as"
    expect(page.get_by_test_id("signed-in-as")).to_have_text("Demo admin · admin")
    org_row = page.locator(f"[data-org-id='{DEMO_ORG_ID}']")
    expect(org_row).to_contain_text("Demo records")
    org_row.get_by_role("link", name="Stages").click()
    row = page.locator("[data-testid=stage-row][data-stage='Security Review']")
    expect(row).to_contain_text("No phase")
    expect(page.get_by_test_id("stages-note")).to_contain_text("from its bundled records")
    row.get_by_test_id("phase-select").select_option("buying")
    row.scroll_into_view_if_needed()
    screenshot(page, suffix="-mapping")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("flash")).to_contain_text("Saved the stage mapping")
    expect(row).to_contain_text("this org")
    screenshot(page, suffix="-saved")
    page.get_by_role("link", name="Back to the org").click()
    expect(page.get_by_test_id("demo-source")).to_contain_text("bundled with Be Inspired")
    page.get_by_test_id("test-connection").click()
    expect(page.get_by_test_id("check-result")).to_contain_text(
        "Connected to “Northwind Cloud (demo org)”; every field the panel reads is readable.")
    screenshot(page, suffix="-org")

    page.get_by_test_id("app-demo").click()  # one navigation back to the record page
    page.goto(f"{demo_app.url}/demo/{KEYSTONE}")
    after = panel_state(page)
    # Unmapped, the panel ranked without the phase (or, where the stage order is known, said
    # which phase it assumed); mapped, it is the buying phase, with nothing to say about it.
    assert after != before
    assert after.context.startswith("Buying phase")
    assert not [n for n in after.notices if "Security Review" in n]
    assert not set(after.titles) & set(POST_SALE)
    expect(page.get_by_text("not mapped to a journey phase")).to_have_count(0)
    screenshot(page, full_page=False, suffix="-panel")


def test_a_second_demo_load_keeps_what_a_lead_edited(page, demo_app, screenshot):
    page.goto(f"{demo_app.url}/demo/identity")
    page.locator("label[for=role-enablement]").click()
    page.get_by_role("button", name="Continue").click()
    page.goto(f"{demo_app.url}/workspace/modules/{EDITED}/edit")
    page.get_by_label("Title").fill("Welcome aboard: your first 30 days with Northwind")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("page-title")).to_have_text(
        "Welcome aboard: your first 30 days with Northwind")
    expect(page.get_by_test_id("version")).to_have_text("2")

    loaded = demo_app.reload_demo()

    assert loaded.kept == 1 and loaded.updated == 0
    page.reload()
    expect(page.get_by_test_id("page-title")).to_have_text(
        "Welcome aboard: your first 30 days with Northwind")
    expect(page.get_by_test_id("version")).to_have_text("2")
    screenshot(page)


def test_a_rep_refused_the_console_finds_the_way_in_from_the_refusal(page, demo_app, screenshot):
    page.goto(f"{demo_app.url}/demo/{KEYSTONE}")
    page.get_by_test_id("view-as-rep").click()
    expect(page.get_by_test_id("demo-viewer")).to_have_text("Demo rep")
    page.goto(f"{demo_app.url}/admin/")
    expect(page.get_by_test_id("error")).to_contain_text("signed in as a rep")
    screenshot(page, full_page=False, suffix="-refused")
    page.get_by_test_id("view-as").click()
    page.locator("label[for=role-admin]").click()  # SLDS draws the radio over its input
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Salesforce org")
    expect(page.get_by_test_id("signed-in-as")).to_have_text("Demo admin · admin")
