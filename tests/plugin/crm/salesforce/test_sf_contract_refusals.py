"""Issue 13, defects 3 and 4: a query part the server refuses is left out whatever code the refusal
carries; fields it silently leaves out are noted; admins read the start of Salesforce's message."""
from __future__ import annotations

import copy
import json

import pytest
import responses

from plugin.crm.salesforce.context_cache import InProcessContextCache
from plugin.crm.salesforce.health import OrgHealth
from plugin.crm.salesforce.ids import to_18
from plugin.crm.salesforce.live_source import SalesforceOpportunitySource
from plugin.crm.salesforce.soql import OptionalPart

from sf_fakes import LIMIT_INFO, OPPORTUNITY_ID, QUERY_URL, load_json

OTHER_OPPORTUNITY = "0065e00000ZzZzZ"


@pytest.fixture
def health(canvas_connection, clock):
    return OrgHealth(canvas_connection.org_id, clock=clock)


@pytest.fixture
def source(canvas_connection, canvas_session, clock, health, record_sleep):
    return SalesforceOpportunitySource(canvas_connection, canvas_session=canvas_session,
                                       cache=InProcessContextCache(clock=clock), health=health,
                                       sleep=record_sleep)


def answer(http, body, status=200):
    http.add(responses.GET, QUERY_URL, json=body, status=status, headers=LIMIT_INFO)


def query_of(call) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(call.request.url).query)["q"][0]


@pytest.mark.parametrize("payload", ["error_malformed_contact_roles.json",
                                     "error_malformed_subquery_unechoed.json"])
def test_a_malformed_query_refusal_naming_the_contact_roles_is_retried_without_them(
        http, source, health, payload):
    answer(http, load_json(payload), 400)
    answer(http, load_json("opportunity_no_roles.json"))

    fetched = source.fetch_context(OPPORTUNITY_ID)

    assert "OpportunityContactRoles" in query_of(http.calls[0])
    assert "OpportunityContactRoles" not in query_of(http.calls[1])
    assert fetched.degradations == ("contact roles left out: MALFORMED_QUERY",)
    assert OptionalPart.CONTACT_ROLES in health.degraded_parts()


def test_a_refused_part_is_remembered_so_the_next_view_costs_one_call_and_is_cached(
        http, source):
    answer(http, load_json("error_malformed_contact_roles.json"), 400)
    answer(http, load_json("opportunity_no_roles.json"))
    source.fetch(OPPORTUNITY_ID)
    again = source.fetch_context(OPPORTUNITY_ID)
    assert again.from_cache and len(http.calls) == 2


def test_a_malformed_query_naming_no_optional_part_is_not_guessed_around(http, source, health):
    from plugin.crm.sources import SourceUnavailable

    answer(http, load_json("error_malformed_unrelated.json"), 400)
    with pytest.raises(SourceUnavailable):
        source.fetch(OPPORTUNITY_ID)
    assert len(http.calls) == 1 and health.degraded_parts() == {}


# -- defect 4: the org event keeps the code and the start of the message -------------------------
def test_the_degraded_event_keeps_the_code_and_the_start_of_salesforces_explanation(
        http, source, health):
    answer(http, load_json("error_invalid_type_contact_roles.json"), 400)
    answer(http, load_json("opportunity_no_roles.json"))
    source.fetch(OPPORTUNITY_ID)

    (event,) = health.status().recent_events
    assert event.kind == "degraded"
    assert event.message.startswith(
        "contact roles left out: INVALID_TYPE Didn't understand relationship "
        "'OpportunityContactRoles' in FROM part of query call.")


def test_a_long_salesforce_message_is_cut_at_its_end_not_its_start(http, source, health):
    long_message = load_json("error_invalid_field_challenge.json")
    long_message[0]["message"] += " More detail." * 200
    answer(http, long_message, 400)
    answer(http, load_json("opportunity_full.json"))
    source.fetch(OPPORTUNITY_ID)

    (event,) = health.status().recent_events
    assert event.message.startswith(
        "challenge field left out: INVALID_FIELD No such column 'Customer_Challenge__c' on "
        "entity 'Opportunity'.")
    assert event.message.endswith("…") and len(event.message) < 400


# -- fields the server silently leaves out ------------------------------------------------------
def _without_industry():
    body = copy.deepcopy(load_json("opportunity_full.json"))
    del body["records"][0]["Account"]["Industry"]
    return body


def test_a_field_missing_from_the_answer_is_noted_for_the_admin_and_the_record(
        http, source, health):
    answer(http, _without_industry())

    fetched = source.fetch_context(OPPORTUNITY_ID)

    note = "left out of Salesforce's answer: Account.Industry"
    assert note in fetched.record.problems
    assert fetched.record.industry is None and fetched.record.account_name == "Acme Corp"
    (event,) = health.status().recent_events
    assert event.kind == "fields_missing" and "Account.Industry" in event.message


def test_a_missing_field_is_told_to_admins_once_not_on_every_view(http, source, health, clock):
    answer(http, _without_industry())
    answer(http, load_json("empty_result.json") | {"records": [
        {**_without_industry()["records"][0], "Id": to_18(OTHER_OPPORTUNITY)}], "totalSize": 1})
    source.fetch(OPPORTUNITY_ID)
    source.fetch(OTHER_OPPORTUNITY)
    assert [e.kind for e in health.status().recent_events] == ["fields_missing"]


def test_a_null_value_is_an_answer_not_a_missing_field(http, source, health):
    body = copy.deepcopy(load_json("opportunity_full.json"))
    body["records"][0]["Account"]["Industry"] = None
    answer(http, body)
    fetched = source.fetch_context(OPPORTUNITY_ID)
    assert not any("left out of" in p for p in fetched.record.problems)
    assert health.status().recent_events == ()


def test_the_cached_copy_keeps_the_note(http, source):
    answer(http, _without_industry())
    source.fetch(OPPORTUNITY_ID)
    again = source.fetch_context(OPPORTUNITY_ID)
    assert again.from_cache
    assert "left out of Salesforce's answer: Account.Industry" in again.record.problems


def test_json_payloads_used_here_are_salesforce_shaped():
    for name in ("error_malformed_contact_roles.json", "error_malformed_subquery_unechoed.json"):
        (error,) = load_json(name)
        assert set(error) == {"message", "errorCode"} and json.dumps(error)
