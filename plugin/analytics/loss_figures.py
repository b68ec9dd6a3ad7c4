"""Losses by reason and stage from the reps' loss reviews, the gaps where reps missed content and
no module covers the stage, and content used in lost deals beside won ones. Never per rep."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date
from typing import Mapping, Sequence

from sqlalchemy.orm import Session, sessionmaker

from content_catalog.deal_outcomes import DealOutcomes
from content_catalog.loss_reviews import (
    EngagedDeals, LossReason, LossReasons, LossReview, LossReviews, engaged_deals,
)
from content_catalog.modules import ContentModule
from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import Dimension, Taxonomy
from plugin.analytics.page_data import simulated_weeks
from recommender.evaluation import Interval, wilson_interval

#: Modules listed in the won-vs-lost table, most-used first.
CONTENT_ROWS = 15
#: What the table of content in won and lost deals may not be read as.
WON_LOST_CAUTION = (
    "A module used in more lost deals than won ones did not lose them: reps reach for more "
    "content in hard deals, and a deal's outcome has many causes. Read it as where to look, "
    "not as a verdict on the module.")


@dataclass(frozen=True)
class LossCell:
    """The lost deals reviewed as stalling in ``stage`` for ``reason``."""

    stage: str
    reason: str
    losses: int
    #: Of those, reviews where the rep said what content was missing.
    with_missing: int
    #: What reps said was missing, each text once with how many said it (most said, then
    #: newest first), as they wrote it: show it as text.
    missing_texts: tuple[tuple[str, int], ...]
    #: Published, current modules tagged for the stage itself.
    covering: int

    @property
    def gap(self) -> bool:
        """Reps missed content here and no module is tagged for the stage."""
        return self.with_missing > 0 and self.covering == 0


@dataclass(frozen=True)
class ReasonCount:
    reason: LossReason
    losses: int
    share: float


@dataclass(frozen=True)
class StageCount:
    stage: str
    losses: int
    covering: int


@dataclass(frozen=True)
class WonLostUse:
    """A module: on how many closed deals a rep opened or used it, won and lost, of all."""

    module_key: str
    title: str
    won: int
    lost: int
    won_share: Interval
    lost_share: Interval
    #: Lost deals whose review says it was used.
    named_in_reviews: int


@dataclass(frozen=True)
class LossReport:
    reviewed: int
    #: Deals closed lost (as the outcome sync last said): the reviews' denominator.
    lost_deals: int
    won_deals: int
    stages: tuple[StageCount, ...]
    reasons: tuple[ReasonCount, ...]
    cells: Mapping[tuple[str, str], LossCell]
    content: tuple[WonLostUse, ...]
    #: Weeks of the demo's simulated history in this org (its reviews are simulated too).
    simulated_weeks: int | None = None

    @property
    def gaps(self) -> tuple[LossCell, ...]:
        """The gap cells, most losses with missing content first."""
        found = [c for c in self.cells.values() if c.gap]
        return tuple(sorted(found, key=lambda c: (-c.with_missing, -c.losses, c.stage, c.reason)))

    @property
    def unreviewed(self) -> int:
        return max(self.lost_deals - self.reviewed, 0)

    def cell(self, stage: str, reason: str) -> LossCell | None:
        return self.cells.get((stage, reason))


def build_loss_report(sessions: sessionmaker[Session], org_id: str, taxonomy: Taxonomy, *,
                      today: date) -> LossReport:
    """The org's loss figures: reviews, reason list, catalog and the log, read in one session."""
    with sessions() as session:
        reviews = LossReviews(session, org_id).all()
        known = LossReasons(session, org_id)
        reasons, listed = known.known(), known.listed()
        published = [m for m in CatalogRepository(session, org_id).published()
                     if not m.is_expired(today)]
        engaged = engaged_deals(session, org_id)
        # A review counts while the deal is lost: one reopened and won since drops out (one the
        # outcome sync has not seen yet counts, so a review shows at once).
        outcomes = DealOutcomes(session, org_id).by_opportunity(r.opportunity_id for r in reviews)
        titles = {m.key: m.title for m in CatalogRepository(session, org_id).list()}
        simulated = simulated_weeks(session, org_id)
    counted = [r for r in reviews
               if r.opportunity_id not in outcomes or not outcomes[r.opportunity_id].won]
    report = loss_report(counted, reasons, listed, published, engaged, titles, taxonomy)
    return replace(report, simulated_weeks=simulated)


def loss_report(reviews: Sequence[LossReview], reasons: Mapping[str, LossReason],
                listed: Sequence[LossReason], published: Sequence[ContentModule],
                engaged: EngagedDeals, titles: Mapping[str, str],
                taxonomy: Taxonomy) -> LossReport:
    """Pure: the figures from what :func:`build_loss_report` read."""
    order = {s: n for n, s in enumerate(taxonomy.stage_order)}
    by_cell: dict[tuple[str, str], list[LossReview]] = defaultdict(list)
    for review in reviews:
        by_cell[(review.stalled_stage, review.reason_key)].append(review)
    stage_names = sorted({r.stalled_stage for r in reviews},
                         key=lambda s: (order.get(s, len(order)), s.casefold()))
    covering = {stage: covering_modules(stage, published) for stage in stage_names}
    cells = {}
    for (stage, reason), found in by_cell.items():
        newest = sorted(found, key=lambda r: r.updated_at or r.created_at or 0, reverse=True)
        said = Counter(r.missing for r in newest if r.missing)  # keeps first-seen (newest) order
        texts = tuple(sorted(said.items(), key=lambda item: -item[1]))
        cells[(stage, reason)] = LossCell(stage, reason, len(found), sum(said.values()), texts,
                                          covering[stage])
    reason_counts = Counter(r.reason_key for r in reviews)
    shown_reasons = list(listed) + [reasons.get(k, LossReason(k, k, True))
                                    for k in reason_counts if k not in {r.key for r in listed}]
    total = len(reviews)
    stage_counts = Counter(r.stalled_stage for r in reviews)
    return LossReport(
        reviewed=total, lost_deals=engaged.lost_deals, won_deals=engaged.won_deals,
        stages=tuple(StageCount(s, stage_counts[s], covering[s]) for s in stage_names),
        reasons=tuple(ReasonCount(r, reason_counts[r.key], reason_counts[r.key] / total if total else 0.0)
                      for r in shown_reasons),
        cells=cells,
        content=won_lost_content(engaged, reviews, titles),
    )


def covering_modules(stage: str, published: Sequence[ContentModule]) -> int:
    """Modules tagged for the stage itself: content made for deals there. A module for a whole
    journey phase, or for any deal, fits too many stages to say this one is covered."""
    return sum(1 for module in published if stage in module.tag_values(Dimension.DEAL_STAGE))


def won_lost_content(engaged: EngagedDeals, reviews: Sequence[LossReview],
                     titles: Mapping[str, str]) -> tuple[WonLostUse, ...]:
    """The modules used on most closed deals, with the share of won and of lost deals each was
    opened or used on (Wilson 95% intervals; the denominators are all closed deals)."""
    named = Counter(key for r in reviews for key in r.used_modules)
    keys = set(engaged.won) | set(engaged.lost) | set(named)
    rows = []
    for key in keys:
        won, lost = len(engaged.won.get(key, ())), len(engaged.lost.get(key, ()))
        rows.append(WonLostUse(
            key, titles.get(key, key), won, lost,
            wilson_interval(won, engaged.won_deals), wilson_interval(lost, engaged.lost_deals),
            named[key]))
    rows.sort(key=lambda r: (-(r.won + r.lost + r.named_in_reviews), r.module_key))
    return tuple(rows[:CONTENT_ROWS])
