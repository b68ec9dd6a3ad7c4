"""Reading and writing one org's catalog, every query scoped to that org in one place."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Mapping, Sequence

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from content_catalog.history import AuditAction, CatalogHistory, changed_fields
from content_catalog.tables.catalog_tables import ModuleRow, Org, UnknownValueRow
from content_catalog.module_rows import for_update, row_to_input, row_to_module, write_row
from content_catalog.modules import ContentModule, ModuleInput
from content_catalog.queries import ModulePage, ModuleQuery, conditions, ordering
from content_catalog.taxonomy import ModuleStatus


_UPSERTING_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class OrgNotFound(LookupError):
    pass


class ModuleNotFound(LookupError):
    pass


@dataclass(frozen=True)
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def ensure_org(session: Session, org_id: str, name: str, *, is_demo: bool = False) -> Org:
    org = session.get(Org, org_id)
    if org is None:
        org = Org(org_id=org_id, name=name, is_demo=is_demo, catalog_revision=0)
        session.add(org)
        session.flush()
    return org


def lock_org(session: Session, org_id: str) -> None:
    """Hold the org's row until the transaction ends, or raise :class:`OrgNotFound`: an UPDATE
    that changes nothing, so PostgreSQL locks the row and SQLite takes its database write lock.
    Writers that must not interleave per org (catalog edits, ranker versions) take it first."""
    claim = (
        update(Org)
        .where(Org.org_id == org_id)
        .values(catalog_revision=Org.catalog_revision)
        .execution_options(synchronize_session=False)
    )
    if session.execute(claim).rowcount != 1:
        raise OrgNotFound(org_id)


class CatalogRepository:
    def __init__(self, session: Session, org_id: str):
        self.session = session
        self.org_id = org_id

    def _org(self) -> Org:
        org = self.session.get(Org, self.org_id)
        if org is None:
            raise OrgNotFound(self.org_id)
        return org

    def _modules(self):
        return select(ModuleRow).where(ModuleRow.org_id == self.org_id)

    # -- reading --------------------------------------------------------------------------------
    def revision(self) -> int:
        """Changes whenever the org's catalog does; cheap enough to ask on every request."""
        value = self.session.scalar(select(Org.catalog_revision).where(Org.org_id == self.org_id))
        if value is None:
            raise OrgNotFound(self.org_id)
        return value

    def get(self, key: str) -> ContentModule:
        row = self.session.scalar(self._modules().where(ModuleRow.module_key == key))
        if row is None:
            raise ModuleNotFound(key)
        return row_to_module(row)

    def find(self, keys: Iterable[str]) -> dict[str, ContentModule]:
        keys = list(keys)
        if not keys:
            return {}
        rows = self.session.scalars(self._modules().where(ModuleRow.module_key.in_(keys)))
        return {row.module_key: row_to_module(row) for row in rows}

    def list(self, status: ModuleStatus | None = None) -> list[ContentModule]:
        query = self._modules().order_by(ModuleRow.module_key)
        if status is not None:
            query = query.where(ModuleRow.status == status.value)
        return [row_to_module(row) for row in self.session.scalars(query)]

    def published(self) -> list[ContentModule]:
        return self.list(ModuleStatus.PUBLISHED)

    def search(self, query: ModuleQuery) -> ModulePage:
        """One page of the modules matching ``query``, filtered, sorted and cut in SQL."""
        where = [ModuleRow.org_id == self.org_id, *conditions(query)]
        total = self.session.scalar(select(func.count()).select_from(ModuleRow).where(*where))
        page = (
            select(ModuleRow)
            .where(*where)
            .order_by(*ordering(query))
            .offset(query.offset)
            .limit(query.page_size)
        )
        items = tuple(row_to_module(row) for row in self.session.scalars(page))
        return ModulePage(items, total, query.page, query.page_size)

    def authors(self) -> list[str]:
        """Every author named in the catalog, once, sorted as a person reads them."""
        query = select(ModuleRow.author).where(ModuleRow.org_id == self.org_id).distinct()
        return sorted(self.session.scalars(query), key=lambda name: (name.casefold(), name))

    def count(self) -> int:
        return self.session.scalar(
            select(func.count()).select_from(ModuleRow).where(ModuleRow.org_id == self.org_id)
        )

    # -- writing --------------------------------------------------------------------------------
    def upsert_many(self, modules: Sequence[ModuleInput], actor: str = "import") -> UpsertResult:
        """Create or update modules by key; an identical module is left alone (no new version).

        Each new version is kept in the history with an "imported" audit entry by ``actor``.
        Runs inside the caller's transaction: the caller commits all or nothing.
        """
        self.lock_for_writing()
        query = self._modules().where(ModuleRow.module_key.in_([m.key for m in modules]))
        existing = {row.module_key: row for row in self.session.scalars(for_update(query))}
        history = CatalogHistory(self.session, self.org_id)
        created = updated = unchanged = 0
        now = datetime.now(timezone.utc)
        for module in modules:
            row = existing.get(module.key)
            if row is None:
                row = ModuleRow(
                    org_id=self.org_id, module_key=module.key, version=1, created_at=now
                )
                write_row(row, module, now)
                self.session.add(row)
                existing[module.key] = row
                created += 1
                detail = f"created as {module.status.value}"
            elif (before := row_to_input(row)) == module:
                unchanged += 1
                continue
            else:
                detail = "changed " + ", ".join(changed_fields(before, module))
                write_row(row, module, now)
                row.version += 1
                updated += 1
            history.record(
                row_to_module(row), actor=actor, action=AuditAction.IMPORTED, detail=detail, at=now
            )
        if created or updated:
            self.bump_revision()
        self.session.flush()
        return UpsertResult(created, updated, unchanged)

    def row_for_update(self, key: str) -> ModuleRow:
        """The module's row, locked and fresh from the database (for the editor)."""
        row = self.session.scalar(for_update(self._modules().where(ModuleRow.module_key == key)))
        if row is None:
            raise ModuleNotFound(key)
        return row

    def lock_for_writing(self) -> None:
        """Make this transaction the org's only catalog writer until it ends. Without it two
        writers could both read a module and then save over each other (an import and an edit,
        say), and SQLite has no row locks to stop the second."""
        lock_org(self.session, self.org_id)

    def bump_revision(self) -> None:
        """Tell rankers the catalog changed. The increment happens in SQL: two writers reading
        the same revision and both writing revision + 1 would leave one change unnoticed."""
        self.session.execute(
            update(Org)
            .where(Org.org_id == self.org_id)
            .values(catalog_revision=Org.catalog_revision + 1)
        )

    def record_unknown_values(self, unknown: dict[str, Sequence[str]]) -> None:
        """Count CRM values the taxonomy does not know, so admins can map them."""
        now = datetime.now(timezone.utc)
        for dimension, values in unknown.items():
            for value in values:
                key = (self.org_id, dimension, value[:255])
                row = self.session.get(UnknownValueRow, key)
                if row is None:
                    self.session.add(UnknownValueRow(org_id=key[0], dimension=dimension, value=key[2], first_seen=now, last_seen=now, times_seen=1))
                else:
                    row.times_seen += 1
                    row.last_seen = now
        self.session.flush()

    def add_unknown_counts(self, counts: Mapping[tuple[str, str], int],
                           at: datetime | None = None) -> None:
        """Add ``counts[(dimension, value)]`` sightings, the last at ``at``, in one statement
        whatever the number of values (``INSERT ... ON CONFLICT DO UPDATE``): the background
        recorder counts many views' unknown values at once, and two writers cannot lose a count."""
        merged: dict[tuple[str, str], int] = {}
        for (dimension, value), n in counts.items():
            if n > 0:
                key = (dimension, value[:255])
                merged[key] = merged.get(key, 0) + n
        if not merged:
            return
        at = at or datetime.now(timezone.utc)
        table = UnknownValueRow.__table__
        insert = _UPSERTING_INSERT[self.session.get_bind().dialect.name]
        statement = insert(table).values([
            dict(org_id=self.org_id, dimension=dimension, value=value, times_seen=n,
                 first_seen=at, last_seen=at)
            for (dimension, value), n in sorted(merged.items())  # one lock order: no deadlock
        ])
        new_at, old_at = statement.excluded.last_seen, table.c.last_seen
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.org_id, table.c.dimension, table.c.value],
            set_={"times_seen": table.c.times_seen + statement.excluded.times_seen,
                  "last_seen": case((new_at > old_at, new_at), else_=old_at)},
        )
        self.session.execute(statement)

    def unknown_values(self) -> list[UnknownValueRow]:
        query = (
            select(UnknownValueRow)
            .where(UnknownValueRow.org_id == self.org_id)
            .order_by(UnknownValueRow.dimension, UnknownValueRow.value)
        )
        return list(self.session.scalars(query))
