"""``beinspired worker``: the background jobs (outcome syncs, training, what the web enqueues)."""
from __future__ import annotations

import logging
import sys
import threading

import click

from content_catalog.database import upgrade
from plugin.panel.impressions import exit_cleanly_on_sigterm
from plugin.learning.jobs import JOB_KINDS, Scheduler, service_jobs
from plugin.services import Services, build_services
from plugin.settings import Settings
from plugin.telemetry.log_setup import configure_logging

log = logging.getLogger(__name__)


@click.command(help="Run the background jobs: each org's deal-outcome sync every "
               "BEINSPIRED_OUTCOME_SYNC_INTERVAL seconds (1 h), training every "
               "BEINSPIRED_TRAINING_INTERVAL seconds (24 h), every org's analytics roll-ups every "
               "BEINSPIRED_ANALYTICS_ROLLUP_INTERVAL seconds (1 h), and jobs the web enqueues. With "
               "REDIS_URL it is an RQ worker (run several); SIGTERM stops it.")
@click.option("--once", is_flag=True,
              help="Run the jobs once in this process, then exit (1 if any failed or they could "
              "not be listed): for cron without Redis, with --job.")
@click.option("--job", "kinds", multiple=True, type=click.Choice(sorted(JOB_KINDS)),
              help="Only these jobs (repeatable; default: all): outcomes = every org's "
              "deal-outcome sync, training = training every org, analytics = every org's "
              "analytics roll-ups. Cron: `--once --job outcomes` and `--once --job analytics` "
              "hourly, `--once --job training` daily.")
def worker(once: bool, kinds: tuple[str, ...]) -> None:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    svc = build_services(settings)
    upgrade(svc.engine)
    if settings.redis_url and not once:
        if kinds:
            raise click.UsageError("--job picks jobs for --once; with REDIS_URL the schedule "
                                   "in Redis decides what runs")
        _run_rq_worker(svc)
        return
    names = [JOB_KINDS[kind] for kind in kinds or sorted(JOB_KINDS)]
    scheduler = Scheduler(lambda: service_jobs(
        svc.outcome_sync, svc.trainer, today=svc.today, names=names,
        outcome_sync_interval=settings.outcome_sync_interval,
        training_interval=settings.training_interval,
        rollups=svc.analytics_rollups,
        analytics_rollup_interval=settings.analytics_rollup_interval,
    ))
    if once:
        runs = scheduler.run_due()
        sys.exit(0 if all(run.ok for run in runs) and not scheduler.listing_failed else 1)
    # SIGTERM raises SystemExit in this thread: a job in progress is rolled back (its
    # transaction never commits) and runs again at the next start.
    exit_cleanly_on_sigterm()
    log.info("worker started (%s): outcome sync every %.0f s, training every %.0f s, "
             "analytics roll-ups every %.0f s", ", ".join(kinds or sorted(JOB_KINDS)),
             settings.outcome_sync_interval, settings.training_interval,
             settings.analytics_rollup_interval)
    try:
        scheduler.run_until(threading.Event())
    except KeyboardInterrupt:
        pass
    finally:
        log.info("worker stopped")


def _run_rq_worker(svc: Services) -> None:
    import redis
    from rq import Queue, SimpleWorker

    from plugin.jobs.entry import use_services
    from plugin.jobs.periodic import ScheduleKeeper, periodic_jobs
    from plugin.learning.job_queue import QUEUE_NAME

    connection = redis.Redis.from_url(svc.settings.redis_url)
    use_services(svc)
    keeper = ScheduleKeeper(connection, lambda: periodic_jobs(svc),
                            poll_seconds=svc.settings.schedule_poll_seconds).start()
    # SimpleWorker: jobs run in this process's main thread, one at a time, with the services
    # built above (a forking worker would fork beside the schedule keeper's thread).
    rq_worker = SimpleWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection)
    log.info("worker started on RQ queue %s; schedule kept in Redis", QUEUE_NAME)
    try:
        rq_worker.work(logging_level=svc.settings.log_level.upper())
    finally:
        keeper.stop()
        log.info("worker stopped")
