"""Salesforce API calls and server time per panel view, cold and warm, beside the demo org.
Run ``python -m plugin.benchmarks.panel_views`` or ``beinspired benchmark-panel``.
Method and knobs: docs/design/benchmarks.md."""
from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Sequence

import redis
from flask import Flask

from content_catalog.database import upgrade
from content_catalog.importing import import_modules
from plugin.app import create_app
from plugin.benchmarks.fake_salesforce import (
    FakeSalesforce, salesforce_records, signed_request,
)
from plugin.benchmarks.server_clock import ServerClock
from plugin.crm.demo_org import demo_module_payloads, load_demo_catalog
from plugin.orgs.connections import ConfiguredOrg, SecretBox
from plugin.crm.salesforce.config import OrgConnection
from plugin.crm.salesforce.context_cache import RedisContextCache
from plugin.crm.salesforce.ids import to_18
from plugin.settings import Settings
from recommender.benchmark import MachineFacts, Timings

__all__ = [
    "PanelViewFailed", "PanelViewsBenchmark", "format_report", "main", "run_panel_views_benchmark",
]  # fmt: skip

DEFAULT_RECORDS = 20
DEFAULT_DELAY_S = 0.150
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
#: A fixed "today": some demo modules' review-by dates pass in 2026 and would change the panel.
BENCHMARK_DAY = date(2026, 6, 15)
TARGET_COLD_CALLS, TARGET_WARM_CALLS = 1, 0
#: Views of a record not counted, before each row: the first request fits the ranker, and the
#: next few still fill SQLAlchemy's and Jinja's caches.
WARM_UP_VIEWS = 5

CHALLENGE_FIELD = "Customer_Challenge__c"
_UNAVAILABLE = "Salesforce data unavailable"


class PanelViewFailed(RuntimeError):
    """A view did not render suggestions (or fell back to general ones): its time is void."""


@dataclass(frozen=True)
class ViewSamples:
    """One view per record: the Salesforce calls it caused and its server time."""

    calls: tuple[int, ...]
    timings: Timings

    @property
    def views(self) -> int:
        return len(self.calls)

    @property
    def calls_per_view(self) -> float:
        return sum(self.calls) / len(self.calls)


@dataclass(frozen=True)
class CacheRow:
    cache: str
    cold: ViewSamples
    warm: ViewSamples
    #: Context-cache entries this row left in Redis (counted before they were deleted).
    redis_keys: int | None = None

    @property
    def target_met(self) -> bool:
        return (set(self.cold.calls) == {TARGET_COLD_CALLS}
                and set(self.warm.calls) == {TARGET_WARM_CALLS})


@dataclass(frozen=True)
class PanelViewsBenchmark:
    n_records: int
    delay_s: float
    #: The run's random org Id: its Redis keys are ``<cache prefix><org_id>:*``.
    org_id: str
    rows: tuple[CacheRow, ...]
    demo: ViewSamples
    machine: MachineFacts
    redis_url: str | None
    redis_version: str | None
    #: Why the Redis row is missing, when it was asked for and could not run.
    redis_skipped: str | None = None

    @property
    def target_met(self) -> bool:
        return all(row.target_met for row in self.rows)


# -- the app ------------------------------------------------------------------------------------
def _timed_app(settings: Settings) -> tuple[Flask, ServerClock]:
    app = create_app(settings, today=lambda: BENCHMARK_DAY)
    clock = ServerClock(app.wsgi_app)
    app.wsgi_app = clock
    upgrade(app.extensions["be_inspired"].engine)
    return app, clock


def _canvas_app(database: Path, org_id: str, canvas_secret: str, redis_url: str | None,
                fake: FakeSalesforce) -> tuple[Flask, ServerClock]:
    settings = Settings(
        demo_mode=False, database_url=f"sqlite:///{database}", redis_url=redis_url,
        encryption_keys=SecretBox.new_key(), app_secret=secrets.token_urlsafe(48),
        log_level="WARNING",
        # The operator's settings for a loopback Salesforce: its host, and its CA.
        allowed_crm_hosts="localhost", crm_ca_bundle=fake.ca_bundle,
    )
    app, clock = _timed_app(settings)
    svc = app.extensions["be_inspired"]
    connection = OrgConnection(org_id=org_id, instance_url=fake.instance_url,
                               canvas_secret=canvas_secret, challenge_field=CHALLENGE_FIELD)
    svc.org_connections().save(ConfiguredOrg("Benchmark Corp", connection))
    with svc.sessions.begin() as session:
        import_modules(session, org_id, demo_module_payloads(), svc.taxonomy)
    return app, clock


def _view(client, clock: ServerClock, fake: FakeSalesforce, path: str,
          form: dict[str, str] | None = None) -> tuple[int, float]:
    before = fake.calls
    response = client.post(path, data=form) if form is not None else client.get(path)
    html = response.get_data(as_text=True)
    if response.status_code != 200 or "bi-suggestion" not in html or _UNAVAILABLE in html:
        raise PanelViewFailed(f"{path} answered {response.status_code} without the suggestions "
                              f"of its opportunity: {html[:300]!r}")
    return fake.calls - before, clock.last_ms


def _samples(views: list[tuple[int, float]]) -> ViewSamples:
    return ViewSamples(tuple(c for c, _ in views), Timings(tuple(ms for _, ms in views)))


def _salesforce_row(cache: str, database: Path, org_id: str, redis_url: str | None,
                    records: list[dict[str, Any]], fake: FakeSalesforce) -> CacheRow:
    canvas_secret = secrets.token_urlsafe(32)
    app, clock = _canvas_app(database, org_id, canvas_secret, redis_url, fake)
    svc = app.extensions["be_inspired"]
    if redis_url and not isinstance(svc.orgs.current().connector.cache, RedisContextCache):
        raise PanelViewFailed("the app did not use Redis for its context cache")
    forms = [{"signed_request": signed_request(org_id, r["Id"], canvas_secret, fake.instance_url)}
             for r in records]
    client = app.test_client()
    try:
        for _ in range(WARM_UP_VIEWS):
            _view(client, clock, fake, "/canvas", forms[-1])  # a record not counted
        cold = [_view(client, clock, fake, "/canvas", form) for form in forms[:-1]]
        warm = [_view(client, clock, fake, "/canvas", form) for form in forms[:-1]]
        keys = _own_redis_keys(svc.orgs.current().connector.cache, org_id) if redis_url else None
        return CacheRow(cache, _samples(cold), _samples(warm), keys)
    finally:
        if redis_url:
            _delete_own_redis_keys(svc.orgs.current().connector.cache, org_id)
        svc.engine.dispose()


def _demo_row(database: Path, template_ids: list[str], fake: FakeSalesforce) -> ViewSamples:
    """The same panel view on the bundled demo org: no Salesforce, no cache."""
    settings = Settings(demo_mode=True, database_url=f"sqlite:///{database}", redis_url=None,
                        log_level="WARNING")
    app, clock = _timed_app(settings)
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    client = app.test_client()
    try:
        for _ in range(WARM_UP_VIEWS):
            _view(client, clock, fake, f"/panel/{template_ids[-1]}")  # not counted
        return _samples([_view(client, clock, fake, f"/panel/{i}") for i in template_ids[:-1]])
    finally:
        svc.engine.dispose()


# -- Redis: only this run's keys ----------------------------------------------------------------
def _redis_problem(url: str) -> tuple[str | None, str | None]:
    """(server version, None) when Redis answers, else (None, why not)."""
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return str(client.info("server").get("redis_version", "?")), None
    except redis.RedisError as exc:
        return None, f"Redis at {url} did not answer ({exc})"
    finally:
        client.close()


def _own_keys(cache: RedisContextCache, org_id: str) -> list[bytes]:
    return list(cache.client.scan_iter(match=f"{cache.prefix}{org_id}:*", count=1000))


def _own_redis_keys(cache: RedisContextCache, org_id: str) -> int:
    return len(_own_keys(cache, org_id))


def _delete_own_redis_keys(cache: RedisContextCache, org_id: str) -> None:
    keys = _own_keys(cache, org_id)
    if keys:
        cache.client.delete(*keys)


# -- the run ------------------------------------------------------------------------------------
def run_panel_views_benchmark(n_records: int = DEFAULT_RECORDS, delay_s: float = DEFAULT_DELAY_S,
                              redis_url: str | None = DEFAULT_REDIS_URL) -> PanelViewsBenchmark:
    """Open ``n_records`` opportunities cold then warm, with the in-process cache and (unless
    ``redis_url`` is None) with Redis, and the same views on the demo org."""
    if n_records < 1 or delay_s < 0:
        raise ValueError("at least one record, and a delay of zero or more")
    pairs = salesforce_records(n_records + 1)  # the last one only warms the app up
    records = [record for record, _ in pairs]
    template_ids = [template_id for _, template_id in pairs]
    # A random org Id per run: its Redis keys cannot collide with anyone else's.
    org_id = to_18("00D5e" + "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(10)))
    redis_version, redis_skipped = _redis_problem(redis_url) if redis_url else (None, None)
    with tempfile.TemporaryDirectory(prefix="beinspired-panel-bench-") as tmp, \
            FakeSalesforce(records, delay_s) as fake:
        folder = Path(tmp)
        demo = _demo_row(folder / "demo.sqlite3", template_ids, fake)
        rows = [_salesforce_row("in-process", folder / "in-process.sqlite3", org_id, None,
                                records, fake)]
        if redis_url and redis_version:
            rows.append(_salesforce_row("redis", folder / "redis.sqlite3", org_id, redis_url,
                                        records, fake))
    return PanelViewsBenchmark(
        n_records=n_records, delay_s=delay_s, org_id=org_id, rows=tuple(rows), demo=demo,
        machine=MachineFacts.collect(), redis_url=redis_url, redis_version=redis_version,
        redis_skipped=redis_skipped,
    )


# -- reporting ----------------------------------------------------------------------------------
def format_report(result: PanelViewsBenchmark) -> str:
    m, demo = result.machine, result.demo
    delay_ms = result.delay_s * 1000
    redis_line = (f"Redis {result.redis_version} at {result.redis_url}" if result.redis_version
                  else result.redis_skipped or "Redis row not asked for")
    lines = [
        f"Panel views: {result.n_records} opportunities per row, cold then warm; Salesforce "
        f"answers each query after {delay_ms:g} ms",
        "Canvas POST /canvas on the real app (Flask test client), SQLite, 70-module demo catalog;"
        " server time per view",
        f"Machine: {m.cpu_model}, {m.cpu_count} CPUs, {m.platform}",
        f"         Python {m.python}, Flask {_version('flask')}, {redis_line}",
        "",
        f"{'cache':<12}{'view':<6}{'views':>6}{'SF calls/view':>15}{'median ms':>11}"
        f"{'p95 ms':>9}{'mean ms':>9}{'× demo':>9}",
    ]
    for row in result.rows:
        for name, samples in (("cold", row.cold), ("warm", row.warm)):
            lines.append(_row(row.cache, name, samples, demo))
    lines.append(_row("demo org", "-", demo, demo, calls=False))
    lines.append("")
    verdicts = ", ".join(f"{r.cache} {'met' if r.target_met else 'NOT met'}" for r in result.rows)
    lines.append(f"API calls per view, target {TARGET_COLD_CALLS} cold / {TARGET_WARM_CALLS} "
                 f"warm: {verdicts}")
    for row in result.rows:
        own = row.cold.timings.median_ms - delay_ms
        lines.append(
            f"{row.cache}: cold median = {delay_ms:g} ms waiting for Salesforce + {own:.1f} ms "
            f"of our own; warm median {row.warm.timings.median_ms:.1f} ms = "
            f"{row.warm.timings.median_ms / demo.timings.median_ms:.2f}× the demo view"
            + (f"; {row.redis_keys} context keys were in Redis (deleted)"
               if row.redis_keys is not None else ""))
    if result.redis_skipped:
        lines.append(f"No Redis row: {result.redis_skipped}")
    return "\n".join(lines)


def _row(cache: str, view: str, samples: ViewSamples, demo: ViewSamples, *,
         calls: bool = True) -> str:
    t = samples.timings
    per_view = f"{samples.calls_per_view:.2f}" if calls else "-"
    ratio = t.median_ms / demo.timings.median_ms
    return (f"{cache:<12}{view:<6}{samples.views:>6}{per_view:>15}{t.median_ms:>11.1f}"
            f"{t.p95_ms:>9.1f}{t.mean_ms:>9.1f}{ratio:>8.2f}×")


def _version(module: str) -> str:
    try:
        return version(module)
    except PackageNotFoundError:
        return "?"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plugin.benchmarks.panel_views",
                                     description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS,
                        help="distinct opportunities opened per row")
    parser.add_argument("--delay", type=float, default=DEFAULT_DELAY_S,
                        help="seconds Salesforce takes to answer a query")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL,
                        help="Redis for the second row (only this run's keys are touched)")
    parser.add_argument("--no-redis", action="store_true", help="skip the Redis row")
    args = parser.parse_args(argv)
    result = run_panel_views_benchmark(args.records, args.delay,
                                       None if args.no_redis else args.redis_url)
    print(format_report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
