"""Panel views under real load: the production server (gunicorn) driven by wrk, warm and cold,
on SQLite and PostgreSQL, beside the previous path in the same run (``beinspired benchmark-load``;
BENCHMARKS.md, "Panel under load", says what each row does)."""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from sqlalchemy import create_engine, func, select

from content_catalog.importing import import_modules
from content_catalog.repository import ensure_org
from content_catalog.tables.learning_tables import PanelEventRow, PanelImpressionRow
from plugin.app import create_app
from plugin.benchmarks.fake_salesforce import FakeSalesforce, salesforce_records, signed_request
from plugin.benchmarks.scratch_database import scratch_database
from plugin.crm.demo_org import DemoOrg, demo_module_payloads
from plugin.crm.salesforce.config import OrgConnection
from plugin.crm.salesforce.ids import to_18
from plugin.orgs.connections import ConfiguredOrg, SecretBox
from plugin.server import usable_cpus
from plugin.settings import Settings
from recommender.benchmark import MachineFacts

__all__ = ["LoadBenchmark", "LoadRow", "WrkMissing", "format_report", "run_load_benchmark"]

#: The issue's target at 200 concurrent users, warm, both databases.
TARGET_VIEWS_PER_S, TARGET_P99_MS = 500.0, 50.0
#: A rep's mean pause between two views in the think-time rows: with an answer inside the
#: target's budget each user views once every ~0.4 s, so 200 users offer the target's 500 views/s.
THINK_MS = 380
#: The two ways a row loads the server: "closed", each connection sends its next request the
#: moment the last answer arrives (the server's capacity); "think", each waits a random pause
#: (exponential, mean ``THINK_MS``) first, as reps do.
LOOPS = ("closed", "think")
CANVAS_ORG = to_18("00D5e00000LOADB")
CHALLENGE_FIELD = "Customer_Challenge__c"
WARM_UP_S = 3
#: The steady figures leave out requests sent in a measured run's first seconds, when all of
#: its connections, opened together, send their first requests at once.
STEADY_AFTER_S = 3.0
#: wrk's threads; each holds an equal share of the connections (its script is told how many).
WRK_THREADS = 2
APP_SECRET = "load-benchmark-" + "x" * 32
_ERROR_KINDS = ("connect", "read", "write", "status", "timeout")
#: What wrk prints at the end of a run (its ``done`` callback), one JSON line.
_WRK_SCRIPT = r"""
local requests = {%s}
local think_ms = %d
local steady_after_us = %d
-- Every events_every-th request of a connection (0: none) is a batch of one event, as the
-- panel's script sends them, naming a suggestion of a view this thread was shown.
local events_every = %d
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *t);
]]
local clock = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, clock)  -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end
local threads = {}
local counter = 0
function setup(thread)
  thread:set("offset", counter * 37)
  thread:set("number", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  -- wrk's argument after "--": this thread's connections, whose first requests go at once.
  first_requests = tonumber(args[1]) or 0
  position = (offset or 0) %% #requests
  math.randomseed(1000003 * ((offset or 0) + 1))
  sent, steady, sequence, started = {}, {}, 0, nil
  -- events: batches made; answered: those answered (wrk counts only answered requests)
  events, answered, event_errors, shown = 0, 0, 0, nil
  kinds, event_ids = {"open", "helpful", "share", "not_helpful"}, {}
end
local function event_request(headers)
  events = events + 1
  event_ids[headers["X-Request-Id"]] = true
  headers["Content-Type"] = "application/json"
  -- unique across runs of this script (the warm-up runs it too): the clock, then the thread
  local id = string.format("%%08x%%08x%%08x%%08x", math.floor(now_us() / 1000) %% 0x7fffffff,
                           math.random(0, 0x7fffffff), number, events)
  local body = string.format('{"events":[{"event_id":"%%s","impression_id":"%%s","kind":"%%s"}]}',
                             id, shown, kinds[events %% #kinds + 1])
  return wrk.format("POST", "/api/v1/events", headers, body)
end
if think_ms > 0 then
  -- wrk calls delay() before each request a connection sends (after the previous answer):
  -- an exponential pause, capped at ten means, so that users' views arrive unsynchronised.
  -- Not before a connection's first request (each thread's first calls, as every connection
  -- opens at the start): a user opens a connection when they have a view to ask for, and a
  -- connection left silent holds a gunicorn thread waiting for its first bytes.
  function delay()
    if first_requests > 0 then
      first_requests = first_requests - 1
      return 0
    end
    return math.floor(math.min(-math.log(1 - math.random()) * think_ms, 10 * think_ms))
  end
end
-- Each request carries an id the server echoes (X-Request-Id), so that its answer's latency
-- is known here too: the "steady" figures count only requests sent once steady_after_us had
-- passed since this thread's first, leaving out the start, when every connection's first
-- request arrives at once (wrk opens them all together).
function request()
  sequence = sequence + 1
  local id = string.format("bench%%02d%%010d", number, sequence)
  local headers = {["X-Request-Id"] = id}
  local now = now_us()
  started = started or now
  if events_every > 0 and shown and sequence %% events_every == 0 then
    return event_request(headers)  -- not a view: its latency is not counted with theirs
  end
  position = position %% #requests + 1
  local r = requests[position]
  for k, v in pairs(r[3]) do headers[k] = v end
  sent[id] = now
  return wrk.format(r[1], r[2], headers, r[4])
end
function response(status, headers, body)
  local id = headers["X-Request-Id"]
  local at = id and sent[id]
  if at then
    sent[id] = nil
    if at - started >= steady_after_us then
      steady[#steady + 1] = now_us() - at
    end
    if events_every > 0 then
      shown = body:match('impression[_-]id"?%%s*[:=]%%s*"(%%x+)"') or shown
    end
  elseif id and event_ids[id] then
    event_ids[id] = nil
    answered = answered + 1
    if status ~= 202 or not body:find('"rejected":[]', 1, true) then
      event_errors = event_errors + 1  -- not accepted, or accepted with an event refused
    end
  end
end
local function percentile(sorted, p)
  if #sorted == 0 then return 0 end
  return sorted[math.max(1, math.ceil(#sorted * p / 100))]
end
function done(summary, latency, requests)
  local all, events, event_errors = {}, 0, 0
  for _, thread in ipairs(threads) do
    for _, us in ipairs(thread:get("steady") or {}) do all[#all + 1] = us end
    events = events + (thread:get("answered") or 0)
    event_errors = event_errors + (thread:get("event_errors") or 0)
  end
  table.sort(all)
  local e = summary.errors
  io.write(string.format(
    '\nBENCH {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p99_us":%%d,' ..
    '"connect":%%d,"read":%%d,"write":%%d,"status":%%d,"timeout":%%d,' ..
    '"steady_n":%%d,"steady_p50_us":%%d,"steady_p99_us":%%d,"events":%%d,"event_errors":%%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout,
    #all, percentile(all, 50), percentile(all, 99), events, event_errors))
end
"""


class WrkMissing(RuntimeError):
    def __init__(self) -> None:
        super().__init__("wrk (the HTTP load generator) is not installed: on Debian or Ubuntu "
                         "`sudo apt-get install -y wrk`, on macOS `brew install wrk`")


@dataclass(frozen=True)
class LoadRow:
    database: str
    #: "lean" (this code) or "previous" (BEINSPIRED_PANEL_CACHES=false, the same run).
    path: str
    #: "warm" (contexts cached or the demo org) or "cold" (every view asks Salesforce).
    cache: str
    users: int
    #: "closed" (no pause between an answer and the next request) or "think" (``LOOPS``).
    loop: str
    served: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    #: Panel views whose impressions are in the database after the server stopped.
    recorded: int
    #: wrk's error counts by kind (connect, read, write, status = not 2xx/3xx, timeout).
    error_kinds: str = ""
    #: The users' mean pause (think rows): they offer at most users / pause views a second.
    think_ms: int = 0
    #: The same percentiles over the requests sent once ``STEADY_AFTER_S`` had passed (the run
    #: without its start, when every connection's first request arrives at once), and their
    #: number.
    steady_p50_ms: float = 0.0
    steady_p99_ms: float = 0.0
    steady_requests: int = 0
    #: Event batches sent among the views (``events_every``; not counted as views), and those
    #: not acknowledged with 202.
    events: int = 0
    event_errors: int = 0
    #: Events in the database after the server stopped (a batch's event may be refused with 202:
    #: an impression of another record, say; none should be here).
    events_stored: int = 0

    @property
    def offered_per_s(self) -> float | None:
        """What the users would send if every answer were instant (think rows; closed rows
        offer whatever the server takes)."""
        return self.users * 1000 / self.think_ms if self.think_ms else None

    @property
    def views_per_s(self) -> float:
        return self.served / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class LoadBenchmark:
    rows: tuple[LoadRow, ...]
    machine: MachineFacts
    workers: int
    threads: int
    seconds: int
    wrk: str
    load_before: str
    load_after: str
    think_ms: int = THINK_MS
    steady_after_s: float = STEADY_AFTER_S
    #: Every how many requests of a thread one is an event batch (0: views only).
    events_every: int = 0


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None = None


# -- the requests ---------------------------------------------------------------------------------
def _context_body(record) -> str:
    body = {"stage": record.stage, "industry": record.industry,
            "buyer_roles": [r.role for r in record.contact_roles if r.role],
            "challenge": record.challenge, "amount": record.amount,
            "description": record.description or "", "next_step": record.next_step or ""}
    return json.dumps({k: v for k, v in body.items() if v not in (None, [])})


def warm_requests() -> list[_Request]:
    """The demo org's 26 opportunities, each as panel HTML, JSON and a POST of its context."""
    out = []
    for record in DemoOrg().opportunities():
        out += [_Request("GET", f"/panel/{record.opportunity_id}", {}),
                _Request("GET", f"/api/v1/opportunities/{record.opportunity_id}/recommendations",
                         {}),
                _Request("POST", "/api/v1/recommendations", {"Content-Type": "application/json"},
                         _context_body(record))]
    return out


def cold_requests(fake: FakeSalesforce, canvas_secret: str,
                  pairs: list[tuple[dict, str]]) -> list[_Request]:
    """The same opportunities in a Canvas org whose Salesforce is ``fake``, each opened as
    Salesforce opens the panel: a signed request POSTed to /canvas. (The JSON API of a Canvas org
    serves only cached contexts, so with nothing cached it has no cold view to measure.)"""
    return [
        _Request("POST", "/canvas", {"Content-Type": "application/x-www-form-urlencoded"},
                 "signed_request=" + urllib.parse.quote(
                     signed_request(CANVAS_ORG, record["Id"], canvas_secret, fake.instance_url),
                     safe=""))
        for record, _ in pairs
    ]


def _lua_string(value: str) -> str:
    return '"' + "".join(f"\\{b}" for b in value.encode("utf-8")) + '"'


def wrk_script(requests: Sequence[_Request], think_ms: int = 0,
               steady_after_s: float = STEADY_AFTER_S, events_every: int = 0) -> str:
    items = []
    for r in requests:
        headers = "{" + ",".join(f"[{_lua_string(k)}]={_lua_string(v)}"
                                 for k, v in r.headers.items()) + "}"
        body = _lua_string(r.body) if r.body is not None else "nil"
        items.append(f"{{{_lua_string(r.method)},{_lua_string(r.path)},{headers},{body}}}")
    return _WRK_SCRIPT % (",\n".join(items), think_ms, round(steady_after_s * 1e6), events_every)


# -- databases ------------------------------------------------------------------------------------
@contextlib.contextmanager
def _database(kind: str, folder: Path, postgres_url: str) -> Iterator[tuple[str, str]]:
    """(URL, description): a SQLite file, or a schema of its own on the PostgreSQL server,
    dropped afterwards (nothing else there is touched)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'load.sqlite3'}", "SQLite (WAL)"
        return
    with scratch_database(postgres_url, "load") as database:
        yield database


def _prepare(url: str, keys: str, fake: FakeSalesforce, canvas_secret: str) -> None:
    """The demo org as ``make demo`` leaves it (``beinspired load-demo``: catalog, history, a
    learned ranker) and a Canvas org with the same catalog whose Salesforce is the fake."""
    env = {**os.environ, "DATABASE_URL": url, "BEINSPIRED_DEMO_MODE": "true",
           "BEINSPIRED_LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "-m", "plugin.cli", "load-demo"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    settings = Settings(demo_mode=False, database_url=url, redis_url=None, encryption_keys=keys,
                        log_level="WARNING", **_fake_salesforce_settings(fake))
    svc = create_app(settings).extensions["be_inspired"]
    try:
        connection = OrgConnection(org_id=CANVAS_ORG, instance_url=fake.instance_url,
                                   canvas_secret=canvas_secret, challenge_field=CHALLENGE_FIELD)
        svc.org_connections().save(ConfiguredOrg("Load Benchmark Corp", connection))
        with svc.sessions.begin() as session:
            ensure_org(session, CANVAS_ORG, "Load Benchmark Corp")
            import_modules(session, CANVAS_ORG, demo_module_payloads(), svc.taxonomy)
    finally:
        svc.engine.dispose()


def _fake_salesforce_settings(fake: FakeSalesforce) -> dict[str, str]:
    """The operator's settings for a loopback Salesforce: its host, and its CA."""
    return {"allowed_crm_hosts": "localhost", "crm_ca_bundle": fake.ca_bundle}


def _views_recorded(url: str) -> int:
    return _count(url, select(func.count(func.distinct(PanelImpressionRow.view_id))))


def _events_stored(url: str) -> int:
    return _count(url, select(func.count()).select_from(PanelEventRow))


def _count(url: str, statement) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(statement).scalar_one()
    finally:
        engine.dispose()


def _settled_views(url: str, timeout_s: float = 30.0) -> int:
    """The views recorded once the count stops moving (two reads a second apart agree)."""
    deadline = time.monotonic() + timeout_s
    count = _views_recorded(url)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = _views_recorded(url)
        if now == count:
            break
        count = now
    return count


# -- the server and wrk ---------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _server(url: str, keys: str, fake: FakeSalesforce, *, workers: int, threads: int,
            cold: bool, previous: bool, log: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "BEINSPIRED_DEMO_MODE": "true",
           "BEINSPIRED_APP_SECRET": APP_SECRET, "BEINSPIRED_ENCRYPTION_KEYS": keys,
           "BEINSPIRED_LOG_LEVEL": "WARNING",
           # The previous path: main before the ranked lists were remembered (b69c7eb), which
           # also read the serving markers on every view.
           "BEINSPIRED_RANKED_LIST_CACHE_ENTRIES": "0" if previous else "4096",
           "BEINSPIRED_SERVING_STATE_HOLD_SECONDS": "0" if previous else "1",
           # One demo user stands for every rep here: their per-person limit on posted contexts
           # (60 a minute) would refuse the load; the limiter still runs on each request.
           "BEINSPIRED_RATE_LIMIT_EXPENSIVE": "100000000 per minute",
           **{f"BEINSPIRED_{k.upper()}": v for k, v in _fake_salesforce_settings(fake).items()}}
    env.pop("REDIS_URL", None)
    if cold:
        env["BEINSPIRED_CONTEXT_CACHE_SECONDS"] = "0.001"  # every view asks Salesforce
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "plugin.cli", "serve", "--host", "127.0.0.1", "--port",
             str(port), "--workers", str(workers), "--threads", str(threads)],
            env=env, stdout=out, stderr=out, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # nosec B310 # why: http://127.0.0.1, the server this benchmark started
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"the server did not start:\n{tail}") from None
                time.sleep(0.3)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)  # workers write their queued impressions on exit
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wrk(base: str, script: Path, users: int, seconds: int) -> dict:
    result = subprocess.run(
        ["wrk", f"-t{WRK_THREADS}", f"-c{users}", f"-d{seconds}s", "--timeout", "10s", "-s",
         str(script), base + "/", "--", str(-(-users // WRK_THREADS))],
        capture_output=True, text=True, check=True)
    line = next(line for line in result.stdout.splitlines() if line.startswith("BENCH "))
    return json.loads(line[len("BENCH "):])


def _wrk_version() -> str:
    result = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return (result.stdout or result.stderr).splitlines()[0].strip()


def _load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


# -- the run ------------------------------------------------------------------------------------
def run_load_benchmark(*, databases: Sequence[str] = ("sqlite", "postgresql"),
                       users: Sequence[int] = (50, 200), caches: Sequence[str] = ("warm", "cold"),
                       loops: Sequence[str] = LOOPS, think_ms: int = THINK_MS,
                       seconds: int = 10, previous: bool = True, delay_s: float = 0.150,
                       postgres_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/test",
                       workers: int | None = None, threads: int = 4,
                       steady_after_s: float = STEADY_AFTER_S, events_every: int = 0,
                       progress=lambda line: None) -> LoadBenchmark:
    if shutil.which("wrk") is None:
        raise WrkMissing()
    workers = workers or usable_cpus()
    keys = SecretBox.new_key()
    canvas_secret = secrets.token_urlsafe(32)
    load_before = _load_average()
    rows = []
    pairs = salesforce_records(26)
    records = [record for record, _ in pairs]
    paths = ("lean", "previous") if previous else ("lean",)
    with tempfile.TemporaryDirectory(prefix="beinspired-load-bench-") as tmp, \
            FakeSalesforce(records, delay_s) as fake:
        folder = Path(tmp)
        requests = {"warm": warm_requests(), "cold": cold_requests(fake, canvas_secret, pairs)}
        scripts = {}
        for cache, loop in ((c, p) for c in requests for p in LOOPS):
            scripts[cache, loop] = folder / f"{cache}-{loop}.lua"
            scripts[cache, loop].write_text(
                wrk_script(requests[cache], think_ms if loop == "think" else 0, steady_after_s,
                           events_every if cache == "warm" else 0))
        for kind in databases:
            with _database(kind, folder, postgres_url) as (url, described):
                progress(f"{described}: loading the demo org")
                _prepare(url, keys, fake, canvas_secret)
                for cache, loop, n in ((c, p, n) for c in caches for p in loops for n in users):
                    for path in paths:
                        rows.append(_row(url, described, keys, fake, cache, n, path, seconds,
                                         workers, threads, scripts[cache, loop], folder,
                                         loop, think_ms if loop == "think" else 0))
                        progress(_format_row(rows[-1]))
    return LoadBenchmark(tuple(rows), MachineFacts.collect(), workers, threads, seconds,
                         _wrk_version(), load_before, _load_average(), think_ms, steady_after_s,
                         events_every)


def _row(url, described, keys, fake, cache, users, path, seconds, workers, threads, script,
         folder, loop, think_ms) -> LoadRow:
    with _server(url, keys, fake, workers=workers, threads=threads, cold=cache == "cold",
                 previous=path == "previous", log=folder / "server.log") as base:
        _wrk(base, script, users, WARM_UP_S)  # fits the rankers in every worker; not counted
        before = _settled_views(url)  # the warm-up's views in flight end and are written
        events_before = _events_stored(url)
        figures = _wrk(base, script, users, seconds)
    recorded = _views_recorded(url) - before
    errors = sum(figures[k] for k in _ERROR_KINDS)
    return LoadRow(database=described, path=path, cache=cache, users=users, loop=loop,
                   think_ms=think_ms,
                   # (the batches' refusals are among wrk's status errors too)
                   served=figures["requests"] - figures["events"]
                   - max(0, figures["status"] - figures["event_errors"]),
                   seconds=figures["duration_us"] / 1e6, p50_ms=figures["p50_us"] / 1000,
                   p99_ms=figures["p99_us"] / 1000, errors=errors, recorded=recorded,
                   error_kinds=", ".join(f"{k} {figures[k]}" for k in _ERROR_KINDS if figures[k]),
                   steady_p50_ms=figures["steady_p50_us"] / 1000,
                   steady_p99_ms=figures["steady_p99_us"] / 1000,
                   steady_requests=figures["steady_n"], events=figures["events"],
                   event_errors=figures["event_errors"],
                   events_stored=_events_stored(url) - events_before if figures["events"] else 0)


# -- reporting ----------------------------------------------------------------------------------
def _format_row(row: LoadRow, baseline: LoadRow | None = None) -> str:
    ratio = f"{row.views_per_s / baseline.views_per_s:6.2f}×" if baseline else "      -"
    offered = f"{row.offered_per_s:.0f}" if row.offered_per_s else "-"
    return (f"{row.database:<18}{row.cache:<6}{row.loop:<7}{row.users:>6}  {row.path:<9}"
            f"{offered:>8}{row.views_per_s:>9.1f}{ratio:>9}{row.p50_ms:>9.1f}{row.p99_ms:>9.1f}"
            f"{row.steady_p99_ms:>9.1f}{row.errors:>8}{row.served:>9}{row.recorded:>10}"
            + (f"  ({row.error_kinds})" if row.error_kinds else "")
            + (f"  + {row.events / row.seconds:.0f} event batches/s ({row.events} sent, "
               f"{row.events_stored} stored, {row.event_errors} refused)" if row.events else ""))


def format_report(result: LoadBenchmark) -> str:
    m = result.machine
    lines = [
        f"Panel views under load: beinspired serve (gunicorn, {result.workers} workers × "
        f"{result.threads} threads) driven by {result.wrk}, 2 threads, {result.seconds} s a row",
        "Round robin over the 26 demo opportunities: panel HTML, JSON recommendations, POST "
        "context; warm = demo org (learned ranker); cold = POST /canvas of a Canvas org, every",
        "view asking Salesforce (faked at 150 ms). closed = next request on each answer (capacity);"
        f" think = each user pauses ~{result.think_ms} ms (exponential) first; offered = users /"
        " pause.",
        "'previous' = ranked lists not remembered, serving markers read on every view "
        "(BEINSPIRED_RANKED_LIST_CACHE_ENTRIES=0,",
        "BEINSPIRED_SERVING_STATE_HOLD_SECONDS=0), measured just after. wrk does not correct for "
        "coordinated omission.",
        f"p50/p99: every request of the row; steady: p99 of those sent after its first "
        f"{result.steady_after_s:g} s, when all connections have sent their first request at "
        "once.",
        f"Machine: {m.cpu_model}, {m.cpu_count} usable CPUs, {m.platform}, Python {m.python}; "
        f"load average before {result.load_before}, after {result.load_after} (the load "
        "generator shares the cores)",
        "",
        f"{'database':<18}{'cache':<6}{'loop':<7}{'users':>6}  {'path':<9}{'offered':>8}"
        f"{'views/s':>9}{'× prev':>9}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'steady':>9}{'errors':>8}{'served':>9}{'recorded':>10}",
    ]
    previous = {(r.database, r.cache, r.loop, r.users): r for r in result.rows
                if r.path == "previous"}
    for row in result.rows:
        base = (previous.get((row.database, row.cache, row.loop, row.users))
                if row.path == "lean" else None)
        lines.append(_format_row(row, base))
    lines.append("")
    for row in result.rows:
        if row.path == "lean" and row.cache == "warm" and row.users == 200 \
                and row.loop == "think":
            met = (row.views_per_s >= TARGET_VIEWS_PER_S and row.steady_p99_ms <= TARGET_P99_MS
                   and row.errors == 0 and row.recorded >= row.served)
            lines.append(f"target at 200 users thinking, warm, {row.database}: ≥ "
                         f"{TARGET_VIEWS_PER_S:g} views/s, steady p99 ≤ {TARGET_P99_MS:g} ms, no "
                         f"errors, every view recorded: {'met' if met else 'NOT met'} "
                         f"({row.views_per_s:.0f} views/s, steady p99 {row.steady_p99_ms:.1f} ms "
                         f"of {row.steady_requests} requests; whole row {row.p99_ms:.1f} ms)")
    lines.append("recorded = views whose impressions are in the database after the server "
                 "stopped; it can exceed served (wrk stops counting with views in flight)")
    if result.events_every:
        lines.append(f"warm rows: one request in {result.events_every} of each wrk thread is a "
                     "batch of one event (open, helpful, share or not_helpful) on a suggestion "
                     "that thread was shown, POST /api/v1/events; not counted as views")
    return "\n".join(lines)
