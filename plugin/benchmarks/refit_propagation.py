"""How long a catalog edit or a newly activated model takes to reach every server process, and
what warm views cost while the refit runs: two `beinspired serve` processes on one PostgreSQL.
Run ``beinspired benchmark-refit``. Method: docs/design/benchmarks.md."""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from sqlalchemy import create_engine, make_url, text

from content_catalog.database import session_factory
from content_catalog.model_store import RankerModels
from content_catalog.modules import ModuleInput
from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import Dimension
from plugin.crm.demo_org import DEMO_ORG_ID
from recommender.benchmark import MachineFacts, Timings

__all__ = ["Change", "RefitBenchmark", "format_report", "run_refit_benchmark"]

#: Issue 12: every process serves an edit or a new model within this long, by catalog size.
TARGET_S = {10_000: 5.0, 100_000: 30.0}
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
APP_SECRET = "refit-benchmark-" + "x" * 32
#: The context every poll asks for; the edited module is the one ranked first for it.
CONTEXT = {"stage": "Negotiation/Review", "industry": "Banking",
           "buyer_roles": ["Economic Buyer"], "challenge": "risk_compliance",
           "description": "Core banking modernisation with a strict compliance review."}
#: Tags the edit gives that module: opposite the context, so its score must change.
EDITED_TAGS = {Dimension.JOURNEY_PHASE: ("awareness",), Dimension.INDUSTRY: ("Healthcare",)}
#: Between two polls of one process: a warm view at 100,000 modules costs tens of ms of CPU, so
#: polling much faster is itself the load that slows the refit down (BENCHMARKS.md).
POLL_GAP_S = 0.2
#: The demo org's own modules, beside the imported ones.
DEMO_MODULES = 70
#: An edited module missing from this many polls in a row counts as moved (exploration may drop
#: a module from one list now and then; a changed score counts at once).
ABSENT_POLLS = 3
BASELINE_S = 6.0
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Change:
    modules: int
    #: "background" (this code) or "in the view" (the previous path, the same run).
    path: str
    what: str
    #: Seconds from the commit until each process served it; None: not within the timeout.
    seconds: tuple[float | None, ...]
    target_s: float
    #: Warm views (the polls) before the change and while the processes refitted.
    baseline: Timings
    during: Timings
    #: Polls that still ranked with the previous fit yet showed the edited title (display fields
    #: come from the current catalog), out of those ranked with it.
    fresh_titles: tuple[int, int] = (0, 0)

    @property
    def met(self) -> bool:
        return all(s is not None and s <= self.target_s for s in self.seconds)


@dataclass(frozen=True)
class RefitBenchmark:
    changes: tuple[Change, ...]
    machine: MachineFacts
    database: str
    rss_mb: dict[int, tuple[float, ...]]
    load_before: str
    load_after: str
    poll_gap_s: float = POLL_GAP_S


# -- the database -------------------------------------------------------------------------------
def _schema_url(postgres_url: str, schema: str) -> str:
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _cli(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "BEINSPIRED_LOG_LEVEL": "WARNING",
           "BEINSPIRED_APP_SECRET": APP_SECRET}
    subprocess.run([sys.executable, "-m", "plugin.cli", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, cwd=ROOT)


def prepared_database(postgres_url: str, modules: int, folder: Path, *, fresh: bool,
                      progress: Callable[[str], None]) -> str:
    """A schema of its own holding the demo org (history and a trained model, as ``make demo``
    leaves it) with ``modules`` synthetic modules imported by ``beinspired catalog import``.
    Kept between runs (importing 100,000 modules takes minutes): ``fresh`` makes it again."""
    schema = f"bi_refit_bench_{modules}"
    url = _schema_url(postgres_url, schema)
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(text(
                "SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"),
                {"s": schema}).scalar()
            reuse = exists and not fresh and _imported(url) >= modules
            if not reuse:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        admin.dispose()
    if reuse:
        progress(f"{modules:,} modules: reusing schema {schema}")
        _cli(url, "init-db")  # migrations added since it was made
        return url
    progress(f"{modules:,} modules: preparing schema {schema} (init-db, load-demo, import)")
    _cli(url, "init-db")
    _cli(url, "load-demo")
    file = folder / f"catalog-{modules}.csv"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_import_file.py"), str(modules),
                    str(file)], check=True, stdout=subprocess.DEVNULL)
    _cli(url, "catalog", "import", str(file), "--max-bytes", str(file.stat().st_size + 1))
    return url


def _imported(url: str) -> int:
    engine = create_engine(url)
    try:
        with session_factory(engine)() as session:
            return CatalogRepository(session, DEMO_ORG_ID).count() - DEMO_MODULES
    except Exception:  # noqa: BLE001 - a half-made schema: make it again
        return -1
    finally:
        engine.dispose()


class _Catalog:
    """The benchmark's own writes, as the workspace and ``beinspired model`` make them."""

    def __init__(self, url: str):
        self.engine = create_engine(url)
        self.sessions = session_factory(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def model_off(self) -> int:
        """Serve v1; the version to activate later (load-demo trained it)."""
        with self.sessions.begin() as session:
            models = RankerModels(session, DEMO_ORG_ID)
            models.deactivate()
            return models.versions()[0].version

    def activate(self, version: int) -> None:
        with self.sessions.begin() as session:
            RankerModels(session, DEMO_ORG_ID).activate(version)

    def edit(self, key: str, title: str) -> None:
        with self.sessions.begin() as session:
            repository = CatalogRepository(session, DEMO_ORG_ID)
            module = repository.get(key)
            fields = {f.name: getattr(module, f.name) for f in dataclasses.fields(ModuleInput)}
            edited = ModuleInput(**{**fields, "title": title,
                                    "tags": {**module.tags, **EDITED_TAGS}})
            repository.upsert_many([edited], actor="benchmark-refit")


# -- the servers --------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class _Server:
    base: str
    process: subprocess.Popen

    def rss_mb(self) -> float:
        """The gunicorn worker's resident memory."""
        total = 0.0
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        for pid in children.read_text().split() if children.exists() else []:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        return total


@contextlib.contextmanager
def _servers(url: str, count: int, inline_modules: int | None, log: Path) -> Iterator[list[_Server]]:
    env = {**os.environ, "DATABASE_URL": url, "BEINSPIRED_DEMO_MODE": "true",
           "BEINSPIRED_APP_SECRET": APP_SECRET, "BEINSPIRED_LOG_LEVEL": "WARNING",
           # Each server is polled 5 times a second by one caller, the demo user: their
           # per-person limit on posted contexts (60 a minute) would refuse the polls.
           "BEINSPIRED_RATE_LIMIT_EXPENSIVE": "100000000 per minute"}
    env.pop("REDIS_URL", None)
    if inline_modules is not None:
        env["BEINSPIRED_REFIT_INLINE_MODULES"] = str(inline_modules)
    servers = []
    try:
        with open(log, "ab") as out:
            for _ in range(count):
                port = _free_port()
                process = subprocess.Popen(
                    [sys.executable, "-m", "plugin.cli", "serve", "--host", "127.0.0.1",
                     "--port", str(port), "--workers", "1", "--threads", "4"],
                    env=env, stdout=out, stderr=out, start_new_session=True, cwd=ROOT)
                servers.append(_Server(f"http://127.0.0.1:{port}", process))
        for server in servers:
            _wait_healthy(server, log)
        yield servers
    finally:
        for server in servers:
            server.process.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


def _wait_healthy(server: _Server, log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{server.base}/healthz", timeout=5):  # nosec B310 # why: a loopback server this benchmark started
                return
        except OSError:
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"a server did not start; see {log}") from None
            time.sleep(0.3)


def _view(base: str, timeout: float = 900) -> tuple[float, dict]:
    """One panel view of ``CONTEXT`` (the JSON API): its time in ms and its body."""
    request = urllib.request.Request(f"{base}/api/v1/recommendations",
                                     data=json.dumps(CONTEXT).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as response:  # nosec B310 # why: a loopback server this benchmark started
        body = json.loads(response.read())
    return (time.perf_counter() - started) * 1000, body


def _cards(body: dict) -> list[dict]:
    return body["client_facing"] + body["internal"]


# -- polling ------------------------------------------------------------------------------------
@dataclass
class _Poll:
    at: float
    ms: float
    body: dict


def _poll(servers: Sequence[_Server], until: Callable[[int, list[_Poll]], bool],
          timeout_s: float, gap_s: float) -> list[list[_Poll]]:
    """Each server polled by a thread of its own until ``until(server index, its polls)``."""
    polls: list[list[_Poll]] = [[] for _ in servers]
    deadline = time.monotonic() + timeout_s

    def run(index: int) -> None:
        while time.monotonic() < deadline:
            ms, body = _view(servers[index].base)
            polls[index].append(_Poll(time.monotonic(), ms, body))
            if until(index, polls[index]):
                return
            time.sleep(gap_s)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(servers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return polls


def _baseline(servers: Sequence[_Server], gap_s: float) -> list[float]:
    end = time.monotonic() + BASELINE_S
    polls = _poll(servers, lambda _i, _p: time.monotonic() > end, BASELINE_S + 60, gap_s)
    return [p.ms for server in polls for p in server]


def _measure_edit(servers, catalog: _Catalog, modules: int, path: str, what: str,
                  timeout_s: float, gap_s: float, progress) -> Change:
    _, body = _view(servers[0].base)
    first = body["client_facing"][0]
    key, score = first["module_id"], first["score"]
    baseline = _baseline(servers, gap_s)
    title = f"Edited by benchmark-refit {time.time():.0f}"
    catalog.edit(key, title)
    committed = time.monotonic()

    def moved(poll: _Poll) -> bool | None:
        """True: ranked by the new fit; False: by the previous one; None: not listed."""
        card = next((c for c in _cards(poll.body) if c["module_id"] == key), None)
        return None if card is None else abs(card["score"] - score) > 1e-6

    def served(_index: int, polls: list[_Poll]) -> bool:
        if moved(polls[-1]):
            return True
        return len(polls) >= ABSENT_POLLS and all(moved(p) is None for p in polls[-ABSENT_POLLS:])

    polls = _poll(servers, served, timeout_s, gap_s)
    seconds, during = [], []
    stale = fresh = 0
    for server in polls:
        if not served(0, server):
            seconds.append(None)
            first_new = len(server)
        else:
            first_new = len(server) - (1 if moved(server[-1]) else ABSENT_POLLS)
            seconds.append(server[first_new].at - committed)
        # Every view until the change was served, the first served one too (in the view, it
        # is the one that waited for the refit).
        during += [p.ms for p in server[:first_new + 1]]
        for p in server:
            card = next((c for c in _cards(p.body) if c["module_id"] == key), None)
            if card is not None and abs(card["score"] - score) <= 1e-6:
                stale += 1
                fresh += card["title"] == title
    change = Change(modules, path, what, tuple(seconds),
                    TARGET_S.get(modules, 30.0), Timings(tuple(baseline)),
                    Timings(tuple(during or [float("nan")])), (fresh, stale))
    progress(_format_change(change))
    return change


def _measure_model(servers, catalog: _Catalog, version: int, modules: int, path: str,
                   timeout_s: float, gap_s: float, progress) -> Change:
    baseline = _baseline(servers, gap_s)
    catalog.activate(version)
    committed = time.monotonic()

    def learned(poll: _Poll) -> bool:
        return any("learned" in c["score_breakdown"] for c in _cards(poll.body))

    polls = _poll(servers, lambda _i, p: learned(p[-1]), timeout_s, gap_s)
    seconds, during = [], []
    for server in polls:
        last = server[-1]
        seconds.append(last.at - committed if learned(last) else None)
        during += [p.ms for p in server]  # until the model was served, that view too
    change = Change(modules, path, "model activated", tuple(seconds),
                    TARGET_S.get(modules, 30.0), Timings(tuple(baseline)),
                    Timings(tuple(during or [float("nan")])))
    progress(_format_change(change))
    return change


def _warm(servers: Sequence[_Server]) -> None:
    """The first view of each process fits its ranker (the one wait the design allows)."""
    threads = [threading.Thread(target=_view, args=(s.base,)) for s in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for server in servers:
        for _ in range(5):
            _view(server.base)


# -- the run ------------------------------------------------------------------------------------
def run_refit_benchmark(*, sizes: Sequence[int] = (10_000, 100_000), processes: int = 2,
                        postgres_url: str = DEFAULT_POSTGRES, previous: bool = True,
                        fresh: bool = False, folder: Path | None = None,
                        poll_gap_s: float = POLL_GAP_S,
                        progress: Callable[[str], None] = lambda line: None) -> RefitBenchmark:
    folder = folder or Path(tempfile.gettempdir())
    load_before = _load_average()
    changes: list[Change] = []
    rss: dict[int, tuple[float, ...]] = {}
    log = folder / "benchmark-refit-server.log"
    for modules in sizes:
        url = prepared_database(postgres_url, modules, folder, fresh=fresh, progress=progress)
        catalog = _Catalog(url)
        timeout_s = max(120.0, TARGET_S.get(modules, 30.0) * 6)
        try:
            version = catalog.model_off()
            paths = [("background", None)] + ([("in the view", 10**9)] if previous else [])
            for path, inline in paths:
                progress(f"{modules:,} modules, refit {path}: starting {processes} servers")
                with _servers(url, processes, inline, log) as servers:
                    _warm(servers)
                    changes.append(_measure_edit(servers, catalog, modules, path,
                                                 "catalog edit", timeout_s, poll_gap_s,
                                                 progress))
                    changes.append(_measure_model(servers, catalog, version, modules, path,
                                                  timeout_s, poll_gap_s, progress))
                    changes.append(_measure_edit(servers, catalog, modules, path,
                                                 "catalog edit, model served", timeout_s,
                                                 poll_gap_s, progress))
                    if path == "background":
                        rss[modules] = tuple(round(s.rss_mb()) for s in servers)
                catalog.model_off()
        finally:
            catalog.close()
    return RefitBenchmark(tuple(changes), MachineFacts.collect(), _database_version(postgres_url),
                          rss, load_before, _load_average(), poll_gap_s)


def _database_version(postgres_url: str) -> str:
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            return "PostgreSQL " + connection.execute(text("SHOW server_version")).scalar()
    finally:
        engine.dispose()


def _load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


# -- reporting ----------------------------------------------------------------------------------
def _seconds(value: float | None) -> str:
    return "timeout" if value is None else f"{value:.2f}"


def _format_change(c: Change) -> str:
    ratio = c.during.p99_ms / c.baseline.p99_ms if c.baseline.p99_ms else float("nan")
    fresh = f"{c.fresh_titles[0]}/{c.fresh_titles[1]}" if c.what.startswith("catalog") else "-"
    return (f"{c.modules:>8,}  {c.path:<12}{c.what:<28}"
            f"{' / '.join(_seconds(s) for s in c.seconds):>16}{c.target_s:>7g}"
            f"{'met' if c.met else 'NOT met':>8}"
            f"{c.baseline.median_ms:>9.1f}{c.baseline.p99_ms:>9.1f}"
            f"{c.during.median_ms:>9.1f}{c.during.p99_ms:>10.1f}{ratio:>8.2f}×{fresh:>9}")


def format_report(result: RefitBenchmark) -> str:
    m = result.machine
    lines = [
        "Catalog edits and new models across processes: two `beinspired serve` processes (one "
        "gunicorn worker × 4 threads each)",
        f"on one {result.database} database, the demo org with N imported modules; each "
        f"process polled (POST /api/v1/recommendations) {result.poll_gap_s * 1000:g} ms after "
        "each answer.",
        "'background' = this code; 'in the view' = BEINSPIRED_REFIT_INLINE_MODULES=10⁹ (the "
        "previous path: the view refits), measured in the same run.",
        f"Machine: {m.cpu_model}, {m.cpu_count} usable CPUs, {m.platform}, Python {m.python}; "
        f"shared with other work: load average before {result.load_before}, after "
        f"{result.load_after}.",
        "",
        f"{'modules':>8}  {'refit':<12}{'change':<28}{'served after s':>16}{'target':>7}"
        f"{'':>8}{'base p50':>9}{'base p99':>9}{'dur p50':>9}{'dur p99':>10}{'p99 ×':>9}"
        f"{'fresh':>9}",
    ]
    lines += [_format_change(c) for c in result.changes]
    lines += [
        "",
        "served after = seconds from the commit until each process answered a poll ranked by "
        "the new fit (or model);",
        "base = warm views in the 6 s before the change; dur = views from the commit until "
        "the change was served, that view included (ms);",
        "fresh = of those, views showing the edited module's new title (display fields are "
        "the current revision's).",
    ]
    for modules, rss in result.rss_mb.items():
        lines.append(f"resident memory of each worker after the run at {modules:,} modules: "
                     + ", ".join(f"{r:,.0f} MB" for r in rss))
    return "\n".join(lines)
