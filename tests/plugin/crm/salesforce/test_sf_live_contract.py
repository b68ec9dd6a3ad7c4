"""The real connector against a real org: does Salesforce still answer the way our fakes do?

Runs only when credentials are in the environment, else skips saying what to set:

* password login: ``SF_USERNAME``, ``SF_PASSWORD``, ``SF_SECURITY_TOKEN``
* or JWT bearer: ``SF_USERNAME``, ``SF_CONSUMER_KEY``, ``SF_PRIVATE_KEY_FILE``
* always: ``SF_OPPORTUNITY_ID`` (an Opportunity the user can read)
* optional: ``SF_INSTANCE_URL`` (default ``https://login.salesforce.com``; use the My Domain URL
  for JWT), ``SF_ORG_ID`` (only names the org in the cache), ``SF_CHALLENGE_FIELD``.

It makes at most four API calls.
"""
from __future__ import annotations

import os

import pytest

from plugin.crm.salesforce.config import JwtBearerCredentials, OrgConnection, PasswordCredentials
from plugin.crm.salesforce.context_cache import InProcessContextCache
from plugin.crm.salesforce.health import OrgHealth
from plugin.crm.salesforce.ids import to_18
from plugin.crm.salesforce.soql import OptionalPart
from plugin.crm.salesforce.live_source import SalesforceOpportunitySource

ENV = os.environ
PASSWORD_VARS = ("SF_USERNAME", "SF_PASSWORD", "SF_SECURITY_TOKEN")
JWT_VARS = ("SF_USERNAME", "SF_CONSUMER_KEY", "SF_PRIVATE_KEY_FILE")


def _credentials():
    if all(ENV.get(v) for v in JWT_VARS):
        return JwtBearerCredentials(ENV["SF_USERNAME"], ENV["SF_CONSUMER_KEY"],
                                    private_key_file=ENV["SF_PRIVATE_KEY_FILE"])
    if all(ENV.get(v) is not None for v in PASSWORD_VARS):
        return PasswordCredentials(ENV["SF_USERNAME"], ENV["SF_PASSWORD"], ENV["SF_SECURITY_TOKEN"])
    return None


pytestmark = pytest.mark.skipif(
    _credentials() is None or not ENV.get("SF_OPPORTUNITY_ID"),
    reason="live Salesforce contract test: set SF_USERNAME + SF_PASSWORD + SF_SECURITY_TOKEN "
           "(or SF_USERNAME + SF_CONSUMER_KEY + SF_PRIVATE_KEY_FILE) and SF_OPPORTUNITY_ID",
)


def _source(challenge_field: str | None) -> SalesforceOpportunitySource:
    connection = OrgConnection(
        org_id=ENV.get("SF_ORG_ID", "00D000000000001"),
        instance_url=ENV.get("SF_INSTANCE_URL", "https://login.salesforce.com"),
        credentials=_credentials(),
        challenge_field=challenge_field,
        timeout=10.0,
    )
    return SalesforceOpportunitySource(connection, cache=InProcessContextCache(),
                                       health=OrgHealth(connection.org_id))


def test_a_real_opportunity_arrives_in_one_query_and_is_cached():
    source = _source(ENV.get("SF_CHALLENGE_FIELD"))
    opportunity_id = to_18(ENV["SF_OPPORTUNITY_ID"], prefix="006")

    first = source.fetch_context(opportunity_id)
    second = source.fetch_context(opportunity_id)

    assert first.record.opportunity_id == opportunity_id and first.record.name
    assert first.api_calls == 1 and first.degradations == ()
    assert second.from_cache and second.api_calls == 0
    assert source.health.status().api_usage is not None  # Sforce-Limit-Info is still sent


def test_a_missing_challenge_field_is_recognised_in_salesforces_real_error():
    source = _source("Be_Inspired_Contract_Probe__c")

    fetched = source.fetch_context(ENV["SF_OPPORTUNITY_ID"])

    assert fetched.api_calls == 2
    assert OptionalPart.CHALLENGE_FIELD in source.health.degraded_parts()
    assert fetched.degradations == ("challenge field left out: INVALID_FIELD",)
