"""``beinspired outcomes sync``: deal outcomes from Salesforce now, for one org or all."""
from __future__ import annotations

import click

from plugin.cli.org_syncs import run_syncs
from plugin.learning.outcome_sync import CANVAS_ONLY, OutcomeSyncReport


@click.group(help="Deal outcomes: which opportunities were won or lost, as Salesforce says.")
def outcomes() -> None:
    pass


@outcomes.command("sync", help="Read closed opportunities from Salesforce (or the demo org) "
                  "into the deal outcomes. Exits 1 when any org failed.")
@click.option("--org", "org_id", metavar="ORG_ID", help="The org to sync.")
@click.option("--all", "all_orgs", is_flag=True,
              help="Every org with server credentials, and the demo org if loaded.")
@click.option("--full", is_flag=True,
              help="Read every closed deal again, not only what changed since the last sync.")
def sync(org_id: str | None, all_orgs: bool, full: bool) -> None:
    run_syncs(org_id, all_orgs, what="outcome", canvas_only=CANVAS_ONLY,
              sync_one=lambda svc, org: svc.outcome_sync.sync(org, full=full),
              failed=lambda org, error: OutcomeSyncReport(org, "", _mode(full), error=error))


def _mode(full: bool) -> str:
    return "full" if full else "incremental"
