"""What a ``beinspired worker`` process runs for each job RQ hands it: the kind's function,
with this process's services, under a per-job lock so one org's job never runs twice at once."""
from __future__ import annotations

import logging
from typing import Any

import redis

from plugin.learning.job_queue import JOB_TIMEOUT_SECONDS, JobOutcome, run_handler
from plugin.services import Services, build_services
from plugin.settings import Settings

log = logging.getLogger(__name__)

_services: Services | None = None


def worker_services() -> Services:
    """This worker process's services, built on its first job (a worker runs jobs in its main
    thread, one at a time)."""
    global _services
    if _services is None:
        _services = build_services(Settings())
    return _services


def use_services(svc: Services | None) -> None:
    """Run this process's jobs with ``svc`` (the worker command builds them first)."""
    global _services
    _services = svc


def run_job(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """RQ's entry point (``ENTRY_POINT``): the outcome as a dict, which RQ keeps as the result."""
    svc = worker_services()
    return run_locked(svc, kind, params).as_dict()


def run_locked(svc: Services, kind: str, params: dict[str, Any]) -> JobOutcome:
    """A job whose previous run (same kind and org) still holds the lock is skipped: the
    schedule enqueues the next slot even when a run overruns its interval."""
    if not svc.settings.redis_url:
        return run_handler(svc.job_handlers, kind, params)
    connection = redis.Redis.from_url(svc.settings.redis_url)
    name = "beinspired:job-lock:" + ":".join([kind, *(str(v) for v in params.values())])
    lock = connection.lock(name, timeout=JOB_TIMEOUT_SECONDS, blocking=False)
    if not lock.acquire():
        log.info("job %s: skipped, its previous run is still going", name)
        return JobOutcome(True, "skipped: the previous run is still going")
    try:
        return run_handler(svc.job_handlers, kind, params)
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError:  # expired meanwhile: nothing left to release
            pass
        connection.close()
