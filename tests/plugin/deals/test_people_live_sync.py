"""Users, roles and meetings from Salesforce, faked at HTTP in its documented shapes, on SQLite
and PostgreSQL; the same failure policy as the deal-outcome sync."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import responses

from content_catalog.org_activity import OrgActivityRepository
from content_catalog.people_store import PeopleStore
from plugin.crm.salesforce.ids import to_18
from plugin.deals.people_sync import FAILED_EVENT, SYNCED_EVENT, PeopleSync
from tests.plugin.crm.salesforce.sf_fakes import ORG_ID
from tests.plugin.learning.outcome_fakes import FakeSalesforce, acme_org, services_on

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
MODIFIED = "2026-11-20T10:15:00.000+0000"
TOP, REGION = to_18("00E5e000000WWS1"), to_18("00E5e000000NAM1")
OPP = to_18("0065e00000Op001")


def user(n: int, *, manager: int | None = None, modified: str = MODIFIED, **raw) -> dict:
    user_id = to_18(f"0055e00000U{n:04d}")
    row = {"attributes": {"type": "User", "url": f"/services/data/v59.0/sobjects/User/{user_id}"},
           "Id": user_id, "Name": f"Rep {n}", "UserType": "Standard", "UserRoleId": REGION,
           "ManagerId": to_18(f"0055e00000U{manager:04d}") if manager else None,
           "IsActive": True, "ContactId": None, "Contact": None, "LastModifiedDate": modified}
    row.update(raw)
    return row


def role(role_id: str, name: str, parent: str | None) -> dict:
    return {"attributes": {"type": "UserRole", "url": f"/services/data/v59.0/sobjects/UserRole/{role_id}"},
            "Id": role_id, "Name": name, "ParentRoleId": parent, "LastModifiedDate": MODIFIED}


def event(n: int, *, day: int = 20, modified: str = MODIFIED, **raw) -> dict:
    event_id = to_18(f"00U5e00000E{n:04d}")
    row = {"attributes": {"type": "Event", "url": f"/services/data/v59.0/sobjects/Event/{event_id}"},
           "Id": event_id, "WhatId": OPP, "OwnerId": to_18("0055e00000U0001"),
           "StartDateTime": f"2026-11-{day:02d}T15:00:00.000+0000",
           "EndDateTime": f"2026-11-{day:02d}T16:00:00.000+0000", "LastModifiedDate": modified}
    row.update(raw)
    return row


ROLES = [role(TOP, "Worldwide Sales", None), role(REGION, "North America", TOP)]


@pytest.fixture
def svc(engine):
    return services_on(engine, acme_org())


@pytest.fixture
def people_sync(svc):
    return PeopleSync(svc.sessions, orgs=svc.orgs)


@pytest.fixture
def salesforce():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeSalesforce(mock)


@pytest.fixture
def sleeps() -> list[float]:
    return []


def answer(salesforce, roles=ROLES, users=(), events=(), per_page=2000):
    salesforce.pages(list(roles)).pages(list(users), per_page=per_page).pages(list(events))


def stored(svc):
    with svc.sessions() as session:
        store = PeopleStore(session, ORG_ID)
        return store.users(), store.roles(), store.meetings()


def events_of(svc):
    with svc.sessions() as session:
        return [(e.kind, e.message) for e in OrgActivityRepository(session, ORG_ID).recent_events()]


def test_first_sync_reads_roles_users_and_meetings_on_opportunities(svc, people_sync, salesforce, sleeps):
    answer(salesforce, users=[user(1, manager=2), user(2)], events=[event(1), event(2, day=21)])
    report = people_sync.sync(ORG_ID, now=NOW, sleep=sleeps.append)
    assert report.ok and (report.users, report.roles, report.meetings) == (2, 2, 2)
    assert salesforce.soql == [
        "SELECT Id, Name, ParentRoleId, LastModifiedDate FROM UserRole",
        "SELECT Id, Name, UserType, UserRoleId, ManagerId, IsActive, ContactId, Contact.AccountId, "
        "Contact.Account.Name, LastModifiedDate FROM User WHERE UserType IN "
        "('Standard','PowerPartner','Partner')",
        "SELECT Id, WhatId, OwnerId, StartDateTime, EndDateTime, LastModifiedDate FROM Event "
        "WHERE What.Type = 'Opportunity'",
    ]
    users, roles, meetings = stored(svc)
    assert [u.manager_id for u in users] == [to_18("0055e00000U0002"), None]
    assert {r.name for r in roles} == {"Worldwide Sales", "North America"}
    assert [m.opportunity_id for m in meetings] == [OPP, OPP]
    assert events_of(svc)[0][0] == SYNCED_EVENT


def test_next_sync_asks_only_for_users_and_meetings_changed_since_the_newest_stored(
        people_sync, salesforce, sleeps):
    answer(salesforce, users=[user(1)], events=[event(1, modified="2026-11-21T08:30:07.000+0000")])
    people_sync.sync(ORG_ID, now=NOW, sleep=sleeps.append)
    answer(salesforce)
    people_sync.sync(ORG_ID, now=NOW, sleep=sleeps.append)
    assert salesforce.soql[-2].endswith("AND LastModifiedDate >= 2026-11-20T10:15:00+00:00")
    assert salesforce.soql[-1].endswith("AND LastModifiedDate >= 2026-11-21T08:30:07+00:00")


def test_pages_are_followed(svc, people_sync, salesforce, sleeps):
    answer(salesforce, users=[user(n) for n in range(1, 6)], per_page=2)
    assert people_sync.sync(ORG_ID, now=NOW, sleep=sleeps.append).users == 5
    assert len(stored(svc)[0]) == 5


def test_a_full_sync_forgets_meetings_salesforce_no_longer_has_and_deleted_roles(
        svc, people_sync, salesforce, sleeps):
    extra = to_18("00E5e000000XXX1")
    answer(salesforce, roles=[*ROLES, role(extra, "Gone", TOP)], events=[event(1), event(2)])
    people_sync.sync(ORG_ID, now=NOW, sleep=sleeps.append)
    answer(salesforce, events=[event(2)])
    report = people_sync.sync(ORG_ID, full=True, now=NOW, sleep=sleeps.append)
    assert report.mode == "full" and report.forgotten == 1
    _, roles, meetings = stored(svc)
    assert extra not in {r.role_id for r in roles} and len(meetings) == 1


def test_bad_rows_are_skipped_and_named_and_the_rest_saved(svc, people_sync, salesforce, sleeps):
    answer(salesforce, users=[user(1), user(2, Id="005' OR Name != ''"), user(3, IsActive="yes"),
                              "not a record"],
           events=[event(1), event(2, WhatId=to_18("0015e00000ACCT1")),
                   event(3, LastModifiedDate="9999-12-31T00:00:00.000+0000")])
    report = people_sync.sync(ORG_ID, now=NOW, sleep=sleeps.append)
    assert report.ok and (report.users, report.meetings) == (1, 1)
    assert dict(report.skipped) == {
        "user 2": "Id is not a valid user Id", "user 3": "IsActive is not true or false",
        "user 4": "the record is not an object", "event 2": "WhatId is not a valid opportunity Id",
        "event 3": "LastModifiedDate is in the future"}
    kind, message = events_of(svc)[0]
    assert kind == SYNCED_EVENT and "5 skipped" in message and "OR Name" not in message


@pytest.mark.parametrize("fail, said", [
    (lambda sf: sf.error(403, "error_request_limit.json"),
     "the org's API request limit is used up (REQUEST_LIMIT_EXCEEDED)"),
    (lambda sf: sf.error(503, "error_server.json"), "Salesforce answered 503"),
    (lambda sf: sf.timeout(), "Salesforce did not answer in time"),
    (lambda sf: sf.error(401, "error_invalid_session.json"),
     "the Salesforce session is not valid (INVALID_SESSION_ID)"),
    (lambda sf: sf.error(400, "error_invalid_field_challenge.json"),
     "Salesforce rejected the query (INVALID_FIELD): the integration user needs read access"),
], ids=["limit", "down", "timeout", "expired-token", "field-not-readable"])
def test_a_failure_on_any_query_writes_nothing_and_says_why_once(svc, people_sync, salesforce,
                                                                 sleeps, fail, said):
    answer(salesforce, users=[user(1)], events=[event(1)])
    people_sync.sync(ORG_ID, now=NOW, sleep=sleeps.append)
    before = stored(svc)
    salesforce.pages(ROLES).pages([user(1, Name="Renamed"), user(2)], per_page=1, only=1)
    fail(salesforce)  # the users' second page, and every retry, fails
    report = people_sync.sync(ORG_ID, now=NOW, sleep=sleeps.append)
    assert not report.ok and said in report.error and stored(svc) == before
    failures = [m for k, m in events_of(svc) if k == FAILED_EVENT]
    assert len(failures) == 1 and said in failures[0]
    if "limit" not in said:
        fail(salesforce)
        people_sync.sync(ORG_ID, now=NOW, sleep=sleeps.append)
        assert len([k for k, _ in events_of(svc) if k == FAILED_EVENT]) == 1


def test_the_api_limit_stops_later_syncs_from_calling_salesforce(people_sync, salesforce, sleeps):
    salesforce.error(403, "error_request_limit.json")
    people_sync.sync(ORG_ID, now=NOW, sleep=sleeps.append)
    calls = len(salesforce.calls)
    report = people_sync.sync(ORG_ID, now=NOW, sleep=sleeps.append)
    assert not report.ok and "API limit was reached earlier" in report.error
    assert len(salesforce.calls) == calls


@pytest.mark.parametrize("org_id", ["00D000000000404AAA", "not an org", ""])
def test_an_unknown_org_is_reported_not_raised(people_sync, org_id):
    assert people_sync.sync(org_id, now=NOW).error == "no such org is configured"
