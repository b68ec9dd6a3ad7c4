"""A module a manager recommended to a rep on a deal: first in that rep's list on that deal, the
manager's name as the reason, logged with its own origin, gone once dismissed; a warm view still
asks the database one question."""
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from sqlalchemy import event

from content_catalog.database import session_factory
from content_catalog.events import ImpressionOrigin
from content_catalog.manager_recommendations import ManagerRecommendations
from content_catalog.repository import CatalogRepository, ensure_org
from content_catalog.taxonomy import Audience
from plugin.panel.impressions import ShownPanel
from plugin.panel.manager_picks import ManagerPicks, first_in_lists
from plugin.panel.suggestions import RecommendationService
from recommender import OpportunityContext

ORG = "00DA0000000AaaaMAC"
DEAL, OTHER_DEAL = "006A0000000DealAAA", "006A0000000OtheAAA"
REP, OTHER_REP = "005A0000000RepxAAA", "005A0000000OthrAAA"
BANKING = OpportunityContext(journey_phase="buying", industry="Banking")


@pytest.fixture
def sessions(engine, module_factory):
    factory = session_factory(engine)
    with factory.begin() as session:
        ensure_org(session, ORG, "Acme")
        CatalogRepository(session, ORG).upsert_many([
            module_factory("banking", tags={"industry": "Banking"}),
            module_factory("generic"),
            module_factory("prep", audience=Audience.INTERNAL),
            module_factory("partner-kit", audience=Audience.INTERNAL, for_partners=True),
        ])
    return factory


def recommend(sessions, module="prep", deal=DEAL, rep=REP, note="Read before Thursday"):
    with sessions.begin() as session:
        return ManagerRecommendations(session, ORG).add(
            opportunity_id=deal, rep_id=rep, module_key=module, manager_id="005A0000000DanaAAA",
            manager_name="Dana Whitfield", note=note)


def view(sessions, taxonomy, picks, today, deal=DEAL, rep=REP, partners_only=False):
    ranked = RecommendationService(sessions, taxonomy).recommend(ORG, BANKING, today,
                                                                  partners_only=partners_only)
    return first_in_lists(ranked, picks.cards(ORG, ranked.revisions, deal, rep, today,
                                              partners_only=partners_only))


def test_the_recommended_module_comes_first_with_the_managers_name(sessions, taxonomy, today):
    recommend(sessions)
    panel = view(sessions, taxonomy, ManagerPicks(sessions), today)
    first = panel.internal[0]
    assert (first.module_id, first.recommended_by, first.note) == (
        "prep", "Dana Whitfield", "Read before Thursday")
    assert first.reasons == ("Recommended by Dana Whitfield, your manager",)
    assert [c.module_id for c in panel.internal].count("prep") == 1


def test_only_that_rep_on_that_deal_sees_it(sessions, taxonomy, today):
    recommend(sessions)
    picks = ManagerPicks(sessions)
    for deal, rep in ((OTHER_DEAL, REP), (DEAL, OTHER_REP)):
        panel = view(sessions, taxonomy, picks, today, deal=deal, rep=rep)
        assert not any(c.recommended_by for c in panel.client_facing + panel.internal)


def test_a_dismissed_recommendation_leaves_the_panel(sessions, taxonomy, today):
    saved = recommend(sessions)
    picks = ManagerPicks(sessions)
    assert view(sessions, taxonomy, picks, today).internal[0].recommended_by
    with sessions.begin() as session:
        assert not ManagerRecommendations(session, ORG).dismiss(saved.pk, rep_id=OTHER_REP,
                                                                opportunity_id=DEAL)
        assert ManagerRecommendations(session, ORG).dismiss(saved.pk, rep_id=REP,
                                                            opportunity_id=DEAL)
    assert not view(sessions, taxonomy, picks, today).internal[0].recommended_by


def test_a_partner_rep_is_shown_a_recommendation_only_of_partner_content(sessions, taxonomy,
                                                                         today):
    recommend(sessions, module="prep")
    recommend(sessions, module="partner-kit")
    panel = view(sessions, taxonomy, ManagerPicks(sessions), today, partners_only=True)
    assert [c.module_id for c in panel.internal if c.recommended_by] == ["partner-kit"]


def test_a_warm_view_with_a_recommendation_asks_the_database_one_question(sessions, taxonomy,
                                                                         engine, today):
    recommend(sessions)
    service, picks = RecommendationService(sessions, taxonomy), ManagerPicks(sessions)
    ranked = service.recommend(ORG, BANKING, today)
    picks.cards(ORG, ranked.revisions, DEAL, REP, today)  # reads them once for this revision
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        ranked = service.recommend(ORG, BANKING, today)
        cards = picks.cards(ORG, ranked.revisions, DEAL, REP, today)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [c.module_id for c in cards] == ["prep"]
    assert len(statements) == 1, statements


def test_its_impression_has_the_manager_origin_and_is_not_counted_as_suggested(sessions,
                                                                                taxonomy, today):
    recommend(sessions)
    panel = view(sessions, taxonomy, ManagerPicks(sessions), today)
    stamped = replace(panel, internal=tuple(replace(c, impression_id=f"{n:032x}")
                                            for n, c in enumerate(panel.internal)))
    shown = ShownPanel(ORG, "v" * 32, DEAL, REP, BANKING, stamped, datetime.now(timezone.utc))
    origins = {i.module_key: i.origin for i in shown.impressions()}
    assert origins["prep"] is ImpressionOrigin.MANAGER
    assert "prep" not in shown.module_keys()
