"""``beinspired benchmark``, ``benchmark-panel``, ``-events``, ``-load``, ``-refit`` and
``-analytics``: the speed reports of BENCHMARKS.md, each beside a baseline measured in the same
run."""
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


@click.command("benchmark-load",
              help="Panel views per second, p50 and p99 under 50 and 200 concurrent users: the "
              "production server driven by wrk, warm and cold, SQLite and PostgreSQL, closed loop "
              "and users with think time, beside the previous path (ranked lists not "
              "remembered) in the same run.")
@click.option("--seconds", type=click.IntRange(1, 600), default=10, show_default=True,
              help="Length of each measured row.")
@click.option("--users", default="50,200", show_default=True,
              help="Concurrent connections, comma-separated.")
@click.option("--database", "databases", type=click.Choice(["sqlite", "postgresql"]),
              multiple=True, default=("sqlite", "postgresql"), show_default=True)
@click.option("--cache", "caches", type=click.Choice(["warm", "cold"]), multiple=True,
              default=("warm", "cold"), show_default=True)
@click.option("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
              show_default=True, help="The server for the PostgreSQL rows (a schema of its own, "
              "dropped after).")
@click.option("--no-previous", is_flag=True, help="Skip the previous-path rows.")
@click.option("--loop", "loops", type=click.Choice(["closed", "think"]), multiple=True,
              default=("closed", "think"), show_default=True,
              help="closed: each user's next request on each answer (capacity); think: each "
              "user pauses first, as reps do.")
@click.option("--think-ms", type=click.IntRange(1, 60_000), default=380, show_default=True,
              help="Mean pause of a thinking user (exponential).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="gunicorn workers (default: one per usable core).")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("--events-every", type=click.IntRange(0, 1000), default=0, show_default=True,
              help="Warm rows: one request in N is a batch of one event on a suggestion shown "
              "(what reps do with the panel), not a view; 0: views only.")
def benchmark_load(seconds: int, users: str, databases: tuple[str, ...], caches: tuple[str, ...],
                   postgres_url: str, no_previous: bool, loops: tuple[str, ...], think_ms: int,
                   workers: int | None, threads: int, events_every: int) -> None:
    from plugin.benchmarks.load import WrkMissing, format_report, run_load_benchmark

    try:
        counts = [int(n) for n in users.split(",")]
    except ValueError:
        raise click.BadParameter("comma-separated whole numbers, e.g. 50,200",
                                 param_hint="--users") from None
    if any(n < 2 or n > 10_000 for n in counts):
        raise click.BadParameter("each between 2 and 10000", param_hint="--users")
    try:
        result = run_load_benchmark(
            databases=databases, users=counts, caches=caches, loops=loops, think_ms=think_ms,
            seconds=seconds,
            previous=not no_previous, postgres_url=postgres_url, workers=workers,
            threads=threads, events_every=events_every,
            progress=lambda line: click.echo(line, err=True))
    except WrkMissing as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(format_report(result))


@click.command("benchmark-refit",
              help="How long a catalog edit or a new model takes to reach two server processes, "
                   "and warm views while they refit.")
@click.option("--modules", "sizes", type=click.IntRange(min=100), multiple=True,
              default=(10_000, 100_000), show_default=True, help="Imported modules (repeat).")
@click.option("--processes", type=click.IntRange(min=1, max=8), default=2, show_default=True)
@click.option("--postgres", metavar="URL", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
              show_default=True,
              help="PostgreSQL server; the run keeps a schema of its own per size "
                   "(bi_refit_bench_<N>), reused by the next run.")
@click.option("--fresh", is_flag=True, help="Make each size's schema again (import included).")
@click.option("--no-previous", is_flag=True,
              help="Skip the previous path (the view refits), measured for comparison.")
@click.option("--poll-ms", type=click.IntRange(min=0), default=200, show_default=True,
              help="Pause after each poll of a process (its views are the load).")
def benchmark_refit(sizes: tuple[int, ...], processes: int, postgres: str, fresh: bool,
                    no_previous: bool, poll_ms: int) -> None:
    import tempfile
    from pathlib import Path

    from plugin.benchmarks.refit_propagation import format_report, run_refit_benchmark

    with tempfile.TemporaryDirectory(prefix="beinspired-refit-bench-") as folder:
        result = run_refit_benchmark(sizes=sizes, processes=processes, postgres_url=postgres,
                                     previous=not no_previous, fresh=fresh, folder=Path(folder),
                                     poll_gap_s=poll_ms / 1000,
                                     progress=lambda line: click.echo(line, err=True))
    click.echo(format_report(result))
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
