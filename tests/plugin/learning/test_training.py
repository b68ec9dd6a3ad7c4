"""Training an org's learned ranker from what the panel logged, and storing it as the served
version (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from content_catalog.model_store import RankerModels
from content_catalog.org_settings import OrgSettingsRepository
from content_catalog.repository import OrgNotFound, ensure_org
from plugin.crm.demo_org import DEMO_ORG_ID
from plugin.ranking.candidates import catalog_candidates
from content_catalog.org_activity import OrgActivityRepository
from plugin.learning.training import (
    NOTHING_TO_LEARN, TRAINED_EVENT, TRAINING_FAILED_EVENT,
)
from recommender.learning import LearnedRanker
from tests.plugin.model_fixtures import (
    BUYING,
    GEM,
    ORG,
    SHOWN_BY_V1,
    buying_catalog,
    ids,
    log_views,
    publish,
    services_on,
)

OTHER_ORG = "00DB0000000BbbbMAC"
SHOWN_WITH_GEM = (*SHOWN_BY_V1[:4], GEM)  # the gem at position 5, where reps look least


@pytest.fixture
def services(engine, today):
    return services_on(engine, today)


@pytest.fixture
def catalog(services, module_factory):
    publish(services, *buying_catalog(module_factory))


def stored(services, org_id=ORG):
    with services.sessions() as session:
        store = RankerModels(session, org_id)
        return store.versions(), store.active()


def test_without_logged_impressions_nothing_is_stored_and_v1_is_served(services, catalog, today):
    before = services.recommendations.recommend(ORG, BUYING, today)
    report = services.trainer.train_org(ORG, today=today)

    assert report.version is None and report.note == NOTHING_TO_LEARN and not report.failed
    assert report.impressions == 0 and "serving v1" in report.line()
    assert stored(services) == ([], None)
    after = services.recommendations.recommend(ORG, BUYING, today)
    assert ids(after.client_facing) == ids(before.client_facing) == list(SHOWN_BY_V1)
    assert {card.model_version for card in after.client_facing} == {"v1"}


def test_impressions_of_modules_no_longer_published_teach_nothing(
    services, module_factory, today
):
    publish(services, module_factory("a-case", tags={"journey_phase": "buying"}))
    log_views(services, ("retired-one",), "retired-one", views=20, first_day=today - timedelta(30))
    report = services.trainer.train_org(ORG, today=today)
    assert report.version is None and report.impressions == 0
    assert stored(services) == ([], None)


def test_a_module_reps_always_found_helpful_is_ranked_first_by_the_trained_version(
    services, catalog, today
):
    log_views(services, SHOWN_WITH_GEM, GEM, views=40, first_day=today - timedelta(days=20))
    report = services.trainer.train_org(ORG, today=today)

    assert (report.version, report.impressions, report.views, report.rewarded) == (1, 200, 40, 40)
    assert report.model_id.startswith("learned-") and report.model_id in report.line()
    versions, active = stored(services)
    assert [v.version for v in versions] == [1] and active.info.model_id == report.model_id
    summary = active.info.summary
    assert (summary["window_days"], summary["views"], summary["rewarded_rate"]) == (180, 40, 0.2)
    assert summary["parameters"]["blend"] == 8.0 and summary["modules"] == 6

    with services.sessions() as session:  # a stored model holds no catalog: lay it over one
        model = LearnedRanker.from_bytes(active.payload, catalog_candidates(session, ORG))
    learned = ids(model.rank(BUYING, today=today).client_facing)
    assert learned[0] == GEM
    assert learned != list(SHOWN_BY_V1)


def test_the_window_leaves_out_older_impressions(services, catalog, today):
    log_views(services, SHOWN_WITH_GEM, GEM, views=10, first_day=today - timedelta(days=60))
    assert services.trainer.train_org(ORG, today=today, window_days=30).version is None
    assert services.trainer.train_org(ORG, today=today, window_days=90).views == 10


def test_a_second_training_is_the_next_version_and_keeps_the_first_for_rollback(
    services, catalog, today
):
    log_views(services, SHOWN_WITH_GEM, GEM, views=20, first_day=today - timedelta(days=20))
    first = services.trainer.train_org(ORG, today=today)
    second = services.trainer.train_org(ORG, today=today)
    versions, active = stored(services)
    assert [v.version for v in versions] == [2, 1] and active.info.version == second.version == 2
    assert first.model_id != second.model_id  # trained at another moment


def test_the_stored_candidates_carry_kind_and_first_publication(services, catalog, today):
    with services.sessions() as session:
        candidates = catalog_candidates(session, ORG)
    assert {c.kind for c in candidates} == {"case_study"}
    assert all(c.published_on is not None for c in candidates)


def test_a_bad_window_or_an_unknown_org_is_refused(services, catalog, today):
    with pytest.raises(ValueError, match="at least 1 day"):
        services.trainer.train_org(ORG, today=today, window_days=0)
    with pytest.raises(OrgNotFound):
        services.trainer.train_org("00DC0000000CcccMAC", today=today)


def test_train_all_trains_the_demo_and_connected_orgs_and_reports_a_failing_one(
    services, catalog, module_factory, today, monkeypatch
):
    log_views(services, SHOWN_WITH_GEM, GEM, views=20, first_day=today - timedelta(days=20))
    publish(services, *buying_catalog(module_factory), org_id=DEMO_ORG_ID)
    with services.sessions.begin() as session:
        OrgSettingsRepository(session).put(ORG, "Acme", "{}", "")
        OrgSettingsRepository(session).put(OTHER_ORG, "Globex", "{}", "")
        ensure_org(session, OTHER_ORG, "Globex")

    import plugin.learning.training as training

    real = training.logged_impressions

    def broken_for_globex(session, org_id, since, until):
        if org_id == OTHER_ORG:
            raise RuntimeError("disk on fire")
        return real(session, org_id, since, until)

    monkeypatch.setattr(training, "logged_impressions", broken_for_globex)
    reports = {r.org_id: r for r in services.trainer.train_all(services.today())}

    assert list(reports) == [DEMO_ORG_ID, ORG, OTHER_ORG]
    assert reports[DEMO_ORG_ID].note == NOTHING_TO_LEARN
    assert reports[ORG].version == 1
    assert reports[OTHER_ORG].failed and "disk on fire" in reports[OTHER_ORG].line()
    events = {org: kinds(services, org) for org in (DEMO_ORG_ID, ORG, OTHER_ORG)}
    assert events == {DEMO_ORG_ID: [], ORG: [TRAINED_EVENT], OTHER_ORG: [TRAINING_FAILED_EVENT]}


def kinds(services, org_id) -> list[str]:
    """The org events admins see, newest first."""
    with services.sessions() as session:
        return [e.kind for e in OrgActivityRepository(session, org_id).recent_events()]


def test_a_stored_version_is_told_to_admins_with_its_report_line(services, catalog, today):
    log_views(services, SHOWN_WITH_GEM, GEM, views=20, first_day=today - timedelta(days=20))
    report = services.trainer.train_org(ORG, today=today)
    with services.sessions() as session:
        event = OrgActivityRepository(session, ORG).last_event((TRAINED_EVENT,))
    assert event.message == report.line() and "version 1" in event.message


def test_after_a_rollback_training_stores_the_new_version_without_serving_it(
    services, catalog, today
):
    log_views(services, SHOWN_WITH_GEM, GEM, views=20, first_day=today - timedelta(days=20))
    services.trainer.train_org(ORG, today=today)
    services.trainer.train_org(ORG, today=today)
    with services.sessions.begin() as session:  # an admin rolls back from the bad version 2
        RankerModels(session, ORG).activate(1)

    report = services.trainer.train_org(ORG, today=today)

    assert report.version == 3 and not report.served and report.admin_choice == "version 1"
    versions, active = stored(services)
    assert [(v.version, v.active) for v in versions] == [(3, False), (2, False), (1, True)]
    assert active.info.version == 1
    line = report.line()
    assert f"org {ORG}: stored version 3 ({report.model_id})" in line
    assert "not served: an admin chose version 1" in line
    assert f"`beinspired model rollback --org {ORG} --to 3`" in line
    assert last_trained_message(services) == line


def test_after_the_tag_rules_were_chosen_training_leaves_them_served(services, catalog, today):
    log_views(services, SHOWN_WITH_GEM, GEM, views=20, first_day=today - timedelta(days=20))
    services.trainer.train_org(ORG, today=today)
    with services.sessions.begin() as session:
        RankerModels(session, ORG).deactivate()

    report = services.trainer.train_org(ORG, today=today)

    assert report.version == 2 and not report.served
    assert "not served: an admin chose the tag rules" in report.line()
    assert stored(services)[1] is None
    assert last_trained_message(services) == report.line()
    cards = services.recommendations.recommend(ORG, BUYING, today).client_facing
    assert {card.model_version for card in cards} == {"v1"}


def test_the_first_version_and_one_trained_while_the_newest_is_served_are_served(
    services, catalog, today
):
    log_views(services, SHOWN_WITH_GEM, GEM, views=20, first_day=today - timedelta(days=20))
    first = services.trainer.train_org(ORG, today=today)
    second = services.trainer.train_org(ORG, today=today)
    assert first.served and second.served and first.admin_choice is None
    assert "not served" not in second.line() and second.line().startswith(f"org {ORG}: version 2")
    assert stored(services)[1].info.version == 2


def last_trained_message(services) -> str:
    with services.sessions() as session:
        return OrgActivityRepository(session, ORG).last_event((TRAINED_EVENT,)).message
