"""RankerModels: versions, one active model per org, rollback and pruning (SQLite and
PostgreSQL)."""
from __future__ import annotations

import threading

import pytest

from content_catalog.database import session_factory
from content_catalog.model_store import RankerModels, UnknownModelVersion, serving_state
from content_catalog.repository import CatalogRepository, OrgNotFound, ensure_org

ORG = "00DA0000000AaaaMAC"
OTHER_ORG = "00DB0000000BbbbMAC"


@pytest.fixture
def sessions(engine):
    sessions = session_factory(engine)
    with sessions.begin() as session:
        ensure_org(session, ORG, "Acme")
        ensure_org(session, OTHER_ORG, "Globex")
    return sessions


def save(sessions, org_id=ORG, n=1, *, keep=10):
    with sessions.begin() as session:
        return RankerModels(session, org_id, keep=keep).save(
            model_id=f"learned-{n:04d}", payload=f"model {n}".encode(), catalog_revision=n,
            n_impressions=10 * n, summary={"window_days": 180, "views": n},
        )  # fmt: skip


def models(sessions, org_id=ORG, **kwargs):
    """Read in a session of its own, as another process would."""
    with sessions() as session:
        store = RankerModels(session, org_id, **kwargs)
        return store.versions(), store.active(), store.active_marker()


def test_the_first_save_and_each_save_while_the_newest_is_served_is_served(sessions):
    for n in (1, 2, 3):
        saved = save(sessions, n=n)
        assert saved.version == n and saved.active

    versions, active, marker = models(sessions)
    assert [v.version for v in versions] == [3, 2, 1]
    assert [v.active for v in versions] == [True, False, False]
    assert active.payload == b"model 3" and active.info.version == 3
    assert active.info.summary == {"window_days": 180, "views": 3}
    assert active.info.n_impressions == 30 and active.info.catalog_revision == 3
    assert marker == active.info.marker == versions[0].marker


def test_versions_are_numbered_per_org(sessions):
    save(sessions, n=1)
    save(sessions, n=2)
    assert save(sessions, OTHER_ORG, n=7).version == 1
    assert [v.version for v in models(sessions)[0]] == [2, 1]
    assert models(sessions, OTHER_ORG)[1].payload == b"model 7"


def test_rollback_serves_the_earlier_version_and_roll_forward_the_later(sessions):
    for n in (1, 2, 3):
        save(sessions, n=n)
    newest_marker = models(sessions)[2]
    with sessions.begin() as session:
        assert RankerModels(session, ORG).activate(2).version == 2

    versions, active, marker = models(sessions)
    assert active.payload == b"model 2"
    assert sum(v.active for v in versions) == 1
    assert marker != newest_marker

    with sessions.begin() as session:
        RankerModels(session, ORG).activate(3)
    assert models(sessions)[2] == newest_marker


def test_unknown_version_is_refused_by_name_and_changes_nothing(sessions):
    save(sessions, n=1)
    save(sessions, n=2)
    with sessions.begin() as session:
        with pytest.raises(UnknownModelVersion, match=r"no model version 9 \(stored: 2, 1\)"):
            RankerModels(session, ORG).activate(9)
    assert models(sessions)[1].payload == b"model 2"


def test_another_orgs_version_is_unknown_here(sessions):
    save(sessions, OTHER_ORG, n=1)
    save(sessions, OTHER_ORG, n=2)
    save(sessions, n=1)
    with sessions.begin() as session, pytest.raises(UnknownModelVersion):
        RankerModels(session, ORG).activate(2)
    assert models(sessions, OTHER_ORG)[1].payload == b"model 2"


def test_turning_models_off_serves_v1_until_a_version_is_activated(sessions):
    save(sessions, n=1)
    with sessions.begin() as session:
        assert RankerModels(session, ORG).deactivate().version == 1
    versions, active, marker = models(sessions)
    assert active is None and marker is None and not any(v.active for v in versions)
    with sessions.begin() as session:
        assert RankerModels(session, ORG).deactivate() is None


def test_saving_keeps_the_newest_versions_and_the_one_served_until_then(sessions):
    for n in (1, 2, 3):
        save(sessions, n=n, keep=2)
    assert [v.version for v in models(sessions)[0]] == [3, 2]
    save(sessions, n=4, keep=1)  # 3 was served until now: the way back
    assert [(v.version, v.active) for v in models(sessions)[0]] == [(4, True), (3, False)]
    save(sessions, n=5, keep=1)
    assert [v.version for v in models(sessions)[0]] == [5, 4]
    assert save(sessions, n=6, keep=1).version == 6  # numbers are never reused


def served_and_stored(sessions) -> tuple[int | None, list[int]]:
    with sessions() as session:
        store = RankerModels(session, ORG)
        return store.active_version(), [v.version for v in store.versions()]


def test_after_a_rollback_new_versions_are_stored_inactive_and_the_served_one_is_never_pruned(
    sessions,
):
    for n in (1, 2, 3):
        save(sessions, n=n, keep=3)
    with sessions.begin() as session:
        RankerModels(session, ORG).activate(1)  # an admin rolled back from 3

    saved = [save(sessions, n=n, keep=3) for n in (4, 5, 6, 7)]

    assert [(s.version, s.active) for s in saved] == [(n, False) for n in (4, 5, 6, 7)]
    assert served_and_stored(sessions) == (1, [7, 6, 5, 1])
    assert models(sessions)[1].payload == b"model 1"

    with sessions.begin() as session:  # the admin serves the newest: training serves again
        RankerModels(session, ORG).activate(7)
    assert save(sessions, n=8, keep=3).active
    assert served_and_stored(sessions) == (8, [8, 7, 6])


def test_after_the_tag_rules_were_chosen_new_versions_are_stored_inactive(sessions):
    save(sessions, n=1)
    save(sessions, n=2)
    with sessions.begin() as session:
        RankerModels(session, ORG).deactivate()

    assert not save(sessions, n=3).active
    assert served_and_stored(sessions) == (None, [3, 2, 1])
    versions, active, marker = models(sessions)
    assert active is None and marker is None


def test_rolling_forward_to_an_older_than_newest_version_still_holds_off_training(sessions):
    for n in (1, 2, 3):
        save(sessions, n=n)
    with sessions.begin() as session:
        RankerModels(session, ORG).activate(1)
    save(sessions, n=4)
    with sessions.begin() as session:
        RankerModels(session, ORG).activate(3)  # forward, but not to the newest (4)
    assert not save(sessions, n=5).active
    assert served_and_stored(sessions)[0] == 3


def test_serving_state_reads_revision_and_marker_together(sessions, module_factory):
    with sessions() as session:
        assert serving_state(session, ORG) == (0, None)
    save(sessions, n=1)
    with sessions.begin() as session:
        CatalogRepository(session, ORG).upsert_many([module_factory("a")])
    with sessions() as session:
        revision, marker = serving_state(session, ORG)
        assert revision == CatalogRepository(session, ORG).revision() == 1
        assert marker == RankerModels(session, ORG).active_marker() is not None
        assert serving_state(session, OTHER_ORG) == (0, None)


def test_an_unknown_org_is_refused(sessions):
    with sessions() as session, pytest.raises(OrgNotFound):
        serving_state(session, "00DC0000000CcccMAC")
    with sessions.begin() as session, pytest.raises(OrgNotFound):
        RankerModels(session, "00DC0000000CcccMAC").save(
            model_id="m", payload=b"", catalog_revision=0, n_impressions=0, summary={}
        )


def test_trainers_finishing_together_get_distinct_versions_and_one_active(sessions):
    trainers, errors = 4, []
    start = threading.Barrier(trainers)

    def train(n):
        try:
            start.wait()
            save(sessions, n=n)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=train, args=(n,)) for n in range(1, trainers + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    versions = models(sessions)[0]
    assert sorted(v.version for v in versions) == [1, 2, 3, 4]
    assert sum(v.active for v in versions) == 1 and versions[0].active


def test_keep_must_be_positive(session):
    with pytest.raises(ValueError, match="keep must be at least 1"):
        RankerModels(session, ORG, keep=0)
