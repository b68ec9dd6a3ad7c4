"""``beinspired init-db``: create or upgrade the schema."""
from __future__ import annotations

import click

from content_catalog.database import current_revision, upgrade
from plugin.services import build_services
from plugin.settings import Settings


@click.command("init-db", help="Create or upgrade the database schema (safe to repeat).")
def init_db() -> None:
    svc = build_services(Settings())
    upgrade(svc.engine)
    url = svc.engine.url.render_as_string(hide_password=True)
    click.echo(f"Database {url} at revision {current_revision(svc.engine)}")
