from __future__ import annotations

import pytest

from plugin.crm.salesforce.exceptions import SalesforceConfigError
from plugin.crm.salesforce.ids import InvalidSalesforceId
from plugin.crm.salesforce.soql import OptionalPart, opportunity_context_query, validate_field_name

FULL = (
    "SELECT Id, Name, StageName, Amount, Type, Probability, CloseDate, IsClosed, IsWon, "
    "Description, NextStep, LeadSource, OwnerId, Customer_Challenge__c, Account.Name, Account.Industry, "
    "(SELECT Role, IsPrimary, Contact.Name, Contact.Title FROM OpportunityContactRoles) "
    "FROM Opportunity WHERE Id = '0065e00000AbCdEAAV'"
)


def test_one_query_reads_opportunity_account_and_contact_roles():
    query = opportunity_context_query("0065e00000AbCdE", challenge_field="Customer_Challenge__c")
    assert query == FULL


def test_without_a_challenge_field_none_is_selected():
    query = opportunity_context_query("0065e00000AbCdEAAV")
    assert "__c" not in query and "OpportunityContactRoles" in query


def test_degraded_queries_leave_out_the_named_parts():
    no_challenge = opportunity_context_query(
        "0065e00000AbCdEAAV", challenge_field="Customer_Challenge__c",
        without=frozenset({OptionalPart.CHALLENGE_FIELD}))
    assert "Customer_Challenge__c" not in no_challenge and "OpportunityContactRoles" in no_challenge
    no_roles = opportunity_context_query(
        "0065e00000AbCdEAAV", challenge_field="Customer_Challenge__c",
        without=frozenset({OptionalPart.CONTACT_ROLES}))
    assert "Customer_Challenge__c" in no_roles and "OpportunityContactRoles" not in no_roles


@pytest.mark.parametrize("hostile", [
    "0065e00000AbCdE' OR Name != '", "0015e00000XyZaB", "006", "", None, "0065e00000AbCdEXXX",
])
def test_only_a_valid_opportunity_id_reaches_the_query(hostile):
    with pytest.raises(InvalidSalesforceId):
        opportunity_context_query(hostile)


@pytest.mark.parametrize("name", ["Customer_Challenge__c", "ns__Pain_Point__c", "Pain", "X" * 40])
def test_field_api_names_are_accepted(name):
    assert validate_field_name(name) == name


@pytest.mark.parametrize("name", [
    "Pain Point__c", "Pain__c,Id", "1Pain__c", "_Pain__c", "Pain_", "Pain___c", "X" * 41,
    "Account.Name", "Pain__c)", "Pain__c--", "ID", "description", 7, None,
])
def test_anything_else_is_refused_as_a_field_name(name):
    with pytest.raises(SalesforceConfigError):
        validate_field_name(name)
