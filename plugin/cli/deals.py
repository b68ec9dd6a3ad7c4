"""``beinspired deals``: deal stage histories synced now, and the stage norms they give."""
from __future__ import annotations

import click

from plugin.cli.org_syncs import run_syncs
from plugin.deals.stage_history_sync import CANVAS_ONLY, StageHistorySyncReport
from plugin.services import Services


@click.group(help="Deals beyond their outcome: stage histories and how long stages usually take.")
def deals() -> None:
    pass


@deals.command("sync-history", help="Read deals' stage history (OpportunityHistory) from "
               "Salesforce (or the demo org). Exits 1 when any org failed.")
@click.option("--org", "org_id", metavar="ORG_ID", help="The org to sync.")
@click.option("--all", "all_orgs", is_flag=True,
              help="Every org with server credentials, and the demo org if loaded.")
@click.option("--full", is_flag=True, help="Read the whole history again, not only new rows.")
def sync_history(org_id: str | None, all_orgs: bool, full: bool) -> None:
    mode = "full" if full else "incremental"

    def sync_one(svc: Services, org: str) -> StageHistorySyncReport:
        if svc.outcome_sync.stage_history is None:
            return StageHistorySyncReport(org[:40], "", mode, error="not set up in this service")
        return svc.outcome_sync.stage_history.sync(org, full=full)

    run_syncs(org_id, all_orgs, what="stage history", canvas_only=CANVAS_ONLY, sync_one=sync_one,
              failed=lambda org, error: StageHistorySyncReport(org, "", mode, error=error))
