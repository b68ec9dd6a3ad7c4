"""The panel-views benchmark runs end to end on a few records and reports the API calls it saw.

Calls per view are counts, so they are asserted; no timing is (see BENCHMARKS.md).
"""
from __future__ import annotations

import os

import pytest
import redis
from click.testing import CliRunner

from plugin.benchmarks.fake_salesforce import salesforce_records
from plugin.benchmarks.panel_views import (
    DEFAULT_REDIS_URL,
    format_report,
    main,
    run_panel_views_benchmark,
)
from plugin.cli import main as beinspired
from plugin.crm.salesforce.ids import to_18

SKIP_REDIS = os.environ.get("BEINSPIRED_SKIP_REDIS") == "1"


@pytest.fixture(scope="module")
def small_result():
    result = run_panel_views_benchmark(n_records=3, delay_s=0.01,
                                       redis_url=None if SKIP_REDIS else DEFAULT_REDIS_URL)
    if result.redis_skipped:
        pytest.fail(f"{result.redis_skipped} (set BEINSPIRED_SKIP_REDIS=1 to skip)")
    return result


def test_a_cold_view_costs_one_salesforce_call_and_a_warm_one_none(small_result):
    expected = ["in-process"] if SKIP_REDIS else ["in-process", "redis"]
    assert [row.cache for row in small_result.rows] == expected
    for row in small_result.rows:
        assert row.cold.calls == (1, 1, 1), row.cache
        assert row.warm.calls == (0, 0, 0), row.cache
    assert small_result.target_met
    assert "target 1 cold / 0 warm: " + ", ".join(f"{c} met" for c in expected) \
        in format_report(small_result)


def test_every_row_times_each_view_and_the_demo_baseline_the_same_number(small_result):
    for samples in [small_result.demo] + [s for r in small_result.rows for s in (r.cold, r.warm)]:
        assert samples.views == len(samples.timings.samples_ms) == 3
        assert all(ms > 0 for ms in samples.timings.samples_ms)


@pytest.mark.skipif(SKIP_REDIS, reason="BEINSPIRED_SKIP_REDIS=1")
def test_redis_row_cached_in_redis_and_left_no_key_behind(small_result):
    (row,) = [r for r in small_result.rows if r.cache == "redis"]
    assert row.redis_keys == 4  # three records and the warm-up one, for one viewer
    client = redis.Redis.from_url(DEFAULT_REDIS_URL)
    try:
        assert list(client.scan_iter(match=f"*{small_result.org_id}*")) == []
    finally:
        client.close()


def test_records_are_salesforce_shaped_with_valid_distinct_ids():
    records = [record for record, _ in salesforce_records(30)]
    ids = [r["Id"] for r in records]
    assert len(set(ids)) == 30
    assert all(to_18(i, prefix="006") == i for i in ids)
    assert all(r["attributes"]["url"].endswith(r["Id"]) and "StageName" in r for r in records)


def test_module_and_cli_print_the_table(capsys):
    assert main(["--records", "1", "--delay", "0", "--no-redis"]) == 0
    assert "in-process  cold" in capsys.readouterr().out
    result = CliRunner().invoke(beinspired, ["benchmark-panel", "--records", "1", "--delay", "0",
                                             "--no-redis"])
    assert result.exit_code == 0, result.output
    assert "API calls per view, target 1 cold / 0 warm: in-process met" in result.output
