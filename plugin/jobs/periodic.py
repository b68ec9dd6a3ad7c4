"""The periodic jobs on RQ, scheduled with rq-scheduler: the schedule lives in Redis."""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

import redis
from rq_scheduler import Scheduler

from plugin.learning.job_queue import ENTRY_POINT, JOB_TIMEOUT_SECONDS, QUEUE_NAME
from plugin.learning.jobs import ANALYTICS_ROLLUP, OUTCOME_SYNC, TRAINING
from plugin.services import Services

log = logging.getLogger(__name__)

#: Scheduled job ids start with this, so reconciling never touches anything else in Redis.
PREFIX = "bi-periodic-"


@dataclass(frozen=True)
class PeriodicJob:
    kind: str
    params: tuple[tuple[str, Any], ...]
    interval: int

    @property
    def job_id(self) -> str:
        """Stable for the same kind, parameters and interval (so re-scheduling is a no-op), new
        when any of them changes."""
        digest = hashlib.sha256(repr((self.kind, self.params, self.interval)).encode())
        return f"{PREFIX}{self.kind}-{digest.hexdigest()[:16]}"


def periodic_jobs(svc: Services) -> list[PeriodicJob]:
    """Each syncable org's outcome sync, training of every org and every org's analytics
    roll-ups, at the settings' intervals."""
    settings = svc.settings
    jobs = [PeriodicJob(OUTCOME_SYNC, (("org_id", org_id),), int(settings.outcome_sync_interval))
            for org_id in svc.outcome_sync.syncable_orgs().org_ids]
    jobs.append(PeriodicJob(TRAINING, (), int(settings.training_interval)))
    jobs.append(PeriodicJob(ANALYTICS_ROLLUP, (), int(settings.analytics_rollup_interval)))
    return jobs


def reconcile(scheduler: Scheduler, wanted: Iterable[PeriodicJob]) -> tuple[int, int]:
    """Schedule the wanted jobs not yet scheduled (first run: now), cancel ours no longer
    wanted; returns (added, cancelled). A job already scheduled keeps its next slot."""
    wanted = {job.job_id: job for job in wanted}
    scheduled = {job.id for job in scheduler.get_jobs() if job.id.startswith(PREFIX)}
    for job_id in scheduled - set(wanted):
        scheduler.cancel(job_id)
    added = 0
    for job_id, job in wanted.items():
        if job_id in scheduled or job_id in scheduler:
            continue
        params = dict(job.params)
        scheduler.schedule(
            scheduled_time=datetime.now(timezone.utc).replace(tzinfo=None),
            func=ENTRY_POINT, args=(job.kind, params), interval=job.interval, id=job_id,
            timeout=JOB_TIMEOUT_SECONDS, queue_name=QUEUE_NAME,
            meta={"kind": job.kind, "params": params},
        )
        added += 1
    return added, len(scheduled - set(wanted))


class ScheduleKeeper:
    """A daemon thread: reconcile now and then, move due jobs to the queue under the lock."""

    def __init__(self, connection: redis.Redis, jobs: Callable[[], list[PeriodicJob]], *,
                 poll_seconds: float = 5.0, refresh_seconds: float = 60.0):
        self.scheduler = Scheduler(queue_name=QUEUE_NAME, connection=connection,
                                   interval=poll_seconds)
        self._jobs = jobs
        self._poll = poll_seconds
        self._refresh = refresh_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="schedule-keeper", daemon=True)

    def start(self) -> "ScheduleKeeper":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def tick(self, *, refresh: bool) -> list[str]:
        """One round; returns the ids of the jobs this round moved to the queue. Reconciling
        and moving happen under the one lock: a job being moved is briefly out of the schedule,
        and another worker reconciling then would schedule it again, for now."""
        wanted = self._jobs() if refresh else None  # the database, before taking the lock
        if not self.scheduler.acquire_lock():
            return []  # another worker is at it right now
        try:
            if wanted is not None:
                added, cancelled = reconcile(self.scheduler, wanted)
                if added or cancelled:
                    log.info("schedule: %d periodic jobs added, %d cancelled", added, cancelled)
            due = list(self.scheduler.get_jobs_to_queue())
            for job in due:
                self.scheduler.enqueue_job(job)  # and sets its next slot
            return [job.id for job in due]
        finally:
            self.scheduler.remove_lock()

    def _run(self) -> None:
        next_refresh = time.monotonic()
        while not self._stop.is_set():
            refresh = time.monotonic() >= next_refresh
            try:
                self.tick(refresh=refresh)
                if refresh:
                    next_refresh = time.monotonic() + self._refresh
            except Exception:  # noqa: BLE001 - Redis or the database away: try again later
                log.exception("schedule: could not keep the periodic jobs; trying again")
            self._stop.wait(self._poll)


__all__ = ["PREFIX", "PeriodicJob", "ScheduleKeeper", "periodic_jobs", "reconcile"]
