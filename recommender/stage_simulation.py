"""Stuck deals in the seeded simulator: modules' hidden effects on moving a deal on from its stage,
a logged history that yields stage-advance evidence, and v1 against v1 + stage_advance_order.
Its assumptions and what its figures mean: docs/design/recommender.md."""
from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from typing import Callable, Mapping, Sequence

import numpy as np

from recommender.evaluation import Interval, mean_interval
from recommender.ranker import TagTextRanker
from recommender.selection import best_of
from recommender.simulation import ENGAGEMENT, USED_WHEN_REWARDED, DealSimulator, RankFunction
from recommender.stage_advance import (
    StageAdvanceEvidence,
    StageAdvancePolicy,
    StageBaseline,
    stage_advance_order,
)
from recommender.synthetic import REFERENCE_DAY
from recommender.types import (
    CLIENT_FACING,
    INTERNAL,
    OpportunityContext,
    Recommendations,
    Suggestion,
)


@dataclass(frozen=True)
class StageAssumptions:
    """The knobs of the stuck-deal world (docs/design/recommender.md), with the tests' values."""

    #: Share of (module, stage) pairs where using the module helps a deal move on.
    helping_share: float = 0.2
    #: A helping module's push: P(one use alone moves the deal on), ``push`` × U(0.5, 1.5).
    push: float = 0.3
    #: P(a stuck deal moves on in the period with no help), for an average rep.
    move_base: float = 0.25
    #: Added per unit of engagement above 1: engaged reps use more and move deals on more.
    move_engagement: float = 0.1
    #: False: a module helps when the rep opens it (what the evidence counts as a use); True:
    #: only a real use (shared, personalised) helps, so opens in the evidence dilute it.
    push_needs_use: bool = False

    def base_chance(self, engagement: float) -> float:
        return min(max(self.move_base + self.move_engagement * (engagement - 1.0), 0.0), 1.0)


@dataclass(frozen=True)
class StageHistory:
    """What the org's log yields per stage, as the data side computes it from real deals."""

    baselines: Mapping[str, StageBaseline]
    evidence: Mapping[str, Mapping[str, StageAdvanceEvidence]]


@dataclass(frozen=True)
class StageAdvanceComparison:
    """Mean chance that a stuck deal moves on, per policy, on the same fresh deals."""

    v1: Interval
    reordered: Interval
    #: Per deal, reordered − v1 (paired), with a 95 % interval.
    lift: Interval
    #: Lists reordered by the hidden effects themselves: the most reordering could gain.
    oracle_lift: Interval
    deals: int
    #: Share of the deals whose lists the reordering changed.
    changed: float


class StuckDealSimulator:
    """A :class:`DealSimulator` world whose deals sit in a stage, and whose modules may help them
    leave it, independently of the relevance v1 sees."""

    def __init__(self, world: DealSimulator, assumptions: StageAssumptions | None = None):
        self.world = world
        self.assumptions = assumptions or StageAssumptions()
        self._push: dict[tuple[str, str], float] = {}

    def push(self, stage: str, module_ids: Sequence[str]) -> np.ndarray:
        """The hidden chance that one use of each module moves a deal on from ``stage``."""
        return np.array([self._module_push(stage, m) for m in module_ids])

    def _module_push(self, stage: str, module_id: str) -> float:
        key = (stage, module_id)
        if key not in self._push:  # keyed draws: no module's effect depends on the catalog
            rng = np.random.default_rng(
                [self.world.seed, zlib.crc32(module_id.encode()), zlib.crc32(stage.encode())]
            )
            helps, size = rng.random() < self.assumptions.helping_share, rng.uniform(0.5, 1.5)
            self._push[key] = self.assumptions.push * size if helps else 0.0
        return self._push[key]

    def stuck_deals(self, n: int, stream: int) -> list[OpportunityContext]:
        """``n`` open deals (any stage but the closed ones), independent per stream."""
        drawn = [c for c in self.world.contexts(2 * n + 20, stream) if _is_open(c.stage)]
        if len(drawn) < n:
            raise ValueError(f"drew {len(drawn)} open deals, {n} wanted")
        return drawn[:n]

    # -- truth -----------------------------------------------------------------------------------
    def move_on_chance(self, recommendations: Recommendations, context: OpportunityContext) -> float:
        """P(the deal moves on) when its rep is shown these lists, exactly: averaged over the
        rep's engagement, with each shown module used independently (position-biased)."""
        ids = [s.module_id for s in recommendations]
        return self._chance(recommendations, context.stage,
                            dict(zip(ids, self.world.usefulness(context, ids))))  # fmt: skip

    def _chance(
        self, recommendations: Recommendations, stage: str, usefulness: Mapping[str, float]
    ) -> float:
        """:meth:`move_on_chance` with the shown modules' usefulness for this deal given (the same
        for any order of the same modules, so a comparison computes it once)."""
        lists = []
        for shown in (recommendations.client_facing, recommendations.internal):
            if shown:
                ids = [s.module_id for s in shown]
                theta = self.world.assumptions.examination(len(shown))
                lists.append((theta, np.array([usefulness[m] for m in ids]),
                              self.push(stage, ids)))  # fmt: skip
        floor = self.world.assumptions.open_floor
        stay = 0.0
        for engagement in ENGAGEMENT:
            keep = 1.0 - self.assumptions.base_chance(engagement)
            for theta, useful, push in lists:
                success = engagement * useful  # P(helpful or used | examined); it needs an open
                if self.assumptions.push_needs_use:
                    touched = theta * success * USED_WHEN_REWARDED
                else:
                    touched = theta * (floor + (1.0 - floor) * success)  # P(opened)
                keep *= float(np.prod(1.0 - touched * push))
            stay += keep / len(ENGAGEMENT)
        return 1.0 - stay

    # -- history ---------------------------------------------------------------------------------
    def log_history(
        self, rank: RankFunction, deals: Sequence[OpportunityContext], rng: np.random.Generator
    ) -> StageHistory:
        """Serve each stuck deal once with ``rank``, let its rep respond and the deal move on or
        not; count, per stage, deals and moves, and per module the deals that used it (opened,
        shared or personalised) and moved on: what the data side reads from a real org."""
        deals_in: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        used_in: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        for context in deals:
            engagement, responses = self.world.responses(rank(context, rng), context, rng)
            needs = "used" if self.assumptions.push_needs_use else "opened"
            used = [s.module_id for s, r in responses if r[needs]]
            keep = (1.0 - self.assumptions.base_chance(engagement)) * float(
                np.prod(1.0 - self.push(context.stage, used))
            )
            moved = bool(rng.random() >= keep)
            counts = deals_in[context.stage]
            counts[0] += 1
            counts[1] += moved
            for module_id in {s.module_id for s, r in responses if r["opened"] or r["used"]}:
                module = used_in[context.stage][module_id]
                module[0] += 1
                module[1] += moved
        return StageHistory(
            {stage: StageBaseline(*counts) for stage, counts in deals_in.items()},
            {
                stage: {m: StageAdvanceEvidence(m, *c) for m, c in modules.items()}
                for stage, modules in used_in.items()
            },
        )

    # -- comparing -------------------------------------------------------------------------------
    def compare(
        self,
        v1: Callable[[OpportunityContext], Recommendations],
        history: StageHistory,
        deals: Sequence[OpportunityContext],
        rng: np.random.Generator,
        policy: StageAdvancePolicy = StageAdvancePolicy(),
    ) -> StageAdvanceComparison:
        """v1 against v1 + :func:`stage_advance_order` (one draw of its exploration per deal)
        on the same ``deals``, by the exact chance each moves on; paired, so the interval of
        the lift is narrow where the two policies show the same lists."""
        plain, reordered, oracle, changed = [], [], [], 0
        for context in deals:
            shown = v1(context)
            found = history.evidence.get(context.stage, {})
            baseline = history.baselines.get(context.stage, StageBaseline(0, 0))
            ours = stage_advance_order(shown, found, baseline, rng=rng, policy=policy)
            changed += _ids(ours) != _ids(shown)
            ids = _ids(shown)
            usefulness = dict(zip(ids, self.world.usefulness(context, ids)))
            plain.append(self._chance(shown, context.stage, usefulness))
            reordered.append(self._chance(ours, context.stage, usefulness))
            best = self._best_order(shown, context.stage)
            oracle.append(self._chance(best, context.stage, usefulness))
        plain_, reordered_, oracle_ = (np.array(x) for x in (plain, reordered, oracle))
        return StageAdvanceComparison(
            mean_interval(plain_), mean_interval(reordered_), mean_interval(reordered_ - plain_),
            mean_interval(oracle_ - plain_), len(deals), changed / max(len(deals), 1),
        )  # fmt: skip

    def _best_order(self, shown: Recommendations, stage: str) -> Recommendations:
        """Each list sorted by the hidden push (ties: v1's order)."""
        def by_push(suggestions: tuple[Suggestion, ...]) -> tuple[Suggestion, ...]:
            push = self.push(stage, [s.module_id for s in suggestions])
            order = sorted(range(len(suggestions)), key=lambda n: (-push[n], n))
            return tuple(replace(suggestions[n], rank=k) for k, n in enumerate(order, 1))

        return Recommendations(by_push(shown.client_facing), by_push(shown.internal))


def v1_lists(
    v1: TagTextRanker, today: date, *, k_client_facing: int = 5, k_internal: int = 3
) -> Callable[[OpportunityContext], Recommendations]:
    """v1's lists (the same modules, order and scores as ``v1.rank``) without the reasons, whose
    phrase search would cost most of a simulation's time; the reordering adds its own."""

    def rank(context: OpportunityContext) -> Recommendations:
        scored = v1.score_modules(context, today)
        eligible = np.flatnonzero(~scored.excluded)
        lists = []
        for client, k in ((True, k_client_facing), (False, k_internal)):
            rows = eligible[v1.client_facing_[eligible] == client]
            audience = CLIENT_FACING if client else INTERNAL
            lists.append(tuple(
                Suggestion(str(v1.module_ids_[r]), round(float(scored.total[r]), 4), n, audience,
                           (), {})
                for n, r in enumerate(rows[best_of(rows, scored.total[rows], k)], 1)
            ))  # fmt: skip
        return Recommendations(*lists)

    return rank


def exploring_v1(
    v1: TagTextRanker, today: date, *, explore: float = 0.2, depth: int = 10,
    k_client_facing: int = 5, k_internal: int = 3,
) -> RankFunction:  # fmt: skip
    """v1 with an exploratory slot, as the learned ranker has one: in a share ``explore`` of
    lists one uniformly drawn slot shows a module drawn uniformly from v1's next ``depth``."""
    deep = v1_lists(v1, today, k_client_facing=k_client_facing + depth,
                    k_internal=k_internal + depth)  # fmt: skip

    def rank(context: OpportunityContext, rng: np.random.Generator) -> Recommendations:
        found = deep(context)
        return Recommendations(
            _explore(found.client_facing, k_client_facing, explore, rng),
            _explore(found.internal, k_internal, explore, rng),
        )

    return rank


def _explore(
    deep: tuple[Suggestion, ...], k: int, explore: float, rng: np.random.Generator
) -> tuple[Suggestion, ...]:
    shown, rest = list(deep[:k]), deep[k:]
    if not shown or not rest:
        return tuple(shown)
    slot_share = explore / len(shown)
    shown = [replace(s, propensity=1.0 - slot_share) for s in shown]
    if rng.random() < explore:
        slot = int(rng.integers(len(shown)))
        pick = rest[int(rng.integers(len(rest)))]
        shown[slot] = replace(pick, rank=slot + 1, propensity=slot_share / len(rest), explored=True)
    return tuple(shown)


def _is_open(stage: str | None) -> bool:
    return bool(stage) and not stage.startswith("Closed")


def _ids(recommendations: Recommendations) -> list[str]:
    return [s.module_id for s in recommendations]


def stuck_deal_report(
    seed: int, *, modules: int = 150, history_deals: int = 1500, evaluation_deals: int = 500,
    assumptions: StageAssumptions | None = None, policy: StageAdvancePolicy = StageAdvancePolicy(),
    today: date = REFERENCE_DAY,
) -> StageAdvanceComparison:  # fmt: skip
    """The scenario the tests run, for one seed: a synthetic catalog; ``history_deals`` stuck
    deals served by v1 with its exploratory slot, whose log gives the evidence; then v1 against
    v1 + :func:`stage_advance_order` on ``evaluation_deals`` fresh stuck deals."""
    world = DealSimulator.synthetic(modules, seed, today=today)
    v1 = TagTextRanker().fit(world.catalog)
    stuck = StuckDealSimulator(world, assumptions)
    rng = np.random.default_rng([seed, 15])
    history = stuck.log_history(exploring_v1(v1, today), stuck.stuck_deals(history_deals, 1), rng)
    fresh = stuck.stuck_deals(evaluation_deals, 2)
    return stuck.compare(v1_lists(v1, today), history, fresh, rng, policy)


def describe(comparison: StageAdvanceComparison) -> str:
    """One line a person reads: both rates, the lift with its interval, and the ceiling."""
    lift, best = comparison.lift, comparison.oracle_lift
    return (
        f"stuck deals moving on: v1 {comparison.v1.estimate:.2%}, reordered "
        f"{comparison.reordered.estimate:.2%}; lift {lift.estimate * 100:+.2f} pp (95 % "
        f"{lift.low * 100:+.2f} to {lift.high * 100:+.2f}, paired over {comparison.deals} deals); "
        f"reordering by the hidden effects: {best.estimate * 100:+.2f} pp; lists changed: "
        f"{comparison.changed:.0%}"
    )


if __name__ == "__main__":  # python -m recommender.stage_simulation [seed ...]
    import sys

    for seed in [int(a) for a in sys.argv[1:]] or [5]:
        print(f"seed {seed}: {describe(stuck_deal_report(seed))}")
