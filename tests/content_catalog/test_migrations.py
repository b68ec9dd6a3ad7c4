"""The Alembic migrations, from an empty database, on SQLite and on PostgreSQL."""
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from content_catalog.database import alembic_config, current_revision, upgrade
from content_catalog.tables.base import Base


def downgrade(engine, revision="base"):
    """The mirror of :func:`content_catalog.database.upgrade` (the service never downgrades)."""
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def catalog_tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_migrations_form_a_single_line():
    """Two heads mean two branches nobody merged: `upgrade head` would refuse to run."""
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_upgrade_from_empty_reaches_head_and_creates_every_table(empty_engine):
    assert catalog_tables(empty_engine) == set()
    assert current_revision(empty_engine) is None

    upgrade(empty_engine)

    assert current_revision(empty_engine) == head_revision()
    assert catalog_tables(empty_engine) == set(Base.metadata.tables)


def test_migrated_schema_matches_the_orm_models(empty_engine):
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_is_safe_to_run_again(empty_engine):
    upgrade(empty_engine)
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()


def test_downgrade_to_base_removes_every_table_and_can_be_upgraded_again(empty_engine):
    upgrade(empty_engine)
    downgrade(empty_engine)
    assert catalog_tables(empty_engine) == set()
    assert current_revision(empty_engine) is None

    upgrade(empty_engine)
    assert catalog_tables(empty_engine) == set(Base.metadata.tables)


@pytest.mark.parametrize("table", sorted(Base.metadata.tables))
def test_migrated_indexes_and_unique_constraints_exist(empty_engine, table):
    """compare_metadata checks these too, but a failure here names the missing object."""
    upgrade(empty_engine)
    inspector = inspect(empty_engine)
    model = Base.metadata.tables[table]
    expected_indexes = {index.name for index in model.indexes}
    assert {i["name"] for i in inspector.get_indexes(table)} >= expected_indexes
    expected_uniques = {c.name for c in model.constraints if c.__class__.__name__ == "UniqueConstraint"}
    assert {u["name"] for u in inspector.get_unique_constraints(table)} >= expected_uniques
    assert {tuple(fk["referred_columns"]) for fk in inspector.get_foreign_keys(table)} == {
        tuple(e.column.name for e in fk.elements) for fk in model.foreign_key_constraints
    }


def test_upgrade_to_0004_keeps_existing_modules_as_their_first_recorded_version(empty_engine):
    """Modules saved before history existed must still have a version to diff and restore."""
    from datetime import date, datetime, timezone

    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from content_catalog.history import CatalogHistory
    from content_catalog.taxonomy import Dimension, ModuleStatus

    upgrade(empty_engine, "0003")
    # The tables as they were at 0003 (today's ORM rows have columns added since).
    orgs = sa.table("orgs", *map(sa.column, ("org_id", "name", "is_demo", "catalog_revision",
                                             "created_at")))
    modules = sa.table("content_modules", *map(sa.column, (
        "pk", "org_id", "module_key", "title", "summary", "body", "kind", "audience", "author",
        "status", "review_by", "version", "created_at", "updated_at")))
    tags = sa.table("module_tags", *map(sa.column, ("module_pk", "dimension", "value",
                                                    "position")))
    now = datetime.now(timezone.utc)
    with empty_engine.begin() as connection:
        connection.execute(orgs.insert().values(org_id="00DA0000000AaaaMAC", name="Acme",
                                                is_demo=False, catalog_revision=3, created_at=now))
        connection.execute(modules.insert().values(
            pk=1, org_id="00DA0000000AaaaMAC", module_key="legacy", title="Überzeugen", summary="s",
            body="b\n", kind="case_study", audience="internal", author="Ann", status="published",
            review_by=date(2027, 1, 31), version=3, created_at=now, updated_at=now,
        ))  # fmt: skip
        connection.execute(tags.insert(), [
            dict(module_pk=1, dimension="industry", value="Insurance", position=1),
            dict(module_pk=1, dimension="industry", value="Banking", position=0)])

    upgrade(empty_engine)

    with Session(empty_engine) as session:
        [recorded] = CatalogHistory(session, "00DA0000000AaaaMAC").versions("legacy")
    assert (recorded.version, recorded.actor) == (3, "before history")
    assert recorded.status == ModuleStatus.PUBLISHED
    assert recorded.module.title == "Überzeugen" and recorded.module.review_by == date(2027, 1, 31)
    assert recorded.module.tags == {Dimension.INDUSTRY: ("Banking", "Insurance")}
