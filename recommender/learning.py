"""The learned ranker: v1's tag-and-text score, corrected by what reps did with what they saw.
Design: docs/learning.md and docs/design/recommender.md."""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from datetime import date, datetime, time
from typing import Iterable, Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import PoissonRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits  # installed with scikit-learn, which uses it

from recommender import learned_scoring, model_format
from recommender.feedback import Impression
from recommender.model_format import UntrustedModel
from recommender.module_effects import ModuleEffects, effects_for_catalog, estimate_effects
from recommender.position_bias import estimate_examination
from recommender.ranker import NotFittedError, TagTextRanker
from recommender.types import CandidateModule, OpportunityContext, Reason, Recommendations

__all__ = [
    "EXPLORED_REASON",
    "LEARNED_REASON",
    "LEARNED_REASON_MIN_EXPOSURE",
    "LearnedRanker",
    "REJECTED_REASON",
    "ModuleEffects",
    "UntrustedModel",
]

#: The reasons the learned ranker adds to v1's, in a rep's words.
LEARNED_REASON = "Often helpful to reps"
#: Expected examinations of the module itself before the rep is told reps found it helpful: a
#: prediction resting on other modules' evidence is not something reps did with this one.
LEARNED_REASON_MIN_EXPOSURE = 5.0
EXPLORED_REASON = "Being tried out: did it help?"
REJECTED_REASON = "Reps in similar deals marked this not helpful"
#: The votes' multiplier (:func:`recommender.module_effects.rejection`) under which a card says
#: so: reps approve of it at most 3/4 as often as of content on average, in this phase.
REJECTED_REASON_BELOW = 0.75
_BACKFITTING_ROUNDS = 3


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
        vote_strength: float = 3.0,
        sink_rejected: bool = True,
        sink_below: float = 0.5,
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
        self.vote_strength = vote_strength
        self.sink_rejected = sink_rejected
        self.sink_below = sink_below

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
        base = self.base or TagTextRanker()
        catalog = TagTextRanker(base.weights, base.labels).fit(candidates)
        self.kinds_ = tuple(sorted({c.kind for c in candidates if c.kind}))
        self.phases_ = tuple(catalog.tags_.dimensions["journey_phase"].values)
        impressions = list(impressions)
        self.examination_ = estimate_examination(
            impressions,
            positions=max([5, *(i.position for i in impressions)]),
            floor=self.min_examination,
        )
        self._lay_over(catalog, candidates)
        index = {m: n for n, m in enumerate(catalog.module_ids_)}
        known = [i for i in impressions if i.module_id in index]
        self.n_impressions_ = len(known)
        self.has_history_ = bool(known)
        self.model_, self.coef_, self.intercept_ = None, None, 0.0
        if known:
            self._fit_model(known, index, today)
            self.effect_module_ids_ = catalog.module_ids_
            self._bounds = learned_scoring.RankingBounds.build(self)
        self.model_version_ = self._version(candidates, impressions, today, trained_at)
        return self

    def _lay_over(self, catalog: TagTextRanker, candidates: Sequence[CandidateModule]) -> None:
        """Serve ``catalog`` (v1 fitted on ``candidates``): its kinds and publication dates."""
        self.base_ = catalog
        ids = catalog.module_ids_
        by_id = {c.module_id: c for c in candidates}
        ordered = [by_id[m] for m in ids]
        # kinds_ stay the training's: coef_ is laid out by them. One comparison per kind over
        # the catalog, not one per module and kind (0.4 s of a refit at 100,000 modules).
        kinds = np.array([c.kind for c in ordered], dtype=object)
        self.kind_onehot_ = np.zeros((len(ids), len(self.kinds_)))
        for n, kind in enumerate(self.kinds_):
            self.kind_onehot_[:, n] = kinds == kind
        never = np.iinfo(np.int64).min
        self.published_ = np.array(
            [c.published_on.toordinal() if c.published_on else never for c in ordered],
            dtype=np.int64,
        )

    def with_catalog(
        self,
        candidates: Sequence[CandidateModule],
        previous: "LearnedRanker | TagTextRanker | None" = None,
    ) -> "LearnedRanker":
        """A copy of this fitted (or loaded) ranker serving ``candidates``, the catalog as it is.

        The service trains on a schedule while enablement leads keep publishing and retiring, so
        the stored model's catalog goes stale. v1's part (tags, TF-IDF, audiences, publication
        dates) is refitted on today's catalog; the learned part is kept: the generic model's
        coefficients, the examination curve, and each module's effects, matched by module id.
        A module the model never saw gets a multiplier of 1 and no exposure, so it counts as new
        for exploration when recently published. ``self`` is left untouched (the service shares
        it between threads) and ``model_version_`` stays.

        ``previous``: a ranker laid over an earlier catalog in this process (this model or
        another), or a v1 fitted on one: v1's TF-IDF is brought up from it
        (``TagTextRanker.fit``'s ``previous``), the same floats as a fresh fit. The effects and bounds are laid out again: tens of
        milliseconds at 100,000 modules, not worth a check that they could be kept.
        """
        self._check_fitted()
        adapted = copy.copy(self)  # the learned arrays are shared, never written after fit
        base = self.base or TagTextRanker()
        before = previous if isinstance(previous, TagTextRanker) else getattr(
            previous, "base_", None)
        adapted._lay_over(
            TagTextRanker(base.weights, base.labels).fit(candidates, previous=before), candidates
        )
        if self.has_history_:
            ids = adapted.base_.module_ids_
            adapted.effects_ = effects_for_catalog(
                self.effects_, self.effect_module_ids_, ids,
                prior_strength=self.prior_strength, optimism=self.optimism,
            )  # fmt: skip
            adapted.effect_module_ids_ = ids
            adapted._bounds = learned_scoring.RankingBounds.build(adapted)
        return adapted

    def _check_params(self) -> None:
        for name in ("explore", "diversity", "explore_new_share", "sink_below"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], not {getattr(self, name)}")
        if not 0.5 <= self.optimism < 1.0:
            raise ValueError(f"optimism is a posterior quantile in [0.5, 1), not {self.optimism}")
        if self.blend <= 0:
            raise ValueError(
                f"blend is v1 points per doubling of usefulness: > 0, not {self.blend}"
            )
        if (self.prior_strength <= 0 or self.explore_temperature <= 0 or self.explore_pool < 1
                or self.vote_strength <= 0):
            raise ValueError(
                "prior_strength, vote_strength and explore_temperature must be > 0, "
                "explore_pool >= 1"
            )

    def _fit_model(self, known: list[Impression], index: dict[str, int], today: date) -> None:
        rows = np.array([index[i.module_id] for i in known])
        phases = np.array([self._phase(i.context) for i in known])
        exam = self._theta(np.array([i.position for i in known]))
        reward = np.array([i.rewarded for i in known], dtype=float)
        rejected = None
        if self.sink_rejected:  # off: votes are read only as the reward (the previous ranker)
            rejected = np.array([i.helpful is False and not i.used for i in known], dtype=bool)
        # Rewards per expected examination, with half a pseudo-reward so that zero stays finite.
        self.reference_rate_ = (reward.sum() + 0.5) / (exam.sum() + 1.0)
        features = self._training_features(known, rows, today)
        effects = self._effects(rows, phases, exam, exam * self.reference_rate_, reward, rejected)
        if reward.any():
            # Backfitting: the generic model is fitted with each module's current multiplier as a
            # fixed offset, then the multipliers are re-estimated against the new generic
            # prediction. Without it a kind's coefficient would absorb the luck of the few
            # modules of that kind the old ranker happened to show most.
            for _ in range(_BACKFITTING_ROUNDS):
                offset = effects.module[rows] * effects.phase[rows, phases]
                generic = self._fit_generic(features, reward, exam * offset)
                effects = self._effects(rows, phases, exam, exam * generic, reward, rejected)
        self.effects_ = effects

    def _effects(self, rows, phases, exam, expected, reward, rejected) -> ModuleEffects:
        return estimate_effects(
            len(self.base_.module_ids_), len(self.phases_) + 1, rows, phases, exam, expected,
            reward, prior_strength=self.prior_strength, optimism=self.optimism,
            rejected=rejected, vote_strength=self.vote_strength,
        )  # fmt: skip

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
        # The same linear predictor as plain numpy: what ranking and storing use.
        scaler, poisson = model.named_steps["standardscaler"], model.named_steps["poissonregressor"]
        self.coef_ = poisson.coef_ / scaler.scale_
        self.intercept_ = float(poisson.intercept_ - self.coef_ @ scaler.mean_)
        return np.exp(features @ self.coef_ + self.intercept_)

    def _training_features(
        self, known: list[Impression], rows: np.ndarray, today: date
    ) -> np.ndarray:
        """Features of each impression's module for its context: only those modules are scored."""
        by_context: dict[OpportunityContext, list[int]] = {}
        for n, impression in enumerate(known):
            by_context.setdefault(impression.context, []).append(n)
        out = np.empty((len(known), learned_scoring.n_features(self.kinds_)))
        for context, members in by_context.items():
            scored = self.base_.score_modules(context, today, rows[members])
            out[members] = learned_scoring.features(self, scored)
        return out

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
        self._check_catalog()
        if not self.has_history_:
            raise NotFittedError("fitted without impressions: there is no usefulness model")
        index = {m: n for n, m in enumerate(self.base_.module_ids_)}
        known = np.array([m in index for m in module_ids], dtype=bool)
        out = np.full(len(module_ids), self.reference_rate_)
        if known.any():
            rows = np.array([index[m] for m in module_ids if m in index])
            scored = self.base_.score_modules(context, today, rows)
            out[known] = learned_scoring.predict(self, scored, self._phase(context))
        return out

    # -- ranking --------------------------------------------------------------------------------
    def rank(
        self,
        context: OpportunityContext,
        *,
        today: date,
        k_client_facing: int = 5,
        k_internal: int = 3,
        rng: np.random.Generator | None = None,
        partners_only: bool = False,
    ) -> Recommendations:
        """The two lists for ``context``. Pass ``rng`` to explore; without it nothing is random.
        ``partners_only``: drawn from the modules marked for partners alone (exploration too, so
        each card's propensity is its probability under that restriction)."""
        self._check_catalog()
        if not self.has_history_:
            found = self.base_.rank(
                context, today=today, k_client_facing=k_client_facing, k_internal=k_internal,
                partners_only=partners_only,
            )
            version = self.model_version_
            return Recommendations(
                *(tuple(dataclasses.replace(s, model_version=version) for s in suggestions)
                  for suggestions in (found.client_facing, found.internal))
            )  # fmt: skip
        view = learned_scoring.ContextView.of(self, context, today, partners_only=partners_only)
        ks = (k_client_facing, k_internal)
        masks = (view.client, view.internal)
        # Modules reps reject in this phase (votes' multiplier under ``sink_below``) are left
        # out of the lists; the exploratory slot may still draw them, with their probability.
        kept = view.kept
        # The same mask objects throughout, so the view applies each once (``subset``).
        parts = masks if kept.all() else tuple(m & kept for m in masks)
        heads = learned_scoring.heads(
            view, [(p, learned_scoring.head_size(self, k)) for p, k in zip(parts, ks)]
        )
        heads = [learned_scoring.within(view, m, p, head)
                 for m, p, head in zip(masks, parts, heads)]
        lists = [
            learned_scoring.choose(self, view, m, k, head, rng)
            for m, k, head in zip(masks, ks, heads)
        ]
        return Recommendations(*(tuple(self._suggest(view, picks)) for picks in lists))

    def _suggest(self, view: "learned_scoring.ContextView", picks) -> Iterable:
        for rank, (i, propensity, explored) in enumerate(picks, 1):
            exact, at = view.find(i)
            suggestion = self.base_.explain(at, rank, exact.scored, view.context)
            lift = float(exact.lift[at])
            learned = self._learned_reasons(i, lift, explored, view.phase)
            yield dataclasses.replace(
                suggestion,
                reasons=suggestion.reasons + learned,
                score=round(float(exact.final[at]), 4),
                breakdown={**suggestion.breakdown, "learned": round(lift, 4)},
                propensity=propensity,
                explored=explored,
                model_version=self.model_version_,
            )

    def _learned_reasons(
        self, i: int, lift: float, explored: bool, phase: int
    ) -> tuple[Reason, ...]:
        """What the rep is told beyond the tags: that reps in deals like this one marked it not
        helpful, when their votes sank it (``REJECTED_REASON_BELOW``); that it is being tried
        out, so a vote is asked for; or that reps found it helpful: predicted usefulness at
        least √2 times the average, with the module's own evidence behind it
        (``LEARNED_REASON_MIN_EXPOSURE`` expected looks), so a module no rep has seen is never
        said to be helpful to reps."""
        rejected = ()
        if self.has_history_ and self.effects_.rejection[i, phase] < REJECTED_REASON_BELOW:
            rejected = (Reason("rejected", REJECTED_REASON),)
        if explored:
            return (Reason("explored", EXPLORED_REASON), *rejected)
        if rejected:
            return rejected
        seen = self.has_history_ and self.effects_.exposure[i] >= LEARNED_REASON_MIN_EXPOSURE
        if seen and lift >= self.blend / 2:
            return (Reason("learned", LEARNED_REASON),)
        return ()

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_version_"):
            raise NotFittedError("fit the learned ranker before ranking")

    def _check_catalog(self) -> None:
        self._check_fitted()
        if not hasattr(self, "base_"):
            raise NotFittedError(
                "a loaded model ranks once laid over a catalog: call with_catalog(candidates)"
            )

    # -- storing --------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The learned part as bytes for the service's own model store: numpy arrays and a JSON
        header (:mod:`recommender.model_format`), which nothing can make run code when loaded.
        The catalog is not stored: :meth:`with_catalog` lays the model over the current one."""
        self._check_fitted()
        return model_format.dump(self)

    @classmethod
    def from_bytes(
        cls, data: bytes, candidates: Sequence[CandidateModule] | None = None
    ) -> "LearnedRanker":
        """Inverse of :meth:`to_bytes`, laid over ``candidates`` when given (else call
        :meth:`with_catalog` before ranking). Raises :class:`UntrustedModel` for anything that
        is not a model this format wrote: a pickle, a truncated or altered payload, an unknown
        format version."""
        model = model_format.load(data, cls)
        return model if candidates is None else model.with_catalog(candidates)
