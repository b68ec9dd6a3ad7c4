"""An empty database for one benchmark run: a temporary SQLite file, or a new PostgreSQL schema,
dropped afterwards (nothing else on the server is touched)."""
from __future__ import annotations

import secrets
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, make_url, text


@contextmanager
def scratch_database(postgres_url: str | None, name: str) -> Iterator[tuple[str, str]]:
    """(URL, description) of the database; ``name`` tells the run's files and schema apart."""
    if postgres_url is None:
        with tempfile.TemporaryDirectory(prefix=f"beinspired-{name}-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / f'{name}.sqlite3'}", "SQLite"
        return
    schema = f"bi_{name}_bench_{secrets.token_hex(6)}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            server = connection.execute(text("SHOW server_version")).scalar()
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            yield url.render_as_string(hide_password=False), f"PostgreSQL {server.split()[0]}"
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()
