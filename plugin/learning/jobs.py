"""The background jobs and the small scheduler that runs them (``beinspired worker``).
Design: docs/design/learning.md."""
from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, Callable, Collection, Sequence

from plugin.analytics.rollup_job import AnalyticsRollupJob
from plugin.learning.outcome_sync import OutcomeSync
from plugin.learning.training import Trainer

log = logging.getLogger(__name__)

OUTCOME_SYNC = "outcome_sync"
TRAINING = "training"
ANALYTICS_ROLLUP = "analytics_rollup"
#: ``beinspired worker --job`` names, and the jobs each runs.
JOB_KINDS = {"outcomes": OUTCOME_SYNC, "training": TRAINING, "analytics": ANALYTICS_ROLLUP}
#: The longest the worker waits before asking for the list of jobs again.
REFRESH_SECONDS = 60.0


class JobFailed(RuntimeError):
    """A job that ran and failed in a way it could explain (logged without a trace)."""


@dataclass(frozen=True)
class Job:
    name: str
    #: The org it works on; None for a job over every org (training).
    org_id: str | None
    #: Seconds between runs.
    interval: float
    #: Runs the job and returns a one-line summary for the log.
    run: Callable[[], str]

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.name, self.org_id)

    @property
    def label(self) -> str:
        return self.name if self.org_id is None else f"{self.name} {self.org_id}"


@dataclass(frozen=True)
class JobRun:
    name: str
    org_id: str | None
    ok: bool
    summary: str
    elapsed: float


class Scheduler:
    """Runs the jobs ``jobs()`` lists, each when due. Not thread-safe: one loop owns it."""

    def __init__(self, jobs: Callable[[], Sequence[Job]], *,
                 clock: Callable[[], float] = time.monotonic,
                 refresh_seconds: float = REFRESH_SECONDS):
        self._list_jobs = jobs
        self._clock = clock
        self._refresh = refresh_seconds
        self._jobs: list[Job] = []
        self._next: dict[tuple[str, str | None], float] = {}
        #: The last round could not list the jobs (it ran the previous list, if any): a single
        #: run (``worker --once``) that could not even list its jobs has failed.
        self.listing_failed = False

    def run_due(self, stop: threading.Event | None = None) -> list[JobRun]:
        """Run, in list order, every job that is due now; a job added since the last round is
        due at once. Stops between jobs when ``stop`` is set."""
        self._refresh_jobs()
        due = [job for job in self._jobs if self._next[job.key] <= self._clock()]
        runs = []
        for job in due:
            if stop is not None and stop.is_set():
                break
            runs.append(self._run(job))
        return runs

    def seconds_to_next(self) -> float:
        """How long the loop may wait before something is due (or the job list is re-read)."""
        now = self._clock()
        soonest = min((self._next[job.key] for job in self._jobs), default=math.inf)
        return max(0.0, min(soonest - now, self._refresh))

    def run_until(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.run_due(stop)
            stop.wait(self.seconds_to_next())

    def _refresh_jobs(self) -> None:
        try:
            jobs = list(self._list_jobs())
        except Exception:  # noqa: BLE001 - keep the jobs we knew; try again next round
            log.exception("could not list the jobs; keeping the previous list")
            self.listing_failed = True
            return
        self.listing_failed = False
        now = self._clock()
        self._next = {job.key: self._next.get(job.key, now) for job in jobs}
        self._jobs = jobs

    def _run(self, job: Job) -> JobRun:
        started = self._clock()
        ok = False
        try:
            summary = job.run()
            ok = True
            log.info("job %s: done in %.1f s: %s", job.label, self._clock() - started, summary)
        except JobFailed as exc:
            summary = str(exc)
            log.warning("job %s: failed: %s", job.label, summary)
        except Exception as exc:  # noqa: BLE001 - a bug in one job must not stop the worker
            summary = f"{type(exc).__name__}: {exc}"
            log.exception("job %s: failed unexpectedly", job.label)
        finished = self._clock()
        self._next[job.key] = following_slot(self._next[job.key], job.interval, finished)
        return JobRun(job.name, job.org_id, ok, summary, finished - started)


def following_slot(scheduled: float, interval: float, now: float) -> float:
    """The first slot ``scheduled + k × interval`` (k ≥ 1) after ``now``: missed slots are
    skipped, not caught up."""
    missed = max(0, math.floor((now - scheduled) / interval))
    return scheduled + (missed + 1) * interval


# The service's jobs ------------------------------------------------------------------------
def service_jobs(
    outcomes: OutcomeSync, trainer: Trainer, *, today: Callable[[], date],
    outcome_sync_interval: float, training_interval: float,
    names: Collection[str] = (OUTCOME_SYNC, TRAINING),
    rollups: AnalyticsRollupJob | None = None, analytics_rollup_interval: float = 3600.0,
) -> list[Job]:
    """Every syncable org's outcome sync (demo org first), then the training of all orgs, so a
    round that runs both trains on the outcomes just synced; only the jobs ``names`` names (the
    orgs are not even listed when the syncs are not asked for)."""
    jobs = []
    if OUTCOME_SYNC in names:
        jobs += [Job(OUTCOME_SYNC, org_id, outcome_sync_interval,
                     partial(run_outcome_sync, outcomes, org_id))
                 for org_id in outcomes.syncable_orgs().org_ids]
    if TRAINING in names:
        jobs.append(Job(TRAINING, None, training_interval, partial(run_training, trainer, today)))
    if ANALYTICS_ROLLUP in names and rollups is not None:
        jobs.append(Job(ANALYTICS_ROLLUP, None, analytics_rollup_interval,
                        partial(run_analytics_rollup, rollups)))
    return jobs


def run_analytics_rollup(rollups: AnalyticsRollupJob) -> str:
    return "; ".join(report.line() for report in rollups.rebuild_all()) or "no org to roll up"


def run_outcome_sync(outcomes: OutcomeSync, org_id: str) -> str:
    report = outcomes.sync(org_id)
    history = outcomes.sync_stage_history(org_id)
    summary = report.summary() + ("" if history is None else f"; {history.summary()}")
    if not report.ok or (history is not None and not history.ok):
        raise JobFailed(summary)
    return summary


def run_training(trainer: Trainer, today: Callable[[], date]) -> str:
    reports: list[Any] = trainer.train_all(today())
    lines = [_line(report) for report in reports]
    summary = "; ".join(lines) or "no org to train"
    if any(getattr(report, "failed", False) for report in reports):
        raise JobFailed(summary)
    return summary


def _line(report: Any) -> str:
    line = getattr(report, "line", None)
    return line() if callable(line) else str(report)


__all__ = [
    "ANALYTICS_ROLLUP", "JOB_KINDS", "Job", "JobFailed", "JobRun", "OUTCOME_SYNC", "Scheduler", "TRAINING",
    "following_slot",
    "run_analytics_rollup", "run_outcome_sync", "run_training", "service_jobs",
]
