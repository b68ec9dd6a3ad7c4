"""The analytics roll-up as a background job: scheduled in Redis once per slot however many
workers keep the schedule, run by RQ's entry point, and by the in-process queue without Redis."""
from __future__ import annotations

import redis

from content_catalog.analytics_rollups import AnalyticsRollups
from content_catalog.repository import ensure_org
from plugin.jobs.entry import run_locked
from plugin.jobs.periodic import PeriodicJob, ScheduleKeeper, periodic_jobs
from plugin.learning.job_queue import (
    ANALYTICS_ROLLUP,
    DONE,
    FAILED,
    InProcessJobQueue,
)
from plugin.services import build_services
from plugin.settings import Settings
from tests.plugin.jobs.test_periodic_schedule import _all_tick, _queued

ORG = "00D000000000ROLLUP"


def services(engine, **settings):
    svc = build_services(Settings(database_url="sqlite://", **settings), engine=engine)
    with svc.sessions.begin() as session:
        ensure_org(session, ORG, ORG)
    return svc


def rolled_up(svc) -> bool:
    with svc.sessions() as session:
        return AnalyticsRollups(session, ORG).state() is not None


def test_the_roll_up_is_a_periodic_job_at_its_interval(engine):
    svc = services(engine, analytics_rollup_interval=900)
    assert PeriodicJob(ANALYTICS_ROLLUP, (), 900) in periodic_jobs(svc)


def test_four_workers_enqueue_each_roll_up_slot_once_and_a_worker_runs_it(engine, jobs_redis_url):
    svc = services(engine, redis_url=jobs_redis_url)
    connection = redis.Redis.from_url(jobs_redis_url)
    keepers = [ScheduleKeeper(connection, lambda: periodic_jobs(svc)) for _ in range(4)]
    moved = _all_tick(keepers, refresh=True)
    rollup_id = PeriodicJob(ANALYTICS_ROLLUP, (), 3600).job_id
    assert moved.count(rollup_id) == 1 and _queued(connection).count(rollup_id) == 1

    outcome = run_locked(svc, ANALYTICS_ROLLUP, {})
    assert outcome.ok and f"{ORG}: 0 impressions rolled up" in outcome.summary
    assert rolled_up(svc)


def test_without_redis_the_in_process_queue_rolls_up_one_org(engine):
    svc = services(engine)
    queue = InProcessJobQueue(svc.job_handlers)
    assert queue.wait(queue.enqueue(ANALYTICS_ROLLUP, org_id=ORG)).state == DONE
    assert rolled_up(svc)
    unknown = queue.wait(queue.enqueue(ANALYTICS_ROLLUP, org_id="00D000000000NOSUCH"))
    assert unknown.state == FAILED and "no such org" in unknown.summary
