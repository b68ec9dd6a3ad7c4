"""Previous implementation, kept for the benchmark and equivalence tests only.

The learned ranker: v1's tag-and-text score, corrected by what reps did with what they saw.

docs/learning.md tells the whole story; in short:

* **Label.** helpful-or-used (:attr:`Impression.rewarded`), never a bare open.
* **Position bias.** A suggestion at position k is examined with probability θ_k
  (:mod:`recommender.position_bias`). Every count below is "per expected examination": a module
  shown at position 5 (θ ≈ 0.3) three times has had about one look, not three.
* **Generic model.** A Poisson regression of the inverse-propensity label ``rewarded / θ_k`` with
  sample weight θ_k, i.e. the maximum-likelihood fit of "reward = examined × useful" with the
  examination as exposure (θ is floored, so no label exceeds 1 / ``min_examination``). Its
  features are what any module has, seen or not: v1's contribution per dimension and for text,
  v1's total, audience and kind. It says which of v1's rules matter more than v1 thinks.
* **Module effects.** What a module did beyond the generic prediction, as a Gamma-Poisson
  empirical-Bayes multiplier: (rewards + s) / (expected rewards + s), with s = ``prior_strength``
  expected rewards of prior evidence for "as good as predicted"; and the same per journey phase on
  top, so a module can be good for buying and poor for adoption. A new module's multiplier is 1.
* **Blend.** score = v1 score + ``blend`` × log2(predicted usefulness / average usefulness):
  ``blend`` is how many v1 points a doubling of usefulness is worth. Eligibility is v1's: the
  learner re-orders, it never brings back an excluded module.
* **No history, no change.** Fitted without impressions it returns v1's lists exactly — no
  learned lift, no exploration, no diversity re-ordering — so switching the service to it changes
  nothing until evidence arrives.
* **Exploration** (only when ``rank`` is given a random generator): with probability
  ``explore`` a list gets one exploratory slot, at a uniformly drawn position, filled with an
  eligible module outside the list: half the time (``explore_new_share``) a recently published
  one reps have barely seen, otherwise one of the ``explore_pool`` best by an optimistic score
  that uses the ``optimism`` quantile of each module's Gamma posterior (an upper confidence
  bound: wide for modules with little evidence, narrow for well-known ones); softmax draws with
  ``explore_temperature`` v1 points. Each shown module's exact probability of being shown at its
  position is returned as ``Suggestion.propensity``.
* **Diversity.** Lists are chosen by maximal marginal relevance (:mod:`recommender.diversity`).
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import pickle
from datetime import date, datetime, time
from typing import Iterable, Sequence

import numpy as np
from scipy.stats import gamma
from sklearn.base import BaseEstimator
from sklearn.linear_model import PoissonRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits  # installed with scikit-learn, which uses it

from recommender.diversity import maximal_marginal_relevance
from recommender.feedback import Impression
from recommender.position_bias import estimate_examination
from recommender._previous.ranker import NotFittedError, ScoredCatalog, TagTextRanker
from recommender.types import (
    DIMENSIONS,
    CandidateModule,
    OpportunityContext,
    Reason,
    Recommendations,
    Suggestion,
)

_FEATURE_DIMENSIONS = (*DIMENSIONS, "text")
#: The reasons the learned ranker adds to v1's, in a rep's words.
LEARNED_REASON = "Often helpful to reps"
#: Expected examinations of the module itself before the rep is told reps found it helpful: a
#: prediction resting on other modules' evidence is not something reps did with this one.
LEARNED_REASON_MIN_EXPOSURE = 5.0
EXPLORED_REASON = "Being tried out: did it help?"
_BACKFITTING_ROUNDS = 3


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    weights = np.exp((scores - scores.max()) / temperature)
    return weights / weights.sum()


class UntrustedModel(ValueError):
    """``from_bytes`` was handed something that is not a LearnedRanker."""


@dataclasses.dataclass(frozen=True)
class ModuleEffects:
    """Per-module evidence beyond the generic model, aligned with ``base_.module_ids_``."""

    #: Posterior mean multiplier on the generic prediction.
    module: np.ndarray
    #: (modules, phases + 1): a further multiplier per journey phase (last column: none/unknown).
    phase: np.ndarray
    #: log2(upper posterior quantile / mean): how much better the module might plausibly be.
    optimism: np.ndarray
    #: Expected examinations Σ θ over the module's impressions.
    exposure: np.ndarray


class LearnedRanker(BaseEstimator):
    """Re-ranks v1's candidates with what reps found helpful, in the scikit-learn manner.

    ``fit(candidates, impressions, today=...)`` then ``rank(context, today=..., rng=...)``.
    ``rank`` without ``rng`` is deterministic (no exploration): what offline evaluation scores,
    and what the service should *not* use if it wants new modules to get a chance.
    """

    def __init__(
        self,
        base: TagTextRanker | None = None,
        *,
        blend: float = 8.0,
        explore: float = 0.2,
        optimism: float = 0.9,
        explore_pool: int = 20,
        explore_temperature: float = 2.0,
        explore_new_days: int = 60,
        explore_new_until: float = 10.0,
        explore_new_share: float = 0.5,
        diversity: float = 0.3,
        prior_strength: float = 3.0,
        min_examination: float = 0.05,
    ):
        self.base = base
        self.blend = blend
        self.explore = explore
        self.optimism = optimism
        self.explore_pool = explore_pool
        self.explore_temperature = explore_temperature
        self.explore_new_days = explore_new_days
        self.explore_new_until = explore_new_until
        self.explore_new_share = explore_new_share
        self.diversity = diversity
        self.prior_strength = prior_strength
        self.min_examination = min_examination

    # -- learning -------------------------------------------------------------------------------
    def fit(
        self,
        candidates: Sequence[CandidateModule],
        impressions: Iterable[Impression] = (),
        *,
        today: date,
        trained_at: datetime | None = None,
    ) -> "LearnedRanker":
        """Fit v1 on the catalog and the correction on the impressions of modules still in it.

        ``trained_at`` (default: midnight of ``today``) only enters ``model_version_``; the core
        never reads the clock.
        """
        self._check_params()
        self._fit_catalog(candidates)
        impressions = list(impressions)
        self.examination_ = estimate_examination(
            impressions,
            positions=max([5, *(i.position for i in impressions)]),
            floor=self.min_examination,
        )
        index = {m: n for n, m in enumerate(self.base_.module_ids_)}
        known = [i for i in impressions if i.module_id in index]
        self.n_impressions_ = len(known)
        self.has_history_ = bool(known)
        self.model_ = None
        if known:
            self._fit_model(known, index, today)
        self.model_version_ = self._version(candidates, impressions, today, trained_at)
        return self

    def _fit_catalog(self, candidates: Sequence[CandidateModule]) -> None:
        base = self.base or TagTextRanker()
        self.base_ = TagTextRanker(base.weights, base.labels).fit(candidates)
        ids = self.base_.module_ids_
        by_id = {c.module_id: c for c in candidates}
        self.kinds_ = tuple(sorted({c.kind for c in candidates if c.kind}))
        self.kind_onehot_ = np.array(
            [[by_id[m].kind == k for k in self.kinds_] for m in ids], dtype=float
        ).reshape(len(ids), len(self.kinds_))
        self.phases_ = tuple(self.base_.dimensions_["journey_phase"].vocabulary)
        never = np.iinfo(np.int64).min
        self.published_ = np.array(
            [by_id[m].published_on.toordinal() if by_id[m].published_on else never for m in ids],
            dtype=np.int64,
        )

    def with_catalog(self, candidates: Sequence[CandidateModule]) -> "LearnedRanker":
        """A copy of this fitted ranker serving ``candidates``, the catalog as it is now.

        The service trains on a schedule while enablement leads keep publishing and retiring, so
        the stored model's catalog goes stale. Refitting v1's part (tags, TF-IDF, audiences,
        publication dates) on today's catalog is cheap; the learned part is kept as it was: the
        generic model's coefficients, the examination curve, and each module's effects, matched
        by module id. A module the model never saw gets a multiplier of 1 (the generic prediction
        from its tags, as a new module always does) and no exposure, so it counts as new for
        exploration when recently published. Retired modules simply drop out. ``self`` is left
        untouched (the service shares it between threads) and ``model_version_`` stays: the
        suggestions come from the same learned model.
        """
        self._check_fitted()
        adapted = copy.copy(self)  # the learned arrays are shared, never written after fit
        base = self.base_
        adapted.base_ = TagTextRanker(base.weights, base.labels).fit(candidates)
        ids = adapted.base_.module_ids_
        by_id = {c.module_id: c for c in candidates}
        # kinds_ and phases_ stay the training's: coef_ and the phase effects are laid out by them.
        adapted.kind_onehot_ = np.array(
            [[by_id[m].kind == k for k in self.kinds_] for m in ids], dtype=float
        ).reshape(len(ids), len(self.kinds_))
        never = np.iinfo(np.int64).min
        adapted.published_ = np.array(
            [by_id[m].published_on.toordinal() if by_id[m].published_on else never for m in ids],
            dtype=np.int64,
        )
        if self.has_history_:
            adapted.effects_ = self._effects_for(ids)
        return adapted

    def _effects_for(self, ids: np.ndarray) -> ModuleEffects:
        """The module effects laid out for the catalog ``ids``: known modules keep theirs, others
        get what a module without evidence gets in :meth:`_module_effects`."""
        old = {m: n for n, m in enumerate(self.base_.module_ids_)}
        rows = np.array([old.get(m, -1) for m in ids], dtype=np.int64)
        seen = rows >= 0
        effects, s = self.effects_, self.prior_strength
        unseen_optimism = float(np.log2(gamma.ppf(self.optimism, s, scale=1.0 / s)))

        def laid_out(values: np.ndarray, default: float) -> np.ndarray:
            out = np.full((len(ids), *values.shape[1:]), default, dtype=float)
            out[seen] = values[rows[seen]]
            return out

        return ModuleEffects(
            module=laid_out(effects.module, 1.0),
            phase=laid_out(effects.phase, 1.0),
            optimism=laid_out(effects.optimism, unseen_optimism),
            exposure=laid_out(effects.exposure, 0.0),
        )

    def _check_params(self) -> None:
        for name in ("explore", "diversity", "explore_new_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], not {getattr(self, name)}")
        if not 0.5 <= self.optimism < 1.0:
            raise ValueError(f"optimism is a posterior quantile in [0.5, 1), not {self.optimism}")
        if self.blend <= 0:
            raise ValueError(f"blend is v1 points per doubling of usefulness: > 0, not {self.blend}")
        if self.prior_strength <= 0 or self.explore_temperature <= 0 or self.explore_pool < 1:
            raise ValueError(
                "prior_strength and explore_temperature must be > 0, explore_pool >= 1"
            )

    def _fit_model(self, known: list[Impression], index: dict[str, int], today: date) -> None:
        rows = np.array([index[i.module_id] for i in known])
        phases = np.array([self._phase(i.context) for i in known])
        exam = self._theta(np.array([i.position for i in known]))
        reward = np.array([i.rewarded for i in known], dtype=float)
        # Rewards per expected examination, with half a pseudo-reward so that zero stays finite.
        self.reference_rate_ = (reward.sum() + 0.5) / (exam.sum() + 1.0)
        features = self._training_features(known, rows, today)
        effects = self._module_effects(rows, phases, exam, exam * self.reference_rate_, reward)
        if reward.any():
            # Backfitting: the generic model is fitted with each module's current multiplier as a
            # fixed offset, then the multipliers are re-estimated against the new generic
            # prediction. Without it a kind's coefficient would absorb the luck of the few
            # modules of that kind the old ranker happened to show most.
            for _ in range(_BACKFITTING_ROUNDS):
                offset = effects.module[rows] * effects.phase[rows, phases]
                generic = self._fit_generic(features, reward, exam * offset)
                effects = self._module_effects(rows, phases, exam, exam * generic, reward)
        self.effects_ = effects

    def _fit_generic(
        self, features: np.ndarray, reward: np.ndarray, exposure: np.ndarray
    ) -> np.ndarray:
        """Poisson fit of reward with ``exposure`` (θ × module multiplier) as offset; returns the
        generic prediction per row. Label reward/exposure with weight exposure is the same
        likelihood as log(exposure) as an offset."""
        model = make_pipeline(StandardScaler(), PoissonRegressor(alpha=1e-3, max_iter=500))
        # One thread: for a few thousand rows OpenMP's start-up costs 30× the arithmetic.
        with threadpool_limits(limits=1, user_api="openmp"):
            model.fit(features, reward / exposure, poissonregressor__sample_weight=exposure)
        self.model_ = model
        # The same linear predictor as plain numpy: sklearn's input checks cost more than the
        # arithmetic when ranking one context.
        scaler, poisson = model.named_steps["standardscaler"], model.named_steps["poissonregressor"]
        self.coef_ = poisson.coef_ / scaler.scale_
        self.intercept_ = float(poisson.intercept_ - self.coef_ @ scaler.mean_)
        return np.exp(features @ self.coef_ + self.intercept_)

    def _module_effects(self, rows, phases, exam, expected, reward) -> ModuleEffects:
        n, n_phases, s = len(self.base_.module_ids_), len(self.phases_) + 1, self.prior_strength
        got, due = np.bincount(rows, reward, n), np.bincount(rows, expected, n)
        module = (got + s) / (due + s)
        cell = rows * n_phases + phases
        cell_got = np.bincount(cell, reward, n * n_phases).reshape(n, n_phases)
        cell_due = np.bincount(cell, expected, n * n_phases).reshape(n, n_phases)
        phase = (cell_got + s) / (cell_due * module[:, None] + s)
        upper = gamma.ppf(self.optimism, got + s, scale=1.0 / (due + s))
        return ModuleEffects(module, phase, np.log2(upper / module), np.bincount(rows, exam, n))

    def _training_features(
        self, known: list[Impression], rows: np.ndarray, today: date
    ) -> np.ndarray:
        by_context: dict[OpportunityContext, list[int]] = {}
        for n, impression in enumerate(known):
            by_context.setdefault(impression.context, []).append(n)
        contexts = list(by_context)
        out = np.empty((len(known), len(_FEATURE_DIMENSIONS) + 2 + len(self.kinds_)))
        for context, scored in zip(contexts, self.base_.score_catalogs(contexts, today)):
            members = by_context[context]
            out[members] = self._features(scored, rows[members])
        return out

    def _features(self, scored: ScoredCatalog, rows: np.ndarray) -> np.ndarray:
        zeros = np.zeros(len(rows))
        contributions = [
            scored.contributions[d][rows] if d in scored.contributions else zeros
            for d in _FEATURE_DIMENSIONS
        ]
        audience = self.base_.client_facing_[rows].astype(float)
        return np.column_stack(
            [*contributions, scored.total[rows], audience, self.kind_onehot_[rows]]
        )

    def _phase(self, context: OpportunityContext) -> int:
        phase = context.journey_phase
        return self.phases_.index(phase) if phase in self.phases_ else len(self.phases_)

    def _theta(self, positions: np.ndarray) -> np.ndarray:
        last = len(self.examination_) - 1
        return self.examination_[np.minimum(np.asarray(positions) - 1, last)]

    def _version(self, candidates, impressions, today: date, trained_at: datetime | None) -> str:
        params = {
            k: repr(v.weights) if isinstance(v, TagTextRanker) else repr(v)
            for k, v in self.get_params().items()
        }
        summary = {
            "params": params,
            "catalog": sorted(c.module_id for c in candidates),
            "impressions": len(impressions),
            "rewarded": sum(i.rewarded for i in impressions),
            "first": min((i.shown_at for i in impressions), default=None),
            "last": max((i.shown_at for i in impressions), default=None),
            "trained_at": trained_at or datetime.combine(today, time()),
        }
        digest = hashlib.sha256(
            json.dumps(summary, default=str, sort_keys=True).encode()
        ).hexdigest()
        return f"learned-{digest[:12]}"

    # -- predicting -----------------------------------------------------------------------------
    def predict_usefulness(
        self, context: OpportunityContext, module_ids: Sequence[str], *, today: date
    ) -> np.ndarray:
        """Predicted P(helpful or used | examined) per module: the reward model for DR estimates.

        Modules not in the fitted catalog get the average usefulness.
        """
        self._check_fitted()
        if not self.has_history_:
            raise NotFittedError("fitted without impressions: there is no usefulness model")
        index = {m: n for n, m in enumerate(self.base_.module_ids_)}
        known = np.array([m in index for m in module_ids], dtype=bool)
        out = np.full(len(module_ids), self.reference_rate_)
        if known.any():
            rows = np.array([index[m] for m in module_ids if m in index])
            out[known] = self._predict(self.base_.score_catalog(context, today), rows, context)
        return out

    def _predict(
        self, scored: ScoredCatalog, rows: np.ndarray, context: OpportunityContext
    ) -> np.ndarray:
        if self.model_ is None:
            generic = np.full(len(rows), self.reference_rate_)
        else:
            generic = np.exp(self._features(scored, rows) @ self.coef_ + self.intercept_)
        effects = self.effects_
        return generic * effects.module[rows] * effects.phase[rows, self._phase(context)]

    # -- ranking --------------------------------------------------------------------------------
    def rank(
        self,
        context: OpportunityContext,
        *,
        today: date,
        k_client_facing: int = 5,
        k_internal: int = 3,
        rng: np.random.Generator | None = None,
    ) -> Recommendations:
        """The two lists for ``context``. Pass ``rng`` to explore; without it nothing is random."""
        self._check_fitted()
        if not self.has_history_:
            found = self.base_.rank(
                context, today=today, k_client_facing=k_client_facing, k_internal=k_internal
            )
            stamp = lambda s: dataclasses.replace(
                s, model_version=self.model_version_
            )  # noqa: E731
            return Recommendations(
                tuple(map(stamp, found.client_facing)), tuple(map(stamp, found.internal))
            )
        scored = self.base_.score_catalog(context, today)
        eligible = ~scored.excluded
        lift = np.zeros(len(scored.total))
        rows = np.flatnonzero(eligible)
        if rows.size:
            predicted = np.maximum(self._predict(scored, rows, context), 1e-12)
            lift[rows] = self.blend * np.log2(predicted / self.reference_rate_)
        final = scored.total + lift
        client = self.base_.client_facing_
        new = (self.published_ >= today.toordinal() - self.explore_new_days) & (
            self.effects_.exposure < self.explore_new_until
        )
        lists = (
            self._choose(final, eligible & client, k_client_facing, new, rng),
            self._choose(final, eligible & ~client, k_internal, new, rng),
        )
        return Recommendations(
            *(tuple(self._suggest(c, final, lift, scored, context)) for c in lists)
        )

    def _choose(
        self, final: np.ndarray, mask: np.ndarray, k: int, new: np.ndarray, rng
    ) -> list[tuple[int, float, bool]]:
        """(module index, propensity, explored) per position, best first."""
        candidates = np.flatnonzero(mask)
        if k <= 0 or candidates.size == 0:
            return []
        ordered = candidates[np.lexsort((candidates, -final[candidates]))]  # ties: smaller id first
        chosen = maximal_marginal_relevance(
            ordered, final[ordered], self.base_.text_matrix_, k, self.diversity
        )
        rest = np.setdiff1d(candidates, chosen)
        if rng is None or self.explore <= 0 or rest.size == 0:
            return [(i, 1.0, False) for i in chosen]
        pool, probabilities = self._exploration_pool(rest, final, new[rest])
        slot_share = self.explore / len(chosen)  # P(this list explores, at this slot)
        picks = [(i, 1.0 - slot_share, False) for i in chosen]
        if rng.random() < self.explore:
            slot = int(rng.integers(len(chosen)))
            j = int(rng.choice(len(pool), p=probabilities))
            picks[slot] = (int(pool[j]), slot_share * float(probabilities[j]), True)
        return picks

    def _exploration_pool(
        self, rest: np.ndarray, final: np.ndarray, new: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The modules an exploratory slot may show, and the probability of each.

        A share of the draws (``explore_new_share``) goes to *new* modules — published within
        ``explore_new_days`` and seen fewer than ``explore_new_until`` expected times — by softmax
        over their score: their prediction rests on other modules' tags, and a module can be much
        better than its tags say. The rest go to the ``explore_pool`` best by optimistic score.
        """
        optimistic = final[rest] + self.blend * self.effects_.optimism[rest]
        best = np.lexsort((rest, -optimistic))[: self.explore_pool]
        pool = np.zeros(len(rest))
        pool[best] = _softmax(optimistic[best], self.explore_temperature)
        if not new.any():
            keep = pool > 0
            return rest[keep], pool[keep]
        fresh = np.zeros(len(rest))
        fresh[new] = _softmax(final[rest][new], self.explore_temperature)
        probabilities = (1 - self.explore_new_share) * pool + self.explore_new_share * fresh
        keep = probabilities > 0
        return rest[keep], probabilities[keep] / probabilities[keep].sum()

    def _suggest(self, picks, final, lift, scored: ScoredCatalog, context) -> Iterable[Suggestion]:
        for rank, (i, propensity, explored) in enumerate(picks, 1):
            suggestion = self.base_.explain(i, rank, scored, context)
            yield dataclasses.replace(
                suggestion,
                reasons=suggestion.reasons + self._learned_reasons(i, float(lift[i]), explored),
                score=round(float(final[i]), 4),
                breakdown={**suggestion.breakdown, "learned": round(float(lift[i]), 4)},
                propensity=propensity,
                explored=explored,
                model_version=self.model_version_,
            )

    def _learned_reasons(self, i: int, lift: float, explored: bool) -> tuple[Reason, ...]:
        """What the rep is told beyond the tags: that it is being tried out, so a vote is asked
        for; or that reps found it helpful: predicted usefulness at least √2 times the average,
        with the module's own evidence behind it (``LEARNED_REASON_MIN_EXPOSURE`` expected looks),
        so a module no rep has seen is never said to be helpful to reps."""
        if explored:
            return (Reason("explored", EXPLORED_REASON),)
        seen = self.has_history_ and self.effects_.exposure[i] >= LEARNED_REASON_MIN_EXPOSURE
        if seen and lift >= self.blend / 2:
            return (Reason("learned", LEARNED_REASON),)
        return ()

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_version_"):
            raise NotFittedError("fit the learned ranker before ranking")

    # -- storing --------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The fitted model as bytes for the service's own model store.

        This is pickle: loading runs code. Only ever load bytes this service wrote to its own
        store — never a file a user uploaded or anything fetched from elsewhere.
        """
        self._check_fitted()
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, data: bytes) -> "LearnedRanker":
        """Inverse of :meth:`to_bytes`; trusted input only (see there)."""
        model = pickle.loads(data)  # noqa: S301  # nosec B301 # why: frozen copy for same-run benchmarks; loads only bytes the benchmark itself wrote
        if not isinstance(model, cls):
            raise UntrustedModel(f"expected a {cls.__name__}, found {type(model).__name__}")
        return model
