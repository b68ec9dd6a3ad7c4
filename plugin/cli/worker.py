"""``beinspired worker``: the scheduled jobs (deal-outcome syncs, training) in their own process,
beside the web server. ``--once`` runs the jobs once and exits, for cron; ``--job`` picks which,
so each kind runs at its own cron interval (a single run keeps no schedule to skip the others)."""
from __future__ import annotations

import logging
import sys
import threading

import click

from content_catalog.database import upgrade
from plugin.panel.impressions import exit_cleanly_on_sigterm
from plugin.learning.jobs import JOB_KINDS, Scheduler, service_jobs
from plugin.services import build_services
from plugin.settings import Settings

log = logging.getLogger(__name__)


@click.command(help="Run the scheduled jobs: each org's deal-outcome sync every "
               "BEINSPIRED_OUTCOME_SYNC_INTERVAL seconds (1 h), training every "
               "BEINSPIRED_TRAINING_INTERVAL seconds (24 h). SIGTERM stops it.")
@click.option("--once", is_flag=True,
              help="Run the jobs once, then exit (1 if any failed or they could not be listed): "
              "for cron, with --job.")
@click.option("--job", "kinds", multiple=True, type=click.Choice(sorted(JOB_KINDS)),
              help="Only these jobs (repeatable; default: all): outcomes = every org's "
              "deal-outcome sync, training = training every org. Cron: `--once --job outcomes` "
              "hourly, `--once --job training` daily.")
def worker(once: bool, kinds: tuple[str, ...]) -> None:
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    svc = build_services(settings)
    upgrade(svc.engine)
    names = [JOB_KINDS[kind] for kind in kinds or sorted(JOB_KINDS)]
    scheduler = Scheduler(lambda: service_jobs(
        svc.outcome_sync, svc.trainer, today=svc.today, names=names,
        outcome_sync_interval=settings.outcome_sync_interval,
        training_interval=settings.training_interval,
    ))
    if once:
        runs = scheduler.run_due()
        sys.exit(0 if all(run.ok for run in runs) and not scheduler.listing_failed else 1)
    # SIGTERM raises SystemExit in this thread: a job in progress is rolled back (its
    # transaction never commits) and runs again at the next start.
    exit_cleanly_on_sigterm()
    log.info("worker started (%s): outcome sync every %.0f s, training every %.0f s",
             ", ".join(kinds or sorted(JOB_KINDS)), settings.outcome_sync_interval,
             settings.training_interval)
    try:
        scheduler.run_until(threading.Event())
    except KeyboardInterrupt:
        pass
    finally:
        log.info("worker stopped")
