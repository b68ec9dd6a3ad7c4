"""Content reps keep marking not helpful sinks in the context they reject it in, the card says
why when it is still shown, and exploration stays honest (no Flask, no database)."""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from recommender.feedback import Impression
from recommender.learning import REJECTED_REASON, LearnedRanker
from recommender.synthetic import REFERENCE_DAY as TODAY
from recommender.types import CLIENT_FACING, CandidateModule, OpportunityContext

BUYING = OpportunityContext(journey_phase="buying", industry="Banking")
AWARENESS = OpportunityContext(journey_phase="awareness", industry="Banking")
#: Tagged best for every context: v1 puts it first.
REJECTED = "a-cross-industry-roi"
OTHERS = [f"case-{n}" for n in range(7)]


@pytest.fixture(scope="module")
def catalog() -> list[CandidateModule]:
    rejected = CandidateModule(REJECTED, "roi model", CLIENT_FACING,
                               {"industry": ("Banking",), "journey_phase": ("buying", "awareness")})
    others = [CandidateModule(m, f"case study {n}", CLIENT_FACING, {"industry": ("Banking",)})
              for n, m in enumerate(OTHERS)]
    return [rejected, *others]


def history(rejections: int, views: int = 400) -> list[Impression]:
    """``views`` panel views, buying and awareness in turn: every module shown at each position
    in turn, and used or marked helpful as often as any other (one time in ten), as the demo's
    "Cross-industry ROI model" was; but in ``rejections`` of the buying views where it was not
    used, the rep marked the rejected module not helpful."""
    rng = np.random.default_rng(7)
    modules = [REJECTED, *OTHERS]
    logged, left = [], rejections
    at = datetime(2026, 3, 2, 9)
    for view in range(views):
        context = BUYING if view % 2 == 0 else AWARENESS
        shown = np.roll(modules, view // 2)[:5]
        for position, module in enumerate(shown, 1):
            yes = rng.random() < 0.1
            no = not yes and module == REJECTED and context == BUYING and left > 0
            left -= no
            logged.append(Impression(
                context, str(module), position, 1.0, 1.0, "v1", at + timedelta(minutes=view),
                opened=no or yes, helpful=False if no else (True if yes else None),
                used=yes and module == REJECTED, view_id=f"view-{view}",
            ))  # fmt: skip
    return logged


def ranked(learner, context, k=5, rng=None):
    return learner.rank(context, today=TODAY, k_client_facing=k, k_internal=0, rng=rng).client_facing


def ids(suggestions) -> list[str]:
    return [s.module_id for s in suggestions]


def test_a_module_reps_keep_marking_not_helpful_leaves_the_list_where_they_reject_it(catalog):
    before = LearnedRanker(sink_rejected=False).fit(catalog, history(10), today=TODAY)
    after = LearnedRanker().fit(catalog, history(10), today=TODAY)
    assert REJECTED in ids(ranked(before, BUYING))  # the reward alone keeps it in the top five
    assert REJECTED not in ids(ranked(after, BUYING, k=8))  # out, even of a list with room
    assert REJECTED in ids(ranked(after, AWARENESS, k=8))  # where no rep rejected it, kept


def test_a_module_reps_start_rejecting_sinks_below_the_others_and_the_card_says_why(catalog):
    before = LearnedRanker(sink_rejected=False).fit(catalog, history(5), today=TODAY)
    learner = LearnedRanker().fit(catalog, history(5), today=TODAY)
    shown = ranked(learner, BUYING, k=8)
    assert ids(shown).index(REJECTED) > ids(ranked(before, BUYING, k=8)).index(REJECTED)
    told = {s.module_id: REJECTED_REASON in [r.label for r in s.reasons] for s in shown}
    assert told == {m: m == REJECTED for m in told}


def test_one_vote_moves_it_little_and_ten_halve_its_predicted_usefulness(catalog):
    def usefulness(rejections):
        learner = LearnedRanker().fit(catalog, history(rejections), today=TODAY)
        return learner.predict_usefulness(BUYING, [REJECTED], today=TODAY)[0]

    none, one, ten = usefulness(0), usefulness(1), usefulness(10)
    assert one / none > 0.85  # a single unlucky vote is not a verdict
    assert ten / none < 0.5  # ten of them are


def test_exploration_stays_honest_each_pick_is_drawn_as_often_as_its_logged_propensity(catalog):
    learner = LearnedRanker(explore=1.0).fit(catalog, history(10), today=TODAY)
    rng, draws = np.random.default_rng(3), 3000
    picks = [(s.module_id, s.rank, s.propensity)
             for _ in range(draws) for s in ranked(learner, BUYING, k=3, rng=rng) if s.explored]
    assert len(picks) == draws  # explore=1.0: one exploratory pick per view
    for pick in set(picks):
        module, rank, propensity = pick
        seen = picks.count(pick) / draws
        spread = 4 * np.sqrt(propensity * (1 - propensity) / draws)
        assert abs(seen - propensity) <= spread + 1e-3, (module, rank, seen, propensity)
