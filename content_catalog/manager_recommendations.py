"""Modules managers recommend to a rep on one deal: stored, listed, dismissed and marked used,
each change moving the org's recommendation revision that panels read with their one statement."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from content_catalog.module_rows import utc
from content_catalog.tables.base import utcnow
from content_catalog.tables.learning_tables import PanelImpressionRow
from content_catalog.tables.coaching_tables import (
    ManagerRecommendationRow, RecommendationRevisionRow,
)

NOTE_MAX_CHARS = 500
#: The most open recommendations a panel process holds per org (newest kept).
OPEN_AT_MOST = 5000
_UPSERTING_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True)
class ManagerRecommendation:
    pk: int
    org_id: str
    opportunity_id: str
    rep_id: str
    module_key: str
    manager_id: str
    manager_name: str
    note: str
    created_at: datetime
    dismissed_at: datetime | None = None
    used_at: datetime | None = None


class ManagerRecommendations:
    """One org's recommendations; the caller commits."""

    def __init__(self, session: Session, org_id: str):
        self.session = session
        self.org_id = org_id

    def add(self, *, opportunity_id: str, rep_id: str, module_key: str, manager_id: str,
            manager_name: str, note: str = "") -> ManagerRecommendation:
        if len(note) > NOTE_MAX_CHARS:
            raise ValueError(f"a note has at most {NOTE_MAX_CHARS} characters")
        row = ManagerRecommendationRow(
            org_id=self.org_id, opportunity_id=opportunity_id, rep_id=rep_id,
            module_key=module_key, manager_id=manager_id, manager_name=manager_name[:121],
            note=note, created_at=utcnow())
        self.session.add(row)
        self.session.flush()
        self._bump()
        return _recommendation(row)

    def open(self, limit: int = OPEN_AT_MOST) -> list[ManagerRecommendation]:
        """Not dismissed, newest first."""
        rows = self.session.scalars(
            select(ManagerRecommendationRow)
            .where(ManagerRecommendationRow.org_id == self.org_id,
                   ManagerRecommendationRow.dismissed_at.is_(None))
            .order_by(ManagerRecommendationRow.created_at.desc(), ManagerRecommendationRow.pk.desc())
            .limit(limit))
        return [_recommendation(r) for r in rows]

    def on_deals(self, opportunity_ids: Sequence[str]) -> list[ManagerRecommendation]:
        """Every recommendation on these deals (dismissed too), newest first: the coaching view."""
        if not opportunity_ids:
            return []
        rows = self.session.scalars(
            select(ManagerRecommendationRow)
            .where(ManagerRecommendationRow.org_id == self.org_id,
                   ManagerRecommendationRow.opportunity_id.in_(list(opportunity_ids)))
            .order_by(ManagerRecommendationRow.created_at.desc(), ManagerRecommendationRow.pk.desc()))
        return [_recommendation(r) for r in rows]

    def dismiss(self, pk: int, *, rep_id: str, opportunity_id: str) -> bool:
        """The rep's own recommendation on this deal, dismissed; False when there is none."""
        done = self.session.execute(
            update(ManagerRecommendationRow)
            .where(ManagerRecommendationRow.org_id == self.org_id,
                   ManagerRecommendationRow.pk == pk,
                   ManagerRecommendationRow.rep_id == rep_id,
                   ManagerRecommendationRow.opportunity_id == opportunity_id,
                   ManagerRecommendationRow.dismissed_at.is_(None))
            .values(dismissed_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount
        if done:
            self._bump()
        return bool(done)

    def mark_used(self, impression_ids: Sequence[str]) -> int:
        """Recommendations the rep used through these impressions (shown as a manager's card),
        marked used the first time; one statement."""
        if not impression_ids:
            return 0
        shown = PanelImpressionRow
        used = (select(shown.impression_id)
                .where(shown.impression_id.in_(list(impression_ids)), shown.org_id == self.org_id,
                       shown.origin == "manager",
                       shown.opportunity_id == ManagerRecommendationRow.opportunity_id,
                       shown.user_id == ManagerRecommendationRow.rep_id,
                       shown.module_key == ManagerRecommendationRow.module_key)
                .exists())
        return self.session.execute(
            update(ManagerRecommendationRow)
            .where(ManagerRecommendationRow.org_id == self.org_id,
                   ManagerRecommendationRow.used_at.is_(None), used)
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount

    def _bump(self) -> None:
        """Revision + 1 in SQL (insert 1 the first time): two writers never lose a change."""
        table = RecommendationRevisionRow.__table__
        insert = _UPSERTING_INSERT[self.session.get_bind().dialect.name]
        statement = insert(table).values(org_id=self.org_id, revision=1)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.org_id], set_={"revision": table.c.revision + 1})
        self.session.execute(statement)


def _recommendation(row: ManagerRecommendationRow) -> ManagerRecommendation:
    return ManagerRecommendation(
        pk=row.pk, org_id=row.org_id, opportunity_id=row.opportunity_id, rep_id=row.rep_id,
        module_key=row.module_key, manager_id=row.manager_id, manager_name=row.manager_name,
        note=row.note, created_at=utc(row.created_at), dismissed_at=utc(row.dismissed_at),
        used_at=utc(row.used_at))
