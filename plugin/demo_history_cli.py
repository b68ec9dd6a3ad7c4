"""``beinspired demo-history``, and the history ``load-demo`` seeds into an empty demo org."""
from __future__ import annotations

import click

from content_catalog.database import upgrade
from content_catalog.repository import CatalogRepository, OrgNotFound
from plugin.demo_history import (
    DEFAULT_SEED,
    DEFAULT_VIEWS_PER_WEEK,
    DEFAULT_WEEKS,
    DemoHistoryError,
    SeedResult,
    org_has_impressions,
    seed_demo_history,
)
from plugin.demo_org import DEMO_ORG_ID
from plugin.services import Services, build_services
from plugin.settings import Settings


def seed_history_if_empty(svc: Services) -> None:
    """The demo org's simulated history, unless it has impressions already (seeded before, or
    real panel views in it: a history must not be mixed into those)."""
    with svc.sessions() as session:
        if org_has_impressions(session, DEMO_ORG_ID):
            click.echo("Demo org already has panel history: left as it is.")
            return
    _seed(svc, DEFAULT_WEEKS, DEFAULT_SEED, DEFAULT_VIEWS_PER_WEEK)


def _seed(svc: Services, weeks: int, seed: int, views_per_week: int) -> None:
    try:
        result = seed_demo_history(
            svc.sessions, svc.taxonomy, today=svc.today(), weeks=weeks, seed=seed,
            views_per_week=views_per_week,
        )
    except DemoHistoryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(_summary(result, weeks, seed))


def _summary(result: SeedResult, weeks: int, seed: int) -> str:
    if not (result.written_impressions or result.written_events or result.written_outcomes):
        return f"Demo history (seed {seed}, {weeks} weeks) was stored already: nothing written."
    return (
        f"Demo history (seed {seed}, {weeks} weeks): {result.views} panel views, "
        f"{result.written_impressions} impressions, {result.written_events} rep events and "
        f"{result.written_outcomes} deal outcomes written."
    )


@click.command("demo-history", help="Simulate weeks of panel views, rep events and deal "
               "outcomes in the demo org (seeded; a second run writes nothing new).")
@click.option("--weeks", type=click.IntRange(1, 52), default=DEFAULT_WEEKS, show_default=True)
@click.option("--seed", type=click.IntRange(0, 1_000_000), default=DEFAULT_SEED,
              show_default=True)
@click.option("--views-per-week", type=click.IntRange(1, 2_000), default=DEFAULT_VIEWS_PER_WEEK,
              show_default=True)
def demo_history(weeks: int, seed: int, views_per_week: int) -> None:
    svc = build_services(Settings())
    upgrade(svc.engine)
    with svc.sessions() as session:
        try:
            CatalogRepository(session, DEMO_ORG_ID).revision()
        except OrgNotFound:
            raise click.ClickException(
                "the demo org is not loaded: run `beinspired load-demo --no-history` first"
            ) from None
    _seed(svc, weeks, seed, views_per_week)
