"""The connector as the web layer will use it: verify the Canvas POST, fetch, report status."""
from __future__ import annotations

import copy

import pytest
import responses

from plugin.crm.sources import OpportunityNotFound, SourceUnavailable
from plugin.crm.salesforce.signed_request import verify_signed_request
from plugin.crm.salesforce.config import ClientCredentials, OrgConnection
from plugin.crm.salesforce.connector import OrgNotConfigured, SalesforceConnector
from plugin.crm.salesforce.exceptions import CanvasSessionExpired

from sf_fakes import (
    CANVAS_SECRET, LIMIT_INFO, OPPORTUNITY_ID, ORG_ID, QUERY_URL, VIEWER_ID, load_json,
    sign_canvas,
)

OTHER_ORG = "00D5e000002OthREAS"


@pytest.fixture
def connector(canvas_connection, clock, record_sleep):
    other = OrgConnection(OTHER_ORG, "https://other.my.salesforce.com",
                          credentials=ClientCredentials("key", "secret"))
    return SalesforceConnector([canvas_connection, other], clock=clock, sleep=record_sleep)


def user_token_query(http, token: str = "00D5e000001AcmE!AQ0AQViewingUsersOwnToken") -> None:
    http.add(responses.GET, QUERY_URL, json=load_json("opportunity_full.json"), headers=LIMIT_INFO,
             match=[responses.matchers.header_matcher({"Authorization": f"Bearer {token}"})])


def test_canvas_post_to_record_in_one_call(http, connector, canvas_payload):
    request = verify_signed_request(sign_canvas(canvas_payload), connector.canvas_secret)
    user_token_query(http)

    record = connector.source(request.org_id, canvas=request).fetch(request.record_id)

    assert record.opportunity_id == OPPORTUNITY_ID and len(http.calls) == 1
    status = connector.status(ORG_ID)
    assert (status.api_calls, status.api_usage.used) == (1, 18)


def test_later_calls_with_only_the_app_token_are_served_from_the_viewers_cache(
        http, connector, canvas_payload):
    request = verify_signed_request(sign_canvas(canvas_payload), connector.canvas_secret)
    user_token_query(http)
    connector.source(ORG_ID, canvas=request).fetch(OPPORTUNITY_ID)

    assert connector.source(ORG_ID, viewer=VIEWER_ID).fetch_context(OPPORTUNITY_ID).from_cache
    with pytest.raises(CanvasSessionExpired):
        connector.source(ORG_ID, viewer="0055e000009OthR").fetch(OPPORTUNITY_ID)
    assert len(http.calls) == 1


def test_an_org_with_stored_credentials_keeps_one_logged_in_source(http, connector):
    assert connector.source(OTHER_ORG) is connector.source("00D5e000002OthR")
    other_query = "https://other.my.salesforce.com/services/data/v59.0/query/"
    http.add(responses.POST, "https://other.my.salesforce.com/services/oauth2/token",
             json=dict(load_json("oauth_token.json"),
                       instance_url="https://other.my.salesforce.com"))
    http.add(responses.GET, other_query, json=load_json("opportunity_full.json"))
    http.add(responses.GET, other_query, json=load_json("empty_result.json"))
    connector.source(OTHER_ORG).fetch(OPPORTUNITY_ID)
    with pytest.raises(OpportunityNotFound):
        connector.source(OTHER_ORG).fetch("0065e00000ZzZzZ")
    assert [c.request.method for c in http.calls] == ["POST", "GET", "GET"]


def test_canvas_secrets_are_only_given_for_configured_orgs(connector):
    assert connector.canvas_secret("00D5e000001AcmE") == CANVAS_SECRET
    assert connector.canvas_secret(OTHER_ORG) is None  # configured, but not for Canvas
    assert connector.canvas_secret("00D5e000003NoNe") is None
    assert connector.canvas_secret("garbage") is None


def test_a_canvas_request_for_one_org_cannot_fetch_from_another(connector, canvas_payload):
    request = verify_signed_request(sign_canvas(canvas_payload), connector.canvas_secret)
    with pytest.raises(ValueError):
        connector.source(OTHER_ORG, canvas=request)


def test_unknown_orgs_are_reported_as_not_configured(connector):
    with pytest.raises(OrgNotConfigured):
        connector.source("00D5e000003NoNe")
    with pytest.raises(OrgNotConfigured):
        connector.status("not an org")


def test_a_limit_hit_shows_in_the_admin_status(http, connector, canvas_payload):
    request = verify_signed_request(sign_canvas(canvas_payload), connector.canvas_secret)
    http.add(responses.GET, QUERY_URL, json=load_json("error_request_limit.json"), status=403)
    with pytest.raises(SourceUnavailable):
        connector.source(ORG_ID, canvas=request).fetch(OPPORTUNITY_ID)
    statuses = {s.org_id: s for s in connector.statuses()}
    assert statuses[ORG_ID].breaker_open_until is not None
    assert statuses[OTHER_ORG].breaker_open_until is None


def test_the_breaker_is_shared_by_all_viewers_of_an_org(http, connector, canvas_payload):
    first = verify_signed_request(sign_canvas(canvas_payload), connector.canvas_secret)
    http.add(responses.GET, QUERY_URL, json=load_json("error_request_limit.json"), status=403)
    with pytest.raises(SourceUnavailable):
        connector.source(ORG_ID, canvas=first).fetch(OPPORTUNITY_ID)
    payload = copy.deepcopy(canvas_payload)
    payload["context"]["user"]["userId"] = "0055e000009OthR"
    second = verify_signed_request(sign_canvas(payload), connector.canvas_secret)
    with pytest.raises(SourceUnavailable):
        connector.source(ORG_ID, canvas=second).fetch(OPPORTUNITY_ID)
    assert len(http.calls) == 1
