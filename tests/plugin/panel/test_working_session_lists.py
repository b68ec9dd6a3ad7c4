"""A rep reloading one record during a working day sees one list: the learned ranker's
exploratory draw is seeded by rep, record and day, and the cards still log the propensity the
draw had (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from plugin.crm.records import OpportunityRecord
from plugin.services import build_services
from plugin.settings import Settings
from tests.plugin.model_fixtures import ORG, buying_catalog, log_views, publish

RECORD = "006A0000001AbcdIAC"


class OneRecord:
    """An opportunity source holding one record in the logged views' context."""

    org_id = ORG

    def fetch(self, opportunity_id: str) -> OpportunityRecord:
        return OpportunityRecord(opportunity_id=RECORD, name="Buying deal",
                                 stage="Negotiation/Review")


@pytest.fixture
def day(today):
    return {"today": today}


@pytest.fixture
def views(engine, today, day, module_factory):
    services = build_services(Settings(database_url="sqlite://"), today=lambda: day["today"],
                              engine=engine)
    publish(services, *buying_catalog(module_factory))
    log_views(services, ("a-case", "b-case", "c-case", "d-case", "f-gem"), "f-gem", views=30,
              first_day=today - timedelta(days=20))
    services.trainer.train_org(ORG, today=today)
    yield services.panel_views
    services.impressions.close()  # the views' impressions, written before the tables are emptied


def shown(views, rep: str) -> tuple:
    panel = views.view(OneRecord(), RECORD, viewer=rep).suggestions
    return tuple((card.module_id, card.explored, card.propensity)
                 for card in panel.client_facing + panel.internal)


def test_eight_reloads_by_one_rep_on_one_record_on_one_day_show_one_list(views):
    reps = [f"005A00000{n:06d}AAA" for n in range(40)]
    first = {rep: shown(views, rep) for rep in reps}
    exploring = [rep for rep, cards in first.items() if any(explored for _, explored, _ in cards)]
    assert exploring, "40 reps at explore=0.2: none exploring has probability 1e-4"
    rep = exploring[0]
    reloads = {shown(views, rep) for _ in range(8)}
    assert reloads == {first[rep]}
    explored = [card for card in first[rep] if card[1]]
    assert all(0.0 < propensity < 1.0 for _, _, propensity in explored)


def test_another_rep_or_another_day_may_see_another_list(views, day):
    reps = [f"005A00000{n:06d}AAA" for n in range(40)]
    today = {rep: shown(views, rep) for rep in reps}
    assert len(set(today.values())) > 1  # reps differ: the draw is not one for everybody
    day["today"] += timedelta(days=1)
    tomorrow = {rep: shown(views, rep) for rep in reps}
    assert any(today[rep] != tomorrow[rep] for rep in reps)  # the next day draws again
