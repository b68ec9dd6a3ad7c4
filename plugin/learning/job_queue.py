"""Background work as jobs: one table of job kinds, and the queue that runs them (RQ or a thread).
Design: docs/deploy.md (Background jobs) and docs/design/learning.md."""
from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Mapping, Protocol

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from content_catalog.import_export import ImportFileError
from content_catalog.importing import ImportRejected
from content_catalog.taxonomy import Taxonomy
from plugin.analytics.rollup_job import AnalyticsRollupJob
from plugin.content.pending_imports import PendingImports, UploadGone
from plugin.learning.jobs import ANALYTICS_ROLLUP, OUTCOME_SYNC, TRAINING
from plugin.learning.outcome_sync import OutcomeSync
from content_catalog.repository import OrgNotFound
from plugin.learning.training import NOTHING_TO_LEARN, Trainer, TrainingReport

log = logging.getLogger(__name__)

# The kinds of job are OUTCOME_SYNC (one org), TRAINING and ANALYTICS_ROLLUP (one org, or every
# org): a name, its function in :func:`job_handlers`, its interval in ``plugin/jobs/periodic.py``.
#: The RQ queue every kind goes to, and the function a worker runs (by name: the web processes
#: never import the worker's side).
QUEUE_NAME = "be-inspired"
ENTRY_POINT = "plugin.jobs.entry.run_job"
#: How long a job may run before RQ stops it, and how long its outcome is kept to be shown.
JOB_TIMEOUT_SECONDS = 3600
RESULT_SECONDS = 24 * 3600

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: A confirmed catalog import (the workspace's), applied by whichever process runs the job: the
#: file waits in the database (``staged_imports``), so any worker finds it.
CATALOG_IMPORT = "catalog_import"
#: How many of a rejected import's problems a job's summary names.
SHOWN_PROBLEMS = 3


class UnknownJobKind(ValueError):
    pass


@dataclass(frozen=True)
class JobOutcome:
    ok: bool
    summary: str
    #: What kind of success or failure, for a page to word it ("served", "not_served", ...).
    result: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "summary": self.summary, "result": self.result}


@dataclass(frozen=True)
class JobState:
    """Where one job is, as a page shows it."""

    job_id: str
    kind: str
    params: Mapping[str, Any]
    state: str  # QUEUED, RUNNING, DONE, FAILED
    summary: str = ""
    result: str = ""

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)


Handler = Callable[..., JobOutcome]


def job_handlers(outcome_sync: OutcomeSync, trainer: Trainer,
                 today: Callable[[], date],
                 rollups: AnalyticsRollupJob | None = None) -> dict[str, Handler]:
    """Each kind's function, given what it uses (the bootstrap calls this once)."""

    def sync(org_id: str) -> JobOutcome:
        report = outcome_sync.sync(org_id)
        history = outcome_sync.sync_stage_history(org_id)
        if history is None:
            return JobOutcome(report.ok, report.summary())
        return JobOutcome(report.ok and history.ok, f"{report.summary()}; {history.summary()}")

    def train(org_id: str | None = None) -> JobOutcome:
        if org_id is None:
            reports = trainer.train_all(today())
        else:
            try:
                reports = [trainer.train_org(org_id, today=today())]
            except OrgNotFound:
                reports = [TrainingReport(org_id, note=NOTHING_TO_LEARN)]
            except Exception as exc:  # noqa: BLE001 - told to the org's admins, as scheduled
                reports = [trainer.failed(org_id, exc)]
        summary = "; ".join(report.line() for report in reports) or "no org to train"
        failed = any(report.failed for report in reports)
        return JobOutcome(not failed, summary, _training_result(reports))

    def roll_up(org_id: str | None = None) -> JobOutcome:
        """One org's analytics roll-ups, or every org's."""
        if org_id is None:
            reports = rollups.rebuild_all()
        else:
            try:
                reports = [rollups.rebuild(org_id)]
            except OrgNotFound:
                return JobOutcome(False, f"{org_id[:40]}: no such org", "failed")
        return JobOutcome(True, "; ".join(r.line() for r in reports) or "no org to roll up")

    handlers = {OUTCOME_SYNC: sync, TRAINING: train}
    if rollups is not None:
        handlers[ANALYTICS_ROLLUP] = roll_up
    return handlers


def catalog_import_handler(pending: PendingImports,
                           taxonomy_for: Callable[[str], Taxonomy]) -> Handler:
    """The CATALOG_IMPORT kind: apply one staged upload in one transaction (nothing half-written:
    :meth:`PendingImports.apply`); results "imported", "gone" or "rejected"."""

    def run(org_id: str, user_id: str, token: str, actor: str, filename: str = "") -> JobOutcome:
        try:
            applied = pending.apply(token, org_id=org_id, user_id=user_id, actor=actor,
                                    taxonomy=taxonomy_for(org_id))
        except UploadGone:
            return JobOutcome(False, "that upload has expired or was already imported; nothing "
                              "was imported. Upload the file again", "gone")
        except ImportFileError as exc:  # read at the upload already: only if the reader changed
            return JobOutcome(False, f"nothing was imported: {exc}", "rejected")
        except ImportRejected as exc:  # the taxonomy changed since the dry run
            shown = "; ".join(str(error) for error in exc.errors[:SHOWN_PROBLEMS])
            more = len(exc.errors) - SHOWN_PROBLEMS
            return JobOutcome(False, f"nothing was imported: {len(exc.errors)} problem(s), "
                              f"{shown}{f'; and {more} more' if more > 0 else ''}. Check the "
                              "file again", "rejected")
        result = applied.result
        return JobOutcome(True, f"{applied.filename}: {result.created} created, {result.updated} "
                          f"updated, {result.unchanged} unchanged", "imported")

    return run


def _training_result(reports: list[TrainingReport]) -> str:
    if len(reports) != 1:
        return ""
    report = reports[0]
    if report.failed:
        return "failed"
    if report.version is None:
        return "nothing_stored"
    return "served" if report.served else "not_served"


class JobQueue(Protocol):
    def enqueue(self, kind: str, **params: Any) -> str:
        """Queue a job; returns its id."""
        ...

    def state(self, job_id: str) -> JobState | None:
        """None for a job this queue does not know (never made, or its outcome expired)."""
        ...

    def depth(self) -> int:
        """Jobs waiting to start."""
        ...


# -- in this process ------------------------------------------------------------------------------
@dataclass
class _Entry:
    kind: str
    params: dict[str, Any]
    state: str = QUEUED
    summary: str = ""
    result: str = ""
    finished_at: float | None = field(default=None)


class InProcessJobQueue:
    """One thread of this process runs the jobs in order (never two at once, as the worker loop
    never did); the last ``keep`` jobs' states are remembered for the pages that ask."""

    def __init__(self, handlers: Mapping[str, Handler], *, keep: int = 200):
        self._handlers = dict(handlers)
        self._keep = keep
        self._jobs: OrderedDict[str, _Entry] = OrderedDict()
        self._waiting: deque[str] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def enqueue(self, kind: str, **params: Any) -> str:
        if kind not in self._handlers:
            raise UnknownJobKind(kind)
        job_id = secrets.token_hex(16)
        with self._cond:
            self._jobs[job_id] = _Entry(kind, params)
            while len(self._jobs) > self._keep:
                self._jobs.popitem(last=False)
            self._waiting.append(job_id)
            self._cond.notify()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="jobs", daemon=True)
                self._thread.start()
        return job_id

    def state(self, job_id: str) -> JobState | None:
        with self._cond:
            entry = self._jobs.get(job_id)
            if entry is None:
                return None
            return JobState(job_id, entry.kind, dict(entry.params), entry.state, entry.summary,
                            entry.result)

    def depth(self) -> int:
        with self._cond:
            return len(self._waiting)

    def wait(self, job_id: str, timeout: float = 30.0) -> JobState | None:
        """Block until the job has finished (tests and the command line)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._cond.wait_for(lambda: job_id not in self._jobs
                                or self._jobs[job_id].state in (DONE, FAILED),
                                timeout=max(0.0, deadline - time.monotonic()))
        return self.state(job_id)

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._cond.wait_for(lambda: self._waiting, timeout=60):
                    self._thread = None
                    return
                job_id = self._waiting.popleft()
                entry = self._jobs.get(job_id)
                if entry is None:
                    continue
                entry.state = RUNNING
            outcome = run_handler(self._handlers, entry.kind, entry.params)
            with self._cond:
                entry.state = DONE if outcome.ok else FAILED
                entry.summary = outcome.summary
                entry.result = outcome.result
                entry.finished_at = time.time()
                self._cond.notify_all()


def run_handler(handlers: Mapping[str, Handler], kind: str,
                params: Mapping[str, Any]) -> JobOutcome:
    """Run one job, logging as the worker always has: a known failure in one line, a bug with
    its trace; neither escapes."""
    label = " ".join([kind, *(str(v) for v in params.values() if v is not None)])
    started = time.monotonic()
    try:
        outcome = handlers[kind](**params)
    except Exception as exc:  # noqa: BLE001 - a bug in one job must not stop the others
        log.exception("job %s: failed unexpectedly", label)
        return JobOutcome(False, f"{type(exc).__name__}: {exc}")
    if outcome.ok:
        log.info("job %s: done in %.1f s: %s", label, time.monotonic() - started, outcome.summary)
    else:
        log.warning("job %s: failed: %s", label, outcome.summary)
    return outcome


# -- on RQ ------------------------------------------------------------------------------------
_STATES = {
    JobStatus.QUEUED: QUEUED, JobStatus.DEFERRED: QUEUED, JobStatus.SCHEDULED: QUEUED,
    JobStatus.STARTED: RUNNING, JobStatus.FINISHED: DONE, JobStatus.FAILED: FAILED,
    JobStatus.STOPPED: FAILED, JobStatus.CANCELED: FAILED,
}


class RedisJobQueue:
    """Jobs on RQ: any ``beinspired worker`` anywhere runs them; their states live in Redis."""

    def __init__(self, connection: redis.Redis, *, queue_name: str = QUEUE_NAME,
                 kinds: tuple[str, ...] = (OUTCOME_SYNC, TRAINING, ANALYTICS_ROLLUP)):
        self.connection = connection
        self.queue = Queue(queue_name, connection=connection)
        self._kinds = kinds

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "RedisJobQueue":
        return cls(redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2), **kwargs)

    def enqueue(self, kind: str, **params: Any) -> str:
        if kind not in self._kinds:
            raise UnknownJobKind(kind)
        job = self.queue.enqueue(ENTRY_POINT, args=(kind, params), job_timeout=JOB_TIMEOUT_SECONDS,
                                 result_ttl=RESULT_SECONDS, failure_ttl=RESULT_SECONDS,
                                 meta={"kind": kind, "params": params})
        return job.id

    def state(self, job_id: str) -> JobState | None:
        try:
            job = Job.fetch(job_id, connection=self.connection)
        except NoSuchJobError:
            return None
        kind, params = job.meta.get("kind", "?"), job.meta.get("params", {})
        state = _STATES.get(job.get_status(), QUEUED)
        summary = result = ""
        if state == DONE:
            outcome = job.return_value() or {}
            summary, result = str(outcome.get("summary", "")), str(outcome.get("result", ""))
            if not outcome.get("ok", False):
                state = FAILED
        elif state == FAILED:
            summary = "stopped by an unexpected error; the worker's log has the details"
        return JobState(job.id, kind, params, state, summary, result)

    def depth(self) -> int:
        return self.queue.count


def job_queue(redis_url: str | None, handlers: Mapping[str, Handler]) -> JobQueue:
    """RQ when Redis is configured (``Settings.redis_url``), else this process's thread."""
    if redis_url:
        return RedisJobQueue.from_url(redis_url, kinds=tuple(handlers))
    return InProcessJobQueue(handlers)


__all__ = [
    "ANALYTICS_ROLLUP", "CATALOG_IMPORT", "DONE", "ENTRY_POINT", "FAILED", "InProcessJobQueue",
    "JobOutcome", "JobQueue", "JobState", "OUTCOME_SYNC", "QUEUED", "QUEUE_NAME", "RUNNING",
    "RedisJobQueue", "TRAINING", "UnknownJobKind", "catalog_import_handler", "job_handlers",
    "job_queue", "run_handler",
]
