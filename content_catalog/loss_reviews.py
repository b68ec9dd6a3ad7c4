"""Loss reviews and each org's loss reasons, stored; and what a deal's panel showed and the rep
did with it, read back for the review's prefill and the won-vs-lost figures."""
from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Sequence

from sqlalchemy import bindparam, case, delete, exists, func, select
from sqlalchemy.orm import Session

from content_catalog.module_rows import utc
from content_catalog.tables.base import utcnow
from content_catalog.tables.learning_tables import DealOutcomeRow, PanelEventRow, PanelImpressionRow
from content_catalog.tables.review_tables import LossReasonRow, LossReviewModuleRow, LossReviewRow

#: What a rep did that counts as the module being used on the deal: opened it, or personalised,
#: copied, downloaded or shared it. Votes alone do not.
ENGAGED_KINDS = ("open", "personalise", "copy", "download", "share")
#: The reasons of an org that has not edited its list, in the order reps see them.
DEFAULT_LOSS_REASONS: tuple[tuple[str, str], ...] = (
    ("price", "Price"),
    ("competitor", "Lost to a competitor"),
    ("no_decision", "No decision / status quo"),
    ("timing", "Timing"),
    ("missing_capability", "Missing capability"),
    ("relationship", "Relationship"),
    ("other", "Other"),
)
KEY_LENGTH = 40


@dataclass(frozen=True)
class LossReason:
    key: str
    label: str
    retired: bool = False


@dataclass(frozen=True)
class LossReview:
    """A lost deal's review as the rep gave it."""

    opportunity_id: str
    stalled_stage: str
    reason_key: str
    used_modules: tuple[str, ...] = ()
    missing: str = ""
    #: Who wrote it: only to let the author edit it; no figure is ever grouped by it.
    author_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ShownModule:
    """A module a deal's panel showed: when last, and whether the rep opened or used it there."""

    module_key: str
    last_shown: datetime
    engaged: bool


@dataclass(frozen=True)
class DealTrail:
    """What one opportunity's panel showed, newest first, and the stages it was shown in (the
    CRM's stage names, newest first, each once)."""

    shown: tuple[ShownModule, ...]
    stages_seen: tuple[str, ...]


class LossReviews:
    """One org's loss reviews."""

    def __init__(self, session: Session, org_id: str):
        self.session = session
        self.org_id = org_id

    def get(self, opportunity_id: str) -> LossReview | None:
        row = self.session.get(LossReviewRow, (self.org_id, opportunity_id))
        if row is None:
            return None
        return _review(row, self._modules([opportunity_id]).get(opportunity_id, ()))

    def save(self, review: LossReview) -> LossReview:
        """Insert the review, or replace the stored one's answers (its first date is kept)."""
        now = utcnow()
        row = self.session.get(LossReviewRow, (self.org_id, review.opportunity_id))
        if row is None:
            row = LossReviewRow(org_id=self.org_id, opportunity_id=review.opportunity_id,
                                author_id=review.author_id, created_at=now)
            self.session.add(row)
        row.stalled_stage = review.stalled_stage
        row.reason_key = review.reason_key
        row.missing = review.missing
        row.updated_at = now
        self.session.flush()
        self.session.execute(delete(LossReviewModuleRow).where(
            LossReviewModuleRow.org_id == self.org_id,
            LossReviewModuleRow.opportunity_id == review.opportunity_id))
        self.session.add_all(
            LossReviewModuleRow(org_id=self.org_id, opportunity_id=review.opportunity_id,
                                module_key=key)
            for key in dict.fromkeys(review.used_modules)
        )
        self.session.flush()
        return _review(row, tuple(dict.fromkeys(review.used_modules)))

    def all(self) -> list[LossReview]:
        """Every review of the org, oldest first (two queries)."""
        rows = self.session.scalars(
            select(LossReviewRow).where(LossReviewRow.org_id == self.org_id)
            .order_by(LossReviewRow.created_at, LossReviewRow.opportunity_id)
        ).all()
        modules = self._modules(None)
        return [_review(row, modules.get(row.opportunity_id, ())) for row in rows]

    def _modules(self, opportunity_ids: Sequence[str] | None) -> dict[str, tuple[str, ...]]:
        query = select(LossReviewModuleRow.opportunity_id, LossReviewModuleRow.module_key).where(
            LossReviewModuleRow.org_id == self.org_id)
        if opportunity_ids is not None:
            query = query.where(LossReviewModuleRow.opportunity_id.in_(list(opportunity_ids)))
        found: dict[str, list[str]] = defaultdict(list)
        for opportunity_id, key in self.session.execute(query.order_by(LossReviewModuleRow.module_key)):
            found[opportunity_id].append(key)
        return {k: tuple(v) for k, v in found.items()}


class LossReasons:
    """One org's list of loss reasons: the defaults until an admin saves a list."""

    def __init__(self, session: Session, org_id: str):
        self.session = session
        self.org_id = org_id

    def _rows(self) -> list[LossReasonRow]:
        return list(self.session.scalars(
            select(LossReasonRow).where(LossReasonRow.org_id == self.org_id)
            .order_by(LossReasonRow.position, LossReasonRow.key)))

    def listed(self) -> tuple[LossReason, ...]:
        """The reasons reps choose from, in order."""
        rows = self._rows()
        if not rows:
            return tuple(LossReason(key, label) for key, label in DEFAULT_LOSS_REASONS)
        return tuple(LossReason(r.key, r.label) for r in rows if not r.retired)

    def known(self) -> dict[str, LossReason]:
        """key → reason for every reason the org ever had (retired ones too), for labels."""
        known = {key: LossReason(key, label) for key, label in DEFAULT_LOSS_REASONS}
        known.update((r.key, LossReason(r.key, r.label, r.retired)) for r in self._rows())
        return known

    def replace(self, labels: Sequence[str]) -> tuple[LossReason, ...]:
        """Make ``labels`` (already checked) the list, in that order. A label the org had keeps
        its key; a new one gets a key made from it; a reason left out is retired, not deleted."""
        rows = self._rows()
        if not rows:  # the defaults become rows, so their keys stay what reviews stored
            rows = [LossReasonRow(org_id=self.org_id, key=key, label=label, position=n,
                                  retired=False)
                    for n, (key, label) in enumerate(DEFAULT_LOSS_REASONS)]
            self.session.add_all(rows)
        by_label = {r.label.casefold(): r for r in rows}
        by_key = {r.key: r for r in rows}
        chosen: set[str] = set()
        for position, label in enumerate(labels):
            row = by_label.get(label.casefold())
            if row is None:
                key = _free_key(reason_key(label), by_key)
                row = LossReasonRow(org_id=self.org_id, key=key, label=label)
                self.session.add(row)
                by_key[key] = row
            row.label, row.position, row.retired = label, position, False
            chosen.add(row.key)
        for row in by_key.values():
            if row.key not in chosen:
                row.retired = True
                row.position = len(labels) + (row.position or 0)
        self.session.flush()
        return self.listed()


def reason_key(label: str) -> str:
    """"Lost to a competitor" → "lost_to_a_competitor": ASCII letters, digits and underscores."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]+", "_", ascii_text.casefold()).strip("_")
    return key[:KEY_LENGTH - 4].strip("_") or "reason"


def _free_key(key: str, taken: dict[str, object]) -> str:
    candidate, n = key, 2
    while candidate in taken:
        candidate, n = f"{key}_{n}", n + 1
    return candidate


def deal_trail(session: Session, org_id: str, opportunity_id: str, *, limit: int = 500,
               stages: bool = True) -> DealTrail:
    """What the panel showed on one opportunity (its newest ``limit`` impressions, suggestions
    and searches alike), each module once, and whether the rep opened or used it there; the
    stages it was shown in unless ``stages`` is False (then none: one query fewer).

    The database groups the window: a lost deal's panel runs this on every view, and reading
    its 500 rows (each with its context) into Python cost ~25 ms a view (issue 12's p99). Each
    query returns one row per module or per distinct context, in the order of first appearance
    in the window (newest first), as a walk over the rows would give."""
    modules_query, contexts_query = _trail_queries()
    where = {"org_id": org_id, "opportunity_id": opportunity_id, "limit": limit}
    modules = session.execute(modules_query, where).all()
    if not modules:
        return DealTrail((), ())
    contexts = session.scalars(contexts_query, where).all() if stages else ()
    shown = tuple(ShownModule(key, utc(last), bool(engaged)) for key, last, engaged in modules)
    seen = (_context_stage(context) for context in contexts)
    return DealTrail(shown, tuple(dict.fromkeys(stage for stage in seen if stage)))


@lru_cache(maxsize=1)
def _trail_queries():
    """(modules, contexts) of a deal's newest impressions, built once with bound parameters
    ``org_id``, ``opportunity_id`` and ``limit``. Modules: key, last shown, and whether any of
    its impressions there was opened or used; contexts: each distinct one. Both in the order of
    first appearance from the newest."""
    impressions, events = PanelImpressionRow, PanelEventRow

    def newest(column):  # ranked after the limit, so the database ranks at most ``limit`` rows
        rows = (
            select(impressions.impression_id, impressions.shown_at, column)
            .where(impressions.org_id == bindparam("org_id"),
                   impressions.opportunity_id == bindparam("opportunity_id"))
            .order_by(impressions.shown_at.desc(), impressions.impression_id)
            .limit(bindparam("limit"))
            .subquery()
        )
        rank = func.row_number().over(order_by=(rows.c.shown_at.desc(), rows.c.impression_id))
        return select(rows, rank.label("rank")).subquery()

    by_module = newest(impressions.module_key)
    engaged = exists().where(events.impression_id == by_module.c.impression_id,
                             events.org_id == bindparam("org_id"),
                             events.kind.in_(ENGAGED_KINDS))
    modules = (
        select(by_module.c.module_key, func.max(by_module.c.shown_at),
               func.max(case((engaged, 1), else_=0)))
        .group_by(by_module.c.module_key).order_by(func.min(by_module.c.rank))
    )
    by_context = newest(impressions.context)
    contexts = (select(by_context.c.context).group_by(by_context.c.context)
                .order_by(func.min(by_context.c.rank)))
    return modules, contexts


def _context_stage(context: str) -> str | None:
    try:
        stage = json.loads(context).get("stage")
    except (ValueError, AttributeError):
        return None
    return stage if isinstance(stage, str) else None


@dataclass(frozen=True)
class EngagedDeals:
    """Per module, the closed deals on which a rep opened or used it, by how they ended."""

    won: dict[str, set[str]]
    lost: dict[str, set[str]]
    won_deals: int
    lost_deals: int


def engaged_deals(session: Session, org_id: str) -> EngagedDeals:
    """One query: the (module, opportunity, outcome) triples where the panel's module was opened
    or used on a deal that has closed, plus the org's closed-deal counts."""
    triples = session.execute(
        select(PanelImpressionRow.module_key, PanelImpressionRow.opportunity_id, DealOutcomeRow.won)
        .join(PanelEventRow, PanelEventRow.impression_id == PanelImpressionRow.impression_id)
        .join(DealOutcomeRow, (DealOutcomeRow.org_id == PanelImpressionRow.org_id)
              & (DealOutcomeRow.opportunity_id == PanelImpressionRow.opportunity_id))
        .where(PanelImpressionRow.org_id == org_id, PanelEventRow.kind.in_(ENGAGED_KINDS))
        .distinct()
    )
    won: dict[str, set[str]] = defaultdict(set)
    lost: dict[str, set[str]] = defaultdict(set)
    for module_key, opportunity_id, was_won in triples:
        (won if was_won else lost)[module_key].add(opportunity_id)
    counts = dict(session.execute(
        select(DealOutcomeRow.won, func.count()).where(DealOutcomeRow.org_id == org_id)
        .group_by(DealOutcomeRow.won)).all())
    return EngagedDeals(dict(won), dict(lost), int(counts.get(True, 0)), int(counts.get(False, 0)))


def _review(row: LossReviewRow, modules: tuple[str, ...]) -> LossReview:
    return LossReview(
        opportunity_id=row.opportunity_id, stalled_stage=row.stalled_stage,
        reason_key=row.reason_key, used_modules=modules, missing=row.missing or "",
        author_id=row.author_id, created_at=utc(row.created_at) if row.created_at else None,
        updated_at=utc(row.updated_at) if row.updated_at else None,
    )


__all__ = [
    "DEFAULT_LOSS_REASONS", "DealTrail", "ENGAGED_KINDS", "EngagedDeals", "LossReason",
    "LossReasons", "LossReview", "LossReviews", "ShownModule", "deal_trail", "engaged_deals",
    "reason_key",
]
