"""Salesforce User, UserRole and Event rows, and an opportunity's OwnerId, parsed strictly."""
from datetime import datetime, timezone

import pytest

from plugin.crm.demo_org import DemoOrg
from plugin.crm.salesforce.opportunity_json import parse_opportunity
from plugin.crm.salesforce.people_json import (
    BadPeopleRecord, events_query, parse_event, parse_role, parse_user, users_query,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
PARTNER = {
    "attributes": {"type": "User", "url": "/services/data/v59.0/sobjects/User/0055e00000JAMIOAA5"},
    "Id": "0055e00000JAMIO", "Name": "Jamie  Ortiz", "UserType": "PowerPartner",
    "UserRoleId": "00E5e000000BLP1", "ManagerId": "0055e00000MARCB", "IsActive": True,
    "ContactId": "0035e00000JAMIO",
    "Contact": {"attributes": {"type": "Contact"}, "AccountId": "0015e00000BRTLN",
                "Account": {"attributes": {"type": "Account"}, "Name": "Brightline Partners"}},
    "LastModifiedDate": "2026-01-05T09:00:00.000+0000",
}
EVENT = {
    "attributes": {"type": "Event", "url": "/services/data/v59.0/sobjects/Event/00U5e00000MEET1"},
    "Id": "00U5e00000MEET1", "WhatId": "006Dn0000kl0JfIIAU", "OwnerId": "0055e00000DEMOL",
    "StartDateTime": "2026-11-20T15:00:00.000+0000", "EndDateTime": "2026-11-20T16:00:00.000+0000",
    "LastModifiedDate": "2026-11-18T10:00:00.000+0000",
}


def test_a_partner_user_is_read_with_their_partner_account():
    user = parse_user(PARTNER, now=NOW)
    assert user.user_id == "0055e00000JAMIOAA5" and user.name == "Jamie Ortiz"
    assert user.is_partner and user.partner_account_name == "Brightline Partners"
    assert user.modified_at == datetime(2026, 1, 5, 9, tzinfo=timezone.utc)


def test_an_event_on_an_opportunity_is_a_meeting():
    meeting = parse_event(EVENT, now=NOW)
    assert meeting.opportunity_id == "006Dn0000kl0JfIIAU" and meeting.owner_id == "0055e00000DEMOLAA5"
    assert meeting.starts_at == datetime(2026, 11, 20, 15, tzinfo=timezone.utc)


@pytest.mark.parametrize(("parse", "row", "reason"), [
    (parse_user, {**PARTNER, "Id": "001' OR Id != null"}, "Id is not a valid user Id"),
    (parse_user, {**PARTNER, "ManagerId": "00E5e000000BLP1"}, "ManagerId is not a valid user Id"),
    (parse_user, {**PARTNER, "IsActive": "yes"}, "IsActive is not true or false"),
    (parse_user, {**PARTNER, "Contact": ["x"]}, "Contact is not an object"),
    (parse_user, {**PARTNER, "LastModifiedDate": "2031-01-01T00:00:00.000+0000"}, "in the future"),
    (parse_role, {"Id": "00E5e000000WWS1", "Name": None}, "Name is missing"),
    (parse_event, {**EVENT, "WhatId": "0015e00000BRTLN"}, "WhatId is not a valid opportunity Id"),
    (parse_event, {**EVENT, "StartDateTime": "2026-11-20T15:00:00"}, "has no time zone"),
    (parse_event, "not a record", "not an object"),
])
def test_a_bad_row_is_refused_with_its_reason(parse, row, reason):
    with pytest.raises(BadPeopleRecord, match=reason):
        parse(row, now=NOW)


def test_the_queries_ask_for_deal_owners_and_meetings_on_opportunities_since_the_watermark():
    assert "FROM User WHERE UserType IN ('Standard','PowerPartner','Partner')" in users_query(None)
    since = events_query(datetime(2026, 11, 1, tzinfo=timezone.utc))
    assert since.endswith("WHERE What.Type = 'Opportunity' AND LastModifiedDate >= 2026-11-01T00:00:00+00:00")


def test_an_owner_id_that_is_not_a_user_id_is_a_problem_not_an_owner():
    record = parse_opportunity({"Id": "006Dn0000kl0JfIIAU", "Name": "X", "OwnerId": "00G5e0000000001"})
    assert record.owner_id is None and "OwnerId is not a User Id" in record.problems
    assert parse_opportunity({"Id": "006Dn0000kl0JfIIAU", "Name": "X",
                              "OwnerId": "0055e00000DEMOL"}).owner_id == "0055e00000DEMOLAA5"


def test_every_demo_person_parses_and_every_demo_deal_has_an_owner_among_them():
    demo = DemoOrg()
    users = {u.user_id: u for u in (parse_user(r, now=NOW) for r in demo.user_records())}
    roles = [parse_role(r, now=NOW) for r in demo.role_records()]
    owners = [o.owner_id for o in demo.opportunities()]
    assert set(owners) <= set(users) and len(roles) == 9
    open_deals = [o for o in demo.opportunities() if not o.is_closed]
    mine = [o for o in open_deals if o.owner_id == "0055e00000DEMOLAA5"]
    assert len(mine) > len(open_deals) / 2
    assert any(o.owner_id == "0055e00000DEMOLAA5" and o.is_closed and not o.is_won
               for o in demo.opportunities())
    partner = [u for u in users.values() if u.is_partner]
    assert [u.partner_account_name for u in partner] == ["Brightline Partners"]
    assert owners.count(partner[0].user_id) == 2
