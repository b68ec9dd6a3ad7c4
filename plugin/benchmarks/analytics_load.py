"""How fast the content analytics pages and API answer at 1,000,000 impressions in an org: read
raw (the baseline, same run) and from roll-ups. Run ``beinspired benchmark-analytics``.
Method: docs/design/benchmarks.md."""
from __future__ import annotations

import json
import random
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone


from content_catalog.events import PanelEventLog
from content_catalog.tables.learning_tables import DealOutcomeRow, PanelEventRow, PanelImpressionRow
from plugin.analytics.page_data import analytics_window
from plugin.analytics.rollup_memo import memo_for
from plugin.analytics.rollup_job import AnalyticsRollupJob
from plugin.app import create_app
from plugin.crm.demo_org import (
    DEMO_ORG_ID,
    SIMULATED_REP_PREFIX,
    demo_module_payloads,
    load_demo_catalog,
)
from plugin.settings import Settings
from recommender.benchmark import MachineFacts, Timings
from plugin.benchmarks.scratch_database import scratch_database

__all__ = ["AnalyticsBenchmark", "format_report", "run_analytics_benchmark"]

TARGET_MS = 200.0
DAY = date(2026, 6, 15)
#: The roll-up runs at noon; the hour after it is the raw tail the pages read.
ROLLED_UP_AT = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)
HISTORY_DAYS = 180
CLIENT_SLOTS, INTERNAL_SLOTS = 5, 3
PHASES = ["awareness", "buying", "implementation_adoption", None]
INDUSTRIES = ["Healthcare", "Banking", "Retail", "Manufacturing", "Public Sector", None]
ROLES = [("Economic Buyer",), ("Evaluator",), ("Champion", "Evaluator"), ()]
_BATCH = 20_000


@dataclass(frozen=True)
class EndpointTimings:
    path: str
    #: None: not read raw in this run (each raw call of a whole-org page takes minutes at
    #: 1,000,000 impressions; the pages and the API build the same figures).
    raw: Timings | None
    rolled: Timings
    #: This process's CPU time of the same calls from roll-ups (the machine may be shared;
    #: PostgreSQL's own work is not in it).
    rolled_cpu: Timings
    #: From roll-ups with every sum read again (no memo), wall and CPU: the previous page.
    unkept: Timings | None = None
    unkept_cpu: Timings | None = None

    @property
    def ratio(self) -> float | None:
        return self.raw.median_ms / self.rolled.median_ms if self.raw else None


@dataclass(frozen=True)
class DatabaseRun:
    database: str
    impressions: int
    events: int
    opportunities: int
    tail_impressions: int
    seed_seconds: float
    rollup_seconds: float
    rollup_rows: int
    endpoints: tuple[EndpointTimings, ...]
    #: The API's JSON read raw and from roll-ups, compared key by key.
    same_figures: bool
    #: The two scans of the raw impressions each page made for the demo's simulated share
    #: before the roll-ups counted it (milliseconds, a few calls).
    simulated_scan: Timings | None = None


@dataclass(frozen=True)
class AnalyticsBenchmark:
    runs: tuple[DatabaseRun, ...]
    machine: MachineFacts


def run_analytics_benchmark(impressions: int = 1_000_000, opportunities: int = 5_000, *,
                            repeats: int = 20, raw_repeats: int = 3,
                            postgres_url: str | None = None, sqlite: bool = True,
                            raw_all: bool = False, seed: int = 7) -> AnalyticsBenchmark:
    """``raw_all``: read every endpoint raw too, not only the two API calls."""
    runs = []
    for url in ([None] if sqlite else []) + ([postgres_url] if postgres_url else []):
        runs.append(_run_on(url, impressions, opportunities, repeats, raw_repeats, raw_all, seed))
    return AnalyticsBenchmark(tuple(runs), MachineFacts.collect())


def _run_on(postgres_url, impressions, opportunities, repeats, raw_repeats, raw_all,
            seed) -> DatabaseRun:
    with scratch_database(postgres_url, "analytics") as (url, description):
        app = create_app(Settings(demo_mode=True, database_url=url), today=lambda: DAY)
        svc = app.extensions["be_inspired"]
        try:
            load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
            started = time.perf_counter()
            counts = _seed(svc.engine, impressions, opportunities, random.Random(seed))
            seed_seconds = time.perf_counter() - started
            client = app.test_client()
            top = _most_shown(client)
            paths = [
                "/workspace/analytics",
                f"/workspace/analytics/{top}",
                "/api/v1/analytics/modules",
                f"/api/v1/analytics/modules/{top}?segment=industry",
                "/api/v1/analytics/modules?window=180&segment=industry",
            ]
            raw_paths = paths if raw_all else paths[2:4]
            raw_json: dict[str, dict] = {}
            raw = {path: _time(client, path, raw_repeats, keep=raw_json) for path in raw_paths}
            started = time.perf_counter()
            report = AnalyticsRollupJob(svc.sessions, lambda: DAY,
                                        now=lambda: ROLLED_UP_AT).rebuild(DEMO_ORG_ID)
            rollup_seconds = time.perf_counter() - started
            for path in paths:  # warm up, as the raw calls warmed their own caches
                _time(client, path, 2)
            timed = {path: _time(client, path, repeats, cpu=True) for path in paths}
            memo = memo_for(svc.sessions)
            memo.enabled = False
            unkept = {path: _time(client, path, repeats, cpu=True) for path in paths}
            memo.enabled = True
            scan = _simulated_scan(svc.sessions, 3)
            rolled = {path: t[0] for path, t in timed.items()}
            rolled_cpu = {path: t[1] for path, t in timed.items()}
            same = all(_json(client, path) == expected for path, expected in raw_json.items())
        finally:
            svc.impressions.drain()
            svc.engine.dispose()
    return DatabaseRun(
        database=description, impressions=counts["impressions"], events=counts["events"],
        opportunities=opportunities, tail_impressions=counts["tail"],
        seed_seconds=seed_seconds, rollup_seconds=rollup_seconds, rollup_rows=report.rows,
        endpoints=tuple(EndpointTimings(p, raw.get(p), rolled[p], rolled_cpu[p], *unkept[p])
                        for p in paths), same_figures=same, simulated_scan=scan,
    )


def _simulated_scan(sessions, repeats: int) -> Timings:
    """What the pages did for the simulated share before it was rolled up: both scans."""
    window = analytics_window(DAY, 90)
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        with sessions() as session:
            log = PanelEventLog(session, DEMO_ORG_ID)
            log.span_shown_to(SIMULATED_REP_PREFIX)
            log.span_shown_to(SIMULATED_REP_PREFIX, since=window.since, until=window.until)
        samples.append((time.perf_counter() - started) * 1000)
    return Timings(tuple(samples))


def _time(client, path: str, repeats: int, *, cpu: bool = False, keep: dict | None = None):
    """Wall-clock milliseconds of ``repeats`` calls (and their CPU milliseconds, if asked);
    ``keep``: where to leave a JSON answer's body (a raw call is too dear to make twice)."""
    samples, cpu_samples = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.thread_time()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        cpu_samples.append((time.thread_time() - started_cpu) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
        if keep is not None and response.is_json:
            body = response.get_json()
            body.pop("rolled_up_until", None)
            keep[path] = body
    if cpu:
        return Timings(tuple(samples)), Timings(tuple(cpu_samples))
    return Timings(tuple(samples))


def _json(client, path: str) -> dict:
    body = client.get(path).get_json()
    body.pop("rolled_up_until", None)
    return body


def _most_shown(client) -> str:
    modules = client.get("/api/v1/analytics/modules?window=180").get_json()["modules"]
    return max(modules, key=lambda m: m["impressions"])["module_id"]


# -- the log ---------------------------------------------------------------------------------------
def _seed(engine, impressions: int, opportunities: int, rng: random.Random) -> dict[str, int]:
    """Panel views of 8 suggestions over 180 days up to the roll-up, and an hour of them after
    it; events on a fifth of the impressions; three in five deals closed. Bulk inserts."""
    modules = demo_module_payloads()
    client = [m["id"] for m in modules if m["audience"] == "client_facing"]
    internal = [m["id"] for m in modules if m["audience"] != "client_facing"]
    contexts = []
    for n in range(opportunities):
        contexts.append((f"006BN{n:013d}", json.dumps({
            "journey_phase": rng.choice(PHASES), "industry": rng.choice(INDUSTRIES),
            "buyer_roles": list(rng.choice(ROLES)), "stage": None}, separators=(",", ":"))))
    per_view = CLIENT_SLOTS + INTERNAL_SLOTS
    views = impressions // per_view
    start = ROLLED_UP_AT.replace(hour=0) - timedelta(days=HISTORY_DAYS - 1)
    history_seconds = (ROLLED_UP_AT - start).total_seconds() - 180
    # The tail: as many views as an average hour of the history holds.
    tail_views = max(1, round(views * 3600 / history_seconds))
    counts = {"impressions": 0, "events": 0, "tail": 0}
    rows: list[dict] = []
    events: list[dict] = []
    with engine.begin() as connection:
        for v in range(views + tail_views):
            tail = v >= views
            offset = (3600 * rng.random() if tail else history_seconds * rng.random())
            shown_at = (ROLLED_UP_AT if tail else start) + timedelta(seconds=offset)
            opportunity, context = contexts[rng.randrange(opportunities)]
            view_id = secrets.token_hex(16)
            chosen = ([(m, "client_facing", p) for p, m in
                       enumerate(rng.sample(client, CLIENT_SLOTS), start=1)]
                      + [(m, "internal", p) for p, m in
                         enumerate(rng.sample(internal, INTERNAL_SLOTS), start=1)])
            for module, audience, position in chosen:
                impression_id = secrets.token_hex(16)
                rows.append(dict(
                    impression_id=impression_id, org_id=DEMO_ORG_ID, view_id=view_id,
                    opportunity_id=opportunity, user_id=None, module_key=module,
                    audience=audience, position=position, score=1.0, propensity=1.0,
                    explored=rng.random() < 0.1, model_version="bench", context=context,
                    shown_at=shown_at))
                events += _events(rng, impression_id, shown_at)
                counts["tail"] += tail
            if len(rows) >= _BATCH:
                counts["impressions"] += _flush(connection, rows, events)
                counts["events"] += len(events)
                rows, events = [], []
        counts["impressions"] += _flush(connection, rows, events)
        counts["events"] += len(events)
        closed = [dict(org_id=DEMO_ORG_ID, opportunity_id=o, won=rng.random() < 0.4, amount=None,
                       close_date=DAY, stage="Closed", modified_at=None, synced_at=ROLLED_UP_AT)
                  for o, _ in contexts if rng.random() < 0.6]
        connection.execute(DealOutcomeRow.__table__.insert(), closed)
    return counts


def _events(rng: random.Random, impression_id: str, shown_at: datetime) -> list[dict]:
    if rng.random() >= 0.2:
        return []
    kinds = ["open"]
    vote = rng.random()
    if vote < 0.2:
        kinds.append("helpful")
    elif vote < 0.3:
        kinds.append("not_helpful")
    if rng.random() < 0.25:
        kinds.append(rng.choice(["copy", "personalise", "download", "share"]))
    return [dict(org_id=DEMO_ORG_ID, event_id=secrets.token_hex(16), impression_id=impression_id,
                 kind=kind, reason=None, user_id=None,
                 occurred_at=shown_at + timedelta(seconds=30 * (n + 1)),
                 received_at=shown_at + timedelta(seconds=30 * (n + 1)))
            for n, kind in enumerate(kinds)]


def _flush(connection, rows: list[dict], events: list[dict]) -> int:
    if rows:
        connection.execute(PanelImpressionRow.__table__.insert(), rows)
    if events:
        connection.execute(PanelEventRow.__table__.insert(), events)
    return len(rows)

# -- the report ------------------------------------------------------------------------------------
def format_report(result: AnalyticsBenchmark) -> str:
    m = result.machine
    lines = [f"Content analytics at scale ({m.cpu_count} CPUs, {m.cpu_model}; Python {m.python})",
             f"Target: every page and API call ≤ {TARGET_MS:.0f} ms (p95) from roll-ups."]
    for run in result.runs:
        lines += [
            "",
            f"{run.database}: {run.impressions:,} impressions ({run.tail_impressions:,} of them "
            f"in the hour after the roll-up, read raw), {run.events:,} events, "
            f"{run.opportunities:,} opportunities; seeded in {run.seed_seconds:.0f} s",
            f"roll-up job: {run.rollup_rows:,} rows in {run.rollup_seconds:.1f} s; figures "
            f"{'identical' if run.same_figures else 'DIFFERENT'} raw and from roll-ups (API JSON)",
            f"{'endpoint':<62} {'raw p50':>9} {'raw p95':>9} {'roll p50':>9} {'roll p95':>9} "
            f"{'ratio':>7} {'roll CPU p50':>12}  target  {'sums read p50/p95, CPU p50':>28}",
        ]
        for e in run.endpoints:
            met = "met" if e.rolled.p95_ms <= TARGET_MS else "MISSED"
            if e.raw:
                raw_p50, raw_p95 = f"{e.raw.median_ms:.0f}ms", f"{e.raw.p95_ms:.0f}ms"
                ratio = f"{e.ratio:.0f}×"
            else:
                raw_p50 = raw_p95 = ratio = "—"
            lines.append(
                f"{e.path:<62} {raw_p50:>9} {raw_p95:>9} "
                f"{e.rolled.median_ms:>7.1f}ms {e.rolled.p95_ms:>7.1f}ms {ratio:>7} "
                f"{e.rolled_cpu.median_ms:>10.1f}ms  {met:<6}  "
                + (f"{e.unkept.median_ms:.1f} / {e.unkept.p95_ms:.1f} ms, "
                   f"{e.unkept_cpu.median_ms:.1f} ms" if e.unkept else ""))
        raw_calls = next((len(e.raw.samples_ms) for e in run.endpoints if e.raw), 0)
        lines.append(f"(raw: {raw_calls} calls each; roll-ups: "
                     f"{len(run.endpoints[0].rolled.samples_ms)} calls each after 2 warm-up calls; "
                     "sums read: the same calls with the roll-up's sums read on every call)")
        if run.simulated_scan:
            lines.append(f"previous per-page scans for the simulated share (now rolled up): "
                         f"{run.simulated_scan.median_ms:.0f} ms p50 "
                         f"({len(run.simulated_scan.samples_ms)} calls)")
    return "\n".join(lines)
