"""Each auth mode makes the HTTP requests Salesforce documents, and only those."""
from __future__ import annotations

import base64
from urllib.parse import parse_qs

import jwt
import pytest
import requests
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce.exceptions import SalesforceError

from plugin.crm.salesforce.client import SalesforceClient, translate
from plugin.crm.salesforce.config import JwtBearerCredentials, OrgConnection, PasswordCredentials
from plugin.crm.salesforce.outbound import OutboundPolicy
from plugin.crm.salesforce.exceptions import (
    AccessRefused, AuthenticationFailed, CanvasSessionExpired, QueryRejected, RequestLimitExceeded,
    SalesforceUnreachable, SessionExpired, UnexpectedResponse,
)

from sf_fakes import (
    INSTANCE, LIMIT_INFO, ORG_ID, QUERY_URL, TOKEN_URL, ca_pem, load_json, load_text,
)

SOAP_URL = f"{INSTANCE}/services/Soap/u/59.0"
SOQL = "SELECT Id FROM Opportunity WHERE Id = '0065e00000AbCdEAAV'"


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def add_query(http, token: str) -> None:
    http.add(responses.GET, QUERY_URL, json=load_json("empty_result.json"), headers=LIMIT_INFO,
             match=[responses.matchers.header_matcher({"Authorization": f"Bearer {token}"})])


def form(call) -> dict[str, list[str]]:
    return parse_qs(call.request.body)


def test_jwt_bearer_posts_a_signed_assertion_to_the_token_endpoint(http, rsa_key):
    connection = OrgConnection(ORG_ID, INSTANCE, JwtBearerCredentials(
        "integration@acme.example", "3MVG9-consumer-key", private_key=pem(rsa_key)))
    http.add(responses.POST, TOKEN_URL, json=load_json("oauth_token.json"))
    add_query(http, load_json("oauth_token.json")["access_token"])

    SalesforceClient(connection).query(SOQL)

    login = form(http.calls[0])
    assert login["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    claims = jwt.decode(login["assertion"][0], rsa_key.public_key(), algorithms=["RS256"],
                        audience="https://login.salesforce.com")
    assert (claims["iss"], claims["sub"]) == ("3MVG9-consumer-key", "integration@acme.example")
    assert len(http.calls) == 2


def test_jwt_bearer_for_a_sandbox_names_the_test_audience(http, rsa_key, tmp_path):
    key_file = tmp_path / "server.key"
    key_file.write_text(pem(rsa_key))
    sandbox = "https://acme--uat.sandbox.my.salesforce.com"
    connection = OrgConnection(ORG_ID, sandbox, JwtBearerCredentials(
        "integration@acme.example.uat", "key", private_key_file=str(key_file)))
    token = dict(load_json("oauth_token.json"), instance_url=sandbox)
    http.add(responses.POST, f"{sandbox}/services/oauth2/token", json=token)
    http.add(responses.GET, f"{sandbox}/services/data/v59.0/query/",
             json=load_json("empty_result.json"))

    SalesforceClient(connection).query(SOQL)

    assertion = form(http.calls[0])["assertion"][0]
    jwt.decode(assertion, rsa_key.public_key(), algorithms=["RS256"],
               audience="https://test.salesforce.com")


def test_client_credentials_authenticate_the_connected_app_with_basic_auth(
        http, client_credentials_connection):
    http.add(responses.POST, TOKEN_URL, json=load_json("oauth_token.json"))
    add_query(http, load_json("oauth_token.json")["access_token"])

    SalesforceClient(client_credentials_connection).query(SOQL)

    login = http.calls[0].request
    assert form(http.calls[0]) == {"grant_type": ["client_credentials"]}
    expected = base64.b64encode(b"3MVG9-consumer-key:consumer-secret").decode()
    assert login.headers["Authorization"] == f"Basic {expected}"


def test_password_login_uses_the_soap_partner_api(http):
    connection = OrgConnection(ORG_ID, INSTANCE, PasswordCredentials(
        "integration@acme.example", "pa<ss>&word", "T0KEN"))
    http.add(responses.POST, SOAP_URL, body=load_text("soap_login_response.xml"),
             content_type="text/xml")
    add_query(http, "00D5e000001AcmE!AQ0AQFakeSoapSessionId")

    SalesforceClient(connection).query(SOQL)

    login = http.calls[0].request
    assert login.headers["SOAPAction"] == "login"
    body = login.body if isinstance(login.body, str) else login.body.decode()
    assert "<n1:username>integration@acme.example</n1:username>" in body
    assert "pa&lt;ss&gt;&amp;wordT0KEN" in body  # escaped, so the password cannot alter the XML


def test_canvas_token_makes_no_login_call(http, canvas_connection, canvas_session):
    add_query(http, canvas_session.access_token)
    client = SalesforceClient(canvas_connection, canvas_session=canvas_session)

    client.query(SOQL)

    assert len(http.calls) == 1 and client.logins == 0


def test_canvas_mode_without_a_token_asks_for_a_fresh_signed_request(http, canvas_connection):
    with pytest.raises(CanvasSessionExpired):
        SalesforceClient(canvas_connection).query(SOQL)
    assert len(http.calls) == 0


def test_every_request_carries_the_timeout_and_the_ca_bundle(http, tmp_path):
    connection = OrgConnection(ORG_ID, INSTANCE, PasswordCredentials("u@acme.example", "pw", "tok"),
                               timeout=1.5, ca_bundle=ca_pem())
    http.add(responses.POST, SOAP_URL, body=load_text("soap_login_response.xml"))
    add_query(http, "00D5e000001AcmE!AQ0AQFakeSoapSessionId")

    SalesforceClient(connection).query(SOQL)

    for call in http.calls:
        assert call.request.req_kwargs["timeout"] == 1.5
        with open(call.request.req_kwargs["verify"], encoding="ascii") as trusted:
            assert trusted.read() == ca_pem()


def test_the_configured_api_version_and_port_are_used(http, canvas_session):
    connection = OrgConnection(ORG_ID, "https://sf-proxy.internal.example:8443", api_version="61.0",
                               outbound=OutboundPolicy(extra_hosts=("sf-proxy.internal.example",)))
    session = type(canvas_session)(canvas_session.access_token,
                                   "https://sf-proxy.internal.example:8443", canvas_session.user_id)
    http.add(responses.GET, "https://sf-proxy.internal.example:8443/services/data/v61.0/query/",
             json=load_json("empty_result.json"))
    SalesforceClient(connection, canvas_session=session).query(SOQL)


def test_api_usage_is_read_from_the_limit_header(http, canvas_connection, canvas_session):
    add_query(http, canvas_session.access_token)
    client = SalesforceClient(canvas_connection, canvas_session=canvas_session)
    client.query(SOQL)
    assert (client.api_usage.used, client.api_usage.limit, client.api_calls) == (18, 15000, 1)


def test_a_refused_soap_login_is_an_authentication_failure(http):
    connection = OrgConnection(ORG_ID, INSTANCE, PasswordCredentials("u@acme.example", "pw", "tok"))
    http.add(responses.POST, SOAP_URL, body=load_text("soap_login_fault.xml"), status=500)
    with pytest.raises(AuthenticationFailed) as caught:
        SalesforceClient(connection).query(SOQL)
    assert caught.value.error_code == "INVALID_LOGIN"


def test_a_refused_token_request_is_an_authentication_failure(http, client_credentials_connection):
    http.add(responses.POST, TOKEN_URL, json=load_json("oauth_error.json"), status=400)
    with pytest.raises(AuthenticationFailed) as caught:
        SalesforceClient(client_credentials_connection).query(SOQL)
    assert caught.value.error_code == "invalid_grant"


def test_a_token_answer_without_a_session_is_unexpected(http, client_credentials_connection):
    http.add(responses.POST, TOKEN_URL, json={"token_type": "Bearer"})
    with pytest.raises(UnexpectedResponse):
        SalesforceClient(client_credentials_connection).query(SOQL)


def test_a_login_timeout_means_salesforce_is_unreachable(http, client_credentials_connection):
    http.add(responses.POST, TOKEN_URL, body=requests.exceptions.ConnectTimeout())
    with pytest.raises(SalesforceUnreachable):
        SalesforceClient(client_credentials_connection).query(SOQL)


def test_an_unusable_private_key_is_an_authentication_failure(http):
    connection = OrgConnection(ORG_ID, INSTANCE, JwtBearerCredentials(
        "u@acme.example", "key", private_key="-----BEGIN PRIVATE KEY-----\nnot a key\n"))
    with pytest.raises(AuthenticationFailed, match="JWT"):
        SalesforceClient(connection).query(SOQL)


def _error(status: int, payload: str | None = None) -> SalesforceError:
    content = load_json(payload) if payload else "<html>Bad gateway</html>"
    return SalesforceError(QUERY_URL, status, "query", content)


@pytest.mark.parametrize("status,payload,expected,code", [
    (401, "error_invalid_session.json", SessionExpired, "INVALID_SESSION_ID"),
    (403, "error_request_limit.json", RequestLimitExceeded, "REQUEST_LIMIT_EXCEEDED"),
    (403, None, AccessRefused, None),
    (400, "error_invalid_field_challenge.json", QueryRejected, "INVALID_FIELD"),
    (500, "error_server.json", SalesforceUnreachable, "UNKNOWN_EXCEPTION"),
    (502, None, SalesforceUnreachable, None),
    (404, None, UnexpectedResponse, None),
    (300, None, UnexpectedResponse, None),
])
def test_simple_salesforce_errors_become_ours(status, payload, expected, code):
    translated = translate(_error(status, payload))
    assert type(translated) is expected
    assert (translated.status, translated.error_code) == (status, code)


def test_our_own_bugs_are_not_translated():
    with pytest.raises(KeyError):
        translate(KeyError("bug"))
