"""``beinspired people sync``: users, roles and meetings on opportunities from Salesforce now."""
from __future__ import annotations

import click

from plugin.cli.org_syncs import run_syncs
from plugin.deals.people_sync import CANVAS_ONLY, PeopleSync, PeopleSyncReport
from plugin.services import Services


@click.group(help="The people behind deals: users, roles and meetings, as Salesforce says.")
def people() -> None:
    pass


@people.command("sync", help="Read users, roles and meetings on opportunities from Salesforce "
                "(or the demo org). Exits 1 when any org failed.")
@click.option("--org", "org_id", metavar="ORG_ID", help="The org to sync.")
@click.option("--all", "all_orgs", is_flag=True,
              help="Every org with server credentials, and the demo org if loaded.")
@click.option("--full", is_flag=True,
              help="Read every user and meeting again; meetings Salesforce no longer has go.")
def sync(org_id: str | None, all_orgs: bool, full: bool) -> None:
    mode = "full" if full else "incremental"

    def sync_one(svc: Services, org: str) -> PeopleSyncReport:
        syncer = svc.outcome_sync.people or PeopleSync(svc.sessions, svc.demo_org, svc.orgs)
        return syncer.sync(org, full=full)

    run_syncs(org_id, all_orgs, what="people", canvas_only=CANVAS_ONLY, sync_one=sync_one,
              failed=lambda org, error: PeopleSyncReport(org, mode, error=error))
