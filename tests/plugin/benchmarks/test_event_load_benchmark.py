"""The event-load benchmark runs end to end on a small load and accounts for every event.

Counts are asserted; no timing is (see BENCHMARKS.md, "Event recording under load").
"""
from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from plugin.benchmarks import event_load
from plugin.cli import main as beinspired

#: As in tests/conftest.py, which skips PostgreSQL only when told to.
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SKIP_POSTGRES = os.environ.get("BEINSPIRED_SKIP_POSTGRES") == "1"


@pytest.fixture(scope="module")
def small_run():
    return event_load.run_event_load_benchmark(rate=200, batch=10, rounds=1, views_per_round=8)


def test_every_acknowledged_event_is_stored_and_both_sides_are_timed(small_run):
    assert len(small_run.off.samples_ms) == len(small_run.on.samples_ms) == 8
    assert len(small_run.round_medians) == 1
    assert small_run.load.acknowledged > 0 and small_run.load.errors == 0
    assert small_run.events_stored == small_run.load.acknowledged_in_all
    assert small_run.impressions_written > 0
    report = event_load.format_report(small_run)
    assert "Added to the median, median of 1 paired rounds:" in report and "achieved" in report


def test_the_cli_passes_its_options_and_prints_the_report(small_run, monkeypatch):
    asked = []
    monkeypatch.setattr(event_load, "run_event_load_benchmark",
                        lambda *args: asked.append(args) or small_run)
    outcome = CliRunner().invoke(beinspired, ["benchmark-events", "--rate", "100", "--batch", "5",
                                              "--rounds", "1", "--views", "3"])
    assert outcome.exit_code == 0, outcome.output
    assert asked == [(100, 5, 1, 3, None, False)]
    assert "recording   views" in outcome.output


@pytest.mark.postgres
def test_on_postgresql_it_runs_in_a_schema_of_its_own_and_drops_it():
    from sqlalchemy import create_engine, text

    if SKIP_POSTGRES:
        pytest.skip("BEINSPIRED_SKIP_POSTGRES=1")
    result = event_load.run_event_load_benchmark(rate=100, batch=10, rounds=1, views_per_round=3,
                                                 postgres_url=POSTGRES_URL)
    assert result.database.startswith("PostgreSQL ")
    assert result.events_stored == result.load.acknowledged_in_all > 0
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            left = connection.execute(text(
                "SELECT count(*) FROM information_schema.schemata"
                " WHERE schema_name LIKE 'bi_event_bench_%'"
            )).scalar()
    finally:
        engine.dispose()
    assert left == 0
