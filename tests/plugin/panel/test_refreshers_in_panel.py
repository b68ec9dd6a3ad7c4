"""Spaced refreshers in the panel: a training refresher a rep opened comes back first in their
internal list, with why, in the same situation; dismissed, never again. Both databases."""
from datetime import timedelta

import pytest
from sqlalchemy import event

from content_catalog.database import session_factory
from content_catalog.repository import CatalogRepository, ensure_org
from content_catalog.taxonomy import Audience, ModuleKind
from plugin.errors import InvalidInput, NotFound
from plugin.learning.demo_refreshers import PastUse, record_past_use
from plugin.panel.rep_refreshers import RefresherStates, Situations, dismiss
from plugin.panel.suggestions import RecommendationService
from recommender import OpportunityContext

ORG = "00DA0000000AaaaMAC"
REP = "0055e00000REP0001"
OTHER_REP = "0055e00000REP0002"
OPPORTUNITY = "006A0000000AaaaAAA"
BANKING_BUYING = OpportunityContext(
    stage="Negotiation/Review", journey_phase="buying", industry="Banking",
    buyer_roles=("Economic Buyer",))
HEALTHCARE_BUYING = OpportunityContext(
    stage="Negotiation/Review", journey_phase="buying", industry="Healthcare",
    buyer_roles=("Economic Buyer",))
BACK = "You opened this 9 days ago; a second look now helps it stick"


@pytest.fixture
def sessions(engine):
    return session_factory(engine)


@pytest.fixture
def service(sessions, taxonomy):
    return RecommendationService(sessions, taxonomy, k_client_facing=2, k_internal=3,
                                 refreshers=RefresherStates())


@pytest.fixture
def catalog(sessions, module_factory):
    """A banking refresher that the ranker places fourth among the internal modules for a
    banking deal in its buying phase: without coming back it is not shown."""
    internal = dict(audience=Audience.INTERNAL, kind=ModuleKind.BATTLE_CARD)
    modules = [
        module_factory("refresher", kind=ModuleKind.TRAINING_REFRESHER,
                       audience=Audience.INTERNAL, tags={"industry": "Banking"}),
        module_factory("playbook-1", tags={"industry": "Banking", "journey_phase": "buying",
                                           "buyer_role": "Economic Buyer"}, **internal),
        module_factory("playbook-2", tags={"industry": "Banking", "journey_phase": "buying"},
                       **internal),
        module_factory("playbook-3", tags={"industry": "Banking", "buyer_role": "Economic Buyer"},
                       **internal),
        module_factory("case-study", tags={"industry": "Banking"}),
    ]
    with sessions.begin() as session:
        ensure_org(session, ORG, ORG)
        CatalogRepository(session, ORG).upsert_many(modules)


@pytest.fixture
def used(sessions, today):
    """The rep used a module from the panel ``days_ago`` days before today."""

    def write(days_ago: int, module_key: str = "refresher", user_id: str = REP,
              opportunity_id: str = OPPORTUNITY, kind: str = "open"):
        with sessions.begin() as session:
            assert record_past_use(session, ORG, user_id,
                                   PastUse(module_key, opportunity_id, days_ago, kind), today)

    return write


def internal_ids(panel) -> list[str]:
    return [card.module_id for card in panel.internal]


def test_a_refresher_opened_9_days_ago_comes_back_first_with_why(service, catalog, used, today):
    assert "refresher" not in internal_ids(service.recommend(ORG, BANKING_BUYING, today,
                                                             viewer=REP))
    used(9)
    panel = service.recommend(ORG, BANKING_BUYING, today, viewer=REP)
    assert internal_ids(panel) == ["refresher", "playbook-1", "playbook-2"]
    card = panel.internal[0]
    assert card.back_because == BACK
    assert card.reasons == (BACK, "Banking")
    assert (card.rank, card.propensity, card.explored) == (1, 1.0, False)
    assert [c.rank for c in panel.internal] == [1, 2, 3]
    assert all(c.back_because is None for c in panel.internal[1:] + panel.client_facing)


def test_only_the_rep_who_used_it_sees_it_back(service, catalog, used, today):
    used(9)
    assert "refresher" not in internal_ids(
        service.recommend(ORG, BANKING_BUYING, today, viewer=OTHER_REP))
    assert "refresher" not in internal_ids(service.recommend(ORG, BANKING_BUYING, today))


def test_not_back_when_the_situation_differs(service, catalog, used, today):
    used(9)
    panel = service.recommend(ORG, HEALTHCARE_BUYING, today, viewer=REP)
    assert all(card.back_because is None for card in panel.internal)
    assert "refresher" not in internal_ids(panel)


def test_not_back_before_its_interval_nor_after_a_use_since(service, catalog, used, today):
    used(1)
    assert "refresher" not in internal_ids(
        service.recommend(ORG, BANKING_BUYING, today, viewer=REP))
    used(12, opportunity_id="006A0000000BbbbAAA")  # used on two days, last yesterday: 7 days
    assert "refresher" not in internal_ids(
        service.recommend(ORG, BANKING_BUYING, today, viewer=REP))
    panel = service.recommend(ORG, BANKING_BUYING, today + timedelta(days=6), viewer=REP)
    assert panel.internal[0].back_because == (
        "You opened this 7 days ago; a third look now helps it stick")


def test_a_dismissed_refresher_is_never_shown_to_that_rep_again(service, sessions, catalog, used, today):
    used(9)
    assert service.recommend(ORG, BANKING_BUYING, today, viewer=REP).internal[0].back_because
    assert dismiss(sessions, service.refreshers, ORG, REP, "refresher") is True
    assert dismiss(sessions, service.refreshers, ORG, REP, "refresher") is False  # kept once
    for day in (today, today + timedelta(days=60)):
        assert internal_ids(service.recommend(ORG, BANKING_BUYING, day, viewer=REP)) == [
            "playbook-1", "playbook-2", "playbook-3"]
    # Another rep's refreshers are their own.
    used(9, user_id=OTHER_REP, opportunity_id="006A0000000CcccAAA")
    assert internal_ids(service.recommend(ORG, BANKING_BUYING, today, viewer=OTHER_REP))[0] == (
        "refresher")


@pytest.mark.parametrize("user_id, key, error", [
    (REP, "case-study", NotFound),  # not a training refresher
    (REP, "no-such-module", NotFound),
    (REP, "Refresher!", InvalidInput),
    (REP, 7, InvalidInput),
    (REP, "x" * 65, InvalidInput),
    (None, "refresher", InvalidInput),  # no rep to dismiss it for
])
def test_a_dismissal_is_refused_for_anything_but_a_reps_published_refresher(
        service, sessions, catalog, user_id, key, error):
    with pytest.raises(error):
        dismiss(sessions, service.refreshers, ORG, user_id, key)


def test_a_warm_view_with_a_rep_still_asks_the_database_one_question(service, catalog, used,
                                                                     engine, today):
    used(9)
    service.recommend(ORG, BANKING_BUYING, today, viewer=REP)  # the catalog, the rep's state
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        panel = service.recommend(ORG, BANKING_BUYING, today, viewer=REP)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert panel.internal[0].back_because == BACK
    assert len(statements) == 1, statements


def test_what_the_rep_did_through_any_process_shows_on_their_next_view(service, sessions,
                                                                      catalog, used, today):
    """The view's one statement reads the rep's stamp (latest event, dismissals): the state
    held in memory is read again as soon as it moved, whichever server process stored it."""
    service.recommend(ORG, BANKING_BUYING, today, viewer=REP)  # held: nothing used yet
    used(9)  # stored by another process: this one was not told
    assert internal_ids(service.recommend(ORG, BANKING_BUYING, today, viewer=REP))[0] == (
        "refresher")
    used(0, opportunity_id="006A0000000DdddAAA")  # opened it again today
    assert "refresher" not in internal_ids(
        service.recommend(ORG, BANKING_BUYING, today, viewer=REP))
    used(9, user_id=OTHER_REP, opportunity_id="006A0000000EeeeAAA")  # another rep's stamp
    other = RefresherStates()
    other_service = RecommendationService(sessions, service._taxonomy, k_internal=3,
                                          refreshers=other)
    assert other_service.recommend(ORG, BANKING_BUYING, today, viewer=OTHER_REP
                                   ).internal[0].back_because == BACK
    assert dismiss(sessions, RefresherStates(), ORG, OTHER_REP, "refresher")  # elsewhere
    assert "refresher" not in internal_ids(
        other_service.recommend(ORG, BANKING_BUYING, today, viewer=OTHER_REP))


def test_a_situation_is_ranked_once_and_the_least_recent_dropped_past_the_bound():
    ranked = []

    def rank(name):
        ranked.append(name)
        return (name,)

    situations = Situations(max_entries=2)
    assert situations.get("a", lambda: rank("a")) == ("a",)
    assert situations.get("a", lambda: rank("again")) == ("a",)
    situations.get("b", lambda: rank("b"))
    situations.get("a", lambda: rank("a"))  # a is now the most recent
    situations.get("c", lambda: rank("c"))  # drops b
    situations.get("b", lambda: rank("b"))
    assert ranked == ["a", "b", "c", "b"]


def test_a_situation_that_cannot_be_a_key_is_ranked_each_time():
    situations = Situations()
    assert situations.get(("org", ["a list"]), lambda: ("x",)) == ("x",)
    assert situations.get(("org", ["a list"]), lambda: ("y",)) == ("y",)
