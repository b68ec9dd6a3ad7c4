"""Impressions: what each panel view showed, recorded by the server in the background.

The recorder's promises, tested without timing anything: a view only queues its impressions; the
queue is written in batches (by size, or once its oldest view has waited the interval); a failed
write keeps the rows for the next try; a clean exit writes what is left.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from content_catalog.events import PanelEventLog
from content_catalog.tables.learning_tables import PanelImpressionRow
from content_catalog.suggestion_stats import SuggestionStats
from plugin.app import create_app
from plugin.crm.demo_org import DEMO_ORG_ID, DemoOrg, load_demo_catalog
from plugin.web.identity import DEMO_USER_ID
from plugin.panel.view import PanelViews
from plugin.panel.impressions import ImpressionRecorder
from plugin.settings import Settings
from recommender import Recommendations, TagTextRanker

ROOT = Path(__file__).resolve().parents[3]
TODAY = date(2026, 6, 15)
IMPRESSION_ATTR = re.compile(r'data-impression-id="([0-9a-f]{32})"')


@pytest.fixture
def app(tmp_path):
    settings = Settings(demo_mode=True, database_url=f"sqlite:///{tmp_path / 'events.sqlite3'}",
                        log_level="WARNING")
    app = create_app(settings, today=lambda: TODAY)
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    yield app
    svc.engine.dispose()


@pytest.fixture
def svc(app):
    return app.extensions["be_inspired"]


def use_recorder(svc, recorder: ImpressionRecorder) -> ImpressionRecorder:
    """Serve panel views through ``recorder`` from now on, as if the app had been built with it."""
    svc.impressions = recorder
    svc.panel_views = PanelViews(svc.recommendations, recorder, svc.sessions, svc.taxonomy_for,
                                 svc.today)
    return recorder


@pytest.fixture
def slow_recorder(svc):
    """A recorder that writes only when told (or at 10,000 rows): nothing happens behind a test."""
    recorder = use_recorder(svc, ImpressionRecorder(svc.sessions, batch_rows=10_000,
                                                    interval_s=3600))
    yield recorder
    recorder.close()


@pytest.fixture
def opportunity():
    return DemoOrg().opportunities()[0]


def stored(svc, **where) -> list[PanelImpressionRow]:
    with svc.sessions() as session:
        query = select(PanelImpressionRow).where(
            *(getattr(PanelImpressionRow, k) == v for k, v in where.items())
        ).order_by(PanelImpressionRow.audience, PanelImpressionRow.position)
        return list(session.scalars(query))


def shown_on(page) -> list[str]:
    return IMPRESSION_ATTR.findall(page.get_data(as_text=True))


def impression_inserts(engine) -> list[int]:
    """Rows in each INSERT INTO panel_impressions from now on (one entry per statement)."""
    sizes: list[int] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(_conn, _cursor, statement, parameters, _context, executemany):
        if statement.startswith("INSERT INTO panel_impressions"):
            sizes.append(len(parameters) if executemany else statement.count("(?,"))

    return sizes


# -- what is recorded ---------------------------------------------------------------------------
def test_a_panel_view_records_each_suggestion_shown_with_its_position_and_score(
    app, svc, slow_recorder, opportunity
):
    html = app.test_client().get(f"/panel/{opportunity.opportunity_id}").get_data(as_text=True)
    assert slow_recorder.pending_rows == 8 and stored(svc) == []  # queued, not yet written

    slow_recorder.flush()

    rows = stored(svc)
    assert rows and set(IMPRESSION_ATTR.findall(html)) == {r.impression_id for r in rows}
    assert [(r.audience, r.position) for r in rows] == (
        [("client_facing", p) for p in range(1, 6)] + [("internal", p) for p in range(1, 4)])
    assert {(r.org_id, r.opportunity_id, r.user_id) for r in rows} == {
        (DEMO_ORG_ID, opportunity.opportunity_id, DEMO_USER_ID)}
    assert len({r.view_id for r in rows}) == 1
    assert {(r.propensity, r.explored, r.model_version) for r in rows} == {(1.0, False, "v1")}
    client_facing = [r for r in rows if r.audience == "client_facing"]
    scores = [r.score for r in client_facing]
    assert scores == sorted(scores, reverse=True)


def test_the_rankers_propensity_exploration_and_model_version_are_recorded(
    app, svc, slow_recorder, opportunity, monkeypatch
):
    rank = TagTextRanker.rank

    def exploring(self, *args, **kwargs):
        ranked = rank(self, *args, **kwargs)
        return Recommendations(
            tuple(replace(s, propensity=0.25 if s.rank == 3 else 0.9, explored=s.rank == 3,
                          model_version="learned-2026-11") for s in ranked.client_facing),
            ranked.internal,
        )

    monkeypatch.setattr(TagTextRanker, "rank", exploring)
    url = f"/api/v1/opportunities/{opportunity.opportunity_id}/recommendations"
    body = app.test_client().get(url).json
    slow_recorder.flush()

    rows = {r.impression_id: r for r in stored(svc)}
    third = body["client_facing"][2]
    row = rows[third["impression_id"]]
    assert (row.propensity, row.explored, row.score) == (0.25, True, third["score"])

    def versions(cards):
        return {rows[card["impression_id"]].model_version for card in cards}

    assert versions(body["client_facing"]) == {"learned-2026-11"}
    assert versions(body["internal"]) == {"v1"}


def test_the_context_is_kept_so_training_can_rebuild_features(app, svc, slow_recorder, opportunity):
    app.test_client().get(f"/panel/{opportunity.opportunity_id}")
    slow_recorder.flush()
    with svc.sessions() as session:
        now = datetime.now(timezone.utc)
        (shown, *_) = PanelEventLog(session, DEMO_ORG_ID).shown_with_events(
            now - timedelta(hours=1), now + timedelta(hours=1))
    context = shown.impression.context
    assert context["stage"] == opportunity.stage
    assert context["industry"] and context["buyer_roles"] and context["journey_phase"] == "buying"


def test_a_context_posted_to_the_api_is_recorded_without_an_opportunity(app, svc, slow_recorder):
    body = app.test_client().post("/api/v1/recommendations", json={"stage": "Prospecting"}).json
    slow_recorder.flush()
    assert {r.opportunity_id for r in stored(svc)} == {None}
    shown = {s["impression_id"] for s in body["client_facing"]}
    assert shown <= {r.impression_id for r in stored(svc)}


def test_the_workspace_preview_records_nothing_and_offers_no_feedback(
    app, svc, slow_recorder, opportunity
):
    with app.app_context():
        view = svc.panel_views.view(svc.demo_org, opportunity.opportunity_id, count_shown=False)
    page = app.test_client().get(f"/workspace/preview?opportunity={opportunity.opportunity_id}")
    assert view.suggestions.client_facing
    assert {c.impression_id for c in view.suggestions.client_facing} == {None}
    html = page.get_data(as_text=True)
    assert "data-impression-id" not in html and "data-vote" not in html
    assert slow_recorder.pending_rows == 0


def counts(svc) -> dict[str, int]:
    with svc.sessions() as session:
        return SuggestionStats(session, DEMO_ORG_ID).counts()


def test_the_modules_shown_are_counted_in_the_background_with_the_impressions(
    app, svc, slow_recorder
):
    client = app.test_client()
    first, second = DemoOrg().opportunities()[:2]
    shown = [set(IMPRESSION_ATTR.findall(client.get(f"/panel/{o.opportunity_id}")
                                         .get_data(as_text=True))) for o in (first, second)]
    assert counts(svc) == {}  # nothing written while the rep waits

    slow_recorder.flush()

    rows = stored(svc)
    keys_of = [{r.module_key for r in rows if r.impression_id in ids} for ids in shown]
    expected = {key: sum(key in keys for keys in keys_of) for key in keys_of[0] | keys_of[1]}
    assert counts(svc) == expected


def test_with_impressions_switched_off_modules_are_still_counted_and_cards_ask_nothing(
    app, svc, opportunity
):
    recorder = use_recorder(svc, ImpressionRecorder(svc.sessions, keep_impressions=False,
                                                    interval_s=3600))
    page = app.test_client().get(f"/panel/{opportunity.opportunity_id}").get_data(as_text=True)
    recorder.close()

    assert "data-impression-id" not in page and "data-vote" not in page
    assert stored(svc) == []
    assert len(counts(svc)) == page.count('class="slds-item bi-suggestion"')


def test_a_failure_to_count_keeps_the_impressions(app, svc, slow_recorder, opportunity,
                                                  monkeypatch, caplog):
    def broken(self, counts, at):
        raise RuntimeError("module_stats is locked")

    monkeypatch.setattr(SuggestionStats, "record_counts", broken)
    app.test_client().get(f"/panel/{opportunity.opportunity_id}")
    slow_recorder.flush()

    assert len(stored(svc)) == 8 and slow_recorder.pending_rows == 0
    assert "could not count the suggestions shown" in caplog.text


# -- batching -----------------------------------------------------------------------------------
def test_many_views_are_written_in_one_insert_once_the_interval_passes(app, svc, opportunity):
    # The views are served first and queued afterwards in one go, so "within one interval" does
    # not depend on how fast five panel views render on a busy machine.
    served: list = []

    class Capturing(ImpressionRecorder):
        def record(self, shown) -> None:
            served.append(shown)

    use_recorder(svc, Capturing(svc.sessions, interval_s=3600))
    client = app.test_client()
    shown = [i for o in DemoOrg().opportunities()[:5]
             for i in shown_on(client.get(f"/panel/{o.opportunity_id}"))]
    assert len(served) == 5 and stored(svc) == []

    recorder = ImpressionRecorder(svc.sessions, interval_s=0.3)
    inserts = impression_inserts(svc.engine)
    for view in served:
        recorder.record(view)

    wait_until(lambda: len(stored(svc)) == len(shown))
    assert inserts == [len(shown)] and recorder.batches_written == 1
    recorder.close()


def test_a_full_batch_is_written_without_waiting_for_the_interval(svc, app):
    recorder = use_recorder(svc, ImpressionRecorder(svc.sessions, batch_rows=10, interval_s=3600))
    client = app.test_client()
    shown = [i for o in DemoOrg().opportunities()[:2]
             for i in shown_on(client.get(f"/panel/{o.opportunity_id}"))]
    assert len(shown) >= 10

    wait_until(lambda: len(stored(svc)) == len(shown))
    assert recorder.pending_rows == 0
    recorder.close()


def test_a_view_only_queues_even_while_a_write_is_stuck(svc, app, opportunity):
    """The database is made to hang inside the writer's transaction: panel views still return."""
    stuck, release = threading.Event(), threading.Event()

    @event.listens_for(svc.engine, "before_cursor_execute")
    def hang(_conn, _cursor, statement, *_):
        if statement.startswith("INSERT INTO panel_impressions") and not release.is_set():
            stuck.set()
            release.wait(10)

    recorder = use_recorder(svc, ImpressionRecorder(svc.sessions, interval_s=0.01))
    client = app.test_client()
    first = shown_on(client.get(f"/panel/{opportunity.opportunity_id}"))
    assert stuck.wait(10), "the writer never started"
    later = [client.get(f"/panel/{o.opportunity_id}") for o in DemoOrg().opportunities()[1:4]]
    assert [p.status_code for p in later] == [200] * 3  # while the writer is stuck
    assert recorder.pending_rows == sum(len(shown_on(p)) for p in later)
    release.set()
    wait_until(lambda: len(stored(svc)) == len(first) + sum(len(shown_on(p)) for p in later))
    recorder.close()


def test_a_failed_write_keeps_the_rows_for_the_next_try(svc, app, opportunity, caplog):
    failures = []

    @event.listens_for(svc.engine, "before_cursor_execute")
    def fail_once(_conn, _cursor, statement, *_):
        if statement.startswith("INSERT INTO panel_impressions") and not failures:
            failures.append(statement)
            raise RuntimeError("disk full")

    recorder = use_recorder(svc, ImpressionRecorder(svc.sessions, interval_s=0.01,
                                                    retry_s=(0.01, 0.05)))
    app.test_client().get(f"/panel/{opportunity.opportunity_id}")

    wait_until(lambda: len(stored(svc)) == 8)
    assert len(failures) == 1 and "could not write impressions" in caplog.text
    recorder.close()


def test_a_full_queue_drops_views_but_never_the_panel(svc, app, opportunity, caplog):
    recorder = use_recorder(svc, ImpressionRecorder(svc.sessions, interval_s=3600,
                                                    max_pending_rows=10))
    client = app.test_client()
    pages = [client.get(f"/panel/{o.opportunity_id}") for o in DemoOrg().opportunities()[:3]]

    assert [p.status_code for p in pages] == [200, 200, 200]
    first, *rest = [len(shown_on(p)) for p in pages]  # the first fits, the others do not
    assert (recorder.pending_rows, recorder.dropped_rows) == (first, sum(rest))
    assert "impression queue full" in caplog.text
    recorder.close()
    assert len(stored(svc)) == first


def test_a_failure_to_queue_costs_the_rep_nothing_but_the_feedback_buttons(
    app, svc, opportunity, caplog
):
    class Broken:
        keep_impressions = True

        def record(self, shown):
            raise RuntimeError("queue broken")

        def drain(self):
            pass

    use_recorder(svc, Broken())
    page = app.test_client().get(f"/panel/{opportunity.opportunity_id}")
    assert page.status_code == 200 and "bi-suggestion" in page.get_data(as_text=True)
    assert "data-impression-id" not in page.get_data(as_text=True)
    assert "could not queue the impressions" in caplog.text


# -- shutting down ------------------------------------------------------------------------------
def test_close_writes_what_is_queued(app, svc, slow_recorder, opportunity):
    app.test_client().get(f"/panel/{opportunity.opportunity_id}")
    slow_recorder.close()
    assert len(stored(svc)) == 8


def test_disposing_the_engine_writes_what_is_queued_first(app, svc, slow_recorder, opportunity):
    """Tests and benchmarks dispose the engine and then delete the database file."""
    app.test_client().get(f"/panel/{opportunity.opportunity_id}")
    svc.engine.dispose()
    assert slow_recorder.pending_rows == 0 and len(stored(svc)) == 8


def test_a_process_that_exits_normally_writes_its_queued_impressions(tmp_path, opportunity):
    """In a child process whose recorder would wait an hour: only the exit can write them."""
    database = f"sqlite:///{tmp_path / 'exit.sqlite3'}"
    script = textwrap.dedent(f"""
        from plugin.app import create_app
        from plugin.crm.demo_org import load_demo_catalog
        from plugin.panel.impressions import ImpressionRecorder
        from plugin.settings import Settings

        app = create_app(Settings(demo_mode=True, database_url={database!r}, log_level="WARNING"))
        svc = app.extensions["be_inspired"]
        load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
        from plugin.panel.view import PanelViews
        svc.impressions = ImpressionRecorder(svc.sessions, interval_s=3600)
        svc.panel_views = PanelViews(svc.recommendations, svc.impressions, svc.sessions,
                                     svc.taxonomy_for, svc.today)
        page = app.test_client().get("/panel/{opportunity.opportunity_id}").get_data(as_text=True)
        print(page.count("data-impression-id="), svc.impressions.pending_rows)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["8", "8"]  # shown, and still queued when the script ended

    app = create_app(Settings(demo_mode=True, database_url=database, log_level="WARNING"))
    with app.extensions["be_inspired"].sessions() as session:
        assert session.scalar(select(func.count()).select_from(PanelImpressionRow)) == 8
    app.extensions["be_inspired"].engine.dispose()


def test_beinspired_serve_writes_queued_impressions_when_stopped_with_sigterm(
    tmp_path, opportunity
):
    """SIGTERM is what a process manager sends; by default Python dies without its atexit."""
    database = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database,
           "BEINSPIRED_DEMO_MODE": "true", "BEINSPIRED_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-c", "from plugin.cli import main; main()", "demo", "--port", str(port),
         "--no-history"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        page = _get_when_up(f"http://127.0.0.1:{port}/panel/{opportunity.opportunity_id}")
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0, server.stderr.read()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        server.stderr.close()

    app = create_app(Settings(demo_mode=True, database_url=database, log_level="WARNING"))
    svc = app.extensions["be_inspired"]
    assert {r.impression_id for r in stored(svc)} == set(IMPRESSION_ATTR.findall(page))
    svc.engine.dispose()


def _get_when_up(url: str, timeout: float = 60.0) -> str:
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.read().decode()
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def wait_until(condition, timeout: float = 10.0) -> None:
    """Polls; the recorder's thread works on its own schedule. Fails only on the timeout, which
    is generous: nothing here asserts a duration."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the recorder did not write in time")
        time.sleep(0.01)
