"""The panel serves the org's active trained model, picks up a new one or a rollback on its next
request without a restart, keeps working as the catalog changes, and falls back to v1 when a
stored model is broken (SQLite and PostgreSQL)."""
from __future__ import annotations

import pickle
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from content_catalog.model_store import RankerModels
from content_catalog.org_activity import OrgActivityRepository
from content_catalog.taxonomy import ModuleStatus
from plugin.panel.suggestions import CatalogUnavailable
from plugin.ranking.served_models import MODEL_FAILED_EVENT, RETRY_FAILED_S
from recommender.learning import LearnedRanker
from tests.plugin.crm.salesforce.sf_fakes import FakeClock
from tests.plugin.model_fixtures import (
    BUYING,
    GEM,
    ORG,
    SHOWN_BY_V1,
    another_process,
    buying_catalog,
    ids,
    log_views,
    publish,
    services_on,
)

SHOWN_WITH_GEM = (*SHOWN_BY_V1[:4], GEM)


@pytest.fixture
def services(engine, today, module_factory):
    services = services_on(engine, today)
    publish(services, *buying_catalog(module_factory))
    log_views(services, SHOWN_WITH_GEM, GEM, views=30, first_day=today - timedelta(days=20))
    return services


def served(services, today):
    panel = services.recommendations.recommend(ORG, BUYING, today)
    return panel.client_facing


def versions_served(services, today) -> set[str]:
    return {card.model_version for card in served(services, today)}


def store_payload(services, payload: bytes) -> None:
    with services.sessions.begin() as session:
        RankerModels(session, ORG).save(
            model_id="learned-broken", payload=payload, catalog_revision=0, n_impressions=1,
            summary={},
        )  # fmt: skip


def failure_events(services) -> list[str]:
    with services.sessions() as session:
        events = OrgActivityRepository(session, ORG).recent_events()
    return [e.message for e in events if e.kind == MODEL_FAILED_EVENT]


def test_a_new_version_and_a_rollback_are_served_without_a_restart(services, today):
    """The process that made the change serves it on its next view; another, once its held
    serving markers are older than the hold (``BEINSPIRED_SERVING_STATE_HOLD_SECONDS``)."""
    clock = FakeClock()
    other = another_process(services, clock)
    hold = services.settings.serving_state_hold_seconds
    v1_cards = served(services, today)
    assert versions_served(services, today) == versions_served(other, today) == {"v1"}

    first = services.trainer.train_org(ORG, today=today)
    assert versions_served(services, today) == {first.model_id}
    clock.advance(hold)
    assert versions_served(other, today) == {first.model_id}
    cards = served(services, today)
    assert ids(cards)[0] == GEM or any(card.explored for card in cards)  # unless explored over

    second = services.trainer.train_org(ORG, today=today)
    assert versions_served(services, today) == {second.model_id}
    clock.advance(hold)
    assert versions_served(other, today) == {second.model_id}

    with services.sessions.begin() as session:  # an admin, elsewhere: roll back
        RankerModels(session, ORG).activate(first.version)
    assert versions_served(services, today) == {first.model_id}
    clock.advance(hold)
    assert versions_served(other, today) == {first.model_id}

    with services.sessions.begin() as session:
        RankerModels(session, ORG).deactivate()
    assert served(services, today) == v1_cards  # exactly v1 again
    clock.advance(hold)
    assert served(other, today) == v1_cards


def test_the_served_model_explores_and_says_with_what_probability(services, today):
    services.trainer.train_org(ORG, today=today)
    cards = [card for _ in range(80) for card in served(services, today)]
    explored = [card for card in cards if card.explored]
    assert explored  # 80 views at explore=0.2: all unexplored has probability 2e-8
    assert all(0.0 < card.propensity < 1.0 for card in explored)
    assert {card.propensity for card in cards if not card.explored} == {1 - 0.2 / 5}


def test_the_loaded_model_follows_the_catalog_it_was_not_trained_on(
    services, module_factory, today
):
    trained = services.trainer.train_org(ORG, today=today)
    publish(
        services,
        module_factory(GEM, status=ModuleStatus.RETIRED, tags={"journey_phase": "buying"}),
        module_factory("g-stage-fit", tags={"journey_phase": "buying",
                                            "deal_stage": "Negotiation/Review"}),
    )  # fmt: skip
    shown = 0
    for _ in range(20):
        cards = served(services, today)
        assert {card.model_version for card in cards} == {trained.model_id}
        assert GEM not in ids(cards)
        # Its tags fit best, so it is listed unless the exploratory pick took its slot.
        assert ids(cards)[0] == "g-stage-fit" or any(card.explored for card in cards)
        shown += "g-stage-fit" in ids(cards)
    assert shown >= 10


def test_a_corrupt_model_costs_no_panel_v1_is_served_and_admins_are_told(services, today):
    v1_cards = served(services, today)
    store_payload(services, b"not a model at all")

    assert served(services, today) == v1_cards
    assert served(services, today) == v1_cards  # not retried on every view
    (message,) = failure_events(services)
    assert "(model version 1) could not be loaded" in message and "(v1)" in message

    good = services.trainer.train_org(ORG, today=today)  # a new version moves the marker: served
    assert versions_served(services, today) == {good.model_id}


class TouchesAFileWhenUnpickled:
    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def test_a_pickle_in_the_model_store_is_never_run_and_v1_is_served(services, today, tmp_path):
    v1_cards = served(services, today)
    ran = tmp_path / "ran"
    store_payload(services, pickle.dumps(TouchesAFileWhenUnpickled(ran)))

    assert served(services, today) == v1_cards
    assert not ran.exists()
    (message,) = failure_events(services)
    assert "could not be loaded" in message


def test_a_model_that_cannot_take_the_catalog_falls_back_to_v1(services, today, monkeypatch):
    v1_cards = served(services, today)
    services.trainer.train_org(ORG, today=today)

    def broken(self, candidates, previous=None):
        raise ValueError("the catalog has a module this model cannot lay out")

    monkeypatch.setattr(LearnedRanker, "with_catalog", broken)
    assert served(services, today) == v1_cards
    assert any("current catalog" in message for message in failure_events(services))


def test_a_model_that_fails_while_ranking_falls_back_to_v1(services, today, monkeypatch):
    v1_cards = served(services, today)
    services.trainer.train_org(ORG, today=today)

    def broken(self, *args, **kwargs):
        raise FloatingPointError("overflow in exp")

    monkeypatch.setattr(LearnedRanker, "rank", broken)
    assert served(services, today) == v1_cards
    assert any("used to rank" in message for message in failure_events(services))


def test_a_preview_ranks_with_the_model_without_exploring(services, today):
    trained = services.trainer.train_org(ORG, today=today)
    previews = [
        services.recommendations.recommend(ORG, BUYING, today, explore=False).client_facing
        for _ in range(30)
    ]
    assert all(cards == previews[0] for cards in previews)
    assert {card.model_version for card in previews[0]} == {trained.model_id}
    assert ids(previews[0])[0] == GEM
    assert all(card.propensity == 1.0 and not card.explored for card in previews[0])


def test_a_failed_model_is_tried_again_later_and_admins_are_told_once(services, today):
    v1_cards = served(services, today)
    store_payload(services, b"not a model at all")
    models = services.recommendations._models
    now = [1000.0]
    models._clock = lambda: now[0]

    assert served(services, today) == v1_cards
    now[0] += RETRY_FAILED_S + 1  # retried: fails again, told no second time
    assert served(services, today) == v1_cards
    assert len(failure_events(services)) == 1

    good = services.trainer.train_org(ORG, today=today)
    with services.sessions.begin() as session:  # the broken version is served again, then fixed
        RankerModels(session, ORG).activate(1)
    assert served(services, today) == v1_cards
    with services.sessions.begin() as session:
        RankerModels(session, ORG).activate(good.version)
    assert versions_served(services, today) == {good.model_id}


def test_a_database_error_while_reading_the_catalog_is_not_the_models_failure(
    services, today, monkeypatch
):
    trained = services.trainer.train_org(ORG, today=today)
    from content_catalog.repository import CatalogRepository

    # The panel reads the published catalog once per revision (display fields and the rankers'
    # candidates together); the first such read fails.
    real = CatalogRepository.published
    calls = []

    def flaky(self, *args, **kwargs):
        calls.append(self.org_id)
        if len(calls) == 1:
            raise OperationalError("SELECT ...", {}, Exception("connection reset"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(CatalogRepository, "published", flaky)
    # With nothing of the org in memory yet, the view has nothing to rank from: the web room
    # turns this into the degraded panel (tests/faults), never a model failure.
    with pytest.raises(CatalogUnavailable):
        served(services, today)
    assert versions_served(services, today) == {trained.model_id}  # the next view serves it
    assert failure_events(services) == []
