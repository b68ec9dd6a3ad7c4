"""A rep's vote reaching another process than the one that showed the panel, while that one
still has the impression queued: the vote waits in the database and is stored once the
impression lands; never lost, never stored twice. Two sets of services on one database stand for
two worker processes (SQLite, then PostgreSQL)."""
from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from content_catalog.events import EventKind, PanelEvent, PanelEventLog, settle_waiting_events
from content_catalog.tables.base import utcnow
from content_catalog.tables.learning_tables import PanelEventRow, WaitingPanelEventRow
from plugin.crm.demo_org import DemoOrg, load_demo_catalog
from plugin.panel.feedback_events import (
    OTHER_RECORD, UNKNOWN_IMPRESSION, WAIT_SECONDS, EventReport, Reporter, record_panel_events,
)
from plugin.panel.impressions import ImpressionRecorder, new_impression_id
from plugin.panel.view import PanelViews
from plugin.services import build_services
from plugin.settings import Settings


def worker(engine):
    """One process's services, whose recorder writes only when told."""
    svc = build_services(Settings(demo_mode=True, app_secret="s" * 48,
                                  database_url=engine.url.render_as_string(hide_password=False)),
                         engine=engine)
    svc.impressions = ImpressionRecorder(svc.sessions, batch_rows=10_000, interval_s=3600)
    svc.panel_views = PanelViews(svc.recommendations, svc.impressions, svc.sessions,
                                 svc.taxonomy_for, svc.today)
    return svc


@pytest.fixture
def two(engine):
    a, b = worker(engine), worker(engine)
    load_demo_catalog(engine, a.sessions, a.taxonomy)
    yield a, b
    a.impressions.close()
    b.impressions.close()


def shown_by(svc) -> tuple[str, str]:
    """A panel view on ``svc``: (its first card's impression id, the opportunity)."""
    opportunity = DemoOrg().opportunities()[0]
    view = svc.panel_views.view(svc.demo_org, opportunity.opportunity_id)
    return view.suggestions.client_facing[0].impression_id, view.opportunity.opportunity_id


def vote(svc, impression_id: str, *, event_id: str | None = None, token_record: str | None = None):
    reporter = Reporter(svc.demo_org.org_id, "0055e00000DEMOL", token_record, token_record is not None)
    report = EventReport(event_id or secrets.token_hex(16), impression_id, EventKind.HELPFUL)
    return record_panel_events(svc.sessions, svc.impressions, reporter, [report])


def counts(svc) -> tuple[int, int]:
    with svc.sessions() as session:
        return (session.scalar(select(func.count()).select_from(PanelEventRow)),
                session.scalar(select(func.count()).select_from(WaitingPanelEventRow)))


def test_a_vote_on_b_for_an_impression_queued_on_a_is_stored_once_a_writes(two):
    a, b = two
    impression_id, _ = shown_by(a)
    assert a.impressions.pending_rows > 0  # still queued on A

    receipt = vote(b, impression_id, event_id="e" * 32)
    assert (receipt.accepted, receipt.rejected) == (1, ())
    assert counts(b) == (0, 1)  # waiting for its impression

    again = vote(b, impression_id, event_id="e" * 32)  # the panel's retry
    assert (again.accepted, again.duplicates) == (1, 1) and counts(b) == (0, 1)

    a.impressions.flush()
    assert counts(b) == (1, 0)
    with b.sessions() as session:
        shown = PanelEventLog(session, b.demo_org.org_id).shown_with_events(
            a.today() - timedelta(days=1), a.today() + timedelta(days=1))
    voted = [s for s in shown if s.impression.impression_id == impression_id]
    assert voted and voted[0].did(EventKind.HELPFUL)
    assert (vote(b, impression_id, event_id="e" * 32).duplicates, counts(b)) == (1, (1, 0))


def test_a_vote_arriving_after_the_impression_landed_is_stored_at_once(two):
    a, b = two
    impression_id, _ = shown_by(a)
    a.impressions.flush()
    assert vote(b, impression_id).accepted == 1 and counts(b) == (1, 0)


def test_a_waiting_vote_from_a_token_for_another_record_is_dropped_when_the_impression_lands(two):
    a, b = two
    impression_id, _ = shown_by(a)
    assert vote(b, impression_id, token_record="006000000000001AAA").accepted == 1
    a.impressions.flush()
    assert counts(b) == (0, 0)
    a_vote = vote(b, impression_id, token_record="006000000000001AAA")
    assert [r.reason for r in a_vote.rejected] == [OTHER_RECORD]


@pytest.mark.parametrize("impression_id", [
    secrets.token_hex(16),  # random: not an id any recorder made lately
    new_impression_id(0),  # made in 1970
    "f" * 32,  # from the far future
])
def test_an_id_no_recorder_can_still_hold_is_refused_as_before(two, impression_id):
    _, b = two
    receipt = vote(b, impression_id)
    assert [r.reason for r in receipt.rejected] == [UNKNOWN_IMPRESSION] and receipt.accepted == 0
    assert counts(b) == (0, 0)


def test_a_waiting_vote_whose_impression_never_lands_expires(two):
    """The process that queued it crashed: the vote waits WAIT_SECONDS, then the next vote that
    has to wait sweeps it out."""
    _, b = two
    assert vote(b, new_impression_id(), event_id="1" * 32).accepted == 1
    with b.sessions.begin() as session:  # ten minutes and a second pass
        row = session.scalars(select(WaitingPanelEventRow)).one()
        row.received_at -= timedelta(seconds=WAIT_SECONDS + 1)
    assert vote(b, new_impression_id(), event_id="2" * 32).accepted == 1
    with b.sessions() as session:
        assert session.scalars(select(WaitingPanelEventRow.event_id)).all() == ["2" * 32]


def test_a_vote_parked_while_its_impression_is_settled_is_not_dropped(two, engine):
    """B parked a vote before A's impression landed, and its commit came between the two
    statements of A's settling (PostgreSQL's read committed gives each its own snapshot): A must
    not drop it unmoved. B's request settles after its own commit and stores it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer at a time: nothing commits inside the settling")
    a, b = two
    impression_id, _ = shown_by(a)
    assert vote(b, impression_id, event_id="1" * 32).accepted == 1  # parked, as before
    late = PanelEvent(event_id="2" * 32, impression_id=impression_id, kind=EventKind.OPEN,
                      user_id="0055e00000DEMOL", occurred_at=utcnow())
    parked = []

    def park_late(_conn, _cursor, statement, *_args) -> None:
        delete = statement.lstrip().upper().startswith("DELETE FROM WAITING_PANEL_EVENTS")
        if delete and not parked:  # (a listener cannot remove itself while it runs)
            parked.append(late)
            with b.sessions.begin() as session:  # another connection, committed now
                PanelEventLog(session, b.demo_org.org_id).park_events(
                    [late], has_token=False, token_record_id=None)

    event.listen(engine, "before_cursor_execute", park_late)
    try:
        a.impressions.flush()  # writes the impression, then settles what waits for it
    finally:
        event.remove(engine, "before_cursor_execute", park_late)
    assert parked and counts(b) == (1, 1)  # the first moved; the late one still waits, not dropped
    with b.sessions.begin() as session:  # what B's request does after its commit
        assert settle_waiting_events(session, [impression_id]) == 1
    assert counts(b) == (2, 0)
