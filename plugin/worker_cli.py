"""``beinspired worker``: the scheduled jobs (deal-outcome syncs, training) in their own process,
beside the web server. ``--once`` runs every job once and exits, for cron."""
from __future__ import annotations

import logging
import sys
import threading

import click

from content_catalog.database import upgrade
from plugin.impression_recorder import exit_cleanly_on_sigterm
from plugin.jobs import Scheduler, service_jobs
from plugin.services import build_services
from plugin.settings import Settings

log = logging.getLogger(__name__)


@click.command(help="Run the scheduled jobs: each org's deal-outcome sync every "
               "BEINSPIRED_OUTCOME_SYNC_INTERVAL seconds (1 h), training every "
               "BEINSPIRED_TRAINING_INTERVAL seconds (24 h). SIGTERM stops it.")
@click.option("--once", is_flag=True,
              help="Run every job once, then exit (1 if any failed): for cron.")
def worker(once: bool) -> None:
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    svc = build_services(settings)
    upgrade(svc.engine)
    scheduler = Scheduler(lambda: service_jobs(svc))
    if once:
        runs = scheduler.run_due()
        sys.exit(0 if all(run.ok for run in runs) else 1)
    # SIGTERM raises SystemExit in this thread: a job in progress is rolled back (its
    # transaction never commits) and runs again at the next start.
    exit_cleanly_on_sigterm()
    log.info("worker started: outcome sync every %.0f s, training every %.0f s",
             settings.outcome_sync_interval, settings.training_interval)
    try:
        scheduler.run_until(threading.Event())
    except KeyboardInterrupt:
        pass
    finally:
        log.info("worker stopped")
