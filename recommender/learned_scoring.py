"""The learned ranker's score for one context, computed exactly only where it can matter.
Design: docs/design/recommender.md."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Mapping, NamedTuple

import numpy as np

from recommender.diversity import maximal_marginal_relevance
from recommender.exploration import exploration_pool
from recommender.ranker import ScoredCatalog
from recommender.selection import best_bounds, best_of, probe_size
from recommender.types import DIMENSIONS, OpportunityContext

if TYPE_CHECKING:
    from recommender.learning import LearnedRanker

FEATURE_DIMENSIONS = (*DIMENSIONS, "text")
_TOTAL, _AUDIENCE = len(FEATURE_DIMENSIONS), len(FEATURE_DIMENSIONS) + 1
#: The learned score's prediction is floored here before its log, as it always was.
_LEAST_PREDICTION = 1e-12
#: Lists this short are scored exactly throughout, once: bounds would cost more than they save.
_SCORE_ALL_BELOW = 1024
#: How a module's bound in ``ContextView._tight`` was made: its text bounded by the sketch, or
#: its text exact (a higher level is tighter).
_SKETCHED, _TEXT_EXACT = 1, 2
#: More modules than this left after the sketch get their exact text first (``tightest``):
#: below it the extra call costs more than the gathers it spares.
_TEXT_FIRST_ABOVE = 256


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

    The linear predictor is summed in a fixed order per module (v1's parts, then the per-module
    constant of audience, kind and intercept), so a module's prediction is the same float
    whichever other modules are scored with it, and ties fall to module ids."""
    rows, effects = scored.rows, ranker.effects_
    if ranker.coef_ is None:
        generic = np.full(len(rows), ranker.reference_rate_)
    else:
        coef = ranker.coef_
        linear = np.zeros(len(rows))
        for n, dim in enumerate(FEATURE_DIMENSIONS):
            if dim in scored.contributions:
                linear += scored.contributions[dim] * coef[n]
        linear += scored.total * coef[_TOTAL]
        generic = np.exp(linear + np.take(ranker._bounds.fixed, rows))
    # A column is gathered as [rows, phase]: np.take of a column view copies the whole column
    # first (~50 µs at 100,000 modules, whatever the rows).
    return (generic * np.take(effects.module, rows) * effects.phase[rows, phase]
            * effects.rejection[rows, phase])


@dataclass(frozen=True)
class RankingBounds:
    """Per-catalog constants of the learned score's linear form, for bounds only."""

    #: dim → factor on v1's contribution of that dimension.
    factors: dict[str, float]
    #: factor on v1's text term.
    text_factor: float
    #: (phases + 1, modules) float32: the per-module constant of the score, per journey phase
    #: (a phase's row contiguous: gathering a column of the other layout is ~5× slower).
    constant: np.ndarray
    #: The most any exact score can be when the prediction hits its floor.
    floored_score: float
    margin: float
    #: Modules that may count as new (published, barely seen); the date decides per call.
    maybe_new: np.ndarray
    #: (modules,) float64: intercept + audience and kind terms of the linear predictor, exact.
    fixed: np.ndarray
    #: The most any module's exploratory boost (blend × optimism) is: the pool's first filter.
    boost_most: float
    #: (phase, sink_below) → bool per module: its votes' multiplier in that phase is at least
    #: ``sink_below`` (made on first use; racing threads at worst make one twice).
    _kept: dict = field(default_factory=dict, compare=False, repr=False)

    def kept(self, ranker: "LearnedRanker", phase: int) -> np.ndarray:
        """Which modules no vote sinks in ``phase``, by module (see ``LearnedRanker.rank``)."""
        key = (phase, ranker.sink_below)
        found = self._kept.get(key)
        if found is None:
            found = np.ascontiguousarray(ranker.effects_.rejection[:, phase] >= ranker.sink_below)
            if len(self._kept) > 16:
                self._kept.clear()
            self._kept[key] = found
        return found

    @classmethod
    def build(cls, ranker: "LearnedRanker") -> "RankingBounds":
        kappa = ranker.blend / np.log(2.0)
        coef, effects, base = ranker.coef_, ranker.effects_, ranker.base_
        logs = np.log(effects.module)[:, None] + np.log(effects.phase) + np.log(effects.rejection)
        fixed = np.zeros(len(base.module_ids_))
        if coef is None:
            factors = {d: 1.0 for d in DIMENSIONS}
            text_factor, constant = 1.0, kappa * logs
        else:
            factors = {d: 1.0 + kappa * (coef[n] + coef[_TOTAL]) for n, d in enumerate(DIMENSIONS)}
            text_factor = 1.0 + kappa * (coef[len(DIMENSIONS)] + coef[_TOTAL])
            fixed = base.client_facing_ * coef[_AUDIENCE]
            for n in range(len(ranker.kinds_)):
                fixed = fixed + ranker.kind_onehot_[:, n] * coef[_AUDIENCE + 1 + n]
            fixed = fixed + ranker.intercept_
            constant = kappa * ((fixed - np.log(ranker.reference_rate_))[:, None] + logs)
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
            factors, text_factor, np.ascontiguousarray(constant.T, dtype=np.float32),
            most_tags + high + floored,
            1e-5 * (1.0 + scale), maybe_new, fixed,
            float((ranker.blend * effects.optimism).max(initial=0.0)),
        )  # fmt: skip


@dataclass(frozen=True)
class Exact:
    scored: ScoredCatalog
    lift: np.ndarray
    final: np.ndarray


class Subset(NamedTuple):
    """Some eligible modules of a :class:`ContextView` (one list's, or its kept part)."""

    positions: np.ndarray  # among the eligible modules, ascending
    rows: np.ndarray  # module rows, ascending
    upper: np.ndarray  # their upper bounds


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
    internal: np.ndarray  # ~client: the internal list's mask (made, and its subset, with the view)
    #: upper bounds of the eligible modules' learned scores (the text's at its most)
    upper: np.ndarray
    #: the eligible modules' learned scores without the text term, for :meth:`tighter`
    partial: np.ndarray
    #: aligned with rows: no vote sinks the module in this phase (its multiplier is at least
    #: ``sink_below``), so the lists may hold it
    kept: np.ndarray
    #: the context's tag tables (``CatalogTags.contributions``), made once for its exact scores
    tables: Mapping[str, np.ndarray]
    #: every exact evaluation made for this context, for the suggestions to reuse
    evaluated: list = field(default_factory=list)
    #: id(mask) → (mask, its Subset): each mask of one ``rank`` call is applied once
    _subsets: dict = field(default_factory=dict, repr=False)
    #: [each eligible module's tightest bound made, how it was made (``_SKETCHED`` or
    #: ``_TEXT_EXACT``; 0: not yet)]: the exploratory pool asks again for most of what the heads
    #: asked (11,767 of 12,093 modules in a slow context)
    _tight: list = field(default_factory=list, repr=False)

    def subset(self, mask: np.ndarray) -> "Subset":
        """The eligible modules ``mask`` selects: their positions, rows and upper bounds, made
        once per mask. A ``rank`` call reads each list's several times, and each read of a
        mask is a pass over every eligible module (half a millisecond at 1,000,000)."""
        found = self._subsets.get(id(mask))
        if found is None or found[0] is not mask:  # the mask is held, so its id is not reused
            positions = np.flatnonzero(mask)
            found = (mask, Subset(positions, self.rows[positions], self.upper[positions]))
            self._subsets[id(mask)] = found
        return found[1]

    @classmethod
    def of(cls, ranker: "LearnedRanker", context: OpportunityContext, today: date, *,
           partners_only: bool = False) -> "ContextView":
        base, bounds = ranker.base_, ranker._bounds
        query = base.query_vector(context.text)
        tables = base.tags_.contributions(context)
        rows = base.eligible_modules(context, today, partners_only=partners_only)
        phase = ranker._phase(context)
        low, high = base.text_bound() if query is not None else (0.0, 0.0)
        text_most = max(bounds.text_factor * low, bounds.text_factor * high)
        (first, first_table), (second, second_table) = base.tags_.group_lookups(
            tables, bounds.factors)
        partial, upper = np.empty(rows.size, dtype=np.float32), np.empty(rows.size)
        kept, client = np.empty(rows.size, dtype=bool), np.empty(rows.size, dtype=bool)
        positions, their_rows = np.empty(rows.size, dtype=np.intp), np.empty_like(rows)
        their_upper = np.empty(rows.size)
        from recommender import kernels  # numba: imported by ``prepare``

        n_client = kernels.context_bounds(
            rows, first, second, first_table, second_table, bounds.constant[phase],
            float(text_most + bounds.margin), float(bounds.floored_score),
            bounds.kept(ranker, phase), base.client_facing_, partial, upper, kept, client,
            positions, their_rows, their_upper,
        )  # fmt: skip
        view = cls(ranker, context, today, query, phase, rows, client, ~client, upper, partial,
                   kept, tables)  # fmt: skip
        # Each list's subset as the compiled pass wrote it (``subset`` would pass again).
        for mask, part in ((client, slice(None, n_client)), (view.internal, slice(n_client, None))):
            view._subsets[id(mask)] = (mask, Subset(positions[part], their_rows[part],
                                                    their_upper[part]))
        return view

    def tighter(self, positions: np.ndarray) -> np.ndarray:
        """Upper bounds of the learned scores of the eligible modules at ``positions``, with
        each module's own bound on its text (the sketch's) where ``upper`` takes the most any
        text can add: dearer, so asked only of modules ``upper`` keeps."""
        return self._bounded(positions, _SKETCHED)

    def tightest(self, positions: np.ndarray) -> np.ndarray:
        """As :meth:`tighter`, with each module's exact text similarity: the score's only loose
        part left is its float32 tag estimate. Reading a module's text row is most of what an
        exact evaluation costs it (the rest is a dozen gathers), and of the thousands of modules
        the sketch keeps in a slow context only the few that reach the floor need the rest."""
        return self._bounded(positions, _TEXT_EXACT)

    def _bounded(self, positions: np.ndarray, level: int) -> np.ndarray:
        if self.query is None:
            return self.upper[positions]
        if not self._tight:  # np.empty: no pass writing every eligible module's float
            self._tight.extend((np.empty(self.rows.size), np.zeros(self.rows.size, dtype=np.int8)))
        known, made = self._tight
        missing = made[positions] < level
        if missing.all():
            out = known[positions] = self._bound(positions, level)
            made[positions] = level
        else:
            out = known[positions]
            if missing.any():
                fresh = positions[missing]
                out[missing] = known[fresh] = self._bound(fresh, level)
                made[fresh] = level
        return out

    def _bound(self, positions: np.ndarray, level: int) -> np.ndarray:
        ranker, base = self.ranker, self.ranker.base_
        bounds = ranker._bounds
        rows = self.rows[positions]
        if level == _TEXT_EXACT:
            text = base.text_.similarity(self.query, rows)
        else:
            text = base.text_.similarity_bounds(self.query, rows)
        text *= bounds.text_factor * base.weights.text_weight
        np.maximum(text, 0.0, out=text)  # the text adds between 0 and that
        text += self.partial[positions]
        text += bounds.margin
        return np.maximum(text, bounds.floored_score)

    def exact(self, rows: np.ndarray) -> Exact:
        ranker = self.ranker
        scored = ranker.base_.score_eligible(self.context, rows, self.query, self.tables)
        predicted = np.maximum(predict(ranker, scored, self.phase), _LEAST_PREDICTION)
        lift = ranker.blend * np.log2(predicted / ranker.reference_rate_)
        found = Exact(scored, lift, scored.total + lift)
        self.evaluated.append(found)
        return found

    def find(self, row: int) -> tuple[Exact, int]:
        """An exact evaluation of module ``row`` made earlier, and its position in it."""
        for found in self.evaluated:
            at = np.flatnonzero(found.scored.rows == row)
            if at.size:
                return found, int(at[0])
        return self.exact(np.array([row], dtype=np.intp)), 0


def heads(view: ContextView, lists: list[tuple[np.ndarray, int]]) -> list[tuple]:
    """For each (mask over the eligible modules, n): its n best modules by exact learned score,
    best first (ties: smaller id), their scores, and the positions in the list and scores of
    every module scored exactly. Two exact evaluations for all lists: the best bounds of each
    list (``probe_size``), whose n-th best exact score is its floor; then every other module
    whose bound reaches it, first the constant bound, then its own (``tighter``), then, when
    hundreds are left, the bound with its exact text (``tightest``)."""
    probes = []
    for mask, n in lists:
        upper = view.subset(mask).upper
        if n <= 0 or upper.size <= max(_SCORE_ALL_BELOW, probe_size(n)):
            probes.append(np.empty(0, dtype=np.intp))
        else:
            probes.append(np.sort(best_bounds(upper, probe_size(n))))
    probe_rows = np.concatenate([view.subset(m).rows[p] for (m, _), p in zip(lists, probes)])
    probed = view.exact(probe_rows).final if probe_rows.size else np.empty(0)
    fresh, known, start = [], [], 0
    for (mask, n), probe in zip(lists, probes):
        upper = view.subset(mask).upper
        if n <= 0:
            fresh.append(np.empty(0, dtype=np.intp))
        elif probe.size == 0:
            fresh.append(np.arange(upper.size))
        else:
            scores = probed[start : start + probe.size]
            floor = np.partition(scores, scores.size - n)[scores.size - n]  # the n-th best
            # The probes are scored already: out before any bound is made of them (np.isin
            # on the survivors cost 50-70 µs a list).
            reaching = upper >= floor
            reaching[probe] = False
            reach = np.flatnonzero(reaching)
            reach = reach[view.tighter(view.subset(mask).positions[reach]) >= floor]
            if reach.size > _TEXT_FIRST_ABOVE:
                reach = reach[view.tightest(view.subset(mask).positions[reach]) >= floor]
            fresh.append(reach)
        known.append(probed[start : start + probe.size])
        start += probe.size
    rows = [view.subset(m).rows[f] for (m, _), f in zip(lists, fresh)]
    found = view.exact(np.concatenate(rows)).final
    out, start = [], 0
    for (mask, n), these, probe, probe_final in zip(lists, fresh, probes, known):
        positions = np.concatenate([these, probe])
        final = np.concatenate([found[start : start + these.size], probe_final])
        order = np.argsort(positions, kind="stable")
        positions, final = positions[order], final[order]
        scored_rows = view.subset(mask).rows[positions]
        best = best_of(scored_rows, final, n)
        out.append((scored_rows[best], final[best], positions, final))  # the pool reuses these
        start += these.size
    return out


def within(view: ContextView, mask: np.ndarray, part: np.ndarray, head: tuple) -> tuple:
    """``head`` (from :func:`heads` for ``part``, a subset of ``mask``) with its positions
    counted in ``mask``'s modules, as :func:`choose` reads them."""
    rows, scored = view.subset(mask).rows, view.subset(part).rows[head[2]]
    return head[0], head[1], np.searchsorted(rows, scored), head[3]


def head_size(ranker: "LearnedRanker", k: int) -> int:
    """How much of a list's best maximal marginal relevance looks at (k when it does not)."""
    diverse = ranker.diversity > 0 and ranker.base_.text_matrix_ is not None and k > 1
    return max(4 * k, 20) if diverse and k > 0 else max(k, 0)


def choose(ranker: "LearnedRanker", view: ContextView, mask: np.ndarray, k: int,
           head: tuple[np.ndarray, np.ndarray], rng):  # fmt: skip
    """(module row, propensity, explored) per position of one list, best first."""
    rows = view.subset(mask).rows
    if k <= 0 or rows.size == 0 or head[0].size == 0:
        return []
    chosen = maximal_marginal_relevance(
        head[0], head[1], ranker.base_.text_matrix_, k, ranker.diversity
    )
    if rng is None or ranker.explore <= 0 or rows.size == len(chosen):
        return [(i, 1.0, False) for i in chosen]
    slot_share = ranker.explore / len(chosen)  # P(this list explores, at this slot)
    picks = [(i, 1.0 - slot_share, False) for i in chosen]
    if rng.random() < ranker.explore:
        slot = int(rng.integers(len(chosen)))
        pool, probabilities = _pool(ranker, view, mask, chosen, head[2], head[3])
        j = int(rng.choice(len(pool), p=probabilities))
        picks[slot] = (int(pool[j]), slot_share * float(probabilities[j]), True)
    return picks


def _pool(ranker, view: ContextView, mask: np.ndarray, chosen: list[int], known_at, known_final):
    """The exploratory pool of one list (see :mod:`recommender.exploration`), reusing the exact
    scores the head computed (``known_final`` at positions ``known_at`` of the list): their
    n-th best optimistic score is a floor, and only modules whose bound reaches it and that
    were not scored yet are scored now. The list's modules are passed over once, against the
    most any boost can be; the rest of the work is on those that pass."""
    whole = view.subset(mask)
    rows, upper = whole.rows, whole.upper
    optimism, blend, n = ranker.effects_.optimism, ranker.blend, ranker.explore_pool
    final = np.full(rows.size, np.nan)
    final[known_at] = known_final
    taken = np.zeros(rows.size, dtype=bool)
    taken[np.searchsorted(rows, chosen)] = True  # rows are ascending, chosen among them
    scored = ~taken[known_at]
    floor = -np.inf
    if np.count_nonzero(scored) >= n:
        optimistic = known_final[scored] + blend * optimism[rows[known_at[scored]]]
        floor = np.partition(optimistic, optimistic.size - n)[optimistic.size - n]
        # upper + boost ≤ upper + the most boost, rounding included: no module reaching the
        # floor is left out (the scored ones under it cannot be among the n best)
        candidates = np.flatnonzero(upper + ranker._bounds.boost_most >= floor)
        candidates = candidates[~taken[candidates]]
    else:
        candidates = np.flatnonzero(~taken)
    boost = blend * optimism[rows[candidates]]
    reach = upper[candidates] + boost >= floor
    found = final[candidates]
    known = ~np.isnan(found)
    unknown = np.flatnonzero(reach & ~known)
    if unknown.size and floor > -np.inf:  # each module's own text bound, for those not scored
        positions = whole.positions[candidates[unknown]]
        reach[unknown[view.tighter(positions) + boost[unknown] < floor]] = False
    missing = reach & ~known
    if floor > -np.inf and np.count_nonzero(missing) > _TEXT_FIRST_ABOVE:
        at = np.flatnonzero(missing)
        short = at[view.tightest(whole.positions[candidates[at]]) + boost[at] < floor]
        reach[short] = missing[short] = False
    if missing.any():
        found[missing] = final[candidates[missing]] = view.exact(rows[candidates[missing]]).final
    kept = np.flatnonzero(reach | known)
    optimistic = found[kept] + boost[kept]
    best = best_of(rows[candidates[kept]], optimistic, n)
    new = ranker._bounds.maybe_new
    new = new[ranker.published_[new] >= view.today.toordinal() - ranker.explore_new_days]
    at = np.minimum(np.searchsorted(rows, new), max(rows.size - 1, 0))
    present = rows[at] == new if rows.size else np.zeros(new.size, dtype=bool)
    present[present] = ~taken[at[present]]
    new, at = new[present], at[present]
    _fill(view, rows, final, at[np.isnan(final[at])])
    return exploration_pool(
        rows[candidates[kept]][best], optimistic[best], new, final[at],
        temperature=ranker.explore_temperature, new_share=ranker.explore_new_share,
    )  # fmt: skip


def _fill(view: ContextView, rows: np.ndarray, final: np.ndarray, missing: np.ndarray) -> None:
    """Exact scores of ``rows[missing]`` (positions) written into ``final``."""
    if missing.size:
        final[missing] = view.exact(rows[missing]).final
