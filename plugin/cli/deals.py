"""``beinspired deals``: deal stage histories synced now, and the stage norms they give."""
from __future__ import annotations

import logging
import sys

import click

from plugin.deals.stage_history_sync import StageHistorySyncReport
from plugin.orgs.connections import EncryptionKeyMissing, SecretsUnreadable
from plugin.services import Services, build_services
from plugin.settings import Settings

log = logging.getLogger(__name__)
SKIPPED_SHOWN = 20


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
        return list(svc.outcome_sync.syncable_orgs().org_ids)
    except (EncryptionKeyMissing, SecretsUnreadable) as exc:
        raise click.ClickException(f"the orgs' settings cannot be read: {exc}") from None


def _sync_one(svc: Services, org_id: str, full: bool) -> StageHistorySyncReport:
    mode = "full" if full else "incremental"
    if svc.outcome_sync.stage_history is None:
        return StageHistorySyncReport(org_id[:40], "", mode, error="not set up in this service")
    try:
        return svc.outcome_sync.stage_history.sync(org_id, full=full)
    except Exception as exc:  # noqa: BLE001 - one org's bug must not hide the others' reports
        log.exception("stage history sync of org %s failed unexpectedly", org_id)
        return StageHistorySyncReport(org_id[:40], "", mode,
                                      error=f"unexpected {type(exc).__name__} (see the log)")


def _print(report: StageHistorySyncReport) -> None:
    name = f"{report.org_name} ({report.org_id})" if report.org_name else report.org_id
    click.echo(f"{name}: {report.summary()}")
    for skipped in report.skipped[:SKIPPED_SHOWN]:
        click.echo(f"  skipped {skipped.record}: {skipped.reason}")
    if len(report.skipped) > SKIPPED_SHOWN:
        click.echo(f"  … and {len(report.skipped) - SKIPPED_SHOWN} more skipped")
