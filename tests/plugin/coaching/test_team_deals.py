"""The coaching view's figures, read on both databases: a manager's team (and a channel
manager's partner reps), the deals their reps opened the panel on, the content used on each, the
suggestions seen and used per rep, and the manager's recommendations with their state."""
from datetime import date, datetime, timedelta, timezone

import pytest

from content_catalog.database import session_factory
from content_catalog.events import (
    EventKind, Impression, ImpressionOrigin, PanelEvent, PanelEventLog, add_impressions,
)
from content_catalog.manager_recommendations import ManagerRecommendations
from content_catalog.people_store import PeopleStore, SyncedUser
from content_catalog.repository import CatalogRepository, ensure_org
from plugin.coaching.team_deals import build_coaching_view

ORG = "00DA0000000AaaaMAC"
DANA, SAM, PRIYA, OTHER = ("005A0000000DanaAAA", "005A0000000SamxAAA", "005A0000000PriyAAA",
                           "005A0000000OthrAAA")
MARCUS, JAMIE = "005A0000000MarcAAA", "005A0000000JamiAAA"
DEAL_SAM, DEAL_PRIYA, DEAL_OTHER = "006A0000000SamDAAA", "006A0000000PriDAAA", "006A0000000OthDAAA"
TODAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 14, 12, tzinfo=timezone.utc)


@pytest.fixture
def sessions(engine, module_factory):
    factory = session_factory(engine)
    with factory.begin() as session:
        ensure_org(session, ORG, "Acme")
        CatalogRepository(session, ORG).upsert_many([module_factory("roi"),
                                                     module_factory("deck")])
        PeopleStore(session, ORG).save_users([
            SyncedUser(DANA, "Dana Whitfield"), SyncedUser(SAM, "Sam Carter", manager_id=DANA),
            SyncedUser(PRIYA, "Priya Natarajan", manager_id=DANA),
            SyncedUser(OTHER, "Lukas Brandt"), SyncedUser(MARCUS, "Marcus Bell"),
            SyncedUser(JAMIE, "Jamie Ortiz", user_type="PowerPartner", is_partner=True,
                       manager_id=MARCUS, partner_account_id="001A0000000BrtlAAA"),
        ])
    return factory


def shown(n, opportunity, user, module, origin=ImpressionOrigin.SUGGESTIONS):
    return Impression(
        impression_id=f"{n:032x}", org_id=ORG, view_id=f"{n:032x}", opportunity_id=opportunity,
        user_id=user, module_key=module, audience="client_facing", position=1, score=1.0,
        propensity=1.0, explored=False, model_version="v1",
        context={"stage": "Proposal/Price Quote"}, shown_at=NOW - timedelta(days=1), origin=origin)


def test_the_team_its_deals_the_content_used_and_the_figures(sessions):
    with sessions.begin() as session:
        add_impressions(session, [shown(1, DEAL_SAM, SAM, "roi"), shown(2, DEAL_SAM, SAM, "deck"),
                                  shown(3, DEAL_PRIYA, PRIYA, "deck"),
                                  shown(4, DEAL_OTHER, OTHER, "roi")])
        PanelEventLog(session, ORG).add_events([
            PanelEvent(event_id=f"{n:032x}", impression_id=f"{i:032x}", kind=kind,
                       occurred_at=NOW, user_id=user, received_at=NOW)
            for n, (i, kind, user) in enumerate([(1, EventKind.COPY, SAM),
                                                 (2, EventKind.OPEN, SAM),
                                                 (4, EventKind.COPY, OTHER)], start=10)])
        ManagerRecommendations(session, ORG).add(
            opportunity_id=DEAL_SAM, rep_id=SAM, module_key="deck", manager_id=DANA,
            manager_name="Dana Whitfield", note="")
    view = build_coaching_view(sessions, ORG, DANA, None, TODAY)
    assert {r.name: (r.suggestions_seen, r.suggestions_used) for r in view.reps} == {
        "Sam Carter": (2, 1), "Priya Natarajan": (1, 0)}
    deals = {d.record.opportunity_id: d for d in view.deals}
    assert set(deals) == {DEAL_SAM, DEAL_PRIYA}  # not the other team's
    assert deals[DEAL_SAM].record.stage == "Proposal/Price Quote"
    assert [(c.module_key, c.used) for c in deals[DEAL_SAM].content] == [("roi", True),
                                                                         ("deck", False)]
    assert [r.module_key for r in deals[DEAL_SAM].recommendations] == ["deck"]
    assert not view.channel


def test_a_channel_manager_coaches_the_partner_reps(sessions):
    view = build_coaching_view(sessions, ORG, MARCUS, [], TODAY)
    assert view.channel and [(r.name, r.partner) for r in view.reps] == [("Jamie Ortiz", True)]
