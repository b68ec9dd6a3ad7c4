"""``beinspired outcomes sync``: deal outcomes from Salesforce now, for one org or all."""
from __future__ import annotations

import logging
import sys

import click

from plugin.orgs.connections import EncryptionKeyMissing, SecretsUnreadable
from plugin.learning.outcome_sync import CANVAS_ONLY, OutcomeSyncReport
from plugin.services import Services, build_services
from plugin.settings import Settings

log = logging.getLogger(__name__)
#: How many skipped records a report lists on the terminal.
SKIPPED_SHOWN = 20


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
    if bool(org_id) == all_orgs:
        raise click.UsageError("give either --org ORG_ID or --all")
    svc = build_services(Settings())
    org_ids = [org_id] if org_id else _all_orgs(svc)
    if not org_ids:
        click.echo("No org to sync: connect one ('beinspired org add') or load the demo org.")
    failed = False
    for one in org_ids:
        report = _sync_one(svc, one, full)
        _print(report)
        failed |= not report.ok
    if failed:
        sys.exit(1)


def _all_orgs(svc: Services) -> list[str]:
    try:
        orgs = svc.outcome_sync.syncable_orgs()
    except (EncryptionKeyMissing, SecretsUnreadable) as exc:
        raise click.ClickException(f"the orgs' settings cannot be read: {exc}") from None
    for canvas_org in orgs.canvas_only:
        click.echo(f"{canvas_org}: skipped: {CANVAS_ONLY}")
    return list(orgs.org_ids)


def _sync_one(svc: Services, org_id: str, full: bool) -> OutcomeSyncReport:
    try:
        return svc.outcome_sync.sync(org_id, full=full)
    except Exception as exc:  # noqa: BLE001 - one org's bug must not hide the others' reports
        log.exception("outcome sync of org %s failed unexpectedly", org_id)
        return OutcomeSyncReport(org_id[:40], "", "full" if full else "incremental",
                                 error=f"unexpected {type(exc).__name__} (see the log)")


def _print(report: OutcomeSyncReport) -> None:
    name = f"{report.org_name} ({report.org_id})" if report.org_name else report.org_id
    click.echo(f"{name}: {report.summary()}")
    for skipped in report.skipped[:SKIPPED_SHOWN]:
        click.echo(f"  skipped {skipped.record}: {skipped.reason}")
    if len(report.skipped) > SKIPPED_SHOWN:
        click.echo(f"  … and {len(report.skipped) - SKIPPED_SHOWN} more skipped")
