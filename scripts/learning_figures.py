"""The learner's figures across simulated worlds: the "across seeds" column of docs/learning.md.
Run ``.venv/bin/python scripts/learning_figures.py --seeds 1-9``; design: docs/design/scripts.md."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.evaluation import mean_interval, off_policy_estimates, time_split  # noqa: E402
from recommender.learning import LearnedRanker  # noqa: E402
from recommender.ranker import TagTextRanker  # noqa: E402
from recommender.simulation import DealSimulator  # noqa: E402
from recommender.synthetic import REFERENCE_DAY as TODAY  # noqa: E402
from recommender.synthetic import synthetic_catalog  # noqa: E402
from recommender.types import CLIENT_FACING, CandidateModule  # noqa: E402

START, EXPLORING, STEP = datetime(2026, 1, 5, 9), datetime(2026, 2, 2, 9), timedelta(minutes=7)
NEW = CandidateModule(
    "business-case-new-savings",
    "business case: how finance teams cut cost with savings consolidate spend reduce payback "
    "roi justification",
    CLIENT_FACING,
    {"journey_phase": ("buying",), "challenge": ("cost_reduction",)},
    kind="business case",
    published_on=TODAY - timedelta(days=1),
)


def world(seed: int) -> None:
    catalog = synthetic_catalog(300, seed)
    simulator = DealSimulator([*catalog, NEW], seed, today=TODAY, quality={NEW.module_id: 3.0})
    rng = np.random.default_rng(seed)
    v1 = TagTextRanker().fit(catalog)
    v1_views = simulator.log_sessions(
        lambda c, r: v1.rank(c, today=TODAY),
        simulator.contexts(800, 1),
        rng,
        start=START,
        view_prefix="v1",
    )
    first = LearnedRanker().fit(catalog, v1_views, today=TODAY)
    exploring = simulator.log_sessions(
        lambda c, r: first.rank(c, today=TODAY, rng=r),
        simulator.contexts(2400, 2),
        rng,
        start=EXPLORING,
        view_prefix="explore",
    )
    early, late = time_split(exploring, EXPLORING + STEP * 1200)
    learner = LearnedRanker().fit(catalog, v1_views + early, today=TODAY)

    contexts = simulator.contexts(500, 99)
    base = simulator.policy_values(lambda c, _: v1.rank(c, today=TODAY), contexts, None)
    gain = mean_interval(
        simulator.policy_values(lambda c, _: learner.rank(c, today=TODAY), contexts, None) - base
    )
    print(
        f"world {seed}: (a) gain {gain.estimate:+.3f} [{gain.low:+.3f}, {gain.high:+.3f}] "
        f"= {gain.estimate / base.mean():+.0%}",
        flush=True,
    )

    near = LearnedRanker(blend=16.0).fit(catalog, v1_views, today=TODAY)
    for name, candidate in (("near", near), ("far", learner)):
        rank = lambda c, m=candidate: m.rank(c, today=TODAY)  # noqa: E731
        truth = simulator.policy_values(
            lambda c, _: rank(c), simulator.contexts(1000, 50), None
        ).mean()
        found = off_policy_estimates(
            late,
            rank,
            examination=learner.examination_,
            reward_model=lambda c, ids: learner.predict_usefulness(c, ids, today=TODAY),
        )
        parts = [
            f"{k} {getattr(found, k).estimate - truth:+.3f}±{getattr(found, k).half_width:.3f}"
            f"{'' if truth in getattr(found, k) else ' MISSED'}"
            for k in ("ips", "snips", "dr")
        ]
        print(f"world {seed}: (b) {name} truth {truth:.3f}: " + ", ".join(parts), flush=True)

    print(
        f"world {seed}: (c) {cold_start(simulator, catalog, v1_views + early + late, seed)}",
        flush=True,
    )


def cold_start(simulator: DealSimulator, catalog, logged, seed: int, days: int = 12) -> str:
    catalog, new = [*catalog, NEW], NEW.module_id
    v1 = TagTextRanker().fit(catalog)
    eligible = [c for c in simulator.contexts(3000, 7) if new in v1.scores(c, TODAY)]
    client_facing = {m.module_id for m in catalog if m.audience == CLIENT_FACING}

    def truly_best(context) -> bool:
        candidates = [m for m in v1.scores(context, TODAY) if m in client_facing]
        return candidates[int(np.argmax(simulator.usefulness(context, candidates)))] == new

    its = [c for c in eligible[:600] if truly_best(c)][:40]
    traffic, rng, logged = eligible[600:], np.random.default_rng(seed), list(logged)
    for day in range(days):
        learner = LearnedRanker().fit(catalog, logged, today=TODAY)
        shown = sum(i.module_id == new for i in logged)
        share = np.mean(
            [
                new in [s.module_id for s in learner.rank(c, today=TODAY).client_facing[:3]]
                for c in its
            ]
        )
        if share >= 0.5:
            return f"top 3 for {share:.0%} of {len(its)} contexts after {shown} impressions"
        logged += simulator.log_sessions(
            lambda c, r: learner.rank(c, today=TODAY, rng=r),
            traffic[day * 100 : (day + 1) * 100],
            rng,
            start=datetime(2026, 4, 1 + day, 9),
            view_prefix=f"day{day}",
        )
    return f"not in the top 3 for half of its contexts after {shown} impressions ({days} days)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", default="1-9", help="e.g. 1-9 or 2,5,7")
    args = parser.parse_args(argv)
    seeds: list[int] = []
    for part in args.seeds.split(","):
        low, _, high = part.partition("-")
        seeds += range(int(low), int(high or low) + 1)
    for seed in seeds:
        world(seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
