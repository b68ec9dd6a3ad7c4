"""The periodic jobs' schedule in Redis: however many workers keep it, each slot of a job is
enqueued once; a restarted worker enqueues nothing early; an org that goes loses its job."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import redis
from rq import Queue

from plugin.jobs.periodic import PeriodicJob, ScheduleKeeper
from plugin.learning.job_queue import OUTCOME_SYNC, QUEUE_NAME, TRAINING

TRAIN_DAILY = PeriodicJob(TRAINING, (), 86_400)
SYNC_ACME = PeriodicJob(OUTCOME_SYNC, (("org_id", "00DACME"),), 3600)


def _queued(connection) -> list[str]:
    return Queue(QUEUE_NAME, connection=connection).job_ids


def _taken_by_a_worker(connection) -> None:
    """The queue's list emptied as workers popping the jobs leave it (the jobs stay)."""
    connection.delete(Queue(QUEUE_NAME, connection=connection).key)


def _workers(connection, count: int, jobs) -> list[ScheduleKeeper]:
    return [ScheduleKeeper(connection, lambda: list(jobs)) for _ in range(count)]


def _all_tick(keepers, *, refresh: bool, rounds: int = 5) -> list[str]:
    """Every keeper ticks ``rounds`` times, all at once, as workers on several machines do."""
    moved: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(keepers))

    def run(keeper):
        start.wait()
        for _ in range(rounds):
            ids = keeper.tick(refresh=refresh)
            with lock:
                moved.extend(ids)

    threads = [threading.Thread(target=run, args=(k,)) for k in keepers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return moved


def test_four_workers_keeping_the_schedule_enqueue_each_due_job_once(jobs_redis_url):
    connection = redis.Redis.from_url(jobs_redis_url)
    keepers = _workers(connection, 4, [TRAIN_DAILY, SYNC_ACME])
    moved = _all_tick(keepers, refresh=True)
    assert sorted(moved) == sorted([TRAIN_DAILY.job_id, SYNC_ACME.job_id])
    assert sorted(_queued(connection)) == sorted(moved)


def test_a_restarted_worker_runs_nothing_before_its_next_slot(jobs_redis_url):
    connection = redis.Redis.from_url(jobs_redis_url)
    _all_tick(_workers(connection, 2, [TRAIN_DAILY]), refresh=True)
    _taken_by_a_worker(connection)  # the first slot ran

    restarted = _workers(connection, 2, [TRAIN_DAILY])  # new processes, nothing in memory
    assert _all_tick(restarted, refresh=True) == []
    (job, when), = restarted[0].scheduler.get_jobs(with_times=True)
    assert job.id == TRAIN_DAILY.job_id
    hours_ahead = (when - datetime.now(timezone.utc).replace(tzinfo=None)).total_seconds() / 3600
    assert 23.9 < hours_ahead <= 24


def test_the_next_slot_is_enqueued_once_too(jobs_redis_url):
    connection = redis.Redis.from_url(jobs_redis_url)
    keepers = _workers(connection, 3, [SYNC_ACME])
    _all_tick(keepers, refresh=True)
    _taken_by_a_worker(connection)
    keepers[0].scheduler.change_execution_time(
        keepers[0].scheduler.job_class.fetch(SYNC_ACME.job_id, connection=connection),
        datetime.now(timezone.utc).replace(tzinfo=None))  # the hour has passed
    assert _all_tick(keepers, refresh=False) == [SYNC_ACME.job_id]


def test_a_removed_org_loses_its_job_and_a_changed_interval_is_a_new_job(jobs_redis_url):
    connection = redis.Redis.from_url(jobs_redis_url)
    wanted = [TRAIN_DAILY, SYNC_ACME]
    keeper = ScheduleKeeper(connection, lambda: list(wanted))
    keeper.tick(refresh=True)
    hourly_training = PeriodicJob(TRAINING, (), 3600)
    wanted[:] = [hourly_training]
    keeper.tick(refresh=True)
    assert [job.id for job in keeper.scheduler.get_jobs()] == [hourly_training.job_id]
