"""``beinspired people sync``: users, roles and meetings on opportunities from Salesforce now."""
from __future__ import annotations

import logging
import sys

import click

from plugin.deals.people_sync import CANVAS_ONLY, PeopleSync, PeopleSyncReport
from plugin.orgs.connections import EncryptionKeyMissing, SecretsUnreadable
from plugin.services import Services, build_services
from plugin.settings import Settings

log = logging.getLogger(__name__)
SKIPPED_SHOWN = 20


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
    if bool(org_id) == all_orgs:
        raise click.UsageError("give either --org ORG_ID or --all")
    svc = build_services(Settings())
    syncer = PeopleSync(svc.sessions, svc.demo_org, svc.orgs)
    org_ids = [org_id] if org_id else _all_orgs(svc)
    failed = False
    for one in org_ids:
        report = _sync_one(syncer, one, full)
        click.echo(f"{report.org_id}: {report.summary()}")
        for label, reason in report.skipped[:SKIPPED_SHOWN]:
            click.echo(f"  skipped {label}: {reason}")
        failed |= not report.ok
    if failed:
        sys.exit(1)


def _all_orgs(svc: Services) -> list[str]:
    try:
        orgs = svc.outcome_sync.syncable_orgs()  # the same orgs: credentials or the demo
    except (EncryptionKeyMissing, SecretsUnreadable) as exc:
        raise click.ClickException(f"the orgs' settings cannot be read: {exc}") from None
    for canvas_org in orgs.canvas_only:
        click.echo(f"{canvas_org}: skipped: {CANVAS_ONLY}")
    return list(orgs.org_ids)


def _sync_one(syncer: PeopleSync, org_id: str, full: bool) -> PeopleSyncReport:
    try:
        return syncer.sync(org_id, full=full)
    except Exception as exc:  # noqa: BLE001 - one org's bug must not hide the others' reports
        log.exception("people sync of org %s failed unexpectedly", org_id)
        return PeopleSyncReport(org_id[:40], "full" if full else "incremental",
                                error=f"unexpected {type(exc).__name__} (see the log)")
