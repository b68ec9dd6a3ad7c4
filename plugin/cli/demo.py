"""``beinspired demo``, ``load-demo`` and ``demo-history``: the bundled demo org, its simulated
history and a first learned ranker, so a newcomer sees the whole product with one command."""
from __future__ import annotations

import click

from content_catalog.database import refresh_statistics, upgrade
from content_catalog.importing import ImportRejected
from content_catalog.repository import CatalogRepository, OrgNotFound
from plugin.learning.demo_history import (
    DEFAULT_SEED,
    DEFAULT_VIEWS_PER_WEEK,
    DEFAULT_WEEKS,
    DemoHistoryError,
    SeedResult,
    org_has_impressions,
    seed_demo_history,
)
from plugin.cli.serve import claim_port, serve_on
from plugin.crm.demo_org import DEMO_ORG_ID, load_demo_catalog
from plugin.orgs.demo_connection import connect_demo_org
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
    # The analytics pages read roll-ups; the demo's do not wait for the worker's first run.
    click.echo(f"Demo analytics roll-ups: {svc.analytics_rollups.rebuild(DEMO_ORG_ID).line()}")


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
    refresh_statistics(svc.engine)  # weeks of impressions just written: plan with them


def _load_demo(svc: Services, history: bool = True) -> None:
    try:
        result = load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    except ImportRejected as exc:
        for error in exc.errors:
            click.echo(f"  {error}", err=True)
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Demo org {DEMO_ORG_ID}: {result.created} modules created, {result.updated} updated, "
        f"{result.unchanged} unchanged"
        + (f", {result.kept} edited by a person kept as they are." if result.kept else ".")
    )
    if connect_demo_org(svc.org_connections()):
        click.echo(f"Demo org {DEMO_ORG_ID} connected: map its stages and fields at /admin or "
                   "with `beinspired org map-stage` / `org fields`.")
    _sync_demo_outcomes(svc)
    _sync_demo_people(svc)
    _seed_demo_recommendation(svc)
    if history:
        seed_history_if_empty(svc)
        _sync_demo_stage_history(svc)  # after: the simulated views' deals get stage histories
        _seed_demo_meetings(svc)
        _train_demo_if_untrained(svc)
        _seed_demo_refreshers(svc)
        _seed_demo_loss_reviews(svc)
    refresh_statistics(svc.engine)


def _seed_demo_refreshers(svc: Services) -> None:
    """The demo rep opened a training refresher days ago: the panel brings it back."""
    from plugin.learning.demo_refreshers import seed_demo_refreshers
    from plugin.web.identity import DEMO_USER_ID

    if seed_demo_refreshers(svc.sessions, svc.taxonomy, DEMO_USER_ID, svc.today()):
        click.echo("Demo rep: opened a training refresher 9 days ago (it comes back on "
                   "St. Aldric Health Partners).")


def _sync_demo_outcomes(svc: Services) -> None:
    """The bundled records' own closed deals, as the worker's hourly sync would store them."""
    report = svc.outcome_sync.sync(DEMO_ORG_ID)
    click.echo(f"Demo org deal outcomes: {report.summary()}")


def _sync_demo_stage_history(svc: Services) -> None:
    """The demo org's simulated stage history (part of its simulated past: not with
    ``--no-history``), through the same sync as a live org's, so a few deals are stuck."""
    report = svc.outcome_sync.sync_stage_history(DEMO_ORG_ID)
    if report is not None:
        click.echo(f"Demo org deal stage history: {report.summary()}")


def _sync_demo_people(svc: Services) -> None:
    """The demo org's users and role hierarchy, stored as a people sync stores an org's."""
    from plugin.deals.people_sync import PeopleSync

    click.echo(f"Demo org people: {PeopleSync(svc.sessions, svc.demo_org).sync_demo().summary()}")


def _seed_demo_loss_reviews(svc: Services) -> None:
    """Reviews of the demo's lost deals (plugin/learning/demo_loss_reviews.py), the demo rep's
    own lost deal left for them to review."""
    from plugin.learning.demo_loss_reviews import seed_demo_loss_reviews

    click.echo(seed_demo_loss_reviews(svc.sessions, svc.taxonomy_for(DEMO_ORG_ID)).line())


def _seed_demo_recommendation(svc: Services) -> None:
    """Dana Whitfield, the demo manager, recommends one module to the demo rep on one of his
    deals (once: a reload keeps what is there)."""
    from plugin.coaching.demo_coaching import seed_demo_recommendation

    click.echo(f"Demo coaching: {seed_demo_recommendation(svc.sessions, svc.demo_org)}")


def _seed_demo_meetings(svc: Services) -> None:
    """The simulated reps in the demo's teams and meetings on its deals (the leading indicators'
    preparation figure reads them)."""
    from plugin.learning.demo_meetings import seed_demo_people_history

    report = seed_demo_people_history(svc.sessions, today=svc.today(), demo=svc.demo_org)
    click.echo(f"Demo org people and meetings: {report.summary()}")


def _train_demo_if_untrained(svc: Services) -> None:
    """A first learned ranker on the demo history, so a newcomer's panel is the learned one;
    the worker retrains it daily. An org that has a model already keeps the one it serves."""
    from content_catalog.model_store import RankerModels

    with svc.sessions() as session:
        if RankerModels(session, DEMO_ORG_ID).versions():
            return
    click.echo(f"Learned ranker: {svc.trainer.train_org(DEMO_ORG_ID, today=svc.today()).line()}")


@click.command("load-demo", help="Load the bundled demo org's catalog (idempotent) and, into an "
              "org without panel history, a simulated one.")
@click.option("--no-history", is_flag=True, help="Only the catalog: no simulated panel history.")
def load_demo(no_history: bool) -> None:
    svc = build_services(Settings())
    _load_demo(svc, history=not no_history)


@click.command(help="Everything a newcomer needs: database, demo org, and the server, then the URL.")
@click.option("--port", type=int, default=None, help="Port (default: BEINSPIRED_PORT or 8000).")
@click.option("--no-serve", is_flag=True, help="Prepare the database and demo org, then stop.")
@click.option("--no-history", is_flag=True, help="No simulated panel history in the demo org.")
def demo(port: int | None, no_serve: bool, no_history: bool) -> None:
    settings = Settings(demo_mode=True)
    # The port first: a second demo while the first still runs stops here, in one line, before
    # it loads anything. One gunicorn worker: the demo runs the production server, and SQLite
    # takes one writing process best; 8 threads are plenty for one person clicking around.
    claimed = None if no_serve else claim_port(settings, port=port, workers=1, threads=8)
    _load_demo(build_services(settings), history=not no_history)
    if claimed is not None:
        serve_on(settings, *claimed)
