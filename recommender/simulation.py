"""A seeded simulator of reps, panels and deals, for testing what the learner learns.
Its assumptions, each a knob of :class:`SimulationAssumptions`: docs/design/recommender.md."""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable, Mapping, Sequence

import numpy as np

from recommender.feedback import Impression
from recommender.ranker import TagTextRanker
from recommender.synthetic import REFERENCE_DAY, synthetic_catalog, synthetic_contexts
from recommender.types import CandidateModule, OpportunityContext, Recommendations, Suggestion
from recommender.weights import ScoringWeights

#: A policy as the simulator drives it: a context and a random generator in, lists out.
RankFunction = Callable[[OpportunityContext, np.random.Generator], Recommendations]

_PHASES = ("awareness", "buying", "implementation_adoption")
#: Each view's engagement multiplier m, equally likely (assumption 4).
ENGAGEMENT = np.array([0.5, 1.0, 1.5])
#: P(a rewarded impression includes a use): ``_respond``'s ``kind >= 0.3``.
USED_WHEN_REWARDED = 0.7


def _true_weights() -> ScoringWeights:
    return ScoringWeights(
        dimension_weights={
            "journey_phase": 3.0,
            "industry": 1.0,
            "buyer_role": 2.5,
            "deal_stage": 0.5,
            "challenge": 3.0,
            "deal_size": 0.5,
        },
        text_weight=6.0,
    )


@dataclass(frozen=True)
class SimulationAssumptions:
    """The knobs of the simulator's assumptions (docs/design/recommender.md), with the values the
    tests use."""

    true_weights: ScoringWeights = field(default_factory=_true_weights)
    intercept: float = -4.5
    slope: float = 0.35
    module_effect_sd: float = 0.9
    segment_effect_sd: float = 0.5
    cap: float = 0.6
    examination_decay: float = 0.7
    open_floor: float = 0.2
    unhelpful_vote: float = 0.3
    win_base: float = 0.3
    win_engagement: float = 0.15
    win_lift: float = 0.05

    def examination(self, positions: int) -> np.ndarray:
        return np.arange(1, positions + 1, dtype=float) ** -self.examination_decay


class DealSimulator:
    """Hidden truth for one catalog, and reps and deals that respond to what a policy shows."""

    def __init__(
        self,
        catalog: Sequence[CandidateModule],
        seed: int,
        *,
        today: date = REFERENCE_DAY,
        assumptions: SimulationAssumptions | None = None,
        quality: Mapping[str, float] | None = None,
    ):
        """``quality`` overrides the hidden quality of named modules (e.g. a strong new one)."""
        if not catalog:
            raise ValueError("a simulator needs at least one module")
        self.seed = seed
        self.today = today
        self.assumptions = assumptions or SimulationAssumptions()
        self.catalog = list(catalog)
        self._truth = TagTextRanker(self.assumptions.true_weights).fit(self.catalog)
        ids = self._truth.module_ids_
        self._index = {m: i for i, m in enumerate(ids)}
        overrides = quality or {}
        quality_draws, segment_draws = zip(*(self._draw_module(str(m)) for m in ids))
        self.quality = np.array(
            [overrides.get(str(m), q) for m, q in zip(ids, quality_draws)], dtype=float
        )
        self.segment = np.array(segment_draws, dtype=float)  # (modules, phases + 1)

    @classmethod
    def synthetic(cls, n_modules: int, seed: int, **kwargs) -> "DealSimulator":
        return cls(synthetic_catalog(n_modules, seed), seed, **kwargs)

    def _draw_module(self, module_id: str) -> tuple[float, np.ndarray]:
        rng = np.random.default_rng([self.seed, zlib.crc32(module_id.encode())])
        quality = self.assumptions.module_effect_sd * rng.standard_normal()
        segment = self.assumptions.segment_effect_sd * rng.standard_normal(len(_PHASES) + 1)
        return quality, segment

    def hidden_quality(self, module_id: str) -> float:
        """The module's quality beyond its tags, in logits (for tests and reports)."""
        return float(self.quality[self._index[module_id]])

    # -- truth -----------------------------------------------------------------------------------
    def contexts(self, n: int, stream: int) -> list[OpportunityContext]:
        """``n`` opportunities; different streams give independent draws (train, test, ...)."""
        return synthetic_contexts(n, self.seed * 1_000 + stream)

    def usefulness(self, context: OpportunityContext, module_ids: Sequence[str]) -> np.ndarray:
        """P(helpful or used | examined) for an average rep: the hidden truth."""
        rows = np.array([self._index[m] for m in module_ids], dtype=np.intp)
        return self._usefulness(context, rows)

    def _usefulness(self, context: OpportunityContext, rows: np.ndarray) -> np.ndarray:
        """The truth for the modules ``rows`` only: a view needs its shown modules' usefulness,
        and scoring the whole catalog per view would make big-catalog simulations crawl."""
        a = self.assumptions
        phase = (
            _PHASES.index(context.journey_phase)
            if context.journey_phase in _PHASES
            else len(_PHASES)
        )
        total = self._truth.score_modules(context, self.today, rows).total
        logit = a.intercept + a.slope * total + self.quality[rows] + self.segment[rows, phase]
        return a.cap / (1.0 + np.exp(-logit))

    def expected_reward(
        self, recommendations: Recommendations, context: OpportunityContext
    ) -> float:
        """Expected helpful-or-used suggestions in a view showing these lists (exact)."""
        total = 0.0
        for shown in (recommendations.client_facing, recommendations.internal):
            if shown:
                theta = self.assumptions.examination(len(shown))
                total += float(theta @ self.usefulness(context, [s.module_id for s in shown]))
        return total

    def policy_values(
        self, rank: RankFunction, contexts: Sequence[OpportunityContext], rng: np.random.Generator
    ) -> np.ndarray:
        """Each context's expected reward under ``rank`` (one draw of any randomness it uses)."""
        return np.array([self.expected_reward(rank(c, rng), c) for c in contexts])

    # -- logging ---------------------------------------------------------------------------------
    def log_sessions(
        self,
        rank: RankFunction,
        contexts: Sequence[OpportunityContext],
        rng: np.random.Generator,
        *,
        start: datetime,
        view_prefix: str = "view",
        step: timedelta = timedelta(minutes=7),
    ) -> list[Impression]:
        """Show ``rank``'s lists for each context to a simulated rep; return the impressions."""
        impressions: list[Impression] = []
        for n, context in enumerate(contexts):
            recommendations = rank(context, rng)
            shown_at, view_id = start + n * step, f"{view_prefix}-{n}"
            impressions.extend(self._view(recommendations, context, rng, shown_at, view_id))
        return impressions

    def _view(
        self,
        recommendations: Recommendations,
        context: OpportunityContext,
        rng: np.random.Generator,
        shown_at: datetime,
        view_id: str,
    ) -> list[Impression]:
        a = self.assumptions
        engagement, shown = self.responses(recommendations, context, rng)
        won_lift = (
            a.win_lift if any(r["used"] and r["helpful"] is not False for _, r in shown) else 0.0
        )
        won = bool(rng.random() < a.win_base + a.win_engagement * (engagement - 1.0) + won_lift)
        return [
            Impression(
                context=context,
                module_id=s.module_id,
                position=s.rank,
                score=s.score,
                propensity=s.propensity,
                model_version=s.model_version,
                shown_at=shown_at,
                deal_won=won,
                explored=s.explored,
                audience=s.audience,
                view_id=view_id,
                opportunity_id=view_id,
                **response,
            )
            for s, response in shown
        ]

    def responses(
        self, recommendations: Recommendations, context: OpportunityContext,
        rng: np.random.Generator,
    ) -> tuple[float, list[tuple[Suggestion, dict]]]:
        """One rep's view of these lists: the rep's engagement multiplier, and what they did with
        each suggestion (``opened``, ``helpful``, ``used``), position-biased."""
        engagement = float(rng.choice(ENGAGEMENT))
        usefulness = self.usefulness(context, [s.module_id for s in recommendations])
        shown, start = [], 0
        for suggestions in (recommendations.client_facing, recommendations.internal):
            if not suggestions:
                continue
            theta = self.assumptions.examination(len(suggestions))
            success = engagement * usefulness[start : start + len(suggestions)]
            start += len(suggestions)
            for s, examine_p, success_p in zip(suggestions, theta, success):
                shown.append((s, self._respond(rng, examine_p, success_p)))
        return engagement, shown

    def _respond(self, rng: np.random.Generator, examine_p: float, success_p: float) -> dict:
        a = self.assumptions
        response = {"opened": False, "helpful": None, "used": False}
        if rng.random() >= examine_p:
            return response
        open_p = a.open_floor + (1.0 - a.open_floor) * success_p  # never below success_p
        if rng.random() >= open_p:
            return response
        response["opened"] = True
        if rng.random() < success_p / open_p:
            kind = rng.random()
            response["helpful"] = True if kind < 0.6 else None
            response["used"] = bool(kind >= 0.3)
        elif rng.random() < a.unhelpful_vote:
            response["helpful"] = False
        return response
