"""Fields an admin maps (the challenge on the account, an industry override, extra text fields)
travel in the one context query, are parsed from its answer, and degrade like the challenge
field when the org does not let us read them."""
from __future__ import annotations

import copy

import pytest
import responses

from plugin.crm.salesforce.config import OrgConnection
from plugin.crm.salesforce.exceptions import SalesforceConfigError
from plugin.crm.salesforce.opportunity_json import parse_opportunity
from plugin.crm.salesforce.soql import (
    OptionalPart,
    opportunity_context_query,
    opportunity_stages_query,
    validate_field_path,
)
from plugin.crm.salesforce.live_source import SalesforceOpportunitySource

from sf_fakes import CANVAS_SECRET, INSTANCE, LIMIT_INFO, OPPORTUNITY_ID, ORG_ID, QUERY_URL, load_json

MISSING_SECTOR = [{
    "errorCode": "INVALID_FIELD",
    "message": "\nAccount.Industry, Account.Sector__c, (SELECT Role\n ^\nERROR at Row:1:Column:140\n"
               "No such column 'Sector__c' on entity 'Account'. If you are attempting to use a custom "
               "field, be sure to append the '__c' after the custom field name.",
}]  # fmt: skip


@pytest.mark.parametrize("path, expected", [
    ("Pain__c", "Pain__c"), ("Account.Sector__c", "Account.Sector__c"),
    ("account.Sector__c", "Account.Sector__c"), (" Account.ns__Tier__c ", "Account.ns__Tier__c"),
])  # fmt: skip
def test_a_field_path_names_an_opportunity_or_account_field(path, expected):
    assert validate_field_path(path) == expected


@pytest.mark.parametrize("path", [
    "Contact.Title", "Account.Owner.Name", "Account.", ".Pain__c", "Account.Industry", "Account.name",
    "Name", "Account.Sector__c, Id", "Account.Sector__c)", None, 3,
])  # fmt: skip
def test_other_paths_and_fields_already_read_are_refused(path):
    with pytest.raises(SalesforceConfigError):
        validate_field_path(path)


def test_the_context_query_reads_mapped_fields_once_each():
    query = opportunity_context_query(
        OPPORTUNITY_ID, challenge_field="Account.Pain__c", industry_field="Account.Sector__c",
        extra_fields=("Competitor__c", "account.sector__c", "Account.Pain__c"))
    select = query.split(" FROM Opportunity WHERE")[0]
    assert select.count("Account.Sector__c") == 1 and select.count("Account.Pain__c") == 1
    assert "Competitor__c" in select and select.endswith("FROM OpportunityContactRoles)")


def test_left_out_mapped_fields_leave_the_rest_of_the_query():
    query = opportunity_context_query(
        OPPORTUNITY_ID, challenge_field="Pain__c", industry_field="Account.Sector__c",
        extra_fields=("Competitor__c",), without=frozenset({OptionalPart.MAPPED_FIELDS}))
    assert "Sector__c" not in query and "Competitor__c" not in query and "Pain__c" in query


def test_the_stages_query_asks_for_api_names_only_where_the_api_has_them():
    assert "ApiName" in opportunity_stages_query("59.0")
    assert "ApiName" not in opportunity_stages_query("35.0")
    assert opportunity_stages_query("59.0") == (
        "SELECT MasterLabel, ApiName, IsActive, IsClosed, IsWon, SortOrder FROM OpportunityStage "
        "WHERE IsActive = true ORDER BY SortOrder")


def test_a_connection_validates_its_mapped_fields():
    with pytest.raises(SalesforceConfigError):
        OrgConnection(ORG_ID, INSTANCE, industry_field="Account.Industry; DROP")
    with pytest.raises(SalesforceConfigError):
        OrgConnection(ORG_ID, INSTANCE, extra_fields=tuple(f"F{i}__c" for i in range(11)))
    connection = OrgConnection(ORG_ID, INSTANCE, extra_fields=("A__c", "a__c", "Account.B__c"))
    assert connection.extra_fields == ("A__c", "Account.B__c")


def row() -> dict:
    record = copy.deepcopy(load_json("opportunity_full.json")["records"][0])
    record["Account"]["Sector__c"] = "Healthcare"
    record["Account"]["Pain__c"] = "risk_compliance"
    record["Competitor__c"] = "Globex analytics suite"
    return record


def test_the_record_takes_industry_challenge_and_extra_text_from_mapped_fields():
    record = parse_opportunity(row(), challenge_field="Account.Pain__c", industry_field="Account.Sector__c",
                               extra_fields=("Competitor__c", "Missing__c"))
    assert (record.industry, record.challenge) == ("Healthcare", "risk_compliance")
    assert record.extra_fields == (("Competitor__c", "Globex analytics suite"),)


def test_an_empty_industry_override_falls_back_to_the_standard_industry():
    raw = row()
    raw["Account"]["Sector__c"] = None
    assert parse_opportunity(raw, industry_field="Account.Sector__c").industry == "Banking"


@pytest.fixture
def mapped_connection():
    return OrgConnection(ORG_ID, INSTANCE, canvas_secret=CANVAS_SECRET, challenge_field="Customer_Challenge__c",
                         industry_field="Account.Sector__c", extra_fields=("Competitor__c",))


def test_an_unreadable_mapped_field_degrades_the_query_and_keeps_the_challenge(http, mapped_connection, canvas_session):
    http.add(responses.GET, QUERY_URL, json=MISSING_SECTOR, status=400)
    http.add(responses.GET, QUERY_URL, json=load_json("opportunity_full.json"), headers=LIMIT_INFO)
    source = SalesforceOpportunitySource(mapped_connection, canvas_session=canvas_session)

    fetched = source.fetch_context(OPPORTUNITY_ID)

    retried = http.calls[1].request.url
    assert "Sector__c" not in retried and "Competitor__c" not in retried and "Customer_Challenge__c" in retried
    assert fetched.degradations == ("mapped fields left out: INVALID_FIELD",)
    assert fetched.record.industry == "Banking"
