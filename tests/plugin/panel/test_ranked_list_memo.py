"""The ranked lists a process remembers per working session: a remembered view shows exactly what
an unremembered one would, still gets fresh impression ids and is recorded; a catalog edit, a new
model, another context or another day ranks again (SQLite and PostgreSQL). Its bounds hold."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from content_catalog.tables.learning_tables import PanelImpressionRow
from content_catalog.taxonomy import ModuleStatus
from plugin.cli.demo import _load_demo as load_demo
from plugin.crm.records import OpportunityRecord
from plugin.panel.ranked_lists import RankedLists, list_bytes
from plugin.services import Services, build_services
from plugin.settings import Settings
from recommender import Reason, Recommendations, Suggestion
from tests.conftest import BACKENDS, empty_database
from tests.plugin.model_fixtures import ORG, buying_catalog, log_views, publish

RECORD = "006A0000001AbcdIAC"
REPS = ("005A0000001RepAAAA", "005A0000001RepBAAA", "005A0000001RepCAAA")


def shown(panel) -> tuple:
    """Everything a view shows and logs of its cards, but the impression ids."""
    return tuple((c.module_id, c.title, c.rank, c.score, c.reasons, tuple(c.breakdown.items()),
                  c.propensity, c.explored, c.model_version)
                 for c in panel.client_facing + panel.internal)


def views_recorded(services: Services) -> int:
    services.impressions.flush()
    with services.sessions() as session:
        return session.execute(
            select(func.count(func.distinct(PanelImpressionRow.view_id)))).scalar_one()


# -- the demo org, as `make demo` loads it -------------------------------------------------------
@pytest.fixture(scope="module", params=BACKENDS)
def demo_db(request, tmp_path_factory) -> Iterator[Services]:
    """The demo org loaded (catalog, simulated history, a learned ranker) on either backend."""
    with empty_database(request.param, tmp_path_factory.mktemp("memo")) as engine:
        loader = build_services(Settings(demo_mode=True, database_url="sqlite://"), engine=engine)
        load_demo(loader)  # what `beinspired load-demo` does, on this engine
        loader.impressions.close()
        yield loader


@pytest.fixture
def remembering(demo_db) -> Iterator[Services]:
    services = build_services(demo_db.settings, today=demo_db.today, engine=demo_db.engine)
    yield services
    services.impressions.close()


@pytest.fixture
def forgetting(demo_db) -> Iterator[Services]:
    services = build_services(demo_db.settings.model_copy(update={"ranked_list_cache_entries": 0}),
                              today=demo_db.today, engine=demo_db.engine)
    yield services
    services.impressions.close()


def test_every_demo_deal_shows_the_same_lists_remembered_or_not(remembering, forgetting):
    source = remembering.demo_org
    records = source.opportunities()
    assert len(records) == 26
    explored = 0
    for record in records:
        for rep in REPS:
            first = remembering.panel_views.view(source, record.opportunity_id, viewer=rep)
            again = remembering.panel_views.view(source, record.opportunity_id, viewer=rep)
            fresh = forgetting.panel_views.view(source, record.opportunity_id, viewer=rep)
            assert shown(again.suggestions) == shown(first.suggestions) == shown(
                fresh.suggestions), (record.name, rep)
            explored += any(c.explored for c in again.suggestions.client_facing
                            + again.suggestions.internal)
    stats = remembering.recommendations.ranked_lists.stats()
    assert (stats.hits, stats.misses) == (26 * 3, 26 * 3)
    assert forgetting.recommendations.ranked_lists.stats().entries == 0
    assert explored > 0  # the seeded exploratory draw is part of what is remembered


def test_a_remembered_view_gets_fresh_impression_ids_and_is_recorded(remembering):
    source = remembering.demo_org
    record = source.opportunities()[0]
    before = views_recorded(remembering)
    panels = [remembering.panel_views.view(source, record.opportunity_id, viewer=REPS[0])
              .suggestions for _ in range(3)]
    assert remembering.recommendations.ranked_lists.stats().hits == 2
    ids = [c.impression_id for p in panels for c in p.client_facing + p.internal]
    assert all(ids) and len(set(ids)) == len(ids)
    assert views_recorded(remembering) - before == 3


def test_the_preview_is_remembered_and_a_posted_context_is_its_own_working_session(
        remembering, forgetting):
    """Changed for issue 12 (a posted context used to draw afresh on every view): the same rep
    posting the same context the same day is shown one list, as on a record; another rep or
    another context draws again, and the list is what an unremembered view shows."""
    source = remembering.demo_org
    record, other = source.opportunities()[1], source.opportunities()[2]
    for _ in range(2):
        remembering.panel_views.view(source, record.opportunity_id, count_shown=False)
    assert remembering.recommendations.ranked_lists.stats().hits == 1
    mapped = remembering.panel_views.view(source, record.opportunity_id,
                                          count_shown=False).mapped
    posted = [remembering.panel_views.for_context(source.org_id, mapped, viewer=REPS[0])
              for _ in range(3)]
    stats = remembering.recommendations.ranked_lists.stats()
    assert (stats.hits, stats.misses) == (4, 2)  # the previews: 2 and 1; the posts: 2 and 1
    fresh = forgetting.panel_views.for_context(source.org_id, mapped, viewer=REPS[0])
    assert shown(posted[0]) == shown(posted[1]) == shown(posted[2]) == shown(fresh)
    ids = [c.impression_id for p in posted for c in p.client_facing + p.internal]
    assert all(ids) and len(set(ids)) == len(ids)  # each view recorded on its own
    remembering.panel_views.for_context(source.org_id, mapped, viewer=REPS[1])
    other_mapped = remembering.panel_views.view(source, other.opportunity_id,
                                                count_shown=False).mapped
    remembering.panel_views.for_context(source.org_id, other_mapped, viewer=REPS[0])
    assert remembering.recommendations.ranked_lists.stats().misses == 2 + 1 + 1 + 1


def test_a_posted_context_draws_like_no_record_of_the_same_rep_and_day():
    """The posted context's session key cannot be a record's: Salesforce Ids have no colon."""
    from plugin.panel.view import posted_context_key
    from plugin.ranking.context_mapping import MappedContext
    from recommender import OpportunityContext

    one = posted_context_key(MappedContext(OpportunityContext(stage="Prospecting")))
    assert one.startswith("context:") and ":" not in RECORD
    assert one == posted_context_key(MappedContext(OpportunityContext(stage="Prospecting")))
    assert one != posted_context_key(MappedContext(OpportunityContext(stage="Prospecting",
                                                                      text="spare parts")))


# -- what makes a list be ranked again -----------------------------------------------------------
class OneRecord:
    org_id = ORG

    def __init__(self, challenge: str | None = None):
        self.challenge = challenge

    def fetch(self, opportunity_id: str) -> OpportunityRecord:
        return OpportunityRecord(opportunity_id=RECORD, name="Buying deal",
                                 stage="Negotiation/Review", challenge=self.challenge)


@pytest.fixture
def day(today):
    return {"today": today}


@pytest.fixture
def trained(engine, today, day, module_factory) -> Iterator[Services]:
    services = build_services(Settings(database_url="sqlite://"), today=lambda: day["today"],
                              engine=engine)
    publish(services, *buying_catalog(module_factory))
    log_views(services, ("a-case", "b-case", "c-case", "d-case", "f-gem"), "f-gem", views=30,
              first_day=today - timedelta(days=20))
    services.trainer.train_org(ORG, today=today)
    yield services
    services.impressions.close()


def view(services: Services, source=None, rep: str = REPS[0]):
    return services.panel_views.view(source or OneRecord(), RECORD, viewer=rep).suggestions


def misses(services: Services) -> int:
    return services.recommendations.ranked_lists.stats().misses


def test_a_catalog_edit_ranks_again_and_shows_it(trained, module_factory):
    first = view(trained)
    view(trained)
    assert misses(trained) == 1
    top = first.client_facing[0].module_id
    publish(trained, module_factory(top, status=ModuleStatus.RETIRED,
                                    tags={"journey_phase": "buying"}))
    after = view(trained)
    assert misses(trained) == 2
    assert top not in [c.module_id for c in after.client_facing + after.internal]


def test_a_new_model_ranks_again(trained, today):
    before = view(trained)
    view(trained)
    assert misses(trained) == 1
    log_views(trained, ("a-case", "b-case", "c-case", "d-case", "e-case"), "e-case", views=30,
              first_day=today - timedelta(days=10), prefix="w")
    trained.trainer.train_org(ORG, today=today)
    after = view(trained)
    assert misses(trained) == 2
    assert after.client_facing[0].model_version != before.client_facing[0].model_version


def test_another_context_day_or_rep_ranks_again(trained, day):
    view(trained)
    view(trained, OneRecord(challenge="Cost reduction"))
    view(trained, rep=REPS[1])
    day["today"] += timedelta(days=1)
    view(trained)
    stats = trained.recommendations.ranked_lists.stats()
    assert (stats.hits, stats.misses) == (0, 4)


# -- the bounds ----------------------------------------------------------------------------------
class Ranker:
    """Stands for a fitted ranker: the memo knows it only by identity."""


def a_list(reasons: int = 1) -> Recommendations:
    suggestion = Suggestion(module_id="m", score=1.0, rank=1, audience="client_facing",
                            reasons=tuple(Reason("text", "mentions 'x y'")
                                          for _ in range(reasons)),
                            breakdown={"industry": 1.0})
    return Recommendations((suggestion,), ())


def test_the_least_recently_used_list_goes_first_past_the_entry_bound():
    lists, ranker, counted = RankedLists(max_entries=2, max_bytes=10**6, count=lambda _: None), \
        Ranker(), []
    for key in ("a", "b", "a", "c"):  # "a" used again: "b" is the least recently used
        lists.ranked(ranker, key, lambda key=key: counted.append(key) or a_list())
    lists.ranked(ranker, "a", a_list)
    lists.ranked(ranker, "b", lambda: counted.append("b again") or a_list())
    assert counted == ["a", "b", "c", "b again"]
    assert lists.stats().entries == 2 and lists.stats().evictions == 2


def test_remembered_bytes_stay_under_their_bound():
    size = list_bytes(a_list())
    lists = RankedLists(max_entries=1000, max_bytes=3 * size, count=lambda _: None)
    ranker = Ranker()
    for key in range(10):
        lists.ranked(ranker, key, a_list)
    stats = lists.stats()
    assert stats.entries == 3 and stats.bytes <= 3 * size
    lists.ranked(ranker, "big", lambda: a_list(reasons=10_000))  # bigger than the bound alone
    assert lists.stats().entries == 3


def test_a_new_ranker_at_a_dead_rankers_address_is_not_served_its_list():
    lists = RankedLists(count=lambda _: None)
    old = Ranker()
    lists.ranked(old, "k", a_list)
    address = id(old)
    del old
    gc.collect()
    new = Ranker()
    # CPython often gives the new object the freed address; whether or not, no stale hit.
    ranked = lists.ranked(new, "k", lambda: Recommendations((), ()))
    assert ranked == Recommendations((), ()), f"served a list of another ranker (reused: "\
        f"{id(new) == address})"


def test_a_failed_ranking_is_not_remembered_and_zero_entries_remember_nothing():
    lists = RankedLists(count=lambda _: None)

    def broken():
        raise RuntimeError("model broken")

    with pytest.raises(RuntimeError):
        lists.ranked(Ranker(), "k", broken)
    assert lists.stats().entries == 0
    off, ranker, calls = RankedLists(max_entries=0), Ranker(), []
    for _ in range(2):
        off.ranked(ranker, "k", lambda: calls.append(1) or a_list())
    assert len(calls) == 2 and off.stats().entries == 0
