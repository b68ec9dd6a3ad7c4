"""Issue 13, defects 12-14: every outbound Salesforce call passes one gate (Salesforce's hosts unless
the operator allows more) and trusts the org's uploaded certificates, whatever REQUESTS_CA_BUNDLE
says. HTTP is faked with ``responses``; a refused call never reaches it."""
from __future__ import annotations

import pytest
import responses

from plugin.crm.salesforce.client import SalesforceClient
from plugin.crm.salesforce.config import ClientCredentials, OrgConnection, PasswordCredentials
from plugin.crm.salesforce.exceptions import HostRefused, SalesforceConfigError
from plugin.crm.salesforce.outbound import (
    OutboundPolicy, parse_host_patterns, validate_ca_pem,
)

from sf_fakes import INSTANCE, LIMIT_INFO, ORG_ID, QUERY_URL, ca_pem, load_json, load_text

SOQL = "SELECT Id FROM Opportunity WHERE Id = '0065e00000AbCdEAAV'"
SOAP_URL = f"{INSTANCE}/services/Soap/u/59.0"
HOSTILE = ["https://169.254.169.254", "https://10.0.0.1", "https://localhost",
           "https://127.0.0.1:8443", "https://acme.my.salesforce.com.evil.example",
           "https://evilsalesforce.com", "https://[::1]"]


@pytest.mark.parametrize("url", [
    "https://acme.my.salesforce.com", "https://acme--uat.sandbox.my.salesforce.com",
    "https://login.salesforce.com", "https://test.salesforce.com",
    "https://acme.lightning.force.com", "https://acme--c.vf.force.com",
    "https://acme.my.salesforce.mil", "https://acme.my.sfcrmproducts.cn",
])
def test_salesforces_documented_hosts_are_allowed(url):
    OutboundPolicy().check_url(url)


@pytest.mark.parametrize("url", HOSTILE)
def test_other_hosts_are_refused_unless_the_operator_allows_them(url):
    with pytest.raises(Exception, match="not a Salesforce host"):
        OutboundPolicy().check_url(url)


def test_the_operator_may_allow_exact_hosts_and_domains():
    policy = OutboundPolicy(parse_host_patterns("localhost, *.sf-proxy.example, 127.0.0.1"))
    for url in ("https://localhost:8443", "https://eu.sf-proxy.example", "https://127.0.0.1"):
        policy.check_url(url)
    with pytest.raises(Exception, match="not a Salesforce host"):
        policy.check_url("https://sf-proxy.example.evil")


def test_a_bad_operator_host_pattern_is_named():
    with pytest.raises(SalesforceConfigError, match="'http://x'"):
        parse_host_patterns("localhost, http://x")


@pytest.mark.parametrize("instance", ["https://169.254.169.254", "https://10.0.0.1:8443"])
def test_a_login_answer_naming_a_private_address_is_never_connected_to(http, instance,
                                                                      client_credentials_connection):
    """The instance a token endpoint names is where every later query goes: it passes the gate too."""
    http.add(responses.POST, f"{INSTANCE}/services/oauth2/token",
             json={**load_json("oauth_token.json"), "instance_url": instance})
    with pytest.raises(HostRefused):
        SalesforceClient(client_credentials_connection).query(SOQL)
    assert [c.request.url for c in http.calls] == [f"{INSTANCE}/services/oauth2/token"]


def test_a_redirect_to_another_host_is_not_followed(http, canvas_connection, canvas_session):
    http.add(responses.GET, QUERY_URL, status=302,
             headers={"Location": "https://169.254.169.254/latest/meta-data/"})
    with pytest.raises(HostRefused):
        SalesforceClient(canvas_connection, canvas_session=canvas_session).query(SOQL)
    assert len(http.calls) == 1


def test_a_canvas_session_naming_another_host_is_refused_before_any_request(http,
                                                                           canvas_connection):
    from plugin.crm.salesforce.client import CanvasSession

    session = CanvasSession("00D5e000001AcmE!token", "https://10.0.0.1", "0055e000001ReP1AAK")
    with pytest.raises(HostRefused):
        SalesforceClient(canvas_connection, canvas_session=session).query(SOQL)
    assert len(http.calls) == 0


# -- defect 12: a CA bundle is certificates, never a path ----------------------------------------
@pytest.mark.parametrize("value", ["/etc/shadow", "/root/.ssh/id_rsa", "/no/such/file.pem",
                                   "relative/ca.pem"])
def test_a_path_is_refused_with_one_message_whether_or_not_the_file_exists(value):
    with pytest.raises(SalesforceConfigError) as caught:
        validate_ca_pem(value)
    assert str(caught.value) == ("CA bundle must be PEM certificates (-----BEGIN CERTIFICATE----- "
                                 "…), not a file path")


def test_a_private_key_or_a_broken_certificate_is_refused():
    with pytest.raises(SalesforceConfigError, match="only certificates"):
        validate_ca_pem(ca_pem() + "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
    broken = ca_pem().replace(ca_pem().splitlines()[3], "A" * 64)
    with pytest.raises(SalesforceConfigError, match="cannot be read"):
        validate_ca_pem(broken)


def test_uploaded_certificates_are_trusted_for_every_call_of_the_org(http):
    connection = OrgConnection(ORG_ID, INSTANCE, PasswordCredentials("u@acme.example", "pw", "tok"),
                               ca_bundle=ca_pem())
    http.add(responses.POST, SOAP_URL, body=load_text("soap_login_response.xml"))
    http.add(responses.GET, QUERY_URL, json=load_json("empty_result.json"), headers=LIMIT_INFO)
    SalesforceClient(connection).query(SOQL)
    for call in http.calls:
        with open(call.request.req_kwargs["verify"], encoding="ascii") as trusted:
            assert trusted.read() == ca_pem()


def test_the_operators_ca_bundle_applies_when_the_org_uploaded_none(http, tmp_path):
    bundle = tmp_path / "operator-ca.pem"
    bundle.write_text(ca_pem())
    connection = OrgConnection(ORG_ID, INSTANCE, ClientCredentials("3MVG9-key", "secret"),
                               outbound=OutboundPolicy(ca_file=str(bundle)))
    http.add(responses.POST, f"{INSTANCE}/services/oauth2/token", json=load_json("oauth_token.json"))
    http.add(responses.GET, QUERY_URL, json=load_json("empty_result.json"), headers=LIMIT_INFO)
    SalesforceClient(connection).query(SOQL)
    assert {call.request.req_kwargs["verify"] for call in http.calls} == {str(bundle)}


def test_requests_ca_bundle_does_not_override_the_orgs_certificates(http, monkeypatch, tmp_path):
    other = tmp_path / "someone-elses-ca.pem"
    other.write_text(ca_pem())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    connection = OrgConnection(ORG_ID, INSTANCE, PasswordCredentials("u@acme.example", "pw", "tok"),
                               ca_bundle=ca_pem())
    http.add(responses.POST, SOAP_URL, body=load_text("soap_login_response.xml"))
    http.add(responses.GET, QUERY_URL, json=load_json("empty_result.json"), headers=LIMIT_INFO)
    SalesforceClient(connection).query(SOQL)
    assert str(other) not in {call.request.req_kwargs["verify"] for call in http.calls}
