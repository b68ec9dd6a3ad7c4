"""The people store (synced users, roles, meetings, region mapping), on SQLite and PostgreSQL."""
from datetime import datetime, timezone

import pytest

from content_catalog.people_store import (
    InvalidRegionMapping, Meeting, PeopleStore, RegionMapping, SalesRole, SyncedUser,
)
from content_catalog.repository import ensure_org

ORG_A = "00DA0000000AaaaMAC"
ORG_B = "00DB0000000BbbbMAC"
DANA, SAM, JAMIE = "0055e00000DANAWAA5", "0055e00000DEMOLAA5", "0055e00000JAMIOAA5"
TOP, NA = "00E5e000000WWS1AAA", "00E5e000000NAM1AAA"
OPP = "006A0000001AbcdIAA"
MODIFIED = datetime(2026, 9, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(session):
    ensure_org(session, ORG_A, "Acme")
    ensure_org(session, ORG_B, "Globex")
    session.commit()
    return PeopleStore(session, ORG_A)


def meeting(event_id: str, day: int, opportunity_id: str = OPP) -> Meeting:
    return Meeting(event_id=event_id, opportunity_id=opportunity_id, owner_id=SAM,
                   starts_at=datetime(2026, 11, day, 15, 0, tzinfo=timezone.utc),
                   ends_at=datetime(2026, 11, day, 16, 0, tzinfo=timezone.utc),
                   modified_at=MODIFIED)


def test_users_and_roles_read_back_as_saved_and_only_in_their_org(store, session):
    users = [SyncedUser(SAM, "Sam Carter", role_id=NA, manager_id=DANA, modified_at=MODIFIED),
             SyncedUser(JAMIE, "Jamie Ortiz", "PowerPartner", True, manager_id=DANA,
                        partner_account_id="0015e00000BRTLNAAS",
                        partner_account_name="Brightline Partners", modified_at=MODIFIED)]
    roles = [SalesRole(TOP, "Worldwide Sales"), SalesRole(NA, "North America", TOP, MODIFIED)]
    assert store.save_users(users) == 2 and store.save_roles(roles) == 2
    session.commit()
    assert store.users() == sorted(users, key=lambda u: u.user_id)
    assert store.roles() == sorted(roles, key=lambda r: r.role_id)
    assert PeopleStore(session, ORG_B).users() == []
    assert store.last_modified("users") == MODIFIED and store.last_modified("meetings") is None


def test_saving_a_user_again_replaces_them(store, session):
    store.save_users([SyncedUser(SAM, "Sam Carter", manager_id=DANA)])
    session.commit()
    store.save_users([SyncedUser(SAM, "Sam Carter-Lee", active=False)])
    session.commit()
    assert store.users() == [SyncedUser(SAM, "Sam Carter-Lee", active=False)]


def test_a_forgotten_role_is_gone(store, session):
    store.save_roles([SalesRole(TOP, "Worldwide Sales"), SalesRole(NA, "North America", TOP)])
    assert store.forget_roles([NA]) == 1
    session.commit()
    assert [r.role_id for r in store.roles()] == [TOP]


def test_meetings_are_found_by_time_and_opportunity(store, session):
    other = "006A0000001AbceIAA"
    store.save_meetings([meeting("00U5e00000000AAAAA", 10), meeting("00U5e00000000ABAAA", 20),
                         meeting("00U5e00000000ACAAA", 15, other)])
    session.commit()
    since = datetime(2026, 11, 12, tzinfo=timezone.utc)
    assert [m.event_id for m in store.meetings(since=since)] == [
        "00U5e00000000ACAAA", "00U5e00000000ABAAA"]
    assert store.meetings(opportunity_ids=[OPP])[0] == meeting("00U5e00000000AAAAA", 10)
    assert store.forget_meetings(["00U5e00000000AAAAA"]) == 1
    session.commit()
    assert len(store.meetings()) == 2


def test_a_region_mapping_is_set_replaced_and_removed(store, session):
    store.put_region(RegionMapping("role", NA, "  North   America "))
    store.put_region(RegionMapping("partner_account", "0015e00000BRTLNAAS", "EMEA"))
    store.put_region(RegionMapping("role", NA, "Americas"))
    session.commit()
    assert store.region_mappings() == [
        RegionMapping("partner_account", "0015e00000BRTLNAAS", "EMEA"),
        RegionMapping("role", NA, "Americas")]
    assert store.remove_region("role", NA) and not store.remove_region("role", NA)


@pytest.mark.parametrize("mapping", [RegionMapping("team", NA, "EMEA"),
                                     RegionMapping("role", NA, "   "),
                                     RegionMapping("role", NA, "x" * 81)])
def test_a_bad_region_mapping_is_refused(store, mapping):
    with pytest.raises(InvalidRegionMapping):
        store.put_region(mapping)
    assert store.region_mappings() == []
