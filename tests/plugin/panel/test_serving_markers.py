"""What a warm view reads of the database, held for a moment: reused within the hold, read again
after it or after any commit of this process, never kept when a commit raced the read.

Runs on SQLite and PostgreSQL (the ``engine`` fixture)."""
import threading

import pytest
from sqlalchemy import event, update

from content_catalog.database import session_factory
from content_catalog.repository import CatalogRepository, OrgNotFound, ensure_org
from content_catalog.tables.catalog_tables import Org as OrgRow
from plugin.panel.serving_markers import MAX_HELD, ServingMarkers, read_markers
from plugin.panel.suggestions import RecommendationService
from recommender import OpportunityContext
from tests.plugin.crm.salesforce.sf_fakes import FakeClock

ORG = "00DA0000000AaaaMAC"
REP = "005A0000000RepAAA"
BANKING = OpportunityContext(stage="Negotiation/Review", journey_phase="buying",
                             industry="Banking")


@pytest.fixture
def sessions(engine):
    return session_factory(engine)


@pytest.fixture
def org(sessions):
    with sessions() as session:
        ensure_org(session, ORG, "Acme")
        session.commit()


@pytest.fixture
def statements(engine):
    """The statements sent by this thread while the test runs."""
    sent, thread = [], threading.get_ident()

    def count(_conn, _cursor, statement, *_args):
        if threading.get_ident() == thread:
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    yield sent
    event.remove(engine, "before_cursor_execute", count)


def move_revision(sessions, to: int) -> None:
    """A catalog change committed by another process: this one's sessions are not told."""
    with sessions() as session:
        session.execute(update(OrgRow).where(OrgRow.org_id == ORG).values(catalog_revision=to))
        session.commit()


def test_an_answer_is_reused_within_the_hold_and_read_again_after_it(sessions, org, statements):
    clock = FakeClock()
    markers = ServingMarkers(hold_s=1.0, clock=clock)
    with sessions() as session:
        first = markers.get(session, ORG, None)
    move_revision(sessions, first.revision + 5)
    statements.clear()
    clock.now += 0.9
    with sessions() as session:
        assert markers.get(session, ORG, None) == first
    assert statements == []
    clock.now += 0.1
    with sessions() as session:
        assert markers.get(session, ORG, None).revision == first.revision + 5
    assert len(statements) == 1
    assert (markers.reads, markers.reuses) == (2, 1)


def test_a_rep_is_held_apart_from_the_org_and_from_other_reps(sessions, org):
    clock = FakeClock()
    markers = ServingMarkers(hold_s=1.0, clock=clock)
    with sessions() as session:
        assert markers.get(session, ORG, None).stamp is None
        assert markers.get(session, ORG, REP).stamp == (0, 0)
        assert markers.get(session, ORG, "005A0000000OtherAA").stamp == (0, 0)
    assert markers.reads == 3


def test_forget_reads_afresh_at_once(sessions, org):
    markers = ServingMarkers(hold_s=1.0, clock=FakeClock())
    with sessions() as session:
        revision = markers.get(session, ORG, REP).revision
    move_revision(sessions, revision + 1)
    markers.forget()
    with sessions() as session:
        assert markers.get(session, ORG, REP).revision == revision + 1


def test_an_answer_read_while_this_process_committed_is_not_kept(sessions, org, engine):
    """The read may have seen the database before the commit: keeping it would hide the commit
    for a whole hold."""
    markers = ServingMarkers(hold_s=1.0, clock=FakeClock())
    with sessions() as session:
        revision = read_markers(session, ORG, None).revision

    committed = []

    def commit_during_the_read(*_args):
        if not committed:
            committed.append(True)
            move_revision(sessions, revision + 1)
            markers.forget()

    event.listen(engine, "after_cursor_execute", commit_during_the_read)
    try:
        with sessions() as session:
            assert markers.get(session, ORG, None).revision == revision  # read before the commit
    finally:
        event.remove(engine, "after_cursor_execute", commit_during_the_read)
    with sessions() as session:
        assert markers.get(session, ORG, None).revision == revision + 1
    assert markers.reads == 2


def test_no_hold_reads_on_every_view(sessions, org, statements):
    markers = ServingMarkers(hold_s=0, clock=FakeClock())
    with sessions() as session:
        for _ in range(3):
            markers.get(session, ORG, REP)
    assert len(statements) == 3
    assert (markers.reads, markers.reuses) == (3, 0)


def test_an_unknown_org_is_refused_every_time_and_nothing_is_held(sessions, org):
    markers = ServingMarkers(hold_s=1.0, clock=FakeClock())
    with sessions() as session:
        for _ in range(2):
            with pytest.raises(OrgNotFound):
                markers.get(session, "00DZ0000000NoneMAC", None)
    assert markers.reads == 0


def test_past_the_bound_only_answers_within_the_hold_are_kept(sessions, org, monkeypatch):
    monkeypatch.setattr("plugin.panel.serving_markers.MAX_HELD", 3)
    clock = FakeClock()
    markers = ServingMarkers(hold_s=1.0, clock=clock)
    with sessions() as session:
        markers.get(session, ORG, "rep-1")
        markers.get(session, ORG, "rep-2")
        clock.now += 0.5
        markers.get(session, ORG, "rep-3")
        clock.now += 0.6  # rep-1 and rep-2 expired
        markers.get(session, ORG, "rep-4")
        reads = markers.reads
        markers.get(session, ORG, "rep-3")
        assert markers.reads == reads  # kept
        markers.get(session, ORG, "rep-1")
        assert markers.reads == reads + 1
    assert MAX_HELD >= 1000  # the real bound is many reps, not a handful


def test_a_negative_hold_is_refused():
    with pytest.raises(ValueError, match="hold_s"):
        ServingMarkers(hold_s=-1)


def test_the_service_serves_a_change_of_another_process_after_the_hold(
        sessions, org, taxonomy, module_factory, today):
    clock = FakeClock()
    service = RecommendationService(sessions, taxonomy,
                                    markers=ServingMarkers(hold_s=1.0, clock=clock))
    with sessions() as session:
        CatalogRepository(session, ORG).upsert_many([module_factory("a")])
        session.commit()
    assert [c.module_id for c in service.recommend(ORG, BANKING, today).client_facing] == ["a"]
    with sessions() as session:  # another process: nothing tells this one's markers
        CatalogRepository(session, ORG).upsert_many([module_factory("b")])
        session.commit()
    assert [c.module_id for c in service.recommend(ORG, BANKING, today).client_facing] == ["a"]
    clock.now += 1.0
    assert sorted(c.module_id for c in service.recommend(ORG, BANKING, today).client_facing) == [
        "a", "b"]


def test_the_hold_comes_from_its_documented_variable(monkeypatch):
    from plugin.settings import Settings

    monkeypatch.setenv("BEINSPIRED_SERVING_STATE_HOLD_SECONDS", "0.5")
    assert Settings(database_url="sqlite://").serving_state_hold_seconds == 0.5


@pytest.mark.parametrize("value", ["-1", "2.5", "60", "soon"])
def test_a_hold_that_would_break_the_propagation_bound_is_refused(monkeypatch, value):
    """Over 2 s a catalog edit could miss the 5 s in which every process must serve it."""
    from pydantic import ValidationError

    from plugin.settings import Settings

    monkeypatch.setenv("BEINSPIRED_SERVING_STATE_HOLD_SECONDS", value)
    with pytest.raises(ValidationError, match="serving_state_hold_seconds"):
        Settings(database_url="sqlite://")
