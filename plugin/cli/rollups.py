"""``beinspired analytics rollup``: rebuild the content analytics roll-ups now, for one org or all."""
from __future__ import annotations

import sys

import click

from content_catalog.repository import OrgNotFound
from plugin.services import build_services
from plugin.settings import Settings


@click.group(help="Content analytics: the roll-ups the analytics pages read.")
def analytics() -> None:
    pass


@analytics.command("rollup", help="Rebuild the analytics roll-ups of the last 180 days from the "
                   "logged impressions (the worker does it every "
                   "BEINSPIRED_ANALYTICS_ROLLUP_INTERVAL seconds). Exits 1 for an unknown org.")
@click.option("--org", "org_id", metavar="ORG_ID", help="The org to roll up.")
@click.option("--all", "all_orgs", is_flag=True, help="Every org.")
def rollup(org_id: str | None, all_orgs: bool) -> None:
    if bool(org_id) == all_orgs:
        raise click.UsageError("give either --org ORG_ID or --all")
    svc = build_services(Settings())
    try:
        reports = ([svc.analytics_rollups.rebuild(org_id)] if org_id
                   else svc.analytics_rollups.rebuild_all())
    except OrgNotFound:
        click.echo(f"There is no org {org_id[:40]!r} here.", err=True)
        sys.exit(1)
    if not reports:
        click.echo("No org to roll up.")
    for report in reports:
        click.echo(report.line())
