"""An org's events for its admins, on SQLite and PostgreSQL."""
from datetime import datetime, timedelta, timezone

from content_catalog.org_activity import OrgActivityRepository
from content_catalog.repository import ensure_org

ORG_A = "00DA0000000AaaaMAC"
ORG_B = "00DB0000000BbbbMAC"
NOON = datetime(2026, 6, 15, 12, tzinfo=timezone.utc)


def test_the_last_event_of_a_kind_is_found_behind_many_newer_ones_and_other_orgs(session):
    ensure_org(session, ORG_A, "Acme")
    ensure_org(session, ORG_B, "Globex")
    acme = OrgActivityRepository(session, ORG_A)
    acme.add_event("outcomes_synced", "older sync", NOON)
    acme.add_event("outcome_sync_failed", "newer failure", NOON + timedelta(minutes=1))
    for minute in range(2, 32):
        acme.add_event("test_failed", f"test {minute}", NOON + timedelta(minutes=minute))
    OrgActivityRepository(session, ORG_B).add_event(
        "outcomes_synced", "Globex's sync", NOON + timedelta(hours=1))
    session.commit()

    found = acme.last_event(("outcomes_synced", "outcome_sync_failed"))
    assert (found.kind, found.message) == ("outcome_sync_failed", "newer failure")
    assert acme.last_event(("outcomes_synced",)).message == "older sync"
    assert acme.last_event(("ranker_model_failed",)) is None
    assert all(e.kind == "test_failed" for e in acme.recent_events())  # beyond the recent list
