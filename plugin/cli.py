"""The ``beinspired`` command."""
from __future__ import annotations

import sys

import click

from content_catalog.database import current_revision, upgrade
from content_catalog.importing import ImportRejected
from content_catalog.repository import CatalogRepository
from plugin.catalog_cli import catalog
from plugin.demo_history_cli import demo_history, seed_history_if_empty
from plugin.demo_org import DEMO_ORG_ID, load_demo_catalog
from plugin.evaluate_cli import evaluate
from plugin.model_cli import model
from plugin.org_cli import org
from plugin.outcomes_cli import outcomes
from plugin.token_cli import token
from plugin.roles_cli import roles
from plugin.services import Services, build_services
from plugin.settings import Settings
from plugin.worker_cli import worker


def _services(**overrides) -> Services:
    return build_services(Settings(**overrides))


@click.group(help="Be Inspired: content suggestions inside the Salesforce Opportunity page.")
def main() -> None:
    pass


main.add_command(org)
main.add_command(catalog)
main.add_command(token)
main.add_command(outcomes)
main.add_command(worker)
main.add_command(model)
main.add_command(roles)
main.add_command(demo_history)
main.add_command(evaluate)


@main.command("init-db", help="Create or upgrade the database schema (safe to repeat).")
def init_db() -> None:
    svc = _services()
    upgrade(svc.engine)
    click.echo(f"Database {svc.engine.url.render_as_string(hide_password=True)} at revision {current_revision(svc.engine)}")


def _load_demo(svc: Services, history: bool = True) -> None:
    try:
        result = load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    except ImportRejected as exc:
        for error in exc.errors:
            click.echo(f"  {error}", err=True)
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Demo org {DEMO_ORG_ID}: {result.created} modules created, {result.updated} updated, "
        f"{result.unchanged} unchanged."
    )
    _sync_demo_outcomes(svc)
    if history:
        seed_history_if_empty(svc)
        _train_demo_if_untrained(svc)


def _sync_demo_outcomes(svc: Services) -> None:
    """The bundled records' own closed deals, as the worker's hourly sync would store them."""
    from plugin.outcome_sync import sync_outcomes

    report = sync_outcomes(svc, DEMO_ORG_ID)
    click.echo(f"Demo org deal outcomes: {report.summary()}")


def _train_demo_if_untrained(svc: Services) -> None:
    """A first learned ranker on the demo history, so a newcomer's panel is the learned one;
    the worker retrains it daily. An org that has a model already keeps the one it serves."""
    from content_catalog.model_store import RankerModels
    from plugin.training import train_org

    with svc.sessions() as session:
        if RankerModels(session, DEMO_ORG_ID).versions():
            return
    click.echo(f"Learned ranker: {train_org(svc, DEMO_ORG_ID, today=svc.today()).line()}")


@main.command("load-demo", help="Load the bundled demo org's catalog (idempotent) and, into an "
              "org without panel history, a simulated one.")
@click.option("--no-history", is_flag=True, help="Only the catalog: no simulated panel history.")
def load_demo(no_history: bool) -> None:
    _load_demo(_services(), history=not no_history)


@main.command(help="Serve the web app with waitress.")
@click.option("--host", default=None, help="Interface to bind (default: BEINSPIRED_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: BEINSPIRED_PORT or 8000).")
@click.option("--threads", type=int, default=8, show_default=True)
def serve(host: str | None, port: int | None, threads: int) -> None:
    _serve(Settings(), host, port, threads)


@main.command(help="Everything a newcomer needs: database, demo org, and the server, then the URL.")
@click.option("--port", type=int, default=None, help="Port (default: BEINSPIRED_PORT or 8000).")
@click.option("--no-serve", is_flag=True, help="Prepare the database and demo org, then stop.")
@click.option("--no-history", is_flag=True, help="No simulated panel history in the demo org.")
def demo(port: int | None, no_serve: bool, no_history: bool) -> None:
    settings = Settings(demo_mode=True)
    _load_demo(build_services(settings), history=not no_history)
    if not no_serve:
        _serve(settings, None, port, 8)


def _serve(settings: Settings, host: str | None, port: int | None, threads: int) -> None:
    from waitress import serve as waitress_serve

    from plugin.app import create_app
    from plugin.impression_recorder import exit_cleanly_on_sigterm

    host = host or settings.host
    port = port or settings.port
    app = create_app(settings)
    upgrade(app.extensions["be_inspired"].engine)
    shown = "localhost" if host in ("127.0.0.1", "::1", "localhost") else host
    if settings.demo_mode:
        click.echo(f"\n  Be Inspired demo: http://{shown}:{port}/demo\n")
    else:
        click.echo(f"\n  Be Inspired: http://{shown}:{port}/  (API: /api/v1/openapi.yaml)\n")
    sys.stdout.flush()
    exit_cleanly_on_sigterm()  # so the impressions still queued are written on the way out
    waitress_serve(app, host=host, port=port, threads=threads, ident="be-inspired")


@main.command("unknown-values", help="CRM picklist values the taxonomy does not know yet.")
@click.option("--org", "org_id", default=DEMO_ORG_ID, show_default=True)
def unknown_values(org_id: str) -> None:
    svc = _services()
    with svc.sessions() as session:
        rows = CatalogRepository(session, org_id).unknown_values()
    if not rows:
        click.echo("No unknown values recorded.")
    for row in rows:
        click.echo(f"{row.dimension:14} {row.value!r:40} seen {row.times_seen}× (last {row.last_seen:%Y-%m-%d %H:%M})")


@main.command(help="Ranking speed on a synthetic catalog, beside a naive Python loop.")
@click.option("--modules", type=int, default=10_000, show_default=True)
@click.option("--contexts", type=int, default=200, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
def benchmark(modules: int, contexts: int, seed: int) -> None:
    from recommender.benchmark import format_report, run_ranking_benchmark

    click.echo(format_report(run_ranking_benchmark(n_modules=modules, n_contexts=contexts, seed=seed)))


@main.command("benchmark-panel",
              help="Salesforce API calls and server time per panel view, cold and warm.")
@click.option("--records", type=int, default=20, show_default=True,
              help="Opportunities opened per row.")
@click.option("--delay", type=float, default=0.150, show_default=True,
              help="Seconds Salesforce takes to answer a query.")
@click.option("--redis-url", default="redis://127.0.0.1:6379/15", show_default=True,
              help="Redis for the second row; only the run's own keys are touched.")
@click.option("--no-redis", is_flag=True, help="Skip the Redis row.")
def benchmark_panel(records: int, delay: float, redis_url: str, no_redis: bool) -> None:
    from plugin.benchmarks.panel_views import format_report, run_panel_views_benchmark

    result = run_panel_views_benchmark(records, delay, None if no_redis else redis_url)
    click.echo(format_report(result))


@main.command("benchmark-events",
              help="Panel latency with event recording off, and on under 1,000 events/s.")
@click.option("--rate", type=int, default=1000, show_default=True, help="Events per second sent.")
@click.option("--batch", type=int, default=50, show_default=True,
              help="Events per request (1-100).")
@click.option("--rounds", type=int, default=20, show_default=True,
              help="Rounds of each, off and on.")
@click.option("--views", type=int, default=30, show_default=True, help="Panel views per round.")
@click.option("--postgres", metavar="URL", default=None,
              help="Run on this PostgreSQL server, in a schema of its own (dropped after).")
@click.option("--pin", is_flag=True, help="Server on the first CPU, load generator on the second.")
def benchmark_events(rate: int, batch: int, rounds: int, views: int, postgres: str | None,
                     pin: bool) -> None:
    from plugin.benchmarks.event_load import format_report, run_event_load_benchmark

    click.echo(format_report(run_event_load_benchmark(rate, batch, rounds, views, postgres, pin)))
