"""A partner user's panel is ranked among the modules marked for partners alone, by v1 and by a
learned ranker alike, and a fit older than the catalog never shows a module since unmarked."""
import pytest

from content_catalog.database import session_factory
from content_catalog.repository import CatalogRepository, ensure_org
from content_catalog.taxonomy import Audience
from plugin.panel.ranked_lists import RankedLists
from plugin.panel.suggestions import RecommendationService
from plugin.ranking.candidates import candidate_from_module
import numpy as np

from recommender import OpportunityContext, TagTextRanker
from recommender.learning import LearnedRanker

ORG = "00DA0000000AaaaMAC"
BANKING = OpportunityContext(journey_phase="buying", industry="Banking")


@pytest.fixture
def sessions(engine):
    return session_factory(engine)


@pytest.fixture
def publish(sessions):
    def write(*modules):
        with sessions.begin() as session:
            ensure_org(session, ORG, "Acme")
            CatalogRepository(session, ORG).upsert_many(list(modules))
    return write


@pytest.fixture
def catalog(module_factory):
    """Better-matching modules for direct reps only, weaker ones for partners."""
    return [
        module_factory("direct-banking", tags={"industry": "Banking", "journey_phase": "buying"}),
        module_factory("direct-prep", audience=Audience.INTERNAL, tags={"industry": "Banking"}),
        module_factory("partner-general", for_partners=True),
        module_factory("partner-prep", audience=Audience.INTERNAL, for_partners=True),
    ]


def ids(panel) -> set[str]:
    return {card.module_id for card in panel.client_facing + panel.internal}


def test_a_partner_panel_holds_only_modules_marked_for_partners(sessions, taxonomy, publish,
                                                                catalog, today):
    publish(*catalog)
    service = RecommendationService(sessions, taxonomy)
    assert ids(service.recommend(ORG, BANKING, today, partners_only=True)) == {
        "partner-general", "partner-prep"}
    assert ids(service.recommend(ORG, BANKING, today)) == {m.key for m in catalog}


def test_a_module_unmarked_since_the_fit_is_not_shown_to_partners(sessions, taxonomy, publish,
                                                                  catalog, module_factory, today):
    publish(*catalog)
    service = RecommendationService(sessions, taxonomy)
    service.recommend(ORG, BANKING, today, partners_only=True)
    publish(module_factory("partner-general"))  # unmarked: no longer for partners
    assert ids(service.recommend(ORG, BANKING, today, partners_only=True)) == {"partner-prep"}


def test_v1_ranks_partner_modules_as_it_would_among_them_alone(catalog, today):
    candidates = [candidate_from_module(m) for m in catalog]
    whole = TagTextRanker().fit(candidates)
    alone = TagTextRanker().fit([c for c in candidates if c.for_partners])
    restricted = whole.rank(BANKING, today=today, partners_only=True)
    expected = alone.rank(BANKING, today=today)
    assert [(s.module_id, s.score) for s in restricted] == [
        (s.module_id, s.score) for s in expected]


def test_the_learned_ranker_explores_only_among_partner_modules(catalog, module_factory, today):
    extra = [module_factory(f"direct-{n}") for n in range(12)]
    candidates = [candidate_from_module(m) for m in catalog + extra]
    model = LearnedRanker(explore=1.0).fit(candidates, today=today)
    for seed in range(20):
        ranked = model.rank(BANKING, today=today, rng=np.random.default_rng(seed),
                            partners_only=True)
        assert {s.module_id for s in ranked} <= {"partner-general", "partner-prep"}



def test_a_list_remembered_for_a_direct_rep_is_never_served_to_a_partner(sessions, taxonomy,
                                                                         publish, catalog, today):
    """The process remembers ranked lists per working session (plugin/panel/ranked_lists.py):
    the same context and day seen first by a direct rep must still rank partners apart."""
    publish(*catalog)
    service = RecommendationService(sessions, taxonomy, ranked_lists=RankedLists())
    session = dict(draw_seed=7)  # one working session's seeded draw: its list is remembered
    direct = service.recommend(ORG, BANKING, today, **session)
    partner = service.recommend(ORG, BANKING, today, partners_only=True, **session)
    again = service.recommend(ORG, BANKING, today, **session)
    assert ids(direct) == ids(again) == {m.key for m in catalog}
    assert ids(partner) == {"partner-general", "partner-prep"}
    stats = service.ranked_lists.stats()
    assert (stats.hits, stats.misses) == (1, 2)  # the memo was on: the direct list came back
