"""A simulated org with history, shared by the learning and evaluation tests (built once: ~10 s).

Day 1 the panel runs v1 (800 views); then a LearnedRanker fitted on those views serves with
exploration (2,400 views). The later half of that is held out: the learner under test is fitted
on everything before it. One strong module (``NEW_MODULE``) exists in the simulator's world but
is not yet published: the cold-start test publishes it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pytest

from recommender.evaluation import time_split
from recommender.feedback import Impression
from recommender.learning import LearnedRanker
from recommender.ranker import TagTextRanker
from recommender.simulation import DealSimulator
from recommender.synthetic import REFERENCE_DAY, synthetic_catalog
from recommender.types import CLIENT_FACING, CandidateModule

SEED = 3
TODAY = REFERENCE_DAY
FIRST_DAY = datetime(2026, 1, 5, 9)
EXPLORING_FROM = datetime(2026, 2, 2, 9)
STEP = timedelta(minutes=7)
V1_VIEWS, LEARNED_VIEWS = 800, 2400

#: A business case much better than its two tags say (hidden quality +3 logits): a newly
#: published module the learner should discover.
NEW_MODULE = CandidateModule(
    "business-case-new-savings",
    "business case: how finance teams cut cost with savings consolidate spend reduce payback "
    "roi justification",
    CLIENT_FACING,
    {"journey_phase": ("buying",), "challenge": ("cost_reduction",)},
    kind="business case",
    published_on=TODAY - timedelta(days=1),
)
NEW_MODULE_QUALITY = 3.0


@dataclass(frozen=True)
class SimulatedHistory:
    seed: int
    today: date
    new_module: CandidateModule
    simulator: DealSimulator
    catalog: list[CandidateModule]  # published: without NEW_MODULE
    v1: TagTextRanker
    first_learner: LearnedRanker  # fitted on the v1 views; the exploring logging policy
    v1_views: list[Impression]
    training: list[Impression]  # v1 views + the first half of the exploring views
    held_out: list[Impression]  # the second half
    learner: LearnedRanker  # fitted on ``training``


@pytest.fixture(scope="session")
def history() -> SimulatedHistory:
    catalog = synthetic_catalog(300, SEED)
    simulator = DealSimulator(
        [*catalog, NEW_MODULE],
        SEED,
        today=TODAY,
        quality={NEW_MODULE.module_id: NEW_MODULE_QUALITY},
    )
    rng = np.random.default_rng(SEED)
    v1 = TagTextRanker().fit(catalog)
    v1_views = simulator.log_sessions(
        lambda c, r: v1.rank(c, today=TODAY),
        simulator.contexts(V1_VIEWS, 1),
        rng,
        start=FIRST_DAY,
        view_prefix="v1",
    )
    first = LearnedRanker().fit(catalog, v1_views, today=TODAY)
    exploring = simulator.log_sessions(
        lambda c, r: first.rank(c, today=TODAY, rng=r),
        simulator.contexts(LEARNED_VIEWS, 2),
        rng,
        start=EXPLORING_FROM,
        view_prefix="explore",
    )
    early, late = time_split(exploring, EXPLORING_FROM + STEP * (LEARNED_VIEWS // 2))
    training = v1_views + early
    learner = LearnedRanker().fit(catalog, training, today=TODAY)
    return SimulatedHistory(
        SEED, TODAY, NEW_MODULE, simulator, catalog, v1, first, v1_views, training, late, learner
    )
