from __future__ import annotations

import pytest

from plugin.crm.salesforce.config import (
    AuthMode, ClientCredentials, JwtBearerCredentials, OrgConnection, PasswordCredentials,
)
from plugin.crm.salesforce.exceptions import SalesforceConfigError

ORG = "00D5e000001AcmE"
INSTANCE = "https://acme.my.salesforce.com"


def test_org_id_is_kept_in_its_18_character_form():
    assert OrgConnection(ORG, INSTANCE).org_id == "00D5e000001AcmEEAS"


def test_an_opportunity_id_is_not_an_org_id():
    with pytest.raises(SalesforceConfigError, match="00D"):
        OrgConnection("0065e00000AbCdE", INSTANCE)


@pytest.mark.parametrize("url", [
    "http://acme.my.salesforce.com", "acme.my.salesforce.com", "ftp://acme.my.salesforce.com",
    "https://user:pw@acme.my.salesforce.com", "https://acme.my.salesforce.com/services/data",
    "https://acme.my.salesforce.com?x=1", "https://acme.my.salesforce.com:0",
    "https://acme.my.salesforce.com:99999", "https://", "https://bad_host.example", None,
])
def test_instance_url_must_be_a_bare_https_origin(url):
    with pytest.raises(SalesforceConfigError):
        OrgConnection(ORG, url)


def test_any_https_host_and_port_is_accepted_and_normalised():
    connection = OrgConnection(ORG, "HTTPS://SF-Proxy.Internal.Example:8443/")
    assert connection.instance_url == "https://sf-proxy.internal.example:8443"
    assert OrgConnection(ORG, "https://acme.my.salesforce.com:443").instance_url == INSTANCE


def test_login_domain_comes_from_a_salesforce_instance_url():
    assert OrgConnection(ORG, INSTANCE).effective_login_domain == "acme.my"
    sandbox = OrgConnection(ORG, "https://acme--uat.sandbox.my.salesforce.com")
    assert sandbox.effective_login_domain == "acme--uat.sandbox.my"
    assert sandbox.is_sandbox


def test_login_modes_on_another_host_need_an_explicit_login_domain():
    credentials = PasswordCredentials("integration@acme.example", "pw", "token")
    with pytest.raises(SalesforceConfigError, match="login_domain"):
        OrgConnection(ORG, "https://sf-proxy.internal.example:8443", credentials)
    connection = OrgConnection(ORG, "https://sf-proxy.internal.example:8443", credentials,
                               login_domain="test")
    assert connection.effective_login_domain == "test"


def test_login_domain_cannot_smuggle_a_url():
    with pytest.raises(SalesforceConfigError):
        OrgConnection(ORG, INSTANCE, login_domain="evil.example/x?")


def test_client_credentials_need_the_orgs_my_domain():
    credentials = ClientCredentials("key", "secret")
    with pytest.raises(SalesforceConfigError, match="My Domain"):
        OrgConnection(ORG, "https://login.salesforce.com", credentials)
    assert OrgConnection(ORG, INSTANCE, credentials).auth_mode is AuthMode.CLIENT_CREDENTIALS


def test_auth_mode_follows_the_credentials():
    assert OrgConnection(ORG, INSTANCE).auth_mode is AuthMode.CANVAS
    jwt = JwtBearerCredentials("u@acme.example", "key", private_key="-----BEGIN PRIVATE KEY-----")
    assert OrgConnection(ORG, INSTANCE, jwt).auth_mode is AuthMode.JWT_BEARER
    password = PasswordCredentials("u@acme.example", "pw", "token")
    assert OrgConnection(ORG, INSTANCE, password).auth_mode is AuthMode.PASSWORD


def test_jwt_needs_exactly_one_key_source(tmp_path):
    with pytest.raises(SalesforceConfigError):
        JwtBearerCredentials("u@acme.example", "key")
    with pytest.raises(SalesforceConfigError):
        JwtBearerCredentials("u@acme.example", "key", private_key="k", private_key_file="f")
    with pytest.raises(SalesforceConfigError, match="does not exist"):
        JwtBearerCredentials("u@acme.example", "key",
                             private_key_file=str(tmp_path / "missing.pem"))


def test_secrets_never_appear_in_repr():
    credentials = PasswordCredentials("u@acme.example", "hunter2", "tok3n")
    connection = OrgConnection(ORG, INSTANCE, credentials,
                               canvas_secret="canvas-s3cret")
    text = repr(connection)
    assert "hunter2" not in text and "tok3n" not in text and "canvas-s3cret" not in text
    assert "consumer-s3cret" not in repr(ClientCredentials("key", "consumer-s3cret"))


@pytest.mark.parametrize("kwargs", [
    {"api_version": "v59.0"}, {"api_version": "59"}, {"api_version": "59.0/../x"},
    {"timeout": 0}, {"timeout": -1}, {"timeout": float("nan")}, {"timeout": True},
    {"timeout": 1000}, {"challenge_field": "Customer Challenge"},
    {"challenge_field": "Pain__c, (SELECT Id FROM Notes)"},
    {"challenge_field": "Name"}, {"ca_bundle": "/no/such/bundle.pem"}, {"canvas_secret": ""},
])
def test_settings_that_can_never_work_are_refused(kwargs):
    with pytest.raises(SalesforceConfigError):
        OrgConnection(ORG, INSTANCE, **kwargs)


def test_defaults_match_the_issue():
    connection = OrgConnection(ORG, INSTANCE)
    assert (connection.api_version, connection.timeout) == ("59.0", 3.0)
