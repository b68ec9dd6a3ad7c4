"""``beinspired model …``: train the learned ranker, list its versions, roll back, turn it off."""
from __future__ import annotations

import click

from content_catalog.database import upgrade
from content_catalog.model_store import RankerModels, UnknownModelVersion
from content_catalog.repository import OrgNotFound
from plugin.crm.demo_org import DEMO_ORG_ID
from plugin.learning.ranker_admin import NothingToRollBackTo, describe, serve_rules, serve_version
from plugin.services import Services, build_services
from plugin.settings import Settings
from plugin.learning.training import DEFAULT_WINDOW_DAYS

_ORG = click.option(
    "--org", "org_id", default=DEMO_ORG_ID, show_default=True, help="The org's Id (00D…)."
)


def _services() -> Services:
    services = build_services(Settings())
    upgrade(services.engine)
    return services


@click.group("model", help="The learned ranker: train, list versions, roll back, turn off.")
def model() -> None:
    pass


@model.command("train", help="Train on logged impressions and serve the new version; while an "
               "admin serves an earlier version or the tag rules (rollback, off), the new version "
               "is stored, not served, and the output says so.")
@click.option("--org", "org_id", default=None, help=f"The org's Id (default: {DEMO_ORG_ID}).")
@click.option("--all", "every_org", is_flag=True, help="The demo org and every connected org.")
@click.option("--window-days", type=click.IntRange(min=1), default=DEFAULT_WINDOW_DAYS,
              show_default=True, help="Days of impressions to learn from (--org only).")
def train(org_id: str | None, every_org: bool, window_days: int) -> None:
    if org_id and every_org:
        raise click.UsageError("give --org or --all, not both")
    services = _services()
    if every_org:
        reports = services.trainer.train_all(services.today())
        if not reports:
            click.echo("No orgs to train: load the demo org or connect one.")
        for report in reports:
            click.echo(report.line())
        if any(report.failed for report in reports):
            raise click.exceptions.Exit(1)
        return
    try:
        report = services.trainer.train_org(
            org_id or DEMO_ORG_ID, today=services.today(), window_days=window_days
        )
    except OrgNotFound as exc:
        raise click.ClickException(f"unknown org {exc}") from None
    click.echo(report.line())


@model.command("list", help="Stored versions, newest first; * marks the one the panel serves.")
@_ORG
def list_versions(org_id: str) -> None:
    services = _services()
    with services.sessions() as session:
        versions = RankerModels(session, org_id).versions()
    if not versions:
        click.echo(f"org {org_id}: no trained versions; the panel serves v1.")
        return
    for version in versions:
        click.echo(describe(version))
    if not any(v.active for v in versions):
        click.echo("(none active: the panel serves v1)")


@model.command("rollback", help="Serve an earlier version (default: the one before the active).")
@_ORG
@click.option("--to", "to_version", type=int, default=None, help="The version to serve.")
def rollback(org_id: str, to_version: int | None) -> None:
    try:
        chosen = serve_version(_services().sessions, org_id, to_version, by="beinspired model rollback")
    except NothingToRollBackTo as exc:
        hint = ": name one with --to" if exc.active is None else ""
        raise click.ClickException(f"{exc}{hint}") from None
    except (UnknownModelVersion, OrgNotFound) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"org {org_id}: now serving {describe(chosen)}")


@model.command("off", help="Serve v1 (the tag rules) until a version is served again with "
               "rollback --to N; training meanwhile stores versions without serving them.")
@_ORG
def off(org_id: str) -> None:
    try:
        was = serve_rules(_services().sessions, org_id, by="beinspired model off")
    except OrgNotFound as exc:
        raise click.ClickException(f"unknown org {exc}") from None
    if was is None:
        click.echo(f"org {org_id}: no version was active; the panel serves v1.")
    else:
        click.echo(f"org {org_id}: version {was.version} switched off; the panel serves v1.")
