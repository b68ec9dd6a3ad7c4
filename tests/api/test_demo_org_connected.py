"""In demo mode the demo org is a connected org whose data source is the bundled records: an
admin maps its stages and fields in the console or with ``beinspired org``, and the panel
follows."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from plugin.app import create_app
from plugin.cli import main
from plugin.crm.demo_org import DEMO_ORG_ID, load_demo_catalog
from plugin.orgs.demo_connection import DEMO_CONNECTION_FIXED, connect_demo_org
from plugin.settings import Settings
from tests.api.conftest import TODAY

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KEYSTONE = "006Dn0000x5uWHqIAM"  # in the custom stage "Security Review"


@pytest.fixture
def demo_db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'demo.sqlite3'}"


@pytest.fixture
def app(demo_db):
    app = create_app(Settings(demo_mode=True, database_url=demo_db), today=lambda: TODAY)
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    assert connect_demo_org(svc.org_connections())
    yield app
    svc.engine.dispose()


def as_admin(app):
    client = app.test_client()
    token = CSRF.search(client.get("/demo/identity").get_data(as_text=True)).group(1)
    client.post("/demo/identity", data={"role": "admin", "csrf_token": token})
    return client, token


def context_of(client, opportunity_id: str) -> dict:
    answer = client.get(f"/api/v1/opportunities/{opportunity_id}/recommendations")
    assert answer.status_code == 200
    return answer.get_json()["context"]


def test_the_demo_admin_sees_the_demo_org_connected_with_its_stages_and_fields(app):
    client, _ = as_admin(app)
    listed = client.get("/admin/orgs").get_data(as_text=True)
    assert DEMO_ORG_ID in listed and "Demo records" in listed and "not connected yet" not in listed
    view = client.get(f"/admin/orgs/{DEMO_ORG_ID}")
    assert view.status_code == 200 and "bundled with Be Inspired" in view.get_data(as_text=True)
    stages = client.get(f"/admin/orgs/{DEMO_ORG_ID}/stages").get_data(as_text=True)
    assert 'data-stage="Security Review"' in stages and "from its bundled records" in stages
    assert client.get(f"/admin/orgs/{DEMO_ORG_ID}/fields").status_code == 200


def test_mapping_security_review_in_the_console_changes_the_demo_panel(app):
    client, token = as_admin(app)
    # Awareness: a phase neither the defaults nor the neighbouring stages would give it.
    assert context_of(client, KEYSTONE)["journey_phase"] != "awareness"
    saved = client.post(f"/admin/orgs/{DEMO_ORG_ID}/stages", data={
        "csrf_token": token, "stage": ["Security Review"], "phase": ["awareness"]})
    assert saved.status_code == 302
    assert context_of(client, KEYSTONE)["journey_phase"] == "awareness"


def test_the_demo_fields_mapping_decides_what_the_panel_reads(app):
    client, token = as_admin(app)
    assert context_of(client, KEYSTONE)["challenge"] == "risk_compliance"
    saved = client.post(f"/admin/orgs/{DEMO_ORG_ID}/fields",
                        data={"csrf_token": token, "challenge_field": ""})
    assert saved.status_code == 302
    assert context_of(client, KEYSTONE)["challenge"] is None


def test_the_demo_connection_test_checks_mapped_fields_against_the_bundled_records(app):
    client, token = as_admin(app)
    client.post(f"/admin/orgs/{DEMO_ORG_ID}/fields",
                data={"csrf_token": token, "challenge_field": "Pain_Point__c"})
    tested = client.post(f"/admin/orgs/{DEMO_ORG_ID}/test", data={"csrf_token": token})
    page = tested.get_data(as_text=True)
    assert "cannot be read" in page and "Opportunity.Pain_Point__c" in page


def test_the_demo_connection_cannot_be_edited_and_says_what_to_do_instead(app):
    client, token = as_admin(app)
    edit = client.get(f"/admin/orgs/{DEMO_ORG_ID}/edit", follow_redirects=True)
    assert DEMO_CONNECTION_FIXED in edit.get_data(as_text=True)
    client.post(f"/admin/orgs/{DEMO_ORG_ID}/edit",
                data={"csrf_token": token, "instance_url": "https://evil.example.com"})
    org = app.extensions["be_inspired"].org_connections().get(DEMO_ORG_ID)
    assert org.is_demo and org.connection.instance_url != "https://evil.example.com"


def test_map_stage_on_the_command_line_changes_the_demo_panel(app, demo_db):
    client, _ = as_admin(app)
    for phase in ("awareness", "buying"):
        result = CliRunner().invoke(main, ["org", "map-stage", DEMO_ORG_ID[:15],
                                           "Security Review", phase], env={"DATABASE_URL": demo_db})
        assert result.exit_code == 0, result.output
        assert context_of(client, KEYSTONE)["journey_phase"] == phase


def test_reloading_the_demo_keeps_the_admins_mapping(app):
    svc = app.extensions["be_inspired"]
    client, token = as_admin(app)
    client.post(f"/admin/orgs/{DEMO_ORG_ID}/stages",
                data={"csrf_token": token, "stage": ["Security Review"], "phase": ["buying"]})
    assert not connect_demo_org(svc.org_connections())
    assert context_of(client, KEYSTONE)["journey_phase"] == "buying"


def test_the_admin_api_shows_the_demo_org_as_demo_records_and_refuses_a_new_connection(app):
    client, token = as_admin(app)
    shown = client.get(f"/api/v1/admin/orgs/{DEMO_ORG_ID}")
    assert shown.status_code == 200 and shown.get_json()["auth_mode"] == "demo"
    refused = client.patch(f"/api/v1/admin/orgs/{DEMO_ORG_ID}", headers={"X-CSRFToken": token},
                         json={"instance_url": "https://evil.example.com"})
    assert refused.status_code == 400
    assert DEMO_CONNECTION_FIXED in refused.get_data(as_text=True)
