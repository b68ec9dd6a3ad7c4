"""What operators ask the service: /healthz, /readyz with its reasons, /metrics behind its token,
a request id on every response and log line (the caller's when well-formed), JSON logs."""
from __future__ import annotations

import json
import logging

import pytest

from content_catalog.database import upgrade
from plugin.app import create_app
from plugin.crm.demo_org import load_demo_catalog
from plugin.settings import Settings
from plugin.telemetry.log_setup import configure_logging

TOKEN = "metrics-token-0123456789"
CONTEXT = {"stage": "Proposal/Price Quote", "industry": "Healthcare"}


@pytest.fixture
def ops_app(tmp_path):
    def make(migrate: bool = True, demo_catalog: bool = False, **settings):
        app = create_app(Settings(demo_mode=True, log_level="INFO",
                                  database_url=f"sqlite:///{tmp_path / 'ops.sqlite3'}",
                                  **settings))
        svc = app.extensions["be_inspired"]
        if migrate:
            upgrade(svc.engine)
        if demo_catalog:
            load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
        made.append(app)
        return app

    made = []
    yield make
    for app in made:
        app.extensions["be_inspired"].engine.dispose()


def test_a_migrated_database_is_ready(ops_app):
    client = ops_app().test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/readyz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ready"})


def test_a_database_behind_the_code_is_not_ready_and_says_why(ops_app):
    response = ops_app(migrate=False).test_client().get("/readyz")
    assert response.status_code == 503
    (reason,) = response.get_json()["reasons"]
    assert reason.startswith("database: schema at migration none, the code needs 00")
    assert "beinspired init-db" in reason


def test_an_unreachable_redis_is_not_ready(ops_app):
    response = ops_app(redis_url="redis://127.0.0.1:1/0").test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["reasons"] == ["redis: unreachable (ConnectionError)"]


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token-0123456789", TOKEN])
def test_metrics_are_hidden_without_their_token(ops_app, authorization):
    client = ops_app(metrics_token=TOKEN).test_client()
    headers = {"Authorization": authorization} if authorization else {}
    assert client.get("/metrics", headers=headers).status_code == 404


def test_metrics_are_off_when_no_token_is_set(ops_app):
    response = ops_app().test_client().get("/metrics", headers={"Authorization": "Bearer x"})
    assert response.status_code == 404


def test_metrics_count_panel_views_and_the_queue(ops_app):
    client = ops_app(metrics_token=TOKEN, demo_catalog=True).test_client()
    before = _sample(client, 'beinspired_panel_seconds_count{route="api_context"}')
    for _ in range(3):
        assert client.post("/api/v1/recommendations", json=CONTEXT).status_code == 200
    page = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert page.status_code == 200 and page.content_type.startswith("text/plain")
    text = page.get_data(as_text=True)
    assert _value(text, 'beinspired_panel_seconds_count{route="api_context"}') == before + 3
    assert 'beinspired_panel_seconds_bucket{le="0.05",route="api_context"}' in text
    assert "beinspired_job_queue_depth 0.0" in text
    for name in ("beinspired_salesforce_calls", "beinspired_context_cache_lookups",
                 "beinspired_impressions_dropped_total", "beinspired_salesforce_errors"):
        assert f"# TYPE {name}" in text


def _sample(client, name: str) -> float:
    page = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    return _value(page.get_data(as_text=True), name)


def _value(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_every_response_carries_a_request_id_the_callers_only_when_well_formed(ops_app):
    client = ops_app().test_client()
    made = client.get("/healthz").headers["X-Request-Id"]
    assert len(made) == 32 and made != client.get("/healthz").headers["X-Request-Id"]
    kept = client.get("/healthz", headers={"X-Request-Id": "lb-4f2a9c.17_x"})
    assert kept.headers["X-Request-Id"] == "lb-4f2a9c.17_x"
    for bad in ("short", "x" * 65, "id with spaces", "<script>alert(1)</script>", "ünïcode-id"):
        answered = client.get("/healthz", headers={"X-Request-Id": bad}).headers["X-Request-Id"]
        assert answered != bad and len(answered) == 32


def test_log_lines_written_during_a_request_carry_its_id(ops_app, caplog):
    client = ops_app().test_client()
    with caplog.at_level(logging.INFO, logger="plugin.web.api.rep_events"):
        client.post("/api/v1/events", headers={"X-Request-Id": "panel-view-0001"},
                    json={"events": [{"event_id": "a" * 32, "impression_id": "b" * 32,
                                      "kind": "open"}]})
    (record,) = [r for r in caplog.records if r.name == "plugin.web.api.rep_events"]
    assert record.request_id == "panel-view-0001"
    assert "events from panel view panel-view-0001: 0 accepted" in record.getMessage()


def test_json_logs_are_one_object_per_line_with_the_request_id(capsys):
    from plugin.telemetry import request_ids

    try:
        configure_logging("INFO", "json")
        request_ids.begin("req-12345678")
        logging.getLogger("plugin.test").warning("Salesforce org %s: slow", "00D1")
        request_ids.end()
        logging.getLogger("plugin.test").warning("outside a request")
    finally:
        configure_logging("WARNING", "text")
    lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    assert [(r["level"], r["logger"], r["message"], r["request_id"]) for r in lines] == [
        ("WARNING", "plugin.test", "Salesforce org 00D1: slow", "req-12345678"),
        ("WARNING", "plugin.test", "outside a request", None),
    ]
    assert all("time" in r and "process" in r for r in lines)


def test_metrics_count_remembered_and_ranked_lists(ops_app):
    from plugin.crm.demo_org import DemoOrg

    client = ops_app(metrics_token=TOKEN, demo_catalog=True).test_client()
    record = DemoOrg().opportunities()[0].opportunity_id
    hits = _sample(client, 'beinspired_ranked_list_cache_lookups_total{result="hit"}')
    misses = _sample(client, 'beinspired_ranked_list_cache_lookups_total{result="miss"}')
    for _ in range(3):  # one rep reloading one record: ranked once, then remembered
        assert client.get(f"/api/v1/opportunities/{record}/recommendations").status_code == 200
    assert _sample(client, 'beinspired_ranked_list_cache_lookups_total{result="miss"}') \
        == misses + 1
    assert _sample(client, 'beinspired_ranked_list_cache_lookups_total{result="hit"}') == hits + 2
