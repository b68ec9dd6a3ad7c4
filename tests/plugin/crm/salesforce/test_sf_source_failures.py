"""The panel always renders: each way Salesforce can fail ends in data, a stale copy or a notice."""
from __future__ import annotations

import pytest
import requests
import responses

from plugin.crm.sources import OpportunityNotFound, SourceUnavailable
from plugin.crm.salesforce.client import SalesforceClient
from plugin.crm.salesforce.context_cache import InProcessContextCache
from plugin.crm.salesforce.exceptions import CanvasSessionExpired
from plugin.crm.salesforce.health import OrgHealth
from plugin.crm.salesforce.soql import OptionalPart
from plugin.crm.salesforce.live_source import UNAVAILABLE_NOTICE, SalesforceOpportunitySource

from sf_fakes import LIMIT_INFO, OPPORTUNITY_ID, QUERY_URL, TOKEN_URL, load_json

OTHER_OPPORTUNITY = "0065e00000ZzZzZ"


@pytest.fixture
def health(canvas_connection, clock):
    return OrgHealth(canvas_connection.org_id, clock=clock)


@pytest.fixture
def cache(clock):
    return InProcessContextCache(clock=clock)


@pytest.fixture
def source(canvas_connection, canvas_session, cache, health, record_sleep):
    return SalesforceOpportunitySource(canvas_connection, canvas_session=canvas_session,
                                       cache=cache, health=health, sleep=record_sleep)


@pytest.fixture
def integration_source(client_credentials_connection, cache, health, record_sleep):
    return SalesforceOpportunitySource(client_credentials_connection, cache=cache, health=health,
                                       sleep=record_sleep)


def ok(http, payload: str = "opportunity_full.json") -> None:
    http.add(responses.GET, QUERY_URL, json=load_json(payload), headers=LIMIT_INFO)


def fail(http, status: int, payload: str) -> None:
    http.add(responses.GET, QUERY_URL, json=load_json(payload), status=status)


def raise_(http, exc: Exception) -> None:
    http.add(responses.GET, QUERY_URL, body=exc)


def query_of(call) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(call.request.url).query)["q"][0]


def assert_unavailable(source, opportunity_id=OPPORTUNITY_ID):
    with pytest.raises(SourceUnavailable) as caught:
        source.fetch(opportunity_id)
    assert (caught.value.notice, caught.value.stage) == (UNAVAILABLE_NOTICE, None)
    assert UNAVAILABLE_NOTICE == "Salesforce data unavailable, showing general suggestions"


# Cache -----------------------------------------------------------------------------------------
def test_opening_the_same_record_again_costs_no_call(http, source):
    ok(http)
    source.fetch(OPPORTUNITY_ID)
    again = source.fetch_context("0065e00000AbCdE")  # the 15-character form is the same record
    assert len(http.calls) == 1
    assert again.from_cache and not again.stale and again.api_calls == 0
    assert again.record.account_name == "Acme Corp"


def test_after_the_ttl_the_record_is_fetched_again(http, source, clock):
    ok(http)
    source.fetch(OPPORTUNITY_ID)
    clock.advance(301)
    ok(http, "opportunity_no_roles.json")
    assert source.fetch(OPPORTUNITY_ID).name == "Acme Corp - New logo"
    assert len(http.calls) == 2


# Timeouts and 5xx ------------------------------------------------------------------------------
@pytest.mark.parametrize("timeout", [
    requests.exceptions.ReadTimeout, requests.exceptions.ConnectTimeout])
def test_a_timeout_is_retried_once_after_a_backoff(http, source, sleeps, timeout):
    raise_(http, timeout())
    ok(http)
    assert source.fetch(OPPORTUNITY_ID).stage == "Proposal/Price Quote"
    assert len(http.calls) == 2 and sleeps == [0.5]


def test_two_timeouts_without_a_cached_copy_give_the_general_notice(http, source, sleeps):
    raise_(http, requests.exceptions.ReadTimeout())
    raise_(http, requests.exceptions.ReadTimeout())
    assert_unavailable(source)
    assert len(http.calls) == 2 and sleeps == [0.5]


def test_500_then_200_is_retried_into_a_record(http, source, sleeps):
    fail(http, 500, "error_server.json")
    ok(http)
    assert source.fetch(OPPORTUNITY_ID).account_name == "Acme Corp"
    assert len(http.calls) == 2 and sleeps == [0.5]


def test_500_then_500_without_a_cached_copy_gives_the_general_notice(http, source):
    fail(http, 500, "error_server.json")
    fail(http, 503, "error_server.json")
    assert_unavailable(source)
    assert len(http.calls) == 2


def test_a_failing_org_serves_the_stale_copy_beyond_its_ttl(http, source, clock):
    ok(http)
    source.fetch(OPPORTUNITY_ID)
    clock.advance(3600)
    fail(http, 500, "error_server.json")
    fail(http, 500, "error_server.json")

    fetched = source.fetch_context(OPPORTUNITY_ID)

    assert fetched.from_cache and fetched.stale
    assert fetched.record.account_name == "Acme Corp"
    assert any("showing a copy from" in p for p in fetched.record.problems)
    assert len(http.calls) == 3


# 401 -------------------------------------------------------------------------------------------
def test_an_expired_session_is_renewed_once_and_the_query_repeated(http, integration_source):
    token = load_json("oauth_token.json")
    http.add(responses.POST, TOKEN_URL, json=token)
    fail(http, 401, "error_invalid_session.json")
    renewed = "00D5e000001AcmE!AQ0AQRenewed"
    http.add(responses.POST, TOKEN_URL, json=dict(token, access_token=renewed))
    http.add(responses.GET, QUERY_URL, json=load_json("opportunity_full.json"), match=[
        responses.matchers.header_matcher({"Authorization": f"Bearer {renewed}"})])

    assert integration_source.fetch(OPPORTUNITY_ID).name == "Acme Corp - Platform renewal"
    assert [c.request.method for c in http.calls] == ["POST", "GET", "POST", "GET"]
    assert integration_source.client.logins == 2


def test_a_session_refused_after_renewal_gives_the_general_notice(http, integration_source):
    http.add(responses.POST, TOKEN_URL, json=load_json("oauth_token.json"))
    fail(http, 401, "error_invalid_session.json")
    http.add(responses.POST, TOKEN_URL, json=load_json("oauth_token.json"))
    fail(http, 401, "error_invalid_session.json")
    assert_unavailable(integration_source)
    assert len(http.calls) == 4


def test_an_expired_canvas_token_asks_the_page_for_a_fresh_signed_request(http, source):
    fail(http, 401, "error_invalid_session.json")
    with pytest.raises(CanvasSessionExpired):
        source.fetch(OPPORTUNITY_ID)
    assert len(http.calls) == 1


def test_a_failed_login_is_recorded_for_admins(http, integration_source, health):
    http.add(responses.POST, TOKEN_URL, json=load_json("oauth_error.json"), status=400)
    assert_unavailable(integration_source)
    assert [e.kind for e in health.status().recent_events][:1] == ["auth_failed"]


# 403 REQUEST_LIMIT_EXCEEDED --------------------------------------------------------------------
def test_the_request_limit_opens_the_breaker_and_later_fetches_make_no_call(
        http, source, health, clock):
    fail(http, 403, "error_request_limit.json")
    assert_unavailable(source)
    assert len(http.calls) == 1

    assert_unavailable(source, OTHER_OPPORTUNITY)
    assert len(http.calls) == 1
    status = health.status()
    assert status.breaker_open_until == clock.now + 15 * 60
    assert "limit_exceeded" in [e.kind for e in status.recent_events]

    clock.advance(15 * 60)
    ok(http)
    source.fetch(OPPORTUNITY_ID)
    assert len(http.calls) == 2


def test_while_the_breaker_is_open_cached_contexts_are_still_served(http, source, clock):
    ok(http)
    source.fetch(OPPORTUNITY_ID)
    clock.advance(301)
    fail(http, 403, "error_request_limit.json")
    first = source.fetch_context(OPPORTUNITY_ID)
    second = source.fetch_context(OPPORTUNITY_ID)
    assert first.stale and second.stale and len(http.calls) == 2


# 400: missing fields and objects ---------------------------------------------------------------
def test_a_missing_challenge_field_degrades_the_query_and_says_why(http, source, health):
    fail(http, 400, "error_invalid_field_challenge.json")
    ok(http)

    fetched = source.fetch_context(OPPORTUNITY_ID)

    assert "Customer_Challenge__c" in query_of(http.calls[0])
    assert "Customer_Challenge__c" not in query_of(http.calls[1])
    assert "OpportunityContactRoles" in query_of(http.calls[1])
    assert fetched.degradations == ("challenge field left out: INVALID_FIELD",)
    assert "challenge field left out: INVALID_FIELD" in fetched.record.problems
    assert OptionalPart.CHALLENGE_FIELD in health.degraded_parts()


def test_the_degradation_is_remembered_so_the_next_record_costs_one_call(http, source):
    fail(http, 400, "error_invalid_field_challenge.json")
    ok(http)
    source.fetch(OPPORTUNITY_ID)
    http.add(responses.GET, QUERY_URL, json=load_json("empty_result.json"))
    with pytest.raises(OpportunityNotFound):
        source.fetch(OTHER_OPPORTUNITY)
    assert len(http.calls) == 3 and "Customer_Challenge__c" not in query_of(http.calls[2])


def test_a_remembered_degradation_is_reported_the_same_way(http, source, clock):
    fail(http, 400, "error_invalid_field_challenge.json")
    ok(http)
    first = source.fetch_context(OPPORTUNITY_ID)
    clock.advance(301)
    ok(http)
    again = source.fetch_context(OPPORTUNITY_ID)
    assert not again.from_cache and again.degradations == first.degradations
    assert len(http.calls) == 3


def test_a_part_left_out_is_tried_again_after_an_hour(http, source, clock):
    fail(http, 400, "error_invalid_field_challenge.json")
    ok(http)
    source.fetch(OPPORTUNITY_ID)
    clock.advance(3601)
    ok(http)
    assert source.fetch_context(OPPORTUNITY_ID).degradations == ()
    assert "Customer_Challenge__c" in query_of(http.calls[2])


def test_no_access_to_contact_roles_degrades_the_query(http, source):
    fail(http, 400, "error_invalid_type_contact_roles.json")
    ok(http, "opportunity_no_roles.json")
    fetched = source.fetch_context(OPPORTUNITY_ID)
    assert "OpportunityContactRoles" not in query_of(http.calls[1])
    assert "Customer_Challenge__c" in query_of(http.calls[1])
    assert fetched.degradations == ("contact roles left out: INVALID_TYPE",)


def test_a_degraded_answer_is_cached_with_its_degradations(http, source):
    fail(http, 400, "error_invalid_field_challenge.json")
    ok(http)
    source.fetch(OPPORTUNITY_ID)
    again = source.fetch_context(OPPORTUNITY_ID)
    assert again.from_cache and again.degradations == ("challenge field left out: INVALID_FIELD",)


def test_a_missing_core_field_is_not_guessed_around(http, source, health):
    fail(http, 400, "error_invalid_field_account.json")
    assert_unavailable(source)
    assert len(http.calls) == 1 and health.degraded_parts() == {}


def test_a_degraded_query_is_tried_only_once(http, source):
    fail(http, 400, "error_invalid_field_challenge.json")
    fail(http, 400, "error_invalid_type_contact_roles.json")
    assert_unavailable(source)
    assert len(http.calls) == 2


# Accounting ------------------------------------------------------------------------------------
def test_api_usage_and_calls_are_kept_per_org(http, source, health):
    raise_(http, requests.exceptions.ReadTimeout())
    ok(http)
    source.fetch(OPPORTUNITY_ID)
    status = health.status()
    assert (status.api_calls, status.api_usage.used, status.api_usage.limit) == (2, 18, 15000)
    assert status.org_id == "00D5e000001AcmEEAS"


def test_a_shared_client_counts_calls_across_fetches(
        http, canvas_connection, canvas_session, cache):
    client = SalesforceClient(canvas_connection, canvas_session=canvas_session)
    source = SalesforceOpportunitySource(canvas_connection, client=client, cache=cache)
    ok(http)
    source.fetch(OPPORTUNITY_ID)
    source.fetch(OPPORTUNITY_ID)
    assert client.api_calls == 1
