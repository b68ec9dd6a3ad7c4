"""Browser test: Acme's admin mapped a stage of Acme's own ("Technical Win"); an enablement lead
of Acme finds it in the editor's stage picker, tags a module with it, and then filters the
coverage map by it.

The app is served from a thread in demo mode on loopback, only so that its session cookie is not
"__Host-" (https only): the lead is Acme's, signed in with a workspace session started directly
(as the sign-in callback would), and a signed-in person is never the demo org's.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from content_catalog.database import upgrade
from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import JourneyPhase
from plugin.app import create_app
from plugin.orgs.connections import ConfiguredOrg, OrgConnections, SecretBox
from plugin.orgs.mapping import OrgMapping
from plugin.access.role_mappings import Role, User
from plugin.crm.salesforce.config import OrgConnection
from plugin.settings import Settings
from plugin.access.user_sessions import UserSessions
from tests.plugin.crm.salesforce.sf_fakes import CANVAS_SECRET, INSTANCE, ORG_ID
from tests.web.conftest import DEMO_TODAY

pytestmark = pytest.mark.browser

STAGE = "Technical Win"
LEAD = User(ORG_ID, "0055e000001LeADAAS", "Lena Lead", Role.ENABLEMENT)


@dataclass
class AcmeApp:
    url: str
    cookie: str
    sessions: object


@pytest.fixture
def acme_app(tmp_path) -> Iterator[AcmeApp]:
    settings = Settings(demo_mode=True, database_url=f"sqlite:///{tmp_path / 'stages.sqlite3'}",
                        encryption_keys=SecretBox.new_key(),
                        app_secret="org-stages-browser-test-secret-of-32-chars")
    app = create_app(settings, today=lambda: DEMO_TODAY)
    svc = app.extensions["be_inspired"]
    upgrade(svc.engine)
    OrgConnections(svc.sessions, SecretBox(settings.encryption_key_list)).save(ConfiguredOrg(
        "Acme Corp", OrgConnection(ORG_ID, INSTANCE, canvas_secret=CANVAS_SECRET),
        mapping=OrgMapping(stage_phases=((STAGE, JourneyPhase.BUYING),)),
    ))
    cookie = UserSessions(svc.sessions, max_seconds=3600, idle_seconds=3600).start(LEAD)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="org-stages-app", daemon=True)
    thread.start()
    try:
        yield AcmeApp(f"http://127.0.0.1:{server.server_port}", cookie, svc.sessions)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        svc.engine.dispose()


def test_a_lead_tags_a_module_with_the_orgs_own_stage_and_filters_coverage_by_it(
    chromium, acme_app, screenshot
):
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "bi_session", "value": acme_app.cookie, "url": acme_app.url}])
    page = context.new_page()
    try:
        page.goto(acme_app.url + "/workspace/modules/new")
        picker = page.get_by_test_id("picker-deal_stage")
        expect(picker.get_by_label(STAGE)).to_be_visible()
        page.get_by_label("Title").fill("Proof-of-concept checklist")
        expect(page.get_by_label("Module id")).to_have_value("proof-of-concept-checklist")
        page.get_by_label("Kind").select_option("playbook")
        page.get_by_label("Markdown").fill("1. Agree the success criteria.")
        page.get_by_test_id("picker-journey_phase").get_by_text("Buying", exact=True).click()
        picker.get_by_text(STAGE, exact=True).click()
        expect(picker.get_by_label(STAGE, exact=True)).to_be_checked()
        picker.scroll_into_view_if_needed()
        screenshot(page, full_page=False)
        page.get_by_test_id("save").click()

        expect(page.get_by_text("Created “Proof-of-concept checklist” as a draft")).to_be_visible()
        with acme_app.sessions() as session:
            module = CatalogRepository(session, ORG_ID).get("proof-of-concept-checklist")
        assert module.tag_values("deal_stage") == (STAGE,)
        page.get_by_role("button", name="Publish").click()
        expect(page.get_by_text("Published (version 2)")).to_be_visible()

        page.goto(acme_app.url + "/workspace/coverage")
        page.get_by_label("Deal stage").select_option(STAGE)
        page.get_by_role("button", name="Apply").click()
        expect(page.get_by_label("Deal stage")).to_have_value(STAGE)
        buying = page.get_by_role("row", name=re.compile("^Buying"))
        expect(buying.get_by_role("cell")).to_have_count(9)  # nine buyer roles...
        expect(buying.get_by_text("Thin")).to_have_count(9)  # ...each with the module, as "any"
        screenshot(page, full_page=False, suffix="-coverage")
    finally:
        context.close()
