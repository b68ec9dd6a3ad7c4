"""A view after a catalog edit or a new model never waits for the refit on a big catalog: the
previous fit serves, filtered on the current catalog, until the refit made in the background is
ready (SQLite and PostgreSQL). "Big" is any catalog here (``refit_inline_modules=0``); small
catalogs refit before the view ranks, as every other test of the service shows."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from content_catalog.model_store import RankerModels
from content_catalog.taxonomy import Audience, ModuleKind, ModuleStatus
from plugin.panel.suggestions import RecommendationService
from plugin.ranking.refit_work import ChildProcess, forget_fits, last_fit
from plugin.ranking.refits import OrgRefits
from recommender import OpportunityContext, TagTextRanker
from tests.plugin.model_fixtures import (
    BUYING, ORG, SHOWN_BY_V1, buying_catalog, log_views, publish, services_on,
)
from tests.plugin.ranking.test_org_refits import HeldThreads

BANKING = OpportunityContext(journey_phase="buying", industry="Banking",
                             buyer_roles=("Economic Buyer",))


@pytest.fixture
def services(engine, today):
    return services_on(engine, today)


@pytest.fixture
def threads():
    return HeldThreads()


@pytest.fixture
def service(services, taxonomy, threads):
    """The panel's service as on a big catalog, its refit threads held until the test runs them."""
    return RecommendationService(services.sessions, taxonomy, k_client_facing=5, k_internal=3,
                                 refit_inline_modules=0, refits=OrgRefits(start=threads))


@pytest.fixture
def fits(monkeypatch):
    """The catalogs v1 was fitted on, in order."""
    fitted = []
    original = TagTextRanker.fit

    def counting_fit(self, candidates, previous=None):
        fitted.append(sorted(c.module_id for c in candidates))
        return original(self, candidates, previous)

    monkeypatch.setattr(TagTextRanker, "fit", counting_fit)
    return fitted


def database_url(engine) -> str:
    """A URL another process can open ``engine``'s database with (the test schema included)."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        with engine.connect() as connection:
            schema = connection.execute(text("SHOW search_path")).scalar()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def shown(panel) -> list[str]:
    return [card.module_id for card in panel.client_facing + panel.internal]


def test_the_first_fit_of_an_org_is_made_in_the_view(services, service, threads, module_factory,
                                                     fits, today):
    publish(services, module_factory("a"))
    assert shown(service.recommend(ORG, BANKING, today)) == ["a"]
    assert fits == [["a"]] and threads.held == []


def test_a_new_module_is_served_once_the_background_refit_is_ready(
    services, service, threads, module_factory, fits, today
):
    publish(services, module_factory("a-generic"))
    service.recommend(ORG, BANKING, today)
    publish(services, module_factory("b-banking", tags={"industry": "Banking"}))

    assert shown(service.recommend(ORG, BANKING, today)) == ["a-generic"]  # the previous fit
    assert fits == [["a-generic"]] and len(threads.held) == 1
    threads.run_next()
    assert fits == [["a-generic"], ["a-generic", "b-banking"]]
    assert shown(service.recommend(ORG, BANKING, today)) == ["b-banking", "a-generic"]
    assert threads.held == []  # the new fit serves: nothing more to refit


def test_a_background_refit_starts_from_the_orgs_last_refit(
    services, service, threads, module_factory, monkeypatch, today
):
    forget_fits()  # as a new refit child starts: the first refit fits from scratch
    started_from = []
    original = TagTextRanker.fit

    def recording_fit(self, candidates, previous=None):
        started_from.append(previous)
        return original(self, candidates, previous)

    monkeypatch.setattr(TagTextRanker, "fit", recording_fit)
    publish(services, module_factory("a-generic"))
    service.recommend(ORG, BANKING, today)
    publish(services, module_factory("b-banking", tags={"industry": "Banking"}))
    service.recommend(ORG, BANKING, today)
    threads.run_next()
    kept = last_fit(ORG)
    assert started_from == [None, None] and list(kept.module_ids_) == ["a-generic", "b-banking"]

    publish(services, module_factory("c-banking", tags={"industry": "Banking"}))
    service.recommend(ORG, BANKING, today)
    threads.run_next()
    assert started_from[-1] is kept
    assert shown(service.recommend(ORG, BANKING, today)) == ["b-banking", "c-banking",
                                                             "a-generic"]


def test_many_views_during_a_refit_ask_for_it_once_and_it_fits_once(
    services, service, threads, module_factory, fits, today
):
    publish(services, module_factory("a"))
    service.recommend(ORG, BANKING, today)
    publish(services, module_factory("b"))
    for _ in range(20):
        service.recommend(ORG, BANKING, today)
    assert len(threads.held) == 1
    threads.run_next()
    assert fits == [["a"], ["a", "b"]]


def test_an_edited_module_shows_its_current_words_before_the_refit(
    services, service, threads, module_factory, today
):
    publish(services, module_factory("a", title="Old title", summary="Old summary."))
    service.recommend(ORG, BANKING, today)
    publish(services, module_factory("a", title="New title", summary="New summary."))

    (card,) = service.recommend(ORG, BANKING, today).client_facing
    assert threads.held  # the refit has not run
    assert (card.title, card.summary) == ("New title", "New summary.")


@pytest.mark.parametrize("edit", [
    {"status": ModuleStatus.RETIRED},
    {"status": ModuleStatus.DRAFT},
    {"review_by": "yesterday"},
], ids=["retired", "back-to-draft", "review-date-passed"])
def test_a_module_no_longer_servable_is_not_served_before_the_refit(
    services, service, threads, module_factory, today, edit
):
    publish(services, module_factory("a", tags={"industry": "Banking"}), module_factory("b"))
    assert shown(service.recommend(ORG, BANKING, today)) == ["a", "b"]
    if edit.get("review_by") == "yesterday":
        edit = {"review_by": today - timedelta(days=1)}
    publish(services, module_factory("a", tags={"industry": "Banking"}, **edit))

    assert shown(service.recommend(ORG, BANKING, today)) == ["b"]
    assert threads.held  # served by the previous fit, filtered on the current catalog
    threads.run_next()
    assert shown(service.recommend(ORG, BANKING, today)) == ["b"]


def test_a_module_moved_to_the_other_audience_is_not_served_in_its_old_list_before_the_refit(
    services, service, threads, module_factory, today
):
    publish(services, module_factory("a"), module_factory("b"))
    assert [c.module_id for c in service.recommend(ORG, BANKING, today).client_facing] == ["a", "b"]
    publish(services, module_factory("a", audience=Audience.INTERNAL))

    panel = service.recommend(ORG, BANKING, today)
    assert ([c.module_id for c in panel.client_facing], panel.internal) == (["b"], ())
    threads.run_next()
    panel = service.recommend(ORG, BANKING, today)
    assert ([c.module_id for c in panel.client_facing],
            [c.module_id for c in panel.internal]) == (["b"], ["a"])


def test_a_new_model_is_loaded_in_the_background_while_v1_serves(
    services, service, threads, module_factory, today
):
    publish(services, *buying_catalog(module_factory))
    log_views(services, SHOWN_BY_V1, "f-gem", views=30, first_day=today - timedelta(days=20))
    v1_cards = service.recommend(ORG, BUYING, today, explore=False).client_facing
    trained = services.trainer.train_org(ORG, today=today)

    assert service.recommend(ORG, BUYING, today, explore=False).client_facing == v1_cards
    threads.run_next()
    cards = service.recommend(ORG, BUYING, today, explore=False).client_facing
    assert {card.model_version for card in cards} == {trained.model_id}


def test_the_previous_model_serves_until_the_next_one_is_ready(
    services, service, threads, module_factory, today
):
    publish(services, *buying_catalog(module_factory))
    log_views(services, SHOWN_BY_V1, "f-gem", views=30, first_day=today - timedelta(days=20))
    service.recommend(ORG, BUYING, today)
    first = services.trainer.train_org(ORG, today=today)
    service.recommend(ORG, BUYING, today)
    threads.run_next()

    second = services.trainer.train_org(ORG, today=today)
    cards = service.recommend(ORG, BUYING, today)
    assert {card.model_version for card in cards.client_facing} == {first.model_id}
    publish(services, module_factory("g-new", tags={"journey_phase": "buying"}))
    service.recommend(ORG, BUYING, today)  # and a catalog edit meanwhile: still one refit queued
    assert len(threads.held) == 1
    threads.run_next()
    cards = service.recommend(ORG, BUYING, today, explore=False)
    assert {card.model_version for card in cards.client_facing} == {second.model_id}
    assert threads.held == []  # laid over the newest catalog in the same refit


def test_an_org_serving_a_model_holds_its_v1_part_as_v1_not_a_second_fit(
    services, service, threads, module_factory, today, fits
):
    publish(services, *buying_catalog(module_factory))
    log_views(services, SHOWN_BY_V1, "f-gem", views=30, first_day=today - timedelta(days=20))
    service.recommend(ORG, BUYING, today)  # v1, fitted in the view: the org's first fit
    trained = services.trainer.train_org(ORG, today=today)
    service.recommend(ORG, BUYING, today)
    threads.run_next()  # the model laid over the catalog
    publish(services, module_factory("g-stage-fit", tags={
        "journey_phase": "buying", "deal_stage": "Negotiation/Review"}))
    service.recommend(ORG, BUYING, today)
    threads.run_next()  # and over the edited catalog: v1 itself was not refitted for it
    cards = service.recommend(ORG, BUYING, today, explore=False).client_facing
    assert {card.model_version for card in cards} == {trained.model_id}
    fitted = len(fits)

    with services.sessions.begin() as session:
        RankerModels(session, ORG).deactivate()
    cards = service.recommend(ORG, BUYING, today, explore=False).client_facing
    # v1 serves the edited catalog at once, from the model's own v1 part: nothing is refitted
    assert trained.model_id not in {card.model_version for card in cards}
    assert "g-stage-fit" in [card.module_id for card in cards]
    assert threads.held == [] and len(fits) == fitted


def test_a_view_never_waits_for_a_refit_running_on_its_thread(
    services, taxonomy, module_factory, monkeypatch, today
):
    service = RecommendationService(services.sessions, taxonomy, refit_inline_modules=0)
    publish(services, module_factory("a-generic"))
    service.recommend(ORG, BANKING, today)

    started, release = threading.Event(), threading.Event()
    original = TagTextRanker.fit

    def slow_fit(self, candidates, previous=None):
        if threading.current_thread().name == "beinspired-refit":
            started.set()
            assert release.wait(timeout=60)
        return original(self, candidates, previous)

    monkeypatch.setattr(TagTextRanker, "fit", slow_fit)
    publish(services, module_factory("b-banking", tags={"industry": "Banking"}))
    assert shown(service.recommend(ORG, BANKING, today)) == ["a-generic"]
    assert started.wait(timeout=60)  # the refit is running, and holds no view up:
    assert shown(service.recommend(ORG, BANKING, today)) == ["a-generic"]
    release.set()
    assert service.refits.wait_idle(timeout=60)
    assert shown(service.recommend(ORG, BANKING, today)) == ["b-banking", "a-generic"]


def test_a_refit_in_a_child_process_serves_the_edit_and_the_new_model(
    engine, services, taxonomy, threads, module_factory, today
):
    work = ChildProcess(database_url(engine))
    service = RecommendationService(services.sessions, taxonomy, refit_inline_modules=0,
                                    refits=OrgRefits(start=threads), work=work)
    try:
        publish(services, *buying_catalog(module_factory))
        log_views(services, SHOWN_BY_V1, "f-gem", views=30, first_day=today - timedelta(days=20))
        service.recommend(ORG, BUYING, today)
        publish(services, module_factory("g-stage-fit", tags={
            "journey_phase": "buying", "deal_stage": "Negotiation/Review"}))
        assert "g-stage-fit" not in shown(service.recommend(ORG, BUYING, today))
        threads.run_next()  # fitted in the child, handed back
        assert shown(service.recommend(ORG, BUYING, today))[0] == "g-stage-fit"

        trained = services.trainer.train_org(ORG, today=today)
        service.recommend(ORG, BUYING, today)
        threads.run_next()
        cards = service.recommend(ORG, BUYING, today, explore=False).client_facing
        assert {card.model_version for card in cards} == {trained.model_id}
    finally:
        work.close()


def test_views_during_a_refit_count_the_catalog_once_per_revision(
    services, service, threads, module_factory, today
):
    publish(services, module_factory("a"))
    service.recommend(ORG, BANKING, today)
    publish(services, module_factory("b"))
    counted = []

    def count_statements(_conn, _cursor, statement, *_args):
        if "count(" in statement.lower() and "content_modules" in statement.lower():
            counted.append(statement)

    event.listen(services.engine, "before_cursor_execute", count_statements)
    try:
        for _ in range(10):
            service.recommend(ORG, BANKING, today)
    finally:
        event.remove(services.engine, "before_cursor_execute", count_statements)
    assert len(counted) == 1 and len(threads.held) == 1


def test_display_fields_read_as_rows_equal_those_of_the_stored_modules(services, module_factory):
    """A big catalog's display fields are read as plain rows of the shown columns; they must be
    what the cards showed when built from stored modules (drafts and retired ones left out)."""
    from content_catalog.repository import CatalogRepository
    from plugin.panel.suggestions import DisplayFields, published_display

    publish(services, *buying_catalog(module_factory),
            module_factory("partner-kit", title="Partner kit", summary="For partners",
                           audience=Audience.INTERNAL, link="https://example.com/kit",
                           kind=ModuleKind.PLAYBOOK, author="Partner team",
                           for_partners=True),
            module_factory("draft", title="Draft", status=ModuleStatus.DRAFT))
    with services.sessions() as session:
        stored = {m.key: DisplayFields.of(m) for m in CatalogRepository(session, ORG).published()}
        read = published_display(session, ORG)
    assert read == stored
    assert "draft" not in read and read["partner-kit"].for_partners
    assert read["partner-kit"].kind_label == stored["partner-kit"].kind_label != ""
