"""One org's synced deal stage histories (Salesforce's ``OpportunityHistory``).
Design: docs/design/content_catalog.md."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from content_catalog.module_rows import utc
from content_catalog.tables.base import utcnow
from content_catalog.tables.deal_history_tables import OpportunityStageHistoryRow
from content_catalog.tables.learning_tables import (
    DealOutcomeRow, PanelEventRow, PanelImpressionRow,
)

_HISTORY = OpportunityStageHistoryRow.__table__
_UPSERTING_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
#: Rows per INSERT statement (SQLite allows 32,766 bound values; a row has 8).
_ROWS_PER_STATEMENT = 1000


@dataclass(frozen=True)
class StageHistoryEntry:
    """From ``created_at`` on, the deal was in ``stage`` (with this amount and close date)."""

    history_id: str
    opportunity_id: str
    stage: str
    created_at: datetime
    amount: Decimal | None = None
    close_date: date | None = None


class OpportunityHistory:
    """One org's stage history rows."""

    def __init__(self, session: Session, org_id: str):
        self.session = session
        self.org_id = org_id

    def add(self, entries: Sequence[StageHistoryEntry]) -> int:
        """Store rows not held yet (Salesforce never edits a history row, so a row read twice,
        e.g. at the watermark's second, is kept once); returns how many were new."""
        latest = {e.history_id: e for e in entries}
        if not latest:
            return 0
        held = self._held(latest)
        now = utcnow()
        rows = [dict(org_id=self.org_id, history_id=e.history_id,
                     opportunity_id=e.opportunity_id, stage=e.stage, amount=e.amount,
                     close_date=e.close_date, created_at=e.created_at, synced_at=now)
                for key, e in sorted(latest.items()) if key not in held]
        insert = _UPSERTING_INSERT[self.session.get_bind().dialect.name]
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            statement = insert(_HISTORY).on_conflict_do_nothing(
                index_elements=[_HISTORY.c.org_id, _HISTORY.c.history_id])
            self.session.execute(statement, rows[start:start + _ROWS_PER_STATEMENT])
        return len(rows)

    def last_created(self) -> datetime | None:
        """The newest row's CreatedDate: where the next incremental sync starts."""
        newest = self.session.scalar(
            select(func.max(OpportunityStageHistoryRow.created_at))
            .where(OpportunityStageHistoryRow.org_id == self.org_id))
        return utc(newest)

    def entries(self, opportunity_ids: Iterable[str] | None = None) -> list[StageHistoryEntry]:
        """The org's rows (or these deals' rows), oldest first."""
        query = (select(OpportunityStageHistoryRow)
                 .where(OpportunityStageHistoryRow.org_id == self.org_id)
                 .order_by(OpportunityStageHistoryRow.created_at,
                           OpportunityStageHistoryRow.history_id))
        if opportunity_ids is not None:
            query = query.where(OpportunityStageHistoryRow.opportunity_id.in_(
                sorted(set(opportunity_ids))))
        return [StageHistoryEntry(r.history_id, r.opportunity_id, r.stage, utc(r.created_at),
                                  None if r.amount is None else Decimal(r.amount), r.close_date)
                for r in self.session.scalars(query)]

    def count(self) -> int:
        return self.session.scalar(
            select(func.count()).select_from(OpportunityStageHistoryRow)
            .where(OpportunityStageHistoryRow.org_id == self.org_id)) or 0

    def _held(self, entries: dict[str, StageHistoryEntry]) -> set[str]:
        ids = sorted(entries)
        held: set[str] = set()
        for start in range(0, len(ids), _ROWS_PER_STATEMENT):
            held.update(self.session.scalars(
                select(OpportunityStageHistoryRow.history_id).where(
                    OpportunityStageHistoryRow.org_id == self.org_id,
                    OpportunityStageHistoryRow.history_id.in_(ids[start:start + _ROWS_PER_STATEMENT]))))
        return held





@dataclass(frozen=True)
class ModuleUse:
    """A rep used a suggested module (opened, shared, personalised...) on a deal, at ``at``."""

    opportunity_id: str
    module_id: str
    at: datetime


def module_uses(session: Session, org_id: str, kinds: Iterable[str]) -> list[ModuleUse]:
    """Every use of the given event kinds on a suggestion shown for a known deal, in one query
    (events joined to the impressions they answer)."""
    query = (select(PanelImpressionRow.opportunity_id, PanelImpressionRow.module_key,
                    PanelEventRow.occurred_at)
             .join(PanelImpressionRow,
                   PanelImpressionRow.impression_id == PanelEventRow.impression_id)
             .where(PanelEventRow.org_id == org_id, PanelEventRow.kind.in_(sorted(set(kinds))),
                    PanelImpressionRow.opportunity_id.is_not(None)))
    return [ModuleUse(deal, module, utc(at)) for deal, module, at in session.execute(query)]


def closing_stages(session: Session, org_id: str) -> tuple[set[str], set[str]]:
    """The stages the org's closed deals ended in: (won ones, lost ones), from the outcomes."""
    query = (select(DealOutcomeRow.stage, DealOutcomeRow.won).distinct()
             .where(DealOutcomeRow.org_id == org_id))
    won, lost = set(), set()
    for stage, was_won in session.execute(query):
        (won if was_won else lost).add(stage)
    return won, lost


def first_views(session: Session, org_id: str, id_prefix: str) -> list[tuple[str, datetime, str]]:
    """(opportunity Id, when its panel was first shown, that view's context JSON) for each deal
    whose Id starts with ``id_prefix``: the demo's simulated deals."""
    query = (select(PanelImpressionRow.opportunity_id, PanelImpressionRow.shown_at,
                    PanelImpressionRow.context)
             .where(PanelImpressionRow.org_id == org_id,
                    PanelImpressionRow.opportunity_id.startswith(id_prefix, autoescape=True))
             .order_by(PanelImpressionRow.shown_at, PanelImpressionRow.impression_id))
    first: dict[str, tuple[str, datetime, str]] = {}
    for deal, shown_at, context in session.execute(query):
        first.setdefault(deal, (deal, utc(shown_at), context))
    return list(first.values())


__all__ = ["ModuleUse", "OpportunityHistory", "StageHistoryEntry", "closing_stages",
           "first_views", "module_uses"]
