"""``beinspired load-demo`` leaves PostgreSQL with statistics to plan by: the demo's bulk load
is analysed, so its first panel views are not planned blind (autovacuum may be off or late)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from content_catalog.database import make_engine

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[3]


def test_load_demo_analyses_the_tables_it_filled_on_postgresql(schema_url):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": schema_url}
    for command in (["init-db"], ["load-demo", "--no-history"]):
        done = subprocess.run([sys.executable, "-m", "plugin.cli", *command], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr
    engine = make_engine(schema_url)
    try:
        with engine.connect() as connection:
            analysed = dict(connection.execute(text(
                "SELECT relname, n_live_tup FROM pg_stat_user_tables "
                "WHERE schemaname = current_schema() AND last_analyze IS NOT NULL")).all())
            modules = connection.execute(text("SELECT count(*) FROM content_modules")).scalar()
    finally:
        engine.dispose()
    assert modules > 0
    assert {"content_modules", "panel_impressions", "panel_events", "orgs"} <= analysed.keys()
