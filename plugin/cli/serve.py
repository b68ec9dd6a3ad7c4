"""``beinspired serve``: the web app on gunicorn, several processes (plugin/server.py)."""
from __future__ import annotations

import os
import socket
import sys
import tempfile

import click

from content_catalog.database import make_engine, upgrade
from plugin.server import (
    REUSE_PORT_AVAILABLE, PortInUse, ProductionServer, SecretRequired, ServerPlan, bind_listener,
)
from plugin.settings import Settings
from plugin.telemetry.metrics import MULTIPROCESS_DIR, prepare_multiprocess_dir


@click.command(help="Serve the web app with gunicorn: WORKERS processes (default: one per core) "
               "of THREADS threads each.")
@click.option("--host", default=None, help="Interface to bind (default: BEINSPIRED_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: BEINSPIRED_PORT or 8000).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker processes (default: BEINSPIRED_WEB_WORKERS, else one per usable core). "
              "More than one needs BEINSPIRED_APP_SECRET.")
@click.option("--threads", type=click.IntRange(1, 64), default=None,
              help="Threads per worker (default: BEINSPIRED_WEB_THREADS or 4).")
def serve(host: str | None, port: int | None, workers: int | None, threads: int | None) -> None:
    run_server(Settings(), host=host, port=port, workers=workers, threads=threads)


def run_server(settings: Settings, *, host: str | None = None, port: int | None = None,
               workers: int | None = None, threads: int | None = None) -> None:
    plan, listener = claim_port(settings, host=host, port=port, workers=workers, threads=threads)
    serve_on(settings, plan, listener)


def claim_port(settings: Settings, *, host: str | None = None, port: int | None = None,
               workers: int | None = None, threads: int | None = None) -> tuple[ServerPlan, socket.socket]:
    """The plan and its bound listener, or one line naming what to change: ``demo`` claims the
    port before it loads anything, so a port in use costs nothing."""
    try:
        plan = ServerPlan.from_settings(settings, host=host, port=port, workers=workers,
                                        threads=threads)
        return plan, bind_listener(plan.host, plan.port,
                                   per_worker=plan.workers > 1 and REUSE_PORT_AVAILABLE)
    except (SecretRequired, PortInUse) as exc:
        raise click.ClickException(str(exc)) from None


def serve_on(settings: Settings, plan: ServerPlan, listener: socket.socket) -> None:
    settings.ensure_data_dir()
    engine = make_engine(settings.database_url)
    upgrade(engine)  # once, here, before any worker starts
    engine.dispose()
    shown = "localhost" if plan.host in ("127.0.0.1", "::1", "localhost") else plan.host
    if settings.demo_mode:
        click.echo(f"\n  Be Inspired demo: http://{shown}:{plan.port}/demo\n")
    else:
        click.echo(f"\n  Be Inspired: http://{shown}:{plan.port}/  (API: /api/v1/openapi.yaml)"
                   f"  {plan.workers} workers × {plan.threads} threads\n")
    sys.stdout.flush()
    # Before any worker imports prometheus_client: each worker then writes its metrics to this
    # folder and /metrics adds them up.
    prepare_multiprocess_dir(os.environ.get(MULTIPROCESS_DIR)
                             or tempfile.mkdtemp(prefix="be-inspired-metrics-"))
    ProductionServer(settings, plan, listener).run()
