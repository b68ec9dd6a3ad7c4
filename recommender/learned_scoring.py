"""The learned ranker's score for one context, computed exactly only where it can matter.

The learned score of a module is v1's total plus ``blend × log2(predicted / average)``, and the
prediction is ``exp(features · coef + intercept)`` times the module's multipliers. Unclamped,
that is linear in v1's parts: each tag dimension's contribution times a factor, the text term
times a factor, plus a constant per module and journey phase (audience, kind, multipliers).
:class:`RankingBounds` keeps those constants per catalog; :class:`ContextView` bounds every
eligible module's score from them in a few float32 passes, and :func:`choose` computes the exact
score (the same float operations as always, in float64) only for the modules whose bound reaches
the list, and for the exploratory pool only when the list explores.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from recommender.diversity import maximal_marginal_relevance
from recommender.exploration import exploration_pool
from recommender.ranker import ScoredCatalog
from recommender.selection import best_of, contenders
from recommender.types import DIMENSIONS, OpportunityContext

if TYPE_CHECKING:
    from recommender.learning import LearnedRanker

FEATURE_DIMENSIONS = (*DIMENSIONS, "text")
_TOTAL, _AUDIENCE = len(FEATURE_DIMENSIONS), len(FEATURE_DIMENSIONS) + 1
#: The learned score's prediction is floored here before its log, as it always was.
_LEAST_PREDICTION = 1e-12


def n_features(kinds: tuple[str, ...]) -> int:
    return len(FEATURE_DIMENSIONS) + 2 + len(kinds)


def features(ranker: "LearnedRanker", scored: ScoredCatalog) -> np.ndarray:
    """The generic model's features of the modules ``scored`` holds (rows given)."""
    rows = scored.rows
    zeros = np.zeros(len(rows))
    contributions = [scored.contributions.get(d, zeros) for d in FEATURE_DIMENSIONS]
    audience = ranker.base_.client_facing_[rows].astype(float)
    return np.column_stack([*contributions, scored.total, audience, ranker.kind_onehot_[rows]])


def predict(ranker: "LearnedRanker", scored: ScoredCatalog, phase: int) -> np.ndarray:
    """Predicted usefulness of the modules ``scored`` holds, for a context in ``phase``.

    The linear predictor is summed feature by feature, so a module's prediction is the same
    float whichever other modules are scored with it (ties then fall to module ids)."""
    rows, effects = scored.rows, ranker.effects_
    if ranker.coef_ is None:
        generic = np.full(len(rows), ranker.reference_rate_)
    else:
        x = features(ranker, scored)
        linear = x[:, 0] * ranker.coef_[0]
        for j in range(1, x.shape[1]):
            linear += x[:, j] * ranker.coef_[j]
        generic = np.exp(linear + ranker.intercept_)
    return generic * effects.module[rows] * effects.phase[rows, phase]


@dataclass(frozen=True)
class RankingBounds:
    """Per-catalog constants of the learned score's linear form, for bounds only."""

    #: dim → factor on v1's contribution of that dimension.
    factors: dict[str, float]
    #: factor on v1's text term.
    text_factor: float
    #: (modules, phases + 1) float32: the per-module constant of the score, per journey phase.
    constant: np.ndarray
    #: The most any exact score can be when the prediction hits its floor.
    floored_score: float
    margin: float
    #: Modules that may count as new (published, barely seen); the date decides per call.
    maybe_new: np.ndarray

    @classmethod
    def build(cls, ranker: "LearnedRanker") -> "RankingBounds":
        kappa = ranker.blend / np.log(2.0)
        coef, effects, base = ranker.coef_, ranker.effects_, ranker.base_
        logs = np.log(effects.module)[:, None] + np.log(effects.phase)
        if coef is None:
            factors = {d: 1.0 for d in DIMENSIONS}
            text_factor, constant = 1.0, kappa * logs
        else:
            factors = {d: 1.0 + kappa * (coef[n] + coef[_TOTAL]) for n, d in enumerate(DIMENSIONS)}
            text_factor = 1.0 + kappa * (coef[len(DIMENSIONS)] + coef[_TOTAL])
            fixed = (
                ranker.intercept_
                + base.client_facing_ * coef[_AUDIENCE]
                + ranker.kind_onehot_ @ coef[_AUDIENCE + 1 :]
                - np.log(ranker.reference_rate_)
            )
            constant = kappa * (fixed[:, None] + logs)
        weights = base.weights
        most_tags = sum(abs(w) for w in weights.dimension_weights.values())
        low, high = base.text_bound()
        floored = ranker.blend * np.log2(_LEAST_PREDICTION / ranker.reference_rate_)
        scale = (
            sum(abs(weights.weight(d) * f) for d, f in factors.items())
            + abs(text_factor) * max(abs(low), abs(high))
            + (float(np.abs(constant).max()) if constant.size else 0.0)
            + abs(floored)
        )
        published = ranker.published_ > np.iinfo(np.int64).min
        maybe_new = np.flatnonzero(published & (effects.exposure < ranker.explore_new_until))
        return cls(
            factors, text_factor, constant.astype(np.float32), most_tags + high + floored,
            1e-5 * (1.0 + scale), maybe_new,
        )  # fmt: skip


@dataclass(frozen=True)
class Exact:
    scored: ScoredCatalog
    lift: np.ndarray
    final: np.ndarray


@dataclass(frozen=True)
class ContextView:
    """One context against the catalog: eligible modules and bounds of their learned score."""

    ranker: "LearnedRanker"
    context: OpportunityContext
    today: date
    query: object
    phase: int
    rows: np.ndarray  # eligible modules, ascending
    client: np.ndarray  # aligned with rows
    #: score without its text term (float32 estimate), and its upper bound with the text term
    partial: np.ndarray
    upper: np.ndarray

    @classmethod
    def of(cls, ranker: "LearnedRanker", context: OpportunityContext, today: date) -> "ContextView":
        base, bounds = ranker.base_, ranker._bounds
        query = base.query_vector(context.text)
        tables = base.tags_.contributions(context)
        rows = base.eligible_modules(context, today)
        phase = ranker._phase(context)
        partial = base.tags_.tag_score_estimates(tables, rows, bounds.factors)
        partial += np.take(bounds.constant[:, phase], rows)
        low, high = base.text_bound() if query is not None else (0.0, 0.0)
        text_most = max(bounds.text_factor * low, bounds.text_factor * high)
        upper = np.maximum(partial + (text_most + bounds.margin), bounds.floored_score)
        return cls(ranker, context, today, query, phase, rows, base.client_facing_[rows],
                   partial, upper)  # fmt: skip

    def lower_bounds(self, rows: np.ndarray, partial: np.ndarray) -> np.ndarray:
        """Lower bounds of the exact scores of a few ``rows`` with their ``partial`` scores."""
        bounds, base = self.ranker._bounds, self.ranker.base_
        text = 0.0
        if self.query is not None:
            dense = base.text_.dense(self.query)
            cosine = base.text_.similarity_estimates(dense, rows)
            text = bounds.text_factor * (base.weights.text_weight * cosine)
        return partial + text - bounds.margin

    def exact(self, rows: np.ndarray) -> Exact:
        ranker = self.ranker
        scored = ranker.base_.score_modules(self.context, self.today, rows, self.query)
        predicted = np.maximum(predict(ranker, scored, self.phase), _LEAST_PREDICTION)
        lift = ranker.blend * np.log2(predicted / ranker.reference_rate_)
        return Exact(scored, lift, scored.total + lift)


def choose(ranker: "LearnedRanker", view: ContextView, mask: np.ndarray, k: int, rng):
    """(module row, propensity, explored) per position of one list, best first."""
    rows, upper, partial = view.rows[mask], view.upper[mask], view.partial[mask]
    if k <= 0 or rows.size == 0:
        return []
    diverse = ranker.diversity > 0 and ranker.base_.text_matrix_ is not None and k > 1
    head_size = max(4 * k, 20) if diverse else k  # what maximal marginal relevance looks at
    kept = contenders(upper, lambda p: view.lower_bounds(rows[p], partial[p]), head_size)
    exact = view.exact(rows[kept])
    order = best_of(rows[kept], exact.final, head_size)
    chosen = maximal_marginal_relevance(
        rows[kept][order], exact.final[order], ranker.base_.text_matrix_, k, ranker.diversity
    )
    if rng is None or ranker.explore <= 0 or rows.size == len(chosen):
        return [(i, 1.0, False) for i in chosen]
    slot_share = ranker.explore / len(chosen)  # P(this list explores, at this slot)
    picks = [(i, 1.0 - slot_share, False) for i in chosen]
    if rng.random() < ranker.explore:
        slot = int(rng.integers(len(chosen)))
        pool, probabilities = _pool(ranker, view, rows, upper, partial, chosen)
        j = int(rng.choice(len(pool), p=probabilities))
        picks[slot] = (int(pool[j]), slot_share * float(probabilities[j]), True)
    return picks


def _pool(ranker, view: ContextView, rows, upper, partial, chosen):
    """The exploratory pool of one list (see :mod:`recommender.exploration`)."""
    rest = ~np.isin(rows, chosen)
    rows, upper, partial = rows[rest], upper[rest], partial[rest]
    boost = ranker.blend * ranker.effects_.optimism[rows]
    kept = contenders(
        upper + boost,
        lambda p: view.lower_bounds(rows[p], partial[p]) + boost[p],
        ranker.explore_pool,
    )
    optimistic = view.exact(rows[kept]).final + boost[kept]
    best = best_of(rows[kept], optimistic, ranker.explore_pool)
    new = ranker._bounds.maybe_new
    new = new[ranker.published_[new] >= view.today.toordinal() - ranker.explore_new_days]
    new = new[np.isin(new, rows)]
    new_scores = view.exact(new).final if len(new) else np.empty(0)
    return exploration_pool(
        rows[kept][best], optimistic[best], new, new_scores,
        temperature=ranker.explore_temperature, new_share=ranker.explore_new_share,
    )  # fmt: skip
