"""``beinspired serve``: the web app on waitress."""
from __future__ import annotations

import sys

import click

from content_catalog.database import upgrade
from plugin.settings import Settings


@click.command(help="Serve the web app with waitress.")
@click.option("--host", default=None, help="Interface to bind (default: BEINSPIRED_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: BEINSPIRED_PORT or 8000).")
@click.option("--threads", type=int, default=8, show_default=True)
def serve(host: str | None, port: int | None, threads: int) -> None:
    run_server(Settings(), host, port, threads)


def run_server(settings: Settings, host: str | None, port: int | None, threads: int) -> None:
    from waitress import serve as waitress_serve

    from plugin.app import create_app
    from plugin.panel.impressions import exit_cleanly_on_sigterm

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
