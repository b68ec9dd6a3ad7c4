"""Random catalogs and contexts for the rankers' cross-checks (hypothesis strategies).

Values come from small pools of real taxonomy values (plus one value no taxonomy knows), so
random modules and contexts collide often enough to exercise exact, "any", conflict, primary and
secondary role matches, exclusion and penalties. Texts mix domain words with stop words and are
sometimes empty or all stop words.
"""
from datetime import date, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from content_catalog.taxonomy import (
    CHALLENGE_VALUES,
    DEAL_SIZE_VALUES,
    DEFAULT_BUYER_ROLES,
    DEFAULT_INDUSTRIES,
    DEFAULT_STAGES,
    JourneyPhase,
)
from recommender import CandidateModule, OpportunityContext
from recommender.types import CLIENT_FACING, INTERNAL

TODAY = date(2026, 6, 15)
UNKNOWN = "Not In Any Taxonomy"

POOLS = {
    "journey_phase": [p.value for p in JourneyPhase],
    "buyer_role": list(DEFAULT_BUYER_ROLES[:4]),
    "industry": list(DEFAULT_INDUSTRIES[:3]),
    "deal_stage": list(DEFAULT_STAGES[:3]),
    "challenge": [v.value for v in CHALLENGE_VALUES[:3]],
    "deal_size": [v.value for v in DEAL_SIZE_VALUES],
}
WORDS = ["audit", "compliance", "onboarding", "pricing", "roi", "migration", "security", "renewal",
         "the", "and", "of", "with", "is"]  # fmt: skip

texts = st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join)
review_dates = st.one_of(st.none(), st.integers(-3, 3).map(lambda d: TODAY + timedelta(days=d)))


@st.composite
def candidates(draw, module_id):
    tags = {
        dim: tuple(draw(st.lists(st.sampled_from(pool), unique=True, max_size=2)))
        for dim, pool in POOLS.items()
    }
    return CandidateModule(
        module_id=module_id,
        text=draw(texts),
        audience=draw(st.sampled_from([CLIENT_FACING, INTERNAL])),
        tags={dim: values for dim, values in tags.items() if values or draw(st.booleans())},
        review_by=draw(review_dates),
    )


@st.composite
def catalogs(draw):
    ids = draw(st.lists(st.text("abcdef", min_size=1, max_size=3), unique=True, max_size=12))
    return [draw(candidates(module_id)) for module_id in ids]


def maybe(pool):
    return st.one_of(st.none(), st.sampled_from(pool + [UNKNOWN]))


contexts = st.builds(
    OpportunityContext,
    stage=maybe(POOLS["deal_stage"]),
    journey_phase=maybe(POOLS["journey_phase"]),
    industry=maybe(POOLS["industry"]),
    buyer_roles=st.lists(st.sampled_from(POOLS["buyer_role"] + [UNKNOWN]), unique=True, max_size=3).map(tuple),
    challenge=maybe(POOLS["challenge"]),
    deal_size=maybe(POOLS["deal_size"]),
    text=texts,
)

#: No example database: a failure prints its example, and runs leave no state behind.
PROPERTY = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
