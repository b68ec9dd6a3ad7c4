"""The demo's simulated reps and meetings, and the leading indicators they give, on both databases."""
from __future__ import annotations

from datetime import date

import pytest

from content_catalog.database import session_factory
from content_catalog.people_store import PeopleStore
from plugin.analytics.indicator_data import load_indicator_data
from plugin.analytics.leading_indicators import indicators_for, scopes
from plugin.crm.demo_org import DEMO_ORG_ID, DemoOrg, load_demo_catalog
from plugin.learning.demo_history import seed_demo_history
from plugin.learning.demo_meetings import seed_demo_people_history, simulated_rep_id

TODAY = date(2026, 11, 23)
DANA, SAM = "0055e00000DANAWAA5", "0055e00000DEMOLAA5"




@pytest.fixture
def sessions(engine, taxonomy):
    sessions = session_factory(engine)
    load_demo_catalog(engine, sessions, taxonomy)
    seed_demo_history(sessions, taxonomy, today=TODAY)  # the demo's own size: 10 weeks × 60 views
    return sessions


def test_the_simulated_reps_join_the_demo_teams_and_their_meetings_feed_the_indicators(sessions):
    first = seed_demo_people_history(sessions, today=TODAY)
    again = seed_demo_people_history(sessions, today=TODAY)
    assert first.ok and first.users == 22 and first.meetings > 40
    assert again.meetings == first.meetings
    with sessions() as session:
        store = PeopleStore(session, DEMO_ORG_ID)
        meetings = store.meetings()
        users = {u.user_id: u for u in store.users()}
    assert len(meetings) == first.meetings
    assert users[simulated_rep_id(0)].manager_id == DANA
    assert users[simulated_rep_id(11)].is_partner
    bundled = {r.opportunity_id for r in DemoOrg().opportunities()}
    assert any(m.opportunity_id in bundled and m.owner_id == SAM for m in meetings)
    # ... and they give every leading indicator a denominator and a mix of yes and no.
    demo = DemoOrg()
    with sessions() as session:
        data = load_indicator_data(
            session, DEMO_ORG_ID, today=TODAY, weeks=8,
            stage_order=[s.value for s in demo.stages()],
            known_owners={r.opportunity_id: r.owner_id for r in demo.opportunities()})
    everyone = indicators_for(set(data.people.users), data.inputs)
    for figure in (everyone.value_analysis, everyone.preparation, everyone.suggestions):
        assert 0 < figure.numerator < figure.denominator, figure
    dana = scopes(data.people, data.inputs, visible=data.people.team(DANA))
    assert dana[0].kind == "team" and all(s.key in data.people.team(DANA) for s in dana[1:])
