"""What the sync commands share: ``--org`` or ``--all``, each org's report on the terminal, one
org's bug never hiding the others' reports, exit status 1 when any org failed."""
from __future__ import annotations

import logging
import sys
from typing import Any, Callable, Protocol

import click

from plugin.orgs.connections import EncryptionKeyMissing, SecretsUnreadable
from plugin.services import Services, build_services
from plugin.settings import Settings

log = logging.getLogger(__name__)
#: How many skipped records a report lists on the terminal.
SKIPPED_SHOWN = 20


class SyncReport(Protocol):
    org_id: str
    skipped: tuple[Any, ...]

    @property
    def ok(self) -> bool: ...

    def summary(self) -> str: ...


def run_syncs(org_id: str | None, all_orgs: bool, *, what: str,
              sync_one: Callable[[Services, str], SyncReport],
              failed: Callable[[str, str], SyncReport], canvas_only: str) -> None:
    """Sync ``org_id``, or every syncable org; ``failed(org_id, error)`` is the report of an org
    whose sync raised, ``canvas_only`` what is said of the orgs no server credentials reach."""
    if bool(org_id) == all_orgs:
        raise click.UsageError("give either --org ORG_ID or --all")
    svc = build_services(Settings())
    org_ids = [org_id] if org_id else _syncable_orgs(svc, canvas_only)
    if not org_ids:
        click.echo("No org to sync: connect one ('beinspired org add') or load the demo org.")
    any_failed = False
    for one in org_ids:
        try:
            report = sync_one(svc, one)
        except Exception as exc:  # noqa: BLE001 - one org's bug must not hide the others' reports
            log.exception("%s sync of org %s failed unexpectedly", what, one)
            report = failed(one[:40], f"unexpected {type(exc).__name__} (see the log)")
        print_report(report)
        any_failed |= not report.ok
    if any_failed:
        sys.exit(1)


def _syncable_orgs(svc: Services, canvas_only: str) -> list[str]:
    try:
        orgs = svc.outcome_sync.syncable_orgs()  # every sync's orgs: credentials, or the demo
    except (EncryptionKeyMissing, SecretsUnreadable) as exc:
        raise click.ClickException(f"the orgs' settings cannot be read: {exc}") from None
    for canvas_org in orgs.canvas_only:
        click.echo(f"{canvas_org}: skipped: {canvas_only}")
    return list(orgs.org_ids)


def print_report(report: SyncReport) -> None:
    name = getattr(report, "org_name", "")
    click.echo(f"{f'{name} ({report.org_id})' if name else report.org_id}: {report.summary()}")
    for item in report.skipped[:SKIPPED_SHOWN]:
        record, reason = (item.record, item.reason) if hasattr(item, "record") else item
        click.echo(f"  skipped {record}: {reason}")
    if len(report.skipped) > SKIPPED_SHOWN:
        click.echo(f"  … and {len(report.skipped) - SKIPPED_SHOWN} more skipped")
