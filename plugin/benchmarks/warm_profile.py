"""Where a warm panel view's time goes: CPU per view, cProfile's shares and the SQL statements
of in-process views of the demo org (``python -m plugin.benchmarks.warm_profile``;
BENCHMARKS.md, "Panel under load")."""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from flask import Flask
from sqlalchemy import event

from plugin.app import create_app
from plugin.crm.demo_org import DemoOrg
from plugin.settings import Settings

__all__ = ["ProfileReport", "demo_requests", "format_profile", "main", "profile_warm_views"]

#: (label, how to find it in cProfile's table: file suffix, function name). Cumulative time.
PARTS = (
    ("ranking (v1 or learned)", "plugin/panel/suggestions.py", "_rank"),
    ("  learned ranker", "recommender/learning.py", "rank"),
    ("  v1 ranker", "recommender/ranker.py", "rank"),
    ("display fields (repository.find)", "content_catalog/repository.py", "find"),
    ("serving markers (held or read)", "plugin/panel/serving_markers.py", "get"),
    ("  read from the database", "plugin/panel/serving_markers.py", "read_markers"),
    ("spaced refreshers", "plugin/panel/suggestions.py", "_refreshers_back"),
    ("unknown CRM values", "plugin/panel/view.py", "_record_unknown"),
    ("queue impressions", "plugin/panel/view.py", "_record_shown"),
    ("Jinja rendering", "flask/templating.py", "render_template"),
    ("JSON body", "plugin/web/api/suggestion_json.py", "recommendations_json"),
    ("context mapping", "plugin/ranking/context_mapping.py", "map_context"),
    ("request org", "plugin/web/request_org.py", "current_org"),
)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    json: dict | None = None


@dataclass(frozen=True)
class ProfileReport:
    views: int
    #: Without the profiler (the same views, just before).
    plain_ms_per_view: float
    #: CPU time of the process (every thread) per view, without the profiler: what other load
    #: on the machine moves least.
    cpu_ms_per_view: float
    wall_ms_per_view: float
    sql_per_view: float
    background_sql_per_view: float
    parts_ms: tuple[tuple[str, float], ...]
    top: str


def demo_requests(demo: DemoOrg) -> list[Request]:
    """The load's round robin: each demo opportunity's panel HTML, its JSON recommendations and
    a POST of its context, one after another."""
    out = []
    for record in demo.opportunities():
        out.append(Request("GET", f"/panel/{record.opportunity_id}"))
        out.append(Request("GET", f"/api/v1/opportunities/{record.opportunity_id}/recommendations"))
        out.append(Request("POST", "/api/v1/recommendations", context_body(record)))
    return out


def context_body(record) -> dict:
    """The record as ``POST /api/v1/recommendations`` takes it."""
    body: dict = {"stage": record.stage, "industry": record.industry,
                  "buyer_roles": [r.role for r in record.contact_roles if r.role],
                  "challenge": record.challenge, "amount": record.amount,
                  "description": record.description or "", "next_step": record.next_step or ""}
    return {k: v for k, v in body.items() if v not in (None, [])}


def _send(client, request: Request) -> None:
    if request.method == "GET":
        response = client.get(request.path)
    else:
        response = client.post(request.path, json=request.json)
    if response.status_code != 200:
        raise RuntimeError(f"{request.method} {request.path}: {response.status_code}")
    response.get_data()


def profile_warm_views(app: Flask, views: int = 500, warm_up: int = 78) -> ProfileReport:
    svc = app.extensions["be_inspired"]
    requests = demo_requests(svc.demo_org)
    client = app.test_client()
    for i in range(warm_up):
        _send(client, requests[i % len(requests)])
    statements = background = 0
    request_thread = threading.get_ident()

    def count(*_args) -> None:
        nonlocal statements, background
        if threading.get_ident() == request_thread:
            statements += 1
        else:  # the impression recorder's batches
            background += 1

    started, cpu = time.perf_counter(), time.process_time()
    for i in range(views):
        _send(client, requests[i % len(requests)])
    plain, cpu = time.perf_counter() - started, time.process_time() - cpu
    event.listen(svc.engine, "before_cursor_execute", count)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for i in range(views):
        _send(client, requests[i % len(requests)])
    profiler.disable()
    wall = time.perf_counter() - started
    event.remove(svc.engine, "before_cursor_execute", count)
    svc.impressions.flush()
    stats = pstats.Stats(profiler)
    parts = []
    for label, suffix, name in PARTS:
        total = sum(cum for (file, _, func), (_, _, _, cum, _) in stats.stats.items()
                    if func == name and file.endswith(suffix))
        parts.append((label, total * 1000 / views))
    top = _top(stats)
    return ProfileReport(views, plain * 1000 / views, cpu * 1000 / views, wall * 1000 / views,
                         statements / views, background / views, tuple(parts), top)


def _top(stats: pstats.Stats, n: int = 25) -> str:
    import io

    out = io.StringIO()
    stats.stream = out
    stats.sort_stats("tottime").print_stats(n)
    return out.getvalue()


def format_profile(report: ProfileReport, title: str = "") -> str:
    lines = [f"{title}{report.views} warm views in-process under cProfile (round robin: panel "
             f"HTML, JSON, POST context over the 26 demo opportunities)",
             f"per view, unprofiled: {report.cpu_ms_per_view:.2f} ms CPU, "
             f"{report.plain_ms_per_view:.2f} ms wall; profiled: {report.wall_ms_per_view:.2f} ms",
             f"SQL statements per view: {report.sql_per_view:.2f} in the request, "
             f"{report.background_sql_per_view:.2f} by the impression recorder's batches"]
    lines.append("  cumulative time under cProfile, and its share of the profiled view:")
    lines += [f"  {label:<36}{ms:7.2f} ms/view {100 * ms / report.wall_ms_per_view:5.1f} %"
              for label, ms in report.parts_ms]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plugin.benchmarks.warm_profile",
                                     description=__doc__.split("\n", 1)[0])
    parser.add_argument("--views", type=int, default=500)
    parser.add_argument("--database-url", default=None,
                        help="a database with the demo org loaded (default: a fresh SQLite file)")
    parser.add_argument("--top", action="store_true", help="also print cProfile's top functions")
    parser.add_argument("--previous", action="store_true",
                        help="the path before the lean warm path (BEINSPIRED_PANEL_CACHES=false)")
    parser.add_argument("--no-memo", action="store_true",
                        help="ranked lists not remembered (BEINSPIRED_RANKED_LIST_CACHE_ENTRIES=0)")
    parser.add_argument("--no-hold", action="store_true",
                        help="the serving markers read on every view "
                             "(BEINSPIRED_SERVING_STATE_HOLD_SECONDS=0)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="beinspired-profile-") as tmp:
        url = args.database_url or _fresh_demo(Path(tmp))
        app = create_app(Settings(demo_mode=True, database_url=url, redis_url=None,
                                  log_level="WARNING", panel_caches=not args.previous,
                                  ranked_list_cache_entries=0 if args.no_memo else 4096,
                                  serving_state_hold_seconds=0 if args.no_hold else 1.0,
                                  # One demo user makes every view: the per-person limit on
                                  # posted contexts (60 a minute) would refuse them; it still runs.
                                  rate_limit_expensive="100000000 per minute"))
        report = profile_warm_views(app, args.views)
        print(format_profile(report))
        stats = app.extensions["be_inspired"].recommendations.ranked_lists.stats()
        print(f"ranked lists remembered: {stats.hits} hits, {stats.misses} misses, "
              f"{stats.entries} entries, ~{stats.bytes / 1024:.0f} KiB")
        markers = app.extensions["be_inspired"].recommendations.markers
        print(f"serving markers (held {markers.hold_s:g} s): {markers.reads} read, "
              f"{markers.reuses} reused")
        if args.top:
            print(report.top)
        app.extensions["be_inspired"].engine.dispose()
    return 0


def _fresh_demo(folder: Path) -> str:
    """The demo org as ``make demo`` leaves it: catalog, ten weeks of history, a learned ranker."""
    import os
    import subprocess

    url = f"sqlite:///{folder / 'demo.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "BEINSPIRED_DEMO_MODE": "true",
           "BEINSPIRED_LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "-m", "plugin.cli", "load-demo"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return url


if __name__ == "__main__":
    sys.exit(main())
