"""``beinspired benchmark``, ``benchmark-panel``, ``benchmark-events`` and ``benchmark-analytics``:
the speed reports of BENCHMARKS.md, each beside a baseline measured in the same run."""
from __future__ import annotations

import click


@click.command(help="Ranking speed on a synthetic catalog, beside a naive Python loop.")
@click.option("--modules", type=int, default=10_000, show_default=True)
@click.option("--contexts", type=int, default=200, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
def benchmark(modules: int, contexts: int, seed: int) -> None:
    from recommender.benchmark import format_report, run_ranking_benchmark

    click.echo(format_report(run_ranking_benchmark(n_modules=modules, n_contexts=contexts, seed=seed)))


@click.command("benchmark-panel",
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


@click.command("benchmark-events",
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


@click.command("benchmark-analytics",
               help="The analytics pages and API at 1,000,000 impressions in an org: read raw "
               "(the baseline) and from roll-ups, on SQLite and PostgreSQL.")
@click.option("--impressions", type=int, default=1_000_000, show_default=True)
@click.option("--opportunities", type=int, default=5_000, show_default=True)
@click.option("--repeats", type=int, default=20, show_default=True,
              help="Calls of each endpoint read from roll-ups.")
@click.option("--raw-repeats", type=int, default=3, show_default=True,
              help="Calls of each endpoint read raw (each takes seconds at full size).")
@click.option("--postgres", metavar="URL", default=None,
              help="Also run on this PostgreSQL server, in a schema of its own (dropped after).")
@click.option("--no-sqlite", is_flag=True, help="Skip the SQLite run.")
@click.option("--raw-all", is_flag=True,
              help="Read the pages raw too, not only the two API calls (minutes a call at "
              "full size).")
def benchmark_analytics(impressions: int, opportunities: int, repeats: int, raw_repeats: int,
                        postgres: str | None, no_sqlite: bool, raw_all: bool) -> None:
    from plugin.benchmarks.analytics_load import format_report, run_analytics_benchmark

    click.echo(format_report(run_analytics_benchmark(
        impressions, opportunities, repeats=repeats, raw_repeats=raw_repeats,
        postgres_url=postgres, sqlite=not no_sqlite, raw_all=raw_all)))
