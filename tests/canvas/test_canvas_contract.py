"""The Salesforce contract inside Canvas (issue 13): whose token reads Salesforce, which record a
panel token opens, and which instance a signed request may name. Salesforce is faked at HTTP."""
from __future__ import annotations

import pytest
import responses
from responses import matchers

from plugin.crm.salesforce.config import ClientCredentials, OrgConnection
from plugin.orgs.connections import ConfiguredOrg, OrgConnections, SecretBox
from tests.canvas.conftest import OPPORTUNITY_ID, QUERY, query_calls, sign_canvas, token_of
from tests.plugin.crm.salesforce.sf_fakes import (
    CANVAS_SECRET, INSTANCE, LIMIT_INFO, ORG_ID, TOKEN_URL, load_json,
)

INTEGRATION_TOKEN = load_json("oauth_token.json")["access_token"]

OTHER_OPPORTUNITY = "0065e00000ZzZzZAAV"


def post(client, signed_request):
    return client.post("/canvas", data={"signed_request": signed_request})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# -- defect 2: the panel page checks which record its token was issued for -----------------------
def test_panel_page_refuses_a_token_issued_for_another_record(client, signed, opportunity_answers,
                                                              salesforce):
    opportunity_answers()
    token = token_of(post(client, signed).get_data(as_text=True))
    calls = query_calls(salesforce)

    response = client.get(f"/panel/{OTHER_OPPORTUNITY}", headers=bearer(token))

    assert response.status_code == 403
    assert "another record" in response.get_data(as_text=True)
    assert query_calls(salesforce) == calls  # nothing read, so nothing shown or counted for B


def test_panel_module_page_refuses_a_token_issued_for_another_record(client, signed,
                                                                     opportunity_answers):
    opportunity_answers()
    token = token_of(post(client, signed).get_data(as_text=True))
    response = client.get(f"/panel/{OTHER_OPPORTUNITY}/modules/any-module", headers=bearer(token))
    assert response.status_code == 403


def test_panel_page_still_opens_for_the_tokens_own_record(client, signed, opportunity_answers):
    opportunity_answers()
    token = token_of(post(client, signed).get_data(as_text=True))
    response = client.get(f"/panel/{OPPORTUNITY_ID}", headers=bearer(token))
    assert response.status_code == 200


# -- defect 3: a panel shown without data tells its later calls so, not "session expired" --------
def test_later_calls_of_a_panel_opened_without_data_say_so_instead_of_session_expired(
        client, signed, opportunity_answers, salesforce):
    opportunity_answers(load_json("error_malformed_unrelated.json"), status=400)
    panel = post(client, signed)
    assert panel.status_code == 200
    token = token_of(panel.get_data(as_text=True))

    response = client.get(f"/api/v1/opportunities/{OPPORTUNITY_ID}/recommendations",
                          headers=bearer(token))

    assert response.status_code == 200
    assert response.get_json()["notice"] == ("Salesforce data was unavailable when this panel "
                                             "opened, showing general suggestions")
    assert response.get_json()["client_facing"]
    assert query_calls(salesforce) == 1  # the token alone never reads Salesforce


def test_a_malformed_query_naming_the_contact_roles_still_shows_the_opportunitys_panel(
        client, signed, opportunity_answers, salesforce):
    opportunity_answers(load_json("error_malformed_contact_roles.json"), status=400)
    opportunity_answers(load_json("opportunity_no_roles.json"))
    panel = post(client, signed)
    token = token_of(panel.get_data(as_text=True))
    response = client.get(f"/api/v1/opportunities/{OPPORTUNITY_ID}/recommendations",
                          headers=bearer(token))
    assert response.status_code == 200 and response.get_json().get("notice") is None
    assert query_calls(salesforce) == 2  # the refusal and the retry; the follow-up is cached


# -- defect 1: inside Canvas Salesforce is read with the viewing user's token, always ------------
@pytest.fixture
def integration_org(acme_app):
    """Acme with integration-user credentials (client credentials) besides its Canvas secret."""
    svc = acme_app.extensions["be_inspired"]
    OrgConnections(svc.sessions, SecretBox(svc.settings.encryption_key_list)).save(ConfiguredOrg(
        "Acme Corp", OrgConnection(
            org_id=ORG_ID, instance_url=INSTANCE, canvas_secret=CANVAS_SECRET,
            credentials=ClientCredentials("3MVG9-consumer-key", "consumer-secret"),
            challenge_field="Customer_Challenge__c")))
    return acme_app


@pytest.fixture
def salesforce_by_token(salesforce):
    """The org answers the integration user's token with the opportunity and refuses any other
    token, as Salesforce does for a revoked or invalid session."""
    salesforce.add(responses.POST, TOKEN_URL, json=load_json("oauth_token.json"))
    salesforce.add(responses.GET, QUERY, json=load_json("opportunity_full.json"), headers=LIMIT_INFO,
                   match=[matchers.header_matcher({"Authorization": f"Bearer {INTEGRATION_TOKEN}"})])
    salesforce.add(responses.GET, QUERY, json=load_json("error_invalid_session.json"), status=401)
    return salesforce


def test_canvas_with_an_invalid_viewer_token_never_reads_as_the_integration_user(
        integration_org, canvas_payload, salesforce_by_token):
    client = integration_org.test_client()
    canvas_payload["client"]["oauthToken"] = "00D5e000001AcmE!not-a-valid-session"

    response = post(client, sign_canvas(canvas_payload))

    page = response.get_data(as_text=True)
    assert response.status_code == 401 and "session has expired" in page
    assert "Acme Corp - Platform renewal" not in page  # the opportunity was not read
    assert not any(call.request.url.startswith(TOKEN_URL) for call in salesforce_by_token.calls)
    assert all(call.request.headers["Authorization"] == "Bearer 00D5e000001AcmE!not-a-valid-session"
               for call in salesforce_by_token.calls if "/query" in call.request.url)


def test_canvas_reads_with_the_viewer_token_for_an_org_with_integration_credentials(
        integration_org, canvas_payload, salesforce):
    viewer_token = canvas_payload["client"]["oauthToken"]
    salesforce.add(responses.GET, QUERY, json=load_json("opportunity_full.json"), headers=LIMIT_INFO,
                   match=[matchers.header_matcher({"Authorization": f"Bearer {viewer_token}"})])
    client = integration_org.test_client()

    response = post(client, sign_canvas(canvas_payload))

    assert response.status_code == 200
    assert query_calls(salesforce) == 1 and len(salesforce.calls) == 1  # no login


def test_later_panel_calls_of_an_integration_org_never_read_as_the_integration_user(
        integration_org, canvas_payload, salesforce_by_token):
    """A cache miss on a later call (the token alone) must not fall back to the integration user."""
    client = integration_org.test_client()
    canvas_payload["client"]["oauthToken"] = "00D5e000001AcmE!not-a-valid-session"
    svc = integration_org.extensions["be_inspired"]
    token = svc.app_tokens.issue(ORG_ID, canvas_payload["context"]["user"]["userId"],
                                 OPPORTUNITY_ID, ttl=600)

    response = client.get(f"/api/v1/opportunities/{OPPORTUNITY_ID}/recommendations",
                          headers=bearer(token))

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "session_refresh_needed"
    assert len(salesforce_by_token.calls) == 0


# -- defect 14: a signed request's instanceUrl must be the org's ----------------------------------
@pytest.mark.parametrize("instance", ["https://169.254.169.254", "https://10.0.0.1",
                                      "https://globex.my.salesforce.com"])
def test_a_signed_request_naming_another_instance_is_refused_before_any_call(
        client, canvas_payload, salesforce, instance):
    canvas_payload["client"]["instanceUrl"] = instance

    response = post(client, sign_canvas(canvas_payload))

    assert response.status_code == 403
    assert "client.instanceUrl is not this org" in response.get_data(as_text=True)
    assert len(salesforce.calls) == 0
