"""What recording events costs the panel: median latency with recording off, and on under load.
Run ``python -m plugin.benchmarks.event_load`` or ``beinspired benchmark-events``.
Method and knobs: docs/design/benchmarks.md."""
from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import multiprocessing
import os
import random
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version
from typing import Sequence

from sqlalchemy import func, select
from waitress.server import create_server

from content_catalog.events import EventKind
from content_catalog.tables.learning_tables import PanelEventRow, PanelImpressionRow
from plugin.app import create_app
from plugin.benchmarks.server_clock import ServerClock
from plugin.crm.demo_org import DemoOrg, load_demo_catalog
from plugin.panel.impressions import ImpressionRecorder
from plugin.settings import Settings
from recommender.benchmark import MachineFacts, Timings
from plugin.benchmarks.scratch_database import scratch_database

__all__ = ["EventLoadBenchmark", "format_report", "main", "run_event_load_benchmark"]

TARGET_ADDED_MS = 1.0
DEFAULT_RATE = 1000
DEFAULT_BATCH = 50
DEFAULT_ROUNDS = 20
DEFAULT_VIEWS = 30
SERVER_THREADS = 8
WARM_UP_VIEWS = 10
#: The generator runs this long before an "on" round's first view, so the round sees a steady load.
RAMP_S = 0.5
BENCHMARK_DAY = date(2026, 6, 15)
_IMPRESSION = re.compile(r'data-impression-id="([0-9a-f]{32})"')
_REASONS = ("Figures are out of date", "Not for this industry", "Too long to send", "")


@dataclass(frozen=True)
class LoadReport:
    """What the generator did during the "on" rounds."""

    asked_rate: int
    batch: int
    seconds: float
    acknowledged: int
    #: Over the whole run, the last batches of each round included: what must be in the database.
    acknowledged_in_all: int
    requests: int
    errors: int
    request_ms: Timings

    @property
    def achieved_rate(self) -> float:
        return self.acknowledged / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class EventLoadBenchmark:
    off: Timings
    on: Timings
    off_client: Timings
    on_client: Timings
    load: LoadReport
    rounds: int
    #: (median off, median on) of each pair of neighbouring rounds, in ms.
    round_medians: tuple[tuple[float, float], ...]
    impressions_written: int
    impression_batches: int
    events_stored: int
    machine: MachineFacts
    #: "SQLite" or "PostgreSQL <version>".
    database: str = "SQLite"
    #: The server was held to CPU 0 and the generator to CPU 1.
    pinned: bool = False

    @property
    def added_ms(self) -> float:
        return self.on.median_ms - self.off.median_ms

    @property
    def added_by_pair_ms(self) -> tuple[float, ...]:
        return tuple(on - off for off, on in self.round_medians)

    @property
    def added_paired_ms(self) -> float:
        """The headline: the median of the rounds' paired differences."""
        return Timings(self.added_by_pair_ms).median_ms

    @property
    def target_met(self) -> bool:
        return self.added_paired_ms < TARGET_ADDED_MS


# -- the server -----------------------------------------------------------------------------------
class _Server:
    def __init__(self, app):
        #: waitress's socket map, passed in (a public argument of create_server) so that the
        #: benchmark can close the connections still open when it ends.
        self.channels: dict = {}
        self.server = create_server(app, map=self.channels, host="127.0.0.1", port=0,
                                    threads=SERVER_THREADS)
        self.port = self.server.effective_port
        self.thread = threading.Thread(target=self.server.run, name="waitress", daemon=True)

    def __enter__(self) -> "_Server":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.close()
        for channel in list(self.channels.values()):
            channel.close()
        self.server.task_dispatcher.shutdown()
        self.thread.join(timeout=5)


# -- the load generator (another process) ----------------------------------------------------------
def _generate_load(port: int, impression_ids: list[str], rate: int, batch: int,
                   cpu: int | None, ready, active, stop, results) -> None:
    """Sends a batch every ``batch / rate`` s while ``active`` is set; reports each answered
    request as (monotonic time, events acknowledged, ms, ok). Runs on ``cpu`` if given."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    interval = batch / rate
    records: list[tuple[float, int, float, bool]] = []
    lock = threading.Lock()
    chooser = random.Random(7)
    kinds = [k.value for k in EventKind]

    def sender(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        next_at = time.monotonic() + offset * interval
        while not stop.is_set():
            if not active.wait(timeout=0.1):
                next_at = time.monotonic() + offset * interval
                continue
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            next_at += 2 * interval  # two senders share the schedule
            with lock:
                events = [_event(chooser, impression_ids, kinds) for _ in range(batch)]
            body = json.dumps({"events": events})
            started = time.monotonic()
            try:
                connection.request("POST", "/api/v1/events", body=body,
                                   headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                answer = json.loads(response.read())
                ok = response.status == 202
                acknowledged = answer["accepted"] if ok else 0
            except (OSError, http.client.HTTPException, ValueError):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok, acknowledged = False, 0
            finished = time.monotonic()
            with lock:
                records.append((finished, acknowledged, (finished - started) * 1000, ok))
        connection.close()

    threads = [threading.Thread(target=sender, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    ready.set()
    for thread in threads:
        thread.join()
    results.put(records)


def _event(chooser: random.Random, impression_ids: list[str], kinds: list[str]) -> dict:
    kind = chooser.choice(kinds)
    event = {"event_id": uuid.uuid4().hex, "impression_id": chooser.choice(impression_ids),
             "kind": kind}
    if kind == "not_helpful":
        reason = chooser.choice(_REASONS)
        if reason:
            event["reason"] = reason
    return event


# -- the run --------------------------------------------------------------------------------------
def run_event_load_benchmark(rate: int = DEFAULT_RATE, batch: int = DEFAULT_BATCH,
                             rounds: int = DEFAULT_ROUNDS, views_per_round: int = DEFAULT_VIEWS,
                             postgres_url: str | None = None,
                             pin: bool = False) -> EventLoadBenchmark:
    if rate < 1 or not 1 <= batch <= 100 or rounds < 1 or views_per_round < 1:
        raise ValueError("rate ≥ 1, batch 1-100, at least one round and one view per round")
    allowed = sorted(os.sched_getaffinity(0))
    if pin and len(allowed) < 2:
        raise ValueError("--pin needs two CPUs")
    generator_cpu = allowed[1] if pin else None
    if pin:
        os.sched_setaffinity(0, {allowed[0]})
    try:
        return _run(rate, batch, rounds, views_per_round, postgres_url, generator_cpu)
    finally:
        os.sched_setaffinity(0, allowed)


def _run(rate, batch, rounds, views_per_round, postgres_url, generator_cpu) -> EventLoadBenchmark:
    with scratch_database(postgres_url, "events") as (database_url, database):
        settings = Settings(demo_mode=True, database_url=database_url, redis_url=None,
                            log_level="WARNING")
        app = create_app(settings, today=lambda: BENCHMARK_DAY)
        svc = app.extensions["be_inspired"]
        load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
        clock = ServerClock(app.wsgi_app, "/panel/")
        app.wsgi_app = clock
        recorder = ImpressionRecorder(svc.sessions)
        paths = [f"/panel/{o.opportunity_id}" for o in DemoOrg().opportunities()]
        try:
            with _Server(app) as server:
                result = _measure(server.port, svc, clock, recorder, paths, rate, batch, rounds,
                                  views_per_round, generator_cpu)
        finally:
            recorder.close()
            svc.engine.dispose()
    return dataclasses.replace(result, database=database, pinned=generator_cpu is not None)

def _measure(port, svc, clock, recorder, paths, rate, batch, rounds, views_per_round,
             generator_cpu):
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    svc.impressions = recorder
    counting_only = ImpressionRecorder(svc.sessions, keep_impressions=False)
    impression_ids = [i for path in paths for i in _IMPRESSION.findall(_get(client, path)[0])]
    recorder.flush()
    for path in paths[:WARM_UP_VIEWS]:
        _get(client, path)

    context = multiprocessing.get_context("spawn")  # no fork of a process running threads
    ready, active, stop = context.Event(), context.Event(), context.Event()
    results = context.Queue()
    generator = context.Process(
        target=_generate_load, name="event-load",
        args=(port, impression_ids, rate, batch, generator_cpu, ready, active, stop, results),
    )
    generator.start()
    if not ready.wait(timeout=120):
        raise RuntimeError("the load generator did not start")
    samples: dict[str, tuple[list[float], list[float]]] = {"off": ([], []), "on": ([], [])}
    per_round: list[float] = []
    windows: list[tuple[float, float]] = []
    inserts_before = recorder.batches_written
    try:
        for round_no in range(rounds * 2):
            mode = "on" if round_no % 2 else "off"
            svc.impressions = recorder if mode == "on" else counting_only
            if mode == "on":
                active.set()
                time.sleep(RAMP_S)
            window_start, first_of_round = time.monotonic(), len(clock.samples_ms)
            for n in range(views_per_round):
                first = len(clock.samples_ms)
                _, client_ms = _get(client, paths[(round_no * views_per_round + n) % len(paths)])
                samples[mode][0].extend(clock.samples_ms[first:])
                samples[mode][1].append(client_ms)
            per_round.append(Timings(tuple(clock.samples_ms[first_of_round:])).median_ms)
            if mode == "on":
                # At least two batches' spacing: fast views alone can end a window before any
                # batch is answered in it, and the achieved rate would count nothing.
                time.sleep(max(0.0, window_start + 2 * batch / rate - time.monotonic()))
                windows.append((window_start, time.monotonic()))
                active.clear()
                time.sleep(0.2)  # let the last batches answer before the next "off" round
    finally:
        stop.set()
        records = results.get(timeout=60)
        generator.join(timeout=30)
        client.close()
        counting_only.close()
    svc.impressions = recorder
    recorder.flush()
    with svc.sessions() as session:
        stored = session.scalar(select(func.count()).select_from(PanelEventRow))
        written = session.scalar(select(func.count()).select_from(PanelImpressionRow))
    return EventLoadBenchmark(
        off=Timings(tuple(samples["off"][0])), on=Timings(tuple(samples["on"][0])),
        off_client=Timings(tuple(samples["off"][1])), on_client=Timings(tuple(samples["on"][1])),
        load=_load_report(records, windows, rate, batch), rounds=rounds,
        round_medians=tuple(zip(per_round[::2], per_round[1::2])),
        impressions_written=written, impression_batches=recorder.batches_written - inserts_before,
        events_stored=stored, machine=MachineFacts.collect(),
    )


def _get(client: http.client.HTTPConnection, path: str) -> tuple[str, float]:
    started = time.perf_counter_ns()
    client.request("GET", path)
    response = client.getresponse()
    html = response.read().decode()
    elapsed = (time.perf_counter_ns() - started) / 1e6
    if response.status != 200 or "bi-suggestion" not in html:
        raise RuntimeError(f"{path} answered {response.status} without suggestions")
    return html, elapsed


def _load_report(records, windows, rate: int, batch: int) -> LoadReport:
    inside = [r for r in records if any(start <= r[0] <= end for start, end in windows)]
    return LoadReport(
        asked_rate=rate, batch=batch, seconds=sum(end - start for start, end in windows),
        acknowledged=sum(r[1] for r in inside), acknowledged_in_all=sum(r[1] for r in records),
        requests=len(inside),
        errors=sum(1 for r in records if not r[3]),
        request_ms=Timings(tuple(r[2] for r in inside) or (0.0,)),
    )


# -- reporting ------------------------------------------------------------------------------------
def format_report(result: EventLoadBenchmark) -> str:
    m, load = result.machine, result.load
    lines = [
        f"Event recording under load: {result.rounds} rounds each off and on, alternating, "
        f"{len(result.off.samples_ms) // result.rounds} panel views per round",
        f"Demo org panel views (GET /panel/<id>) through waitress ({SERVER_THREADS} threads), "
        f"{result.database}, 70-module catalog; server time per view"
        + ("; server pinned to one CPU, load generator to another" if result.pinned else ""),
        f"Machine: {m.cpu_model}, {m.cpu_count} CPUs, {m.platform}",
        f"         Python {m.python}, Flask {version('flask')}, waitress {version('waitress')}",
        "",
        f"{'recording':<11}{'views':>6}{'median ms':>11}{'p95 ms':>9}{'mean ms':>9}"
        f"{'client median':>15}",
    ]
    for name, server, client in (("off", result.off, result.off_client),
                                 ("on", result.on, result.on_client)):
        lines.append(f"{name:<11}{len(server.samples_ms):>6}{server.median_ms:>11.2f}"
                     f"{server.p95_ms:>9.2f}{server.mean_ms:>9.2f}{client.median_ms:>15.2f}")
    lines += [
        "",
        f"Added to the median, median of {len(result.round_medians)} paired rounds: "
        f"{result.added_paired_ms:+.2f} ms | target < {TARGET_ADDED_MS:g} ms: "
        f"{'met' if result.target_met else 'NOT met'}",
        f"Pooled: median {result.added_ms:+.2f} ms, "
        f"p95 {result.on.p95_ms - result.off.p95_ms:+.2f} ms",
        "Each pair of rounds (on - off median, ms): "
        + " ".join(f"{d:+.1f}" for d in result.added_by_pair_ms),
        f"Load while on: asked {load.asked_rate:,} events/s in batches of {load.batch}; achieved "
        f"{load.achieved_rate:,.0f} events/s ({load.acknowledged:,} acknowledged in "
        f"{load.seconds:.1f} s, {load.requests:,} requests, {load.errors} errors); "
        f"events request median {load.request_ms.median_ms:.1f} ms, "
        f"p95 {load.request_ms.p95_ms:.1f} ms",
        f"Stored: {result.events_stored:,} events in the database, of "
        f"{load.acknowledged_in_all:,} acknowledged; {result.impressions_written:,} impressions, "
        f"{result.impression_batches:,} recorder INSERTs during the run",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plugin.benchmarks.event_load",
                                     description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rate", type=int, default=DEFAULT_RATE, help="events per second to send")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH,
                        help="events per request (1-100)")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS,
                        help="rounds of each, off and on")
    parser.add_argument("--views", type=int, default=DEFAULT_VIEWS, help="panel views per round")
    parser.add_argument("--pin", action="store_true",
                        help="server on the first CPU, load generator on the second")
    parser.add_argument("--postgres", metavar="URL", default=None,
                        help="run on this PostgreSQL server, in a schema of its own "
                             "(dropped after)")
    args = parser.parse_args(argv)
    print(format_report(run_event_load_benchmark(args.rate, args.batch, args.rounds, args.views,
                                                 args.postgres, args.pin)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
