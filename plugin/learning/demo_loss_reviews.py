"""Simulated loss reviews for the demo org's lost deals, so the coverage map's loss-reason view
and the loss analytics have figures; the demo rep's own lost deal is left awaiting a review."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.loss_reviews import LossReasons, LossReview, LossReviews, deal_trail
from content_catalog.tables.learning_tables import DealOutcomeRow, PanelImpressionRow
from content_catalog.tables.review_tables import LossReviewRow
from content_catalog.taxonomy import Taxonomy
from plugin.crm.demo_org import DEMO_ORG_ID, DemoOrg
from plugin.deals.lost_deals import review_stages

DEFAULT_SEED = 7
#: Of the simulated lost deals, the share whose rep wrote a review.
REVIEWED_SHARE = 0.7
#: Of the reviews, the share that say what content was missing.
MISSING_SHARE = 0.45
#: The bundled lost deal reviewed by its owner (Quorra Telecom, Lukas Brandt's); the demo rep's
#: own (Solano Fresh Foods) is left for the newcomer to write.
REVIEWED_BUNDLED = "006Dn0000t1iXR1IAM"
#: What its owner said about it.
BUNDLED_REVIEW = ("Negotiation/Review", "competitor",
                  "A battle card against the incumbent vendor's new release")
#: Reasons by where the deal stalled: early deals fade away, late ones lose on price, to a
#: competitor, or (at the security review) on a capability.
_EARLY = {"no_decision": 4, "timing": 3, "relationship": 2, "competitor": 1, "other": 1}
_LATE = {"price": 4, "competitor": 4, "missing_capability": 2, "no_decision": 1, "other": 1}
_SECURITY = {"missing_capability": 5, "competitor": 2, "timing": 1}
_MISSING = {
    "price": ("A TCO comparison against keeping the current system",
              "A payback calculator the CFO could check herself"),
    "competitor": ("A battle card against the incumbent vendor's new release",
                   "A customer story from a switch away from the competitor"),
    "no_decision": ("A cost-of-doing-nothing one-pager for the steering committee",),
    "timing": ("A phased rollout plan that starts small this quarter",),
    "missing_capability": ("Answers to the security questionnaire (SOC 2, data residency)",
                           "A reference architecture for on-premise connectors"),
    "relationship": ("An executive-sponsor introduction deck",),
    "other": ("Something for procurement's vendor-risk review",),
}


@dataclass(frozen=True)
class DemoReviewsResult:
    written: int
    lost_deals: int

    def line(self) -> str:
        if not self.written:
            return "Demo loss reviews were stored already: nothing written."
        return (f"Demo loss reviews: {self.written} written for the demo org's "
                f"{self.lost_deals} lost deals (one bundled lost deal left for you to review).")


def seed_demo_loss_reviews(sessions: sessionmaker[Session], taxonomy: Taxonomy, *,
                           seed: int = DEFAULT_SEED) -> DemoReviewsResult:
    """Reviews for the demo's lost deals that have none (a second run writes nothing): the
    simulated ones by the simulated rep who viewed them, Quorra's by its owner."""
    rng = np.random.default_rng(seed)
    records = {r.opportunity_id: r for r in DemoOrg().opportunities()}
    written = 0
    with sessions.begin() as session:
        lost = sorted(session.scalars(select(DealOutcomeRow.opportunity_id).where(
            DealOutcomeRow.org_id == DEMO_ORG_ID, DealOutcomeRow.won.is_(False))))
        reviewed = set(session.scalars(select(LossReviewRow.opportunity_id).where(
            LossReviewRow.org_id == DEMO_ORG_ID)))
        reasons = {r.key for r in LossReasons(session, DEMO_ORG_ID).listed()}
        stages = review_stages(taxonomy, records[REVIEWED_BUNDLED])
        store = LossReviews(session, DEMO_ORG_ID)
        if REVIEWED_BUNDLED not in reviewed:
            stage, reason, missing = BUNDLED_REVIEW
            store.save(LossReview(REVIEWED_BUNDLED, stage, reason, (), missing,
                                  author_id=records[REVIEWED_BUNDLED].owner_id))
            written += 1
        for opportunity_id in lost:
            draw = rng.random(5)  # drawn for every deal, so the same deals get the same reviews
            bundled = opportunity_id in records
            if opportunity_id in reviewed or bundled or draw[0] > REVIEWED_SHARE:
                continue
            review = _review(session, opportunity_id, stages, reasons, draw,
                             author=_viewer(session, opportunity_id))
            if review is not None:
                store.save(review)
                written += 1
    return DemoReviewsResult(written, len(lost))


def _review(session: Session, opportunity_id: str, stages: tuple[str, ...], reasons: set[str],
            draw: np.ndarray, author: str | None) -> LossReview | None:
    trail = deal_trail(session, DEMO_ORG_ID, opportunity_id)
    stage = next((s for s in trail.stages_seen if s in stages), None)
    if stage is None:
        stage = stages[int(draw[1] * len(stages))] if stages else None
    if stage is None:
        return None
    weights = _SECURITY if stage == "Security Review" else (
        _EARLY if stages.index(stage) < len(stages) // 2 else _LATE)
    choices = [k for k in weights if k in reasons] or sorted(reasons)
    cumulative = np.cumsum([weights.get(k, 1) for k in choices], dtype=float)
    reason = choices[int(np.searchsorted(cumulative / cumulative[-1], draw[4], side="right"))]
    texts = _MISSING.get(reason, ())
    missing = texts[int(draw[3] * len(texts))] if texts and draw[2] < MISSING_SHARE else ""
    used = tuple(m.module_key for m in trail.shown if m.engaged)
    return LossReview(opportunity_id, stage, reason, used, missing, author_id=author)


def _viewer(session: Session, opportunity_id: str) -> str | None:
    """The simulated rep who viewed the deal: the review is theirs (never shown anywhere)."""
    return session.scalar(select(PanelImpressionRow.user_id).where(
        PanelImpressionRow.org_id == DEMO_ORG_ID,
        PanelImpressionRow.opportunity_id == opportunity_id).limit(1))
