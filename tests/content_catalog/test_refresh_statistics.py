"""After a bulk load the planner has statistics to plan with: ``refresh_statistics`` analyses
every table of the schema on PostgreSQL (where autovacuum may be late or off) and leaves SQLite,
which plans without them, alone."""
from __future__ import annotations

from sqlalchemy import text

from content_catalog.database import refresh_statistics
from content_catalog.tables import Base


def _analysed_tables(connection) -> set[str]:
    return set(connection.execute(text(
        "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() "
        "AND last_analyze IS NOT NULL")).scalars())


def test_every_table_of_the_schema_is_analysed_on_postgresql_and_sqlite_is_left_alone(engine):
    refresh_statistics(engine)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:  # no sqlite_stat1: nothing was analysed
            assert connection.execute(text(
                "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar() == 0
        return
    with engine.connect() as connection:
        assert _analysed_tables(connection) == {t.name for t in Base.metadata.sorted_tables}
