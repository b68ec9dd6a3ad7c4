"""``/api/v1/admin/orgs``: an admin connects, tests and maps their own org over JSON; secrets go in
and never come out; another org is not there."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from content_catalog.org_activity import OrgActivityRepository
from content_catalog.repository import CatalogRepository, ensure_org
from plugin.web.identity import Role
from plugin.crm.salesforce.config import AuthMode
from tests.api.admin_fixtures import (  # noqa: F401  (fixtures)
    ACME,
    GLOBEX,
    GLOBEX_SECRET,
    acme_org,
    admin_app,
    admin_of,
    console,
    globex_org,
    open_console,
    salesforce,
    sign_in,
    store,
)
from tests.plugin.crm.salesforce.sf_fakes import CANVAS_SECRET, INSTANCE
from tests.plugin.crm.salesforce.sf_org_fakes import CONSUMER_KEY, CONSUMER_SECRET

ORGS = "/api/v1/admin/orgs"
ACME_URL = f"{ORGS}/{ACME}"
NEW_ACME = {
    "org_id": ACME[:15], "name": "Acme Corp", "auth_mode": "client_credentials", "instance_url": INSTANCE,
    "consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET, "canvas_secret": CANVAS_SECRET,
}  # fmt: skip


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]


def fields_named(error: dict) -> set[str]:
    return {f["field"] for f in error.get("fields", [])}


@pytest.fixture
def acme(console, store):
    store.save(acme_org())
    return console


# -- connecting --------------------------------------------------------------------------------------
def test_an_admin_connects_their_org_and_secrets_come_back_only_as_hints(console):
    created = console.send("POST", ORGS, json=NEW_ACME)

    assert created.status_code == 201, created.get_json()
    assert created.headers["Location"].endswith(ACME_URL)
    body = created.get_json()
    assert (body["org_id"], body["auth_mode"], body["consumer_key"]) == (ACME, "client_credentials", CONSUMER_KEY)
    assert body["secrets"] == {
        "consumer_secret": "set ••••" + CONSUMER_SECRET[-4:], "private_key": "not set", "password": "not set",
        "security_token": "not set", "canvas_secret": "set ••••" + CANVAS_SECRET[-4:]}
    assert body["frame_ancestors"]["derived"][:2] == [INSTANCE, "https://acme.lightning.force.com"]
    for response in (created, console.get(ACME_URL), console.get(ORGS)):
        text = response.get_data(as_text=True)
        assert CONSUMER_SECRET not in text and CANVAS_SECRET not in text
    assert [o["org_id"] for o in console.get(ORGS).get_json()["items"]] == [ACME]


def test_an_admin_cannot_connect_another_org(console, admin_app):
    refused = console.send("POST", ORGS, json={**NEW_ACME, "org_id": GLOBEX})
    assert error_of(refused, 403)["reason"] == "not_your_org"
    assert console.get(ORGS).get_json() == {"items": []}


def test_connecting_an_org_twice_is_a_conflict(acme):
    assert error_of(acme.send("POST", ORGS, json=NEW_ACME), 409)["reason"] == "org_exists"


@pytest.mark.parametrize("change, fields", [
    ({"instance_url": "http://acme.example"}, {"instance_url"}),
    ({"auth_mode": "magic"}, {"auth_mode"}),
    ({"consumer_secret": ""}, {"consumer_secret"}),
    ({"timeout": 500, "api_version": "v59"}, {"timeout", "api_version"}),
    ({"org_id": "001000000000001"}, {"org_id"}),
    ({"name": "", "colour": "red"}, {"name", "colour"}),
    ({"auth_mode": "jwt_bearer", "username": "int@acme.example"}, {"private_key"}),
])  # fmt: skip
def test_invalid_settings_name_their_fields(console, change, fields):
    error = error_of(console.send("POST", ORGS, json={**NEW_ACME, **change}), 400)
    assert fields_named(error) == fields
    assert console.get(ORGS).get_json() == {"items": []}


def test_a_rejected_secret_is_never_repeated(console):
    key = "-----BEGIN PRIVATE KEY-----\nTOTALLYSECRETMATERIAL0123456789\n-----END PRIVATE KEY-----"
    body = {**NEW_ACME, "auth_mode": "jwt_bearer", "username": "int@acme.example", "private_key": key,
            "canvas_secret": 12345}
    response = console.send("POST", ORGS, json=body)
    error = error_of(response, 400)
    assert fields_named(error) == {"private_key", "canvas_secret"}
    assert "TOTALLYSECRETMATERIAL" not in response.get_data(as_text=True)


# -- editing ------------------------------------------------------------------------------------------
def test_editing_keeps_secrets_left_out_or_empty(acme, store):
    changed = acme.send("PATCH", ACME_URL, json={"timeout": 5, "consumer_secret": "", "name": "Acme EU"})
    assert changed.status_code == 200, changed.get_json()
    saved = store.get(ACME)
    assert (saved.name, saved.connection.timeout) == ("Acme EU", 5.0)
    assert saved.connection.credentials.consumer_secret == CONSUMER_SECRET
    assert saved.connection.canvas_secret == CANVAS_SECRET


def test_a_secret_given_on_edit_replaces_the_stored_one(acme, store):
    acme.send("PATCH", ACME_URL, json={"canvas_secret": "a-brand-new-canvas-secret-99"})
    assert store.get(ACME).connection.canvas_secret == "a-brand-new-canvas-secret-99"


def test_switching_to_canvas_only_drops_the_integration_credentials(acme, store):
    body = acme.send("PATCH", ACME_URL, json={"auth_mode": "canvas"}).get_json()
    assert body["secrets"]["consumer_secret"] == "not set"
    assert body["consumer_key"] == CONSUMER_KEY  # kept for signing in with Salesforce
    assert store.get(ACME).connection.auth_mode is AuthMode.CANVAS
    assert store.get(ACME).connection.canvas_secret == CANVAS_SECRET


def test_the_org_id_cannot_be_changed_by_an_edit(acme, store):
    acme.send("PATCH", ACME_URL, json={"org_id": GLOBEX, "name": "Renamed"})
    assert store.get(ACME).name == "Renamed" and store.get(GLOBEX) is None


def test_removing_the_org_deletes_its_connection(acme, store):
    assert acme.send("DELETE", ACME_URL).status_code == 204
    assert store.get(ACME) is None
    assert error_of(acme.get(ACME_URL), 404)["code"] == "not_found"


# -- testing the connection ---------------------------------------------------------------------------
def test_a_connection_test_reports_the_org_name_and_api_usage(acme, salesforce, admin_app):
    result = acme.send("POST", f"{ACME_URL}/test").get_json()
    assert result["ok"] and result["testable"] and result["missing"] == []
    assert result["org_name"] == "Acme Corporation"
    assert result["api_usage"] == {"used": 18, "limit": 15000}
    described = sorted(c.request.url.rsplit("/sobjects/", 1)[1] for c in salesforce.calls if "/describe" in c.request.url)
    assert described == ["Account/describe", "Opportunity/describe", "OpportunityContactRole/describe"]
    status = acme.get(f"{ACME_URL}/status").get_json()
    assert (status["api_usage"]["used"], status["api_usage"]["limit"]) == (18, 15000)


def test_a_connection_test_lists_mapped_fields_the_org_does_not_let_us_read(acme, salesforce):
    acme.send("PUT", f"{ACME_URL}/fields", json={
        "challenge_field": "Customer_Challenge__c", "industry_field": "Account.Segment__c",
        "extra_fields": ["Competitor__c"]})
    salesforce.hidden_fields.add(("Opportunity", "Customer_Challenge__c"))

    result = acme.send("POST", f"{ACME_URL}/test").get_json()

    assert not result["ok"] and result["error"] is None
    assert {(m["object"], m["field"], m["role"]) for m in result["missing"]} == {
        ("Opportunity", "Customer_Challenge__c", "mapped challenge field"),
        ("Account", "Segment__c", "mapped industry field"),
    }
    events = acme.get(f"{ACME_URL}/status").get_json()["events"]
    assert events[0]["kind"] == "test_failed" and "Customer_Challenge__c" in events[0]["message"]


def test_a_refused_login_is_reported_without_any_secret(acme, salesforce):
    salesforce.login_refused = True
    response = acme.send("POST", f"{ACME_URL}/test")
    result = response.get_json()
    assert not result["ok"] and "Salesforce refused the login" in result["error"]
    assert CONSUMER_SECRET not in response.get_data(as_text=True)
    status = acme.get(f"{ACME_URL}/status").get_data(as_text=True)
    assert "refused the login" in status and CONSUMER_SECRET not in status


def test_a_canvas_only_org_says_it_cannot_be_tested_from_here(console, store, salesforce):
    store.save(acme_org(credentials=None))
    result = console.send("POST", f"{ACME_URL}/test").get_json()
    assert (result["testable"], result["ok"]) == (False, False)
    assert "Canvas-only" in result["summary"] and not salesforce.calls


# -- the field mapping --------------------------------------------------------------------------------
def test_the_field_mapping_is_validated_and_saved(acme, store):
    body = {"challenge_field": "Account.Pain__c", "industry_field": "Account.Sector__c",
            "extra_fields": ["Competitor__c", "competitor__c"], "deal_size_bands": {"medium_from": 10000, "large_from": 90000}}
    saved = acme.send("PUT", f"{ACME_URL}/fields", json=body).get_json()
    assert saved == {**body, "extra_fields": ["Competitor__c"], "deal_size_bands": {"medium_from": 10000.0, "large_from": 90000.0}}
    connection = store.get(ACME).connection
    assert (connection.challenge_field, connection.industry_field) == ("Account.Pain__c", "Account.Sector__c")
    assert acme.send("PUT", f"{ACME_URL}/fields", json={"industry_field": None}).get_json()["industry_field"] is None
    assert store.get(ACME).connection.challenge_field == "Account.Pain__c"  # untouched keys stay


def test_a_bad_field_mapping_names_each_problem(acme, store):
    body = {"challenge_field": "Pain Point", "extra_fields": ["Name", "Contact.Title"],
            "deal_size_bands": {"medium_from": 5, "large_from": 1}}
    error = error_of(acme.send("PUT", f"{ACME_URL}/fields", json=body), 400)
    assert fields_named(error) == {"challenge_field", "extra_fields", "deal_size_bands.large_from"}
    assert store.get(ACME).connection.challenge_field is None


# -- stages ---------------------------------------------------------------------------------------------
def test_stages_come_from_the_org_with_the_unmapped_ones_listed(acme, salesforce):
    listing = acme.get(f"{ACME_URL}/stages").get_json()
    assert listing["from_salesforce"]
    values = [s["value"] for s in listing["stages"]]
    assert values[:3] == ["Prospecting", "Qualification", "Security_Review"]
    assert listing["unmapped"] == ["Security_Review", "Pilot Running"]
    security = next(s for s in listing["stages"] if s["value"] == "Security_Review")
    assert security["label"] == "Security Review" and security["phase"] is None


def test_mapping_stages_replaces_the_orgs_entries(acme, salesforce, store):
    put = acme.send("PUT", f"{ACME_URL}/stages", json={"stage_phases": {
        "Security_Review": "buying", "Pilot Running": "implementation_adoption", "Closed Lost": "awareness"}})
    listing = put.get_json()
    assert listing["unmapped"] == [] and listing["stage_phases"]["Pilot Running"] == "implementation_adoption"
    closed_lost = next(s for s in listing["stages"] if s["value"] == "Closed Lost")
    assert (closed_lost["phase"], closed_lost["mapped_by"]) == ("awareness", "org")
    again = acme.send("PUT", f"{ACME_URL}/stages", json={"stage_phases": {"Pilot Running": "buying"}}).get_json()
    assert again["stage_phases"] == {"Pilot Running": "buying"} and again["unmapped"] == ["Security_Review"]


def test_a_bad_stage_mapping_is_refused(acme, store):
    error = error_of(acme.send("PUT", f"{ACME_URL}/stages", json={"stage_phases": {"Pilot": "later"}}), 400)
    assert error["fields"][0]["allowed"] == ["awareness", "buying", "implementation_adoption"]
    assert error_of(acme.send("PUT", f"{ACME_URL}/stages", json={"Pilot": "buying"}), 400)
    assert store.get(ACME).mapping.stage_phases == ()


def test_a_canvas_only_org_lists_default_mapped_and_seen_stages(console, store, admin_app):
    store.save(acme_org(credentials=None))
    with admin_app.extensions["be_inspired"].sessions.begin() as session:
        CatalogRepository(session, ACME).record_unknown_values({"deal_stage": ("Legal Review",)})
    listing = console.get(f"{ACME_URL}/stages").get_json()
    assert not listing["from_salesforce"] and "Canvas-only" in listing["note"]
    assert "Prospecting" in [s["value"] for s in listing["stages"]]
    assert listing["unmapped"] == ["Legal Review"]
    seen = next(s for s in listing["stages"] if s["value"] == "Legal Review")
    assert seen["seen_unknown"] and not seen["in_salesforce"]


# -- frame ancestors ------------------------------------------------------------------------------------
def test_frame_ancestors_are_derived_and_can_be_extended(acme):
    put = acme.send("PUT", f"{ACME_URL}/frame-ancestors", json={"extra": ["https://acme--pkg.vf.force.com/", "http://localhost:9000"]})
    assert put.get_json()["extra"] == ["https://acme--pkg.vf.force.com", "http://localhost:9000"]
    assert "https://acme--c.vf.force.com" in put.get_json()["derived"]
    error = error_of(acme.send("PUT", f"{ACME_URL}/frame-ancestors", json={"extra": ["http://evil.example"]}), 400)
    assert error["fields"][0]["value"] == "http://evil.example"


# -- status ----------------------------------------------------------------------------------------------
def test_status_lists_events_and_values_nothing_maps_yet(acme, admin_app):
    with admin_app.extensions["be_inspired"].sessions.begin() as session:
        OrgActivityRepository(session, ACME).add_event("limit_exceeded", "the org's API request limit is used up",
                                                       datetime.now(timezone.utc))
        CatalogRepository(session, ACME).record_unknown_values({"deal_stage": ("Pilot Running",), "industry": ("Space",)})
    before = acme.get(f"{ACME_URL}/status").get_json()
    assert [e["kind"] for e in before["events"]] == ["limit_exceeded"]
    assert {(u["dimension"], u["value"]) for u in before["unknown_values"]} == {("deal_stage", "Pilot Running"), ("industry", "Space")}
    acme.send("PUT", f"{ACME_URL}/stages", json={"stage_phases": {"Pilot Running": "buying"}})
    after = acme.get(f"{ACME_URL}/status").get_json()
    assert [u["value"] for u in after["unknown_values"]] == ["Space"]


# -- who may ------------------------------------------------------------------------------------------
def test_another_orgs_id_is_not_found_on_every_route(acme, store):
    store.save(globex_org())
    for method, suffix in [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/test"), ("GET", "/status"),
                           ("GET", "/fields"), ("PUT", "/fields"), ("GET", "/stages"), ("PUT", "/stages"),
                           ("GET", "/frame-ancestors"), ("PUT", "/frame-ancestors")]:
        response = acme.send(method, f"{ORGS}/{GLOBEX}{suffix}", json={})
        assert error_of(response, 404)["message"] == "No such org is connected here.", (method, suffix)
    assert store.get(GLOBEX).connection.canvas_secret == GLOBEX_SECRET


def test_the_fifteen_character_org_id_works_too(acme):
    assert acme.get(f"{ORGS}/{ACME[:15]}").get_json()["org_id"] == ACME


@pytest.mark.parametrize("role", [Role.REP, Role.ENABLEMENT])
def test_only_admins_may_use_the_admin_api(admin_app, sign_in, store, role):
    store.save(acme_org())
    sign_in(admin_of(ACME, role))
    client = admin_app.test_client()
    assert error_of(client.get(ORGS), 403)["code"] == "forbidden"
    assert error_of(client.get(ACME_URL), 403)["code"] == "forbidden"


def test_nobody_signed_in_gets_401(admin_app):
    assert error_of(admin_app.test_client().get(ORGS), 401)["code"] == "unauthorised"


def test_writes_need_the_csrf_token(acme, store):
    error = error_of(acme.send("PATCH", ACME_URL, json={"name": "X"}, csrf=False), 400)
    assert error["code"] == "csrf_failed" and store.get(ACME).name == "Acme Corp"


def test_the_demo_org_admin_sees_no_salesforce_org(admin_app, sign_in):
    with admin_app.extensions["be_inspired"].sessions.begin() as session:
        ensure_org(session, GLOBEX, "Globex")
    sign_in(admin_of(GLOBEX))
    assert open_console(admin_app).get(ORGS).get_json() == {"items": []}
