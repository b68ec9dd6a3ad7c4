"""The JSON API: what a CRM integration sees, on success and on every kind of bad input."""
from __future__ import annotations

import json
import re
import threading

import pytest
import yaml

from plugin.app import create_app
from plugin.settings import Settings

URL = "/api/v1/recommendations"


def reasons_of(body, audience="client_facing"):
    return [set(s["reasons"]) for s in body[audience]]


# -- success ------------------------------------------------------------------------------------
def test_healthcare_proposal_with_economic_buyer_gets_matching_buying_content_first(client, opportunity_where):
    opp = opportunity_where(lambda o: o.industry == "Healthcare" and o.stage == "Proposal/Price Quote")
    assert opp.contact_roles[0].role == "Economic Buyer"
    body = client.get(f"/api/v1/opportunities/{opp.opportunity_id}/recommendations").get_json()
    assert body["opportunity"]["id"] == opp.opportunity_id
    assert body["context"]["journey_phase"] == "buying"
    top = body["client_facing"][:3]
    assert len(top) == 3
    for suggestion in top:
        assert {"Buying phase", "Economic Buyer", "Healthcare"} <= set(suggestion["reasons"])
        assert suggestion["author"] and suggestion["reason_text"].startswith("Buying phase")
    scores = [s["score"] for s in body["client_facing"]]
    assert scores == sorted(scores, reverse=True)


def test_closed_won_opportunity_gets_implementation_and_adoption_content(client, opportunity_where):
    opp = opportunity_where(lambda o: o.is_won)
    body = client.get(f"/api/v1/opportunities/{opp.opportunity_id}/recommendations").get_json()
    assert body["context"]["journey_phase"] == "implementation_adoption"
    assert "Implementation & adoption phase" in body["client_facing"][0]["reasons"]
    # Phase conflicts exclude: nothing tagged only for earlier phases is offered after signature.
    for reasons in reasons_of(body) + reasons_of(body, "internal"):
        assert "Awareness phase" not in reasons and "Buying phase" not in reasons


def test_panel_lists_are_split_by_audience(client, opportunity_where):
    opp = opportunity_where(lambda o: o.industry == "Healthcare")
    body = client.get(f"/api/v1/opportunities/{opp.opportunity_id}/recommendations").get_json()
    assert {s["audience"] for s in body["client_facing"]} == {"client_facing"}
    assert {s["audience"] for s in body["internal"]} == {"internal"}


def test_fifteen_character_id_is_accepted_and_answered_with_the_18_character_form(client, demo_opportunities):
    opp = demo_opportunities[0]
    body = client.get(f"/api/v1/opportunities/{opp.opportunity_id[:15]}/recommendations").get_json()
    assert body["opportunity"]["id"] == opp.opportunity_id


def test_custom_picklist_values_are_kept_and_reported_not_rejected(client, opportunity_where):
    opp = opportunity_where(lambda o: o.industry == "Aerospace & Defense")
    response = client.get(f"/api/v1/opportunities/{opp.opportunity_id}/recommendations")
    assert response.status_code == 200
    body = response.get_json()
    assert body["unknown_values"] == {"industry": ["Aerospace & Defense"]}
    assert body["context"]["industry"] == "Aerospace & Defense"
    # No module tagged for another industry is offered for an industry nobody tagged.
    assert all(not any(r in ("Healthcare", "Banking") for r in s["reasons"]) for s in body["client_facing"])


def test_unknown_values_are_recorded_for_admins(demo_app, client, opportunity_where):
    from content_catalog.repository import CatalogRepository
    from plugin.crm.demo_org import DEMO_ORG_ID

    opp = opportunity_where(lambda o: o.stage == "Security Review")
    client.get(f"/api/v1/opportunities/{opp.opportunity_id}/recommendations")
    demo_app.extensions["be_inspired"].impressions.flush()  # counted off the request, in batches
    with demo_app.extensions["be_inspired"].sessions() as session:
        rows = CatalogRepository(session, DEMO_ORG_ID).unknown_values()
    assert ("deal_stage", "Security Review") in {(r.dimension, r.value) for r in rows}


@pytest.mark.parametrize("hold_s, expected", [(0, 1), (2, 0)], ids=["read", "held"])
def test_a_view_with_unknown_values_neither_reads_nor_writes_them_in_the_request(
        demo_app, client, opportunity_where, monkeypatch, hold_s, expected):
    """At most one statement (the revision and model marker, none while they are held) even when
    the CRM sent values the taxonomy does not know: they are counted by the background recorder
    with its next batch."""
    from sqlalchemy import event

    engine = demo_app.extensions["be_inspired"].engine
    monkeypatch.setattr(demo_app.extensions["be_inspired"].recommendations.markers, "hold_s",
                        hold_s)
    opp = opportunity_where(lambda o: o.stage == "Security Review")
    url = f"/api/v1/opportunities/{opp.opportunity_id}/recommendations"
    client.get(url)  # warm: the catalog is read once per revision
    request_thread = threading.get_ident()
    statements = []

    def count(_conn, _cursor, statement, *_args):
        if threading.get_ident() == request_thread:  # not the recorder's thread
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        body = client.get(url).get_json()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert body["unknown_values"] == {"deal_stage": ["Security Review"]}
    assert len(statements) == expected, statements
    assert not any("unknown_crm_values" in statement for statement in statements)


@pytest.fixture
def holding_app(tmp_path, opportunity_where):
    """The demo app with its default hold of the serving markers, on a file of its own, and the
    recommendations URL of a Healthcare opportunity."""
    from plugin.crm.demo_org import load_demo_catalog

    app = create_app(Settings(demo_mode=True,
                              database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}"))
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    url = (f"/api/v1/opportunities/"
           f"{opportunity_where(lambda o: o.industry == 'Healthcare').opportunity_id}"
           "/recommendations")
    yield app, svc, url
    svc.engine.dispose()


def test_a_change_this_process_commits_shows_on_its_very_next_view(holding_app):
    """What a view reads of the database is held for a second (issue 12), but any commit of the
    process's own sessions forgets it: an edit is never hidden from the process that made it."""
    from content_catalog.repository import CatalogRepository
    from content_catalog.taxonomy import ModuleStatus
    from plugin.crm.demo_org import DEMO_ORG_ID

    app, svc, url = holding_app
    assert svc.settings.serving_state_hold_seconds > 0
    first = app.test_client().get(url).get_json()["client_facing"][0]["module_id"]
    with svc.sessions() as session:
        repository = CatalogRepository(session, DEMO_ORG_ID)
        repository.row_for_update(first).status = ModuleStatus.RETIRED.value
        repository.bump_revision()
        session.commit()
    shown = [c["module_id"] for c in app.test_client().get(url).get_json()["client_facing"]]
    assert first not in shown


def test_a_reps_event_batch_leaves_the_held_markers_in_place(holding_app):
    """An event moves no org's marker (its rep's stamp at most, shown within the hold as by any
    other process): its commit must not send the next views back to the database (under reps'
    events, one request in four, the PostgreSQL row fell from 377 to 281 views/s)."""
    app, svc, url = holding_app
    markers = svc.recommendations.markers
    client = app.test_client()
    shown = client.get(url).get_json()["client_facing"][0]["impression_id"]
    reads = markers.reads
    answer = client.post("/api/v1/events", json={"events": [
        {"event_id": "a" * 32, "impression_id": shown, "kind": "helpful"}]})
    assert answer.status_code == 202 and answer.get_json()["accepted"] == 1
    client.get(url)
    assert markers.reads == reads  # held, not read again


def test_context_in_the_body_is_ranked_like_a_salesforce_record(client, opportunity_where):
    opp = opportunity_where(lambda o: o.industry == "Healthcare" and o.stage == "Proposal/Price Quote")
    from_record = client.get(f"/api/v1/opportunities/{opp.opportunity_id}/recommendations").get_json()
    from_body = client.post(
        URL,
        json={
            "stage": opp.stage,
            "industry": opp.industry,
            "buyer_roles": [r.role for r in opp.contact_roles],
            "challenge": opp.challenge,
            "amount": opp.amount,
            "description": opp.description,
            "next_step": opp.next_step,
        },
    ).get_json()
    assert [s["module_id"] for s in from_body["client_facing"]] == [s["module_id"] for s in from_record["client_facing"]]
    assert "opportunity" not in from_body


def test_values_are_matched_case_insensitively_like_picklists(client):
    body = client.post(URL, json={"stage": "proposal/price quote", "industry": "HEALTHCARE", "buyer_roles": ["economic buyer"]}).get_json()
    assert body["context"]["stage"] == "Proposal/Price Quote"
    assert body["context"]["industry"] == "Healthcare"
    assert body["unknown_values"] == {}


def test_explicit_journey_phase_overrides_the_stage(client):
    body = client.post(URL, json={"stage": "Prospecting", "journey_phase": "implementation_adoption"}).get_json()
    assert body["context"]["journey_phase"] == "implementation_adoption"
    assert all("Awareness phase" not in s["reasons"] for s in body["client_facing"])


def test_taxonomy_endpoint_lists_allowed_values_and_stage_phases(client):
    body = client.get("/api/v1/taxonomy").get_json()
    assert "Economic Buyer" in [v["value"] for v in body["dimensions"]["buyer_role"]["values"]]
    assert body["stage_phases"]["Closed Won"] == "implementation_adoption"


# -- bad input ----------------------------------------------------------------------------------
def error_of(response, status):
    assert response.status_code == status, response.data
    assert response.mimetype == "application/json"
    return response.get_json()["error"]


def test_unknown_opportunity_is_404_json(client):
    error = error_of(client.get("/api/v1/opportunities/006000000000000AAA/recommendations"), 404)
    assert error["code"] == "not_found"


def test_malformed_opportunity_id_is_404_and_not_echoed_unbounded(client):
    hostile = "006'%20OR%201=1--" + "x" * 500
    error = error_of(client.get(f"/api/v1/opportunities/{hostile}/recommendations"), 404)
    assert len(error["message"]) < 120


def test_wrong_record_type_id_is_404(client):
    error_of(client.get("/api/v1/opportunities/001000000000000AAA/recommendations"), 404)


def test_body_that_is_not_json_is_400(client):
    error = error_of(client.post(URL, data="stage=Prospecting", content_type="application/x-www-form-urlencoded"), 400)
    assert "JSON" in error["message"]


def test_broken_json_is_400(client):
    error_of(client.post(URL, data="{not json", content_type="application/json"), 400)


def test_json_that_is_not_an_object_is_400(client):
    error_of(client.post(URL, json=["Prospecting"]), 400)


def test_unknown_field_is_named_with_the_allowed_fields(client):
    error = error_of(client.post(URL, json={"stage": "Prospecting", "stagename": "x"}), 400)
    (field,) = error["fields"]
    assert field["field"] == "stagename"
    assert "buyer_roles" in field["allowed"] and "stage" in field["allowed"]


def test_wrong_journey_phase_lists_the_three_phases(client):
    error = error_of(client.post(URL, json={"journey_phase": "closing"}), 400)
    (field,) = error["fields"]
    assert field["field"] == "journey_phase"
    assert field["value"] == "closing"
    assert field["allowed"] == ["awareness", "buying", "implementation_adoption"]


def test_wrong_types_and_ranges_are_each_reported(client):
    error = error_of(client.post(URL, json={"amount": -5, "buyer_roles": "Economic Buyer", "description": 12}), 400)
    assert {f["field"] for f in error["fields"]} == {"amount", "buyer_roles", "description"}


def test_strict_mode_refuses_unknown_values_and_lists_allowed_ones(client):
    error = error_of(client.post(URL, json={"industry": "Aerospace & Defense", "strict": True}), 400)
    (field,) = error["fields"]
    assert field["field"] == "industry"
    assert field["value"] == ["Aerospace & Defense"]
    assert "Healthcare" in field["allowed"]


def test_too_long_text_is_400(client):
    error = error_of(client.post(URL, json={"stage": "x" * 300}), 400)
    assert error["fields"][0]["field"] == "stage"


def test_oversized_body_is_413_json(client, demo_settings):
    big = json.dumps({"description": "a" * (demo_settings.max_request_bytes + 10)})
    error = error_of(client.post(URL, data=big, content_type="application/json"), 413)
    assert str(demo_settings.max_request_bytes) in error["message"]


def test_unknown_api_path_and_wrong_method_are_json(client):
    error_of(client.get("/api/v1/nothing-here"), 404)
    error_of(client.delete(URL), 405)


def test_unexpected_failure_is_a_json_500_without_a_stack_trace(demo_app, client, monkeypatch):
    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(demo_app.extensions["be_inspired"].recommendations, "recommend", explode)
    response = client.post(URL, json={"stage": "Prospecting"})
    error = error_of(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert error["code"] == "internal_error"


def test_without_demo_mode_there_is_no_demo_and_the_api_needs_a_signed_request(tmp_path):
    app = create_app(Settings(demo_mode=False, database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}"))
    client = app.test_client()
    assert client.get("/demo/").status_code == 404
    error = error_of(client.post(URL, json={}), 401)
    assert error["code"] == "unauthorised"


# -- the contract -------------------------------------------------------------------------------
def test_openapi_document_describes_every_api_route(demo_app, client):
    response = client.get("/api/v1/openapi.yaml")
    assert response.status_code == 200
    document = yaml.safe_load(response.get_data(as_text=True))
    assert document["openapi"].startswith("3.")
    def shape(path: str) -> str:  # "/modules/<module_id>" and "/modules/{moduleId}" alike
        return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)

    documented = {
        (shape("/api/v1" + path), method.upper())
        for path, methods in document["paths"].items()
        for method in methods
        if method != "parameters"
    }
    served = {
        (shape(rule.rule), method)
        for rule in demo_app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served == documented


def test_openapi_request_schema_lists_exactly_the_fields_the_api_accepts(client):
    from plugin.web.api.context_body import ContextRequest

    document = yaml.safe_load(client.get("/api/v1/openapi.yaml").get_data(as_text=True))
    documented = set(document["components"]["schemas"]["ContextRequest"]["properties"])
    assert documented == set(ContextRequest.model_fields)
