"""The service's Prometheus metrics, made on first use (prometheus-client)."""
from __future__ import annotations

import logging
import os
import threading
from typing import Any, Callable

log = logging.getLogger(__name__)

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
#: Panel latency buckets (seconds): the target is p99 ≤ 50 ms.
LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0)


class _Metrics:
    def __init__(self) -> None:
        from prometheus_client import Counter, Histogram

        self.panel_seconds = Histogram(
            "beinspired_panel_seconds", "Time to answer a panel view (HTML or JSON), by route",
            ["route"], buckets=LATENCY_BUCKETS)
        self.salesforce_calls = Counter(
            "beinspired_salesforce_calls", "Calls made to Salesforce, per org", ["org_id"])
        self.salesforce_errors = Counter(
            "beinspired_salesforce_errors",
            "Salesforce failures told to admins (limit_exceeded, degraded, unavailable, "
            "auth_failed), per org", ["org_id", "kind"])
        self.context_cache = Counter(
            "beinspired_context_cache_lookups",
            "Opportunity context cache lookups by result (hit, stale, miss)", ["result"])
        self.impressions_dropped = Counter(
            "beinspired_impressions_dropped", "Impressions dropped because the queue was full")
        self.ranked_lists = Counter(
            "beinspired_ranked_list_cache_lookups",
            "Ranked-list memo lookups of shown panel views by result (hit, miss)", ["result"])


_made: _Metrics | None = None
_making = threading.Lock()


def _metrics() -> _Metrics:
    """Made once per process, by whichever thread records first (a metric registers itself, so
    a second one would be refused as a duplicate)."""
    global _made
    if _made is None:
        with _making:
            if _made is None:
                _made = _Metrics()
    return _made


def _record(action: Callable[[_Metrics], Any]) -> None:
    try:
        action(_metrics())
    except Exception:  # noqa: BLE001 - bookkeeping must never cost a panel
        log.exception("could not record a metric")


def observe_panel(route: str, seconds: float) -> None:
    _record(lambda m: m.panel_seconds.labels(route).observe(seconds))


def count_salesforce_call(org_id: str) -> None:
    _record(lambda m: m.salesforce_calls.labels(org_id).inc())


def count_salesforce_error(org_id: str, kind: str) -> None:
    _record(lambda m: m.salesforce_errors.labels(org_id, kind).inc())


def count_cache_lookup(result: str) -> None:
    _record(lambda m: m.context_cache.labels(result).inc())


def count_impressions_dropped(rows: int) -> None:
    _record(lambda m: m.impressions_dropped.inc(rows))


def count_ranked_list_lookup(result: str) -> None:
    _record(lambda m: m.ranked_lists.labels(result).inc())


def exposition(extra: Callable[[], dict[str, float]] | None = None) -> tuple[bytes, str]:
    """The metrics in Prometheus' text format (every worker's, in multiprocess mode) and their
    content type; ``extra`` gives gauges read at scrape time (the job queue's depth)."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily
    from prometheus_client.multiprocess import MultiProcessCollector

    _metrics()  # so that a fresh process shows its metrics at zero
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    output = generate_latest(registry)
    if extra is not None:
        gauges = CollectorRegistry()

        class _Scraped:
            def collect(self):
                for name, value in extra().items():
                    family = GaugeMetricFamily(name, name.replace("_", " "))
                    family.add_metric([], value)
                    yield family

        gauges.register(_Scraped())
        output += generate_latest(gauges)
    return output, CONTENT_TYPE_LATEST


def prepare_multiprocess_dir(directory: str) -> None:
    """Before any worker starts: the directory exists and holds no values of an earlier run."""
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.unlink(os.path.join(directory, name))
    os.environ[MULTIPROCESS_DIR] = directory


def worker_gone(pid: int) -> None:
    """A worker exited: its live gauges no longer count (counters and histograms stay summed)."""
    if os.environ.get(MULTIPROCESS_DIR):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


__all__ = [
    "LATENCY_BUCKETS", "MULTIPROCESS_DIR", "count_cache_lookup", "count_impressions_dropped",
    "count_salesforce_call", "count_salesforce_error", "exposition", "observe_panel",
    "prepare_multiprocess_dir", "worker_gone", "count_ranked_list_lookup",
]
