"""``POST /api/v1/events``: strict batches, stored once, acknowledged only once committed, and
never about another org's or another record's suggestions."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select

from content_catalog.events import EventKind, Impression, add_impressions
from content_catalog.tables.learning_tables import PanelEventRow
from plugin.crm.demo_org import DEMO_ORG_ID
from plugin.web.identity import DEMO_USER_ID
from plugin.panel.impressions import ImpressionRecorder
from plugin.panel.view import PanelViews
from tests.plugin.access.access_fixtures import OTHER_ORG, make_app
from tests.plugin.crm.salesforce.sf_fakes import OPPORTUNITY_ID, ORG_ID, VIEWER_ID

URL = "/api/v1/events"
IMPRESSION_ATTR = re.compile(r'data-impression-id="([0-9a-f]{32})"')


def new_id() -> str:
    return uuid.uuid4().hex


def events_of(*impressions: str, kind: str = "open", **fields) -> list[dict]:
    return [{"event_id": new_id(), "impression_id": i, "kind": kind, **fields} for i in impressions]


def stored_events(app, **where) -> list[PanelEventRow]:
    svc = app.extensions["be_inspired"]
    with svc.sessions() as session:
        query = select(PanelEventRow).where(
            *(getattr(PanelEventRow, k) == v for k, v in where.items()))
        return list(session.scalars(query.order_by(PanelEventRow.pk)))


@pytest.fixture
def shown(client, demo_opportunities) -> list[str]:
    """The impression ids of one demo panel view, written to the database."""
    html = client.get(f"/panel/{demo_opportunities[0].opportunity_id}").get_data(as_text=True)
    ids = IMPRESSION_ATTR.findall(html)
    assert len(ids) >= 3
    return ids


# -- storing and answering ----------------------------------------------------------------------
def test_a_batch_is_stored_and_acknowledged(demo_app, client, shown):
    batch = (events_of(shown[0]) + events_of(shown[1], kind="helpful")
             + events_of(shown[2], kind="not_helpful", reason="  Figures are from 2021  ",
                         at="2026-11-23T10:15:00+01:00"))

    response = client.post(URL, json={"events": batch})

    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.json == {"accepted": 3, "duplicates": 0, "rejected": []}
    rows = {r.event_id: r for r in stored_events(demo_app, org_id=DEMO_ORG_ID)}
    kept = [rows[e["event_id"]] for e in batch]
    assert [(r.impression_id, r.kind) for r in kept] == [
        (shown[0], "open"), (shown[1], "helpful"), (shown[2], "not_helpful")]
    assert kept[2].reason == "Figures are from 2021"
    occurred = kept[2].occurred_at.replace(tzinfo=timezone.utc)
    assert occurred == datetime(2026, 11, 23, 9, 15, tzinfo=timezone.utc)
    assert {r.user_id for r in kept} == {DEMO_USER_ID}


def test_a_retry_of_the_same_batch_is_stored_once(demo_app, client, shown):
    batch = events_of(*shown[:3], kind="copy")
    first = client.post(URL, json={"events": batch})
    again = client.post(URL, json={"events": batch})

    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json == {"accepted": 3, "duplicates": 0, "rejected": []}
    assert again.json == {"accepted": 3, "duplicates": 3, "rejected": []}
    ids = [e["event_id"] for e in batch]
    assert sorted(r.event_id for r in stored_events(demo_app) if r.event_id in ids) == sorted(ids)


def test_an_event_repeated_within_a_batch_is_stored_once(demo_app, client, shown):
    (one,) = events_of(shown[0], kind="share")
    response = client.post(URL, json={"events": [one, one]})
    assert response.json == {"accepted": 1, "duplicates": 1, "rejected": []}
    assert len(stored_events(demo_app, event_id=one["event_id"])) == 1


def test_an_impression_still_queued_in_this_worker_is_written_first(
    demo_app, client, demo_opportunities, monkeypatch
):
    """The rep clicks before the recorder's next write: the event must not be refused."""
    svc = demo_app.extensions["be_inspired"]
    waiting = ImpressionRecorder(svc.sessions, interval_s=3600)
    monkeypatch.setattr(svc, "impressions", waiting)
    monkeypatch.setattr(svc, "panel_views", PanelViews(
        svc.recommendations, waiting, svc.sessions, svc.taxonomy_for, svc.today))
    html = client.get(f"/panel/{demo_opportunities[1].opportunity_id}").get_data(as_text=True)
    (first, *_) = IMPRESSION_ATTR.findall(html)
    assert waiting.pending_rows > 0

    response = client.post(URL, json={"events": events_of(first, kind="helpful")})

    assert response.json == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert waiting.pending_rows == 0
    waiting.close()


def test_the_recommendations_api_names_each_suggestions_impression(client, demo_opportunities):
    opportunity_id = demo_opportunities[2].opportunity_id
    body = client.get(f"/api/v1/opportunities/{opportunity_id}/recommendations").json
    ids = [s["impression_id"] for s in body["client_facing"] + body["internal"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == len(ids)
    assert client.post(URL, json={"events": events_of(ids[0])}).json["accepted"] == 1


def test_an_unknown_impression_is_rejected_alone(demo_app, client, shown):
    batch = events_of(shown[0]) + events_of(new_id(), kind="helpful")
    response = client.post(URL, json={"events": batch})
    assert response.status_code == 202
    assert response.json == {"accepted": 1, "duplicates": 0, "rejected": [
        {"event_id": batch[1]["event_id"], "impression_id": batch[1]["impression_id"],
         "reason": "unknown_impression"}]}
    assert stored_events(demo_app, event_id=batch[1]["event_id"]) == []


# -- acknowledged only after the commit ---------------------------------------------------------
def test_a_batch_whose_commit_fails_is_not_acknowledged_and_nothing_of_it_is_kept(
    demo_app, client, shown, caplog
):
    svc = demo_app.extensions["be_inspired"]
    batch = events_of(*shown[:3], kind="download")

    def refuse(_connection):
        raise OSError("disk I/O error during commit")

    event.listen(svc.engine, "commit", refuse)
    try:
        failed = client.post(URL, json={"events": batch})
    finally:
        event.remove(svc.engine, "commit", refuse)

    assert failed.status_code == 500 and failed.json["error"]["code"] == "internal_error"
    assert stored_events(demo_app, kind="download") == []
    retried = client.post(URL, json={"events": batch})  # what the panel does next
    assert retried.json == {"accepted": 3, "duplicates": 0, "rejected": []}


# -- validation ---------------------------------------------------------------------------------
GOOD = {"event_id": "0" * 32, "impression_id": "1" * 32, "kind": "open"}


def with_(**fields) -> dict:
    return {"events": [{**GOOD, **fields}]}


NOT_HEX = "must be 32 lowercase hexadecimal digits"


@pytest.mark.parametrize(("body", "field", "message"), [
    (with_(kind="liked"), "events.0.kind", "is not an allowed value"),
    (with_(event_id=str(uuid.uuid4())), "events.0.event_id", NOT_HEX),
    (with_(impression_id="A" * 32), "events.0.impression_id", NOT_HEX),
    (with_(reason="why not"), "events.0.reason",
     "only a helpful or not_helpful vote may give a reason"),
    (with_(kind="not_helpful", reason="x" * 501), "events.0.reason",
     "String should have at most 500 characters"),
    (with_(kind="helpful", reason=42), "events.0.reason", "Input should be a valid string"),
    (with_(at="2026-11-23T10:00:00"), "events.0.at", "Input should have timezone info"),
    (with_(at=(datetime.now(timezone.utc) + timedelta(days=3)).isoformat()), "events.0.at",
     "must be within the last 30 days, by a clock no more than a day off"),
    (with_(at=1764000000), "events.0.at", "Input should be a valid datetime"),
    (with_(user_id="005x"), "events.0.user_id", "is not a known field"),
    ({"events": []}, "events", "List should have at least 1 item after validation, not 0"),
    ({"events": [GOOD] * 101}, "events",
     "List should have at most 100 items after validation, not 101"),
    ({"events": GOOD}, "events", "Input should be a valid array"),
    ({"events": [GOOD], "org_id": DEMO_ORG_ID}, "org_id", "is not a known field"),
    ([GOOD], "body", "Input should be an object"),
])
def test_a_malformed_batch_is_refused_whole_with_the_field_at_fault(
    demo_app, client, body, field, message
):
    before = len(stored_events(demo_app))
    response = client.post(URL, json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.json["error"]
    assert error["code"] == "invalid_input"
    assert {"field": field, "message": message} in [
        {"field": f["field"], "message": f["message"]} for f in error["fields"]]
    assert len(stored_events(demo_app)) == before


def test_an_unknown_kind_lists_the_allowed_ones(client):
    (problem,) = client.post(URL, json=with_(kind="liked")).json["error"]["fields"]
    assert problem["allowed"] == [k.value for k in EventKind]


def test_a_batch_of_exactly_one_hundred_is_accepted(client, shown):
    batch = events_of(*(shown * 50)[:100])
    answer = client.post(URL, json={"events": batch}).json
    assert answer == {"accepted": 100, "duplicates": 0, "rejected": []}


@pytest.mark.parametrize("send", [
    # What a cross-site form can send: text/plain, or a form encoding.
    lambda c: c.post(URL, data=json.dumps(with_()), content_type="text/plain"),
    lambda c: c.post(URL, data={"events": "x"}),
    lambda c: c.post(URL, data="{not json", content_type="application/json"),
])
def test_only_a_json_body_is_read(client, send):
    response = send(client)
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_input"


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(client, demo_settings):
    body = with_(kind="not_helpful", reason="x" * 400)
    body["events"] = body["events"] * (demo_settings.max_request_bytes // 400 + 1)
    response = client.post(URL, json=body)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_entity_too_large"


def test_no_csrf_token_is_needed_in_demo_mode(demo_app, client, shown):
    """The panel's page has no session and no CSRF token; the demo org is every request's."""
    assert demo_app.config.get("WTF_CSRF_ENABLED", True)
    assert client.post(URL, json={"events": events_of(shown[0])}).status_code == 202


# -- tenancy: with the panel's app token ---------------------------------------------------------
ANOTHER_RECORD = "0065e00000ZzZzZAAA"


@pytest.fixture
def acme(tmp_path):
    """Outside demo mode, Acme and Globex configured; impressions seeded for both."""
    app = make_app(tmp_path / "events.sqlite3")
    svc = app.extensions["be_inspired"]
    rows = {
        "acme_here": (ORG_ID, OPPORTUNITY_ID), "acme_other_record": (ORG_ID, ANOTHER_RECORD),
        "acme_no_record": (ORG_ID, None), "globex": (OTHER_ORG, OPPORTUNITY_ID),
    }
    ids = {name: new_id() for name in rows}
    with svc.sessions.begin() as session:
        add_impressions(session, [
            Impression(ids[name], org, new_id(), record, VIEWER_ID, "acme-audit",
                       "client_facing", 1, 3.5, 1.0, False, "v1", {"stage": "Negotiation"},
                       datetime.now(timezone.utc))
            for name, (org, record) in rows.items()
        ])
    yield app, ids
    svc.engine.dispose()


def token_for(app, org_id=ORG_ID, record_id=OPPORTUNITY_ID) -> dict[str, str]:
    token = app.extensions["be_inspired"].app_tokens.issue(org_id, VIEWER_ID, record_id, ttl=600)
    return {"Authorization": f"Bearer {token}"}


def test_with_a_token_only_impressions_of_its_org_and_record_are_stored(acme):
    app, ids = acme
    batch = events_of(ids["acme_here"], ids["acme_other_record"], ids["acme_no_record"],
                      ids["globex"], kind="helpful")

    response = app.test_client().post(URL, json={"events": batch}, headers=token_for(app))

    assert response.status_code == 202
    assert response.json["accepted"] == 1
    assert [(r["impression_id"], r["reason"]) for r in response.json["rejected"]] == [
        (ids["acme_other_record"], "other_record"), (ids["acme_no_record"], "other_record"),
        (ids["globex"], "unknown_impression")]
    (row,) = stored_events(app)
    assert (row.org_id, row.impression_id, row.user_id) == (ORG_ID, ids["acme_here"], VIEWER_ID)


def test_another_orgs_token_cannot_reach_this_orgs_impressions(acme):
    app, ids = acme
    response = app.test_client().post(URL, json={"events": events_of(ids["acme_here"])},
                                      headers=token_for(app, OTHER_ORG))
    assert response.json["rejected"][0]["reason"] == "unknown_impression"
    assert stored_events(app) == []


def test_the_same_event_id_from_two_orgs_is_two_events(acme):
    app, ids = acme
    client = app.test_client()
    shared = new_id()
    acme_event = [{"event_id": shared, "impression_id": ids["acme_here"], "kind": "open"}]
    globex_event = [{"event_id": shared, "impression_id": ids["globex"], "kind": "open"}]
    first = client.post(URL, json={"events": acme_event}, headers=token_for(app))
    assert first.json["accepted"] == 1
    answer = client.post(URL, json={"events": globex_event}, headers=token_for(app, OTHER_ORG))
    assert answer.json == {"accepted": 1, "duplicates": 0, "rejected": []}
    with app.extensions["be_inspired"].sessions() as session:
        assert session.scalar(select(func.count()).select_from(PanelEventRow)) == 2


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}])
def test_outside_demo_mode_a_batch_needs_a_valid_app_token(acme, headers):
    app, ids = acme
    response = app.test_client().post(URL, json={"events": events_of(ids["acme_here"])},
                                      headers=headers)
    assert response.status_code == 401
    assert stored_events(app) == []
