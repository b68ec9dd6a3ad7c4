"""How deals ended: one org's closed opportunities, as Salesforce (or the demo org) last said.
Design: docs/design/content_catalog.md."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from content_catalog.tables.base import utcnow

from content_catalog.tables.learning_tables import DealOutcomeRow
from content_catalog.module_rows import utc

_OUTCOMES = DealOutcomeRow.__table__
_UPSERTING_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_IDS_PER_QUERY = 500


@dataclass(frozen=True)
class DealOutcome:
    """A closed opportunity: won or lost, for how much, when."""

    opportunity_id: str
    won: bool
    stage: str
    amount: Decimal | None = None
    close_date: date | None = None
    #: Salesforce's LastModifiedDate of the opportunity, when known.
    modified_at: datetime | None = None


class DealOutcomes:
    """One org's deal outcomes."""

    def __init__(self, session: Session, org_id: str):
        self.session = session
        self.org_id = org_id

    def save(self, outcomes: Sequence[DealOutcome]) -> int:
        """Insert or replace each opportunity's outcome (the last of repeats wins); returns the
        number of opportunities written. One statement for the whole batch."""
        latest = {o.opportunity_id: o for o in outcomes}
        if not latest:
            return 0
        now = utcnow()
        rows = [
            dict(org_id=self.org_id, opportunity_id=o.opportunity_id, won=o.won,
                 amount=o.amount, close_date=o.close_date, stage=o.stage,
                 modified_at=o.modified_at, synced_at=now)
            for _, o in sorted(latest.items())
        ]
        insert = _UPSERTING_INSERT[self.session.get_bind().dialect.name](_OUTCOMES)
        statement = insert.on_conflict_do_update(
            index_elements=[_OUTCOMES.c.org_id, _OUTCOMES.c.opportunity_id],
            set_={column: insert.excluded[column]
                  for column in ("won", "amount", "close_date", "stage", "modified_at",
                                 "synced_at")},
        )
        self.session.execute(statement, rows)
        return len(rows)

    def forget(self, opportunity_ids: Iterable[str]) -> int:
        """Drop the outcomes of opportunities that are no longer closed; returns how many."""
        ids = sorted(set(opportunity_ids))
        if not ids:
            return 0
        result = self.session.execute(
            delete(DealOutcomeRow).where(
                DealOutcomeRow.org_id == self.org_id, DealOutcomeRow.opportunity_id.in_(ids)
            )
        )
        return result.rowcount or 0

    def by_opportunity(self, opportunity_ids: Iterable[str] | None = None) -> dict[str, DealOutcome]:
        """opportunity id → outcome, for the given ids (all of the org's when None)."""
        query = select(DealOutcomeRow).where(DealOutcomeRow.org_id == self.org_id)
        if opportunity_ids is None:
            return {row.opportunity_id: _outcome(row) for row in self.session.scalars(query)}
        ids = sorted(set(opportunity_ids))
        found: dict[str, DealOutcome] = {}
        # In slices: analytics and training ask for every opportunity of a window, and a single
        # IN list would outgrow the drivers' bound-parameter limits (SQLite 32,766; psycopg 65,535).
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start:start + _IDS_PER_QUERY]
            rows = self.session.scalars(query.where(DealOutcomeRow.opportunity_id.in_(chunk)))
            found.update((row.opportunity_id, _outcome(row)) for row in rows)
        return found

    def last_modified(self) -> datetime | None:
        """The newest LastModifiedDate seen, from which an incremental sync can ask again."""
        newest = self.session.scalar(
            select(func.max(DealOutcomeRow.modified_at)).where(
                DealOutcomeRow.org_id == self.org_id
            )
        )
        return utc(newest) if newest is not None else None

    def count(self) -> tuple[int, int]:
        """(won, lost) among the org's closed deals."""
        rows = self.session.execute(
            select(DealOutcomeRow.won, func.count()).where(
                DealOutcomeRow.org_id == self.org_id
            ).group_by(DealOutcomeRow.won)
        )
        counts = {bool(won): n for won, n in rows}
        return counts.get(True, 0), counts.get(False, 0)


def _outcome(row: DealOutcomeRow) -> DealOutcome:
    return DealOutcome(
        opportunity_id=row.opportunity_id, won=row.won, stage=row.stage,
        amount=Decimal(row.amount) if row.amount is not None else None,
        close_date=row.close_date,
        modified_at=utc(row.modified_at) if row.modified_at is not None else None,
    )
