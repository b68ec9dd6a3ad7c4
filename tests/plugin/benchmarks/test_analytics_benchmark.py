"""The analytics benchmark runs end to end on a small log, on both databases, and the figures
read raw and from roll-ups are the same. Counts are asserted; no timing is (BENCHMARKS.md)."""
from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from plugin.benchmarks import analytics_load
from plugin.cli import main as beinspired

#: As in tests/conftest.py, which skips PostgreSQL only when told to.
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SKIP_POSTGRES = os.environ.get("BEINSPIRED_SKIP_POSTGRES") == "1"


@pytest.fixture(scope="module")
def small_run():
    return analytics_load.run_analytics_benchmark(
        2_000, 40, repeats=2, raw_repeats=1, raw_all=True,
        postgres_url=None if SKIP_POSTGRES else POSTGRES_URL)


def test_both_databases_are_seeded_rolled_up_and_agree_with_the_raw_figures(small_run):
    assert [run.database.split()[0] for run in small_run.runs] == (
        ["SQLite"] if SKIP_POSTGRES else ["SQLite", "PostgreSQL"])
    for run in small_run.runs:
        assert run.impressions >= 2_000 and run.tail_impressions > 0 and run.events > 0
        assert run.rollup_rows > 0 and run.same_figures
        assert [len(e.rolled.samples_ms) for e in run.endpoints] == [2] * 5
    report = analytics_load.format_report(small_run)
    assert "identical raw and from roll-ups" in report and "/workspace/analytics" in report


def test_the_cli_passes_its_options_and_prints_the_report(small_run, monkeypatch):
    asked = []
    monkeypatch.setattr(analytics_load, "run_analytics_benchmark",
                        lambda *args, **kwargs: asked.append((args, kwargs)) or small_run)
    outcome = CliRunner().invoke(beinspired, [
        "benchmark-analytics", "--impressions", "500", "--opportunities", "9", "--repeats", "3",
        "--raw-repeats", "1", "--no-sqlite", "--postgres", "postgresql://x/y", "--raw-all"])
    assert outcome.exit_code == 0, outcome.output
    assert asked == [((500, 9), dict(repeats=3, raw_repeats=1, postgres_url="postgresql://x/y",
                                     sqlite=False, raw_all=True))]
    assert "Content analytics at scale" in outcome.output
