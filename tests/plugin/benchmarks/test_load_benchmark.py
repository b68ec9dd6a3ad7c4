"""``beinspired benchmark-load`` end to end on its smallest setting: the production server, wrk,
the counts it reports. No timing is asserted (see BENCHMARKS.md)."""
from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from plugin.benchmarks.load import (
    _lua_string, format_report, run_load_benchmark, warm_requests, wrk_script,
)
from plugin.cli import main as beinspired


@pytest.mark.skipif(shutil.which("wrk") is None,
                    reason="wrk is not installed (apt-get install wrk)")
def test_every_view_served_under_load_is_recorded_and_both_paths_answer():
    result = run_load_benchmark(databases=("sqlite",), users=(4,), caches=("warm", "cold"),
                                loops=("closed",), seconds=1, delay_s=0.01, threads=2)
    assert [(r.cache, r.path) for r in result.rows] == [
        ("warm", "lean"), ("warm", "previous"), ("cold", "lean"), ("cold", "previous")]
    for row in result.rows:
        assert row.errors == 0 and row.served > 0, row
        # Views still in flight when wrk stops are served but not counted by wrk: at most one
        # per connection more is recorded than served.
        assert row.served <= row.recorded <= row.served + 4, row
    report = format_report(result)
    assert "views/s" in report and "× prev" in report and "load average" in report


@pytest.mark.skipif(shutil.which("wrk") is None,
                    reason="wrk is not installed (apt-get install wrk)")
def test_thinking_users_pause_between_views_and_every_view_is_still_recorded():
    result = run_load_benchmark(databases=("sqlite",), users=(4,), caches=("warm",),
                                loops=("think",), think_ms=50, seconds=2, threads=2,
                                steady_after_s=0.5)
    assert [(r.loop, r.path) for r in result.rows] == [("think", "lean"), ("think", "previous")]
    for row in result.rows:
        assert row.errors == 0 and row.served > 0, row
        assert row.served <= row.recorded <= row.served + 4, row
        assert row.offered_per_s == 4 * 1000 / 50
        # Four users pausing 50 ms on average send at most ~80 views a second, however fast
        # the server; without the pause the in-process server alone answers hundreds.
        assert row.served <= 1.5 * row.offered_per_s * row.seconds, row
        # Each answer echoed its request's id, so the requests sent after the first 0.5 s
        # were timed apart from the rest.
        assert 0 < row.steady_requests < row.served, row
        assert 0 < row.steady_p50_ms <= row.steady_p99_ms, row
    report = format_report(result)
    assert "think" in report and "target at 200 users thinking" not in report


def test_the_load_script_names_every_demo_request_once_and_survives_any_byte():
    requests = warm_requests()
    script = wrk_script(requests)
    assert len(requests) == 26 * 3
    assert "local think_ms = 0\n" in script and "local think_ms = 380\n" in wrk_script(
        requests, 380)
    assert script.count('"\\80\\79\\83\\84"') == 26  # "POST", each byte escaped for Lua
    assert _lua_string('a"\n€') == '"\\97\\34\\10\\226\\130\\172"'


def test_a_bad_user_count_is_refused_before_anything_starts():
    result = CliRunner().invoke(beinspired, ["benchmark-load", "--users", "50,many"])
    assert result.exit_code == 2 and "comma-separated whole numbers" in result.output
    result = CliRunner().invoke(beinspired, ["benchmark-load", "--users", "1"])
    assert result.exit_code == 2 and "between 2 and 10000" in result.output


@pytest.mark.skipif(shutil.which("wrk") is None,
                    reason="wrk is not installed (apt-get install wrk)")
def test_event_batches_among_the_views_are_answered_stored_and_not_counted_as_views():
    result = run_load_benchmark(databases=("sqlite",), users=(4,), caches=("warm",),
                                loops=("closed",), seconds=2, delay_s=0.01, threads=2,
                                previous=False, events_every=3)
    (row,) = result.rows
    assert row.errors == 0 and row.event_errors == 0 and row.served > 0, row
    assert row.events > 0 and row.events_stored >= row.events, row
    # A view in flight when wrk stops is recorded, not counted; event batches are neither views
    # nor impressions.
    assert row.served <= row.recorded <= row.served + 4, row
    assert "event batches/s" in format_report(result) and "one request in 3" in format_report(result)


def test_the_wrk_script_sends_events_only_when_asked():
    requests = warm_requests()[:2]
    assert "local events_every = 0" in wrk_script(requests)
    assert "local events_every = 5" in wrk_script(requests, events_every=5)
