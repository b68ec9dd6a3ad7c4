"""One fetch is one query, and Salesforce's record JSON becomes an OpportunityRecord."""
from __future__ import annotations

from datetime import date

import pytest
import responses

from plugin.crm.sources import OpportunityNotFound, OpportunitySource
from plugin.crm.salesforce.context_cache import InProcessContextCache
from plugin.crm.salesforce.health import OrgHealth
from plugin.crm.salesforce.live_source import SalesforceOpportunitySource

from sf_fakes import LIMIT_INFO, OPPORTUNITY_ID, QUERY_URL, load_json

EXPECTED_QUERY = (
    "SELECT Id, Name, StageName, Amount, Type, Probability, CloseDate, IsClosed, IsWon, "
    "Description, NextStep, LeadSource, OwnerId, Customer_Challenge__c, Account.Name, Account.Industry, "
    "(SELECT Role, IsPrimary, Contact.Name, Contact.Title FROM OpportunityContactRoles) "
    "FROM Opportunity WHERE Id = '0065e00000AbCdEAAV'"
)


@pytest.fixture
def source(canvas_connection, canvas_session, clock, record_sleep):
    return SalesforceOpportunitySource(
        canvas_connection, canvas_session=canvas_session, sleep=record_sleep,
        cache=InProcessContextCache(clock=clock),
        health=OrgHealth(canvas_connection.org_id, clock=clock))


def answer(http, payload: str) -> None:
    http.add(responses.GET, QUERY_URL, json=load_json(payload), headers=LIMIT_INFO,
             match=[responses.matchers.query_param_matcher({"q": EXPECTED_QUERY})])


def test_the_source_offers_what_an_opportunity_source_promises(source):
    as_protocol: OpportunitySource = source  # checked by type checkers; the Protocol is static
    assert as_protocol.org_id == "00D5e000001AcmEEAS" and callable(as_protocol.fetch)


def test_one_get_to_the_query_endpoint_brings_the_whole_context(http, source):
    answer(http, "opportunity_full.json")

    fetched = source.fetch_context("0065e00000AbCdE")

    assert len(http.calls) == 1 and http.calls[0].request.method == "GET"
    assert fetched.api_calls == 1 and not fetched.from_cache
    record = fetched.record
    assert record.opportunity_id == OPPORTUNITY_ID
    assert (record.name, record.stage, record.type) == (
        "Acme Corp - Platform renewal", "Proposal/Price Quote", "Existing Customer - Upgrade")
    assert (record.amount, record.probability) == (125000.0, 75.0)
    assert record.close_date == date(2025, 9, 30)
    assert (record.is_closed, record.is_won) == (False, False)
    assert record.lead_source == "Partner Referral"
    assert (record.account_name, record.industry) == ("Acme Corp", "Banking")
    assert record.challenge == "Audit findings on data residency"
    assert record.next_step == "Send the security questionnaire"
    assert [(r.contact_name, r.role, r.is_primary) for r in record.contact_roles] == [
        ("Lee Chen", "Technical Buyer", True), ("Dana Ruiz", "Economic Buyer", False)]
    assert record.problems == ()


def test_no_contact_roles_come_back_as_null_and_mean_none(http, source):
    answer(http, "opportunity_no_roles.json")
    record = source.fetch(OPPORTUNITY_ID)
    assert record.contact_roles == () and record.problems == ()
    assert (record.description, record.industry, record.challenge) == ("", None, None)


def test_an_opportunity_without_an_account_still_maps(http, source):
    answer(http, "opportunity_no_account.json")
    record = source.fetch(OPPORTUNITY_ID)
    assert (record.account_name, record.industry, record.amount) == (None, None, None)
    assert "No account on the opportunity" in record.problems


def test_the_orgs_own_picklist_values_are_kept_verbatim(http, source):
    answer(http, "opportunity_custom_picklists.json")
    record = source.fetch(OPPORTUNITY_ID)
    assert (record.stage, record.industry, record.type) == (
        "Verbal Commit (EMEA)", "Space Logistics", "Strategic Expansion")
    assert [(r.role, r.contact_name) for r in record.contact_roles] == [("Champion", None)]
    assert record.amount == 990000.5


def test_hostile_values_are_kept_as_inert_text_or_dropped_with_a_reason(http, source):
    answer(http, "opportunity_hostile.json")
    record = source.fetch(OPPORTUNITY_ID)
    # Escaping is the template's job; the record keeps the text as Salesforce holds it.
    assert record.name == "<script>alert('x')</script>' OR Id != '"
    assert record.stage == "Negotiation/Review" and "\x00" not in record.description
    assert (record.amount, record.probability, record.close_date) == (None, None, None)
    assert (record.type, record.lead_source, record.account_name) == (None, None, None)
    assert (record.is_closed, record.is_won, record.next_step) == (False, False, "")
    assert record.challenge == "42"
    roles = [(r.role, r.is_primary) for r in record.contact_roles]
    assert roles == [("<b>Decision Maker</b>", False)]
    assert {"Amount is not a number", "Account is not an object", "CloseDate is not a date"} <= set(
        record.problems)


def test_an_empty_answer_means_the_record_does_not_exist(http, source):
    answer(http, "empty_result.json")
    with pytest.raises(OpportunityNotFound) as caught:
        source.fetch(OPPORTUNITY_ID)
    assert caught.value.opportunity_id == OPPORTUNITY_ID


@pytest.mark.parametrize("bad", ["0015e00000XyZaB", "0065e00000AbCdE' OR Id != '", "", None])
def test_an_invalid_id_is_refused_before_any_call(http, source, bad):
    with pytest.raises(OpportunityNotFound):
        source.fetch(bad)
    assert len(http.calls) == 0


def test_an_org_without_a_challenge_field_does_not_ask_for_one(http, canvas_session):
    from plugin.crm.salesforce.config import OrgConnection

    connection = OrgConnection("00D5e000001AcmE", "https://acme.my.salesforce.com")
    http.add(responses.GET, QUERY_URL, json=load_json("opportunity_full.json"), match=[
        responses.matchers.query_param_matcher(
            {"q": EXPECTED_QUERY.replace("Customer_Challenge__c, ", "")})])
    source = SalesforceOpportunitySource(connection, canvas_session=canvas_session)
    record = source.fetch(OPPORTUNITY_ID)
    assert record.challenge is None
