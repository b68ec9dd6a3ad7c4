"""Opportunity records as Salesforce's query API returns them, parsed at the edge."""
import copy
import json
import math
from datetime import date

import pytest

from plugin.crm.salesforce.ids import InvalidSalesforceId
from plugin.crm.salesforce.opportunity_json import MAX_TEXT, parse_opportunity

OPPORTUNITY_ID = "006A0000006Vm9r"  # the 18-character form ends in "IAC", as 001A0000006Vm9r does


def contact_role(role, *, primary=False, name="Pat Lee", title="CFO"):
    return {
        "attributes": {"type": "OpportunityContactRole", "url": "/services/data/v59.0/sobjects/OpportunityContactRole/00K"},
        "Role": role,
        "IsPrimary": primary,
        "Contact": {"attributes": {"type": "Contact"}, "Name": name, "Title": title},
    }


def salesforce_opportunity(**overrides):
    """One record of ``SELECT ... FROM Opportunity`` with its account and contact roles."""
    record = {
        "attributes": {"type": "Opportunity", "url": f"/services/data/v59.0/sobjects/Opportunity/{OPPORTUNITY_ID}"},
        "Id": OPPORTUNITY_ID,
        "Name": "Acme — core banking renewal",
        "StageName": "Negotiation/Review",
        "Amount": 125000.0,
        "Probability": 90,
        "CloseDate": "2026-09-30",
        "Type": "Existing Customer - Upgrade",
        "LeadSource": "Partner Referral",
        "IsClosed": False,
        "IsWon": False,
        "Description": "Needs audit evidence before renewal.",
        "NextStep": "Send the security questionnaire",
        "Customer_Challenge__c": "Risk & compliance",
        "Account": {"attributes": {"type": "Account"}, "Name": "Acme Bank", "Industry": "Banking"},
        "OpportunityContactRoles": {
            "totalSize": 3,
            "done": True,
            "records": [
                contact_role("Technical Buyer", name="Sam"),
                contact_role("Economic Buyer", primary=True, name="Pat"),
                contact_role("Evaluator", name="Kim"),
            ],
        },
    }
    record.update(overrides)
    return record


def test_complete_record_is_parsed_into_typed_fields():
    record = parse_opportunity(salesforce_opportunity())
    assert record.opportunity_id == "006A0000006Vm9rIAC"
    assert record.name == "Acme — core banking renewal"
    assert record.stage == "Negotiation/Review"
    assert record.amount == 125000.0 and record.probability == 90.0
    assert record.close_date == date(2026, 9, 30)
    assert (record.account_name, record.industry) == ("Acme Bank", "Banking")
    assert record.challenge == "Risk & compliance"
    assert record.is_closed is False and record.is_won is False
    assert record.problems == ()


def test_record_survives_a_json_round_trip_unchanged():
    raw = json.loads(json.dumps(salesforce_opportunity()))
    assert parse_opportunity(raw) == parse_opportunity(salesforce_opportunity())


def test_primary_role_is_sorted_first_and_salesforce_order_kept_otherwise():
    roles = parse_opportunity(salesforce_opportunity()).contact_roles
    assert [r.role for r in roles] == ["Economic Buyer", "Technical Buyer", "Evaluator"]
    assert [r.is_primary for r in roles] == [True, False, False]
    assert roles[0].contact_name == "Pat" and roles[0].contact_title == "CFO"


def test_null_contact_roles_mean_no_roles_and_no_problem():
    record = parse_opportunity(salesforce_opportunity(OpportunityContactRoles=None))
    assert record.contact_roles == ()
    assert record.problems == ()


def test_contact_role_with_null_role_or_contact_is_kept():
    rows = [{"Role": None, "IsPrimary": True, "Contact": None}, {"Role": "Evaluator", "IsPrimary": "true"}]
    record = parse_opportunity(salesforce_opportunity(OpportunityContactRoles={"totalSize": 2, "done": True, "records": rows}))
    assert [(r.role, r.is_primary, r.contact_name) for r in record.contact_roles] == [
        (None, True, None),
        ("Evaluator", False, None),  # "true" is not Salesforce's boolean true
    ]


@pytest.mark.parametrize("value", [[contact_role("Evaluator")], "Evaluator", {"records": "x"}, 3])
def test_contact_roles_that_are_not_a_query_result_are_reported(value):
    record = parse_opportunity(salesforce_opportunity(OpportunityContactRoles=value))
    assert record.contact_roles == ()
    assert "OpportunityContactRoles is not a query result" in record.problems


def test_contact_role_rows_that_are_not_objects_are_skipped():
    rows = ["junk", None, contact_role("Influencer")]
    record = parse_opportunity(salesforce_opportunity(OpportunityContactRoles={"records": rows}))
    assert [r.role for r in record.contact_roles] == ["Influencer"]


def test_null_account_is_reported_and_leaves_account_fields_empty():
    record = parse_opportunity(salesforce_opportunity(Account=None))
    assert (record.account_name, record.industry) == (None, None)
    assert record.problems == ("No account on the opportunity",)


def test_account_that_is_not_an_object_is_reported():
    record = parse_opportunity(salesforce_opportunity(Account="Acme Bank"))
    assert record.industry is None
    assert "Account is not an object" in record.problems


def test_amount_as_string_is_reported_not_guessed():
    record = parse_opportunity(salesforce_opportunity(Amount="125000"))
    assert record.amount is None
    assert "Amount is not a number" in record.problems
    assert record.stage == "Negotiation/Review"  # the rest of the record is still usable


@pytest.mark.parametrize("amount", [math.nan, math.inf, -math.inf, 10**400], ids=["nan", "inf", "-inf", "10**400"])
def test_amount_that_is_not_a_finite_number_is_reported(amount):
    record = parse_opportunity(salesforce_opportunity(Amount=amount))
    assert record.amount is None
    assert "Amount is not a finite number" in record.problems


@pytest.mark.parametrize(
    "payload", ['"Amount": NaN', '"Amount": Infinity', '"Amount": 1' + "0" * 400], ids=["NaN", "Infinity", "huge-int"]
)
def test_amount_from_lenient_json_is_reported_not_crashed(payload):
    raw = json.loads("{" + f'"Id": "{OPPORTUNITY_ID}", ' + payload + "}")
    record = parse_opportunity(raw)
    assert record.amount is None
    assert any(problem.startswith("Amount") for problem in record.problems)


@pytest.mark.parametrize("amount", ["NaN", True, [1], {"value": 1}])
def test_amount_of_the_wrong_type_is_reported(amount):
    record = parse_opportunity(salesforce_opportunity(Amount=amount))
    assert record.amount is None
    assert "Amount is not a number" in record.problems


def test_integer_amount_becomes_a_float():
    record = parse_opportunity(salesforce_opportunity(Amount=50000))
    assert record.amount == 50000.0 and isinstance(record.amount, float)


def test_hostile_description_is_kept_as_plain_text_for_the_renderer_to_escape():
    hostile = "<script>alert(document.cookie)</script> {{ config.SECRET_KEY }} {% include 'x' %} ${7*7}"
    record = parse_opportunity(salesforce_opportunity(Description=hostile, NextStep="<img src=x onerror=alert(1)>"))
    assert record.description == hostile
    assert record.next_step == "<img src=x onerror=alert(1)>"
    assert record.problems == ()


def test_nul_characters_are_removed_and_text_is_trimmed():
    record = parse_opportunity(salesforce_opportunity(Description="  audit\x00 evidence  ", Name="\x00  "))
    assert record.description == "audit evidence"
    assert record.name == "(unnamed opportunity)"


def test_overlong_description_is_cut_to_the_salesforce_maximum():
    record = parse_opportunity(salesforce_opportunity(Description="x" * (MAX_TEXT + 500)))
    assert len(record.description) == MAX_TEXT


def test_text_field_holding_a_number_is_read_as_text():
    record = parse_opportunity(salesforce_opportunity(Name=2026, Type=1.5))
    assert (record.name, record.type) == ("2026", "1.5")


@pytest.mark.parametrize("value", [{"a": 1}, ["Prospecting"], True])
def test_text_field_holding_an_object_is_reported(value):
    record = parse_opportunity(salesforce_opportunity(StageName=value))
    assert record.stage is None
    assert "StageName is not text" in record.problems


@pytest.mark.parametrize("value", ["30/09/2026", "soon", 12, True])
def test_unreadable_close_date_is_reported(value):
    record = parse_opportunity(salesforce_opportunity(CloseDate=value))
    assert record.close_date is None
    assert "CloseDate is not a date" in record.problems


def test_datetime_close_date_keeps_the_date():
    assert parse_opportunity(salesforce_opportunity(CloseDate="2026-09-30T00:00:00.000+0000")).close_date == date(2026, 9, 30)


def test_closed_and_won_need_salesforce_booleans():
    assert parse_opportunity(salesforce_opportunity(IsClosed=True, IsWon=True)).is_won is True
    lenient = parse_opportunity(salesforce_opportunity(IsClosed="true", IsWon=1))
    assert (lenient.is_closed, lenient.is_won) == (False, False)


def test_challenge_field_is_configurable_and_optional():
    raw = salesforce_opportunity(Pain__c="growth")
    assert parse_opportunity(raw, challenge_field="Pain__c").challenge == "growth"
    assert parse_opportunity(raw, challenge_field=None).challenge is None
    without = salesforce_opportunity()
    del without["Customer_Challenge__c"]
    assert parse_opportunity(without).challenge is None


def test_minimal_record_parses_with_only_the_missing_account_noted():
    record = parse_opportunity({"Id": OPPORTUNITY_ID})
    assert record.name == "(unnamed opportunity)"
    assert (record.stage, record.amount, record.close_date, record.contact_roles) == (None, None, None, ())
    assert record.problems == ("No account on the opportunity",)


@pytest.mark.parametrize("bad_id", [None, "001A0000006Vm9r", "006A0000006Vm9rXXX", "006' OR '1'='1'"])
def test_record_without_a_valid_opportunity_id_is_refused(bad_id):
    with pytest.raises(InvalidSalesforceId):
        parse_opportunity(salesforce_opportunity(Id=bad_id))


def test_parsing_does_not_change_the_payload():
    raw = salesforce_opportunity()
    before = copy.deepcopy(raw)
    parse_opportunity(raw)
    assert raw == before
