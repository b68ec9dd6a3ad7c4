"""Alembic environment. Runs on the connection handed in by ``content_catalog.database.upgrade``
(or on ``sqlalchemy.url`` from the config when run through the alembic CLI)."""
from alembic import context
from sqlalchemy import engine_from_config, pool

from content_catalog.tables import Base  # the package registers every area's tables

config = context.config
target_metadata = Base.metadata


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as conn:
        run_migrations(conn)
