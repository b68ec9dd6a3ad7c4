"""Issue 13 through the admin API: a CA bundle is PEM certificates, never a path a tenant types
(defect 12), and an instance URL must be a Salesforce host unless the operator allows it (14)."""
from __future__ import annotations

import pytest

from content_catalog.database import upgrade
from plugin.app import create_app
from plugin.orgs.connections import SecretBox
from plugin.settings import Settings
from tests.api.admin_fixtures import (  # noqa: F401  (fixtures)
    ACME, APP_SECRET, acme_org, admin_app, admin_of, console, open_console, sign_in, store,
)
from tests.plugin.crm.salesforce.sf_fakes import ca_pem

ACME_URL = f"/api/v1/admin/orgs/{ACME}"
PATH_REFUSED = "CA bundle must be PEM certificates (-----BEGIN CERTIFICATE----- …), not a file path"


@pytest.fixture
def acme(console, store):
    store.save(acme_org())
    return console


def field_errors(response, status=400) -> dict[str, str]:
    assert response.status_code == status, response.get_data(as_text=True)
    return {f["field"]: f["message"] for f in response.get_json()["error"]["fields"]}


@pytest.mark.parametrize("path", ["/etc/shadow", "/root/.ssh/id_rsa", "/etc/hostname",
                                  "/no/such/file"])
def test_a_path_as_ca_bundle_is_refused_alike_whether_the_file_exists_or_not(acme, store, path):
    response = acme.send("PATCH", ACME_URL, json={"ca_bundle": path})
    assert field_errors(response)["ca_bundle"] == PATH_REFUSED
    assert "does not exist" not in response.get_data(as_text=True)
    assert store.get(ACME).connection.ca_bundle is None


def test_uploaded_pem_certificates_are_stored_with_the_org(acme, store):
    response = acme.send("PATCH", ACME_URL, json={"ca_bundle": ca_pem()})
    assert response.status_code == 200, response.get_json()
    assert store.get(ACME).connection.ca_bundle == ca_pem()


def test_a_private_key_pasted_as_ca_bundle_is_refused_and_not_echoed(acme, store):
    key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
    response = acme.send("PATCH", ACME_URL, json={"ca_bundle": ca_pem() + key})
    assert "only certificates" in field_errors(response)["ca_bundle"]
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in response.get_data(as_text=True)
    assert store.get(ACME).connection.ca_bundle is None


@pytest.mark.parametrize("instance", ["https://169.254.169.254", "https://10.0.0.1",
                                      "https://localhost", "https://acme.my.salesforce.com.evil.example"])
def test_an_instance_url_outside_salesforce_is_refused(acme, store, instance):
    response = acme.send("PATCH", ACME_URL, json={"instance_url": instance})
    assert "not a Salesforce host" in field_errors(response)["instance_url"]
    assert store.get(ACME).connection.instance_url == "https://acme.my.salesforce.com"


@pytest.mark.parametrize("instance", ["https://acme--uat.sandbox.my.salesforce.com",
                                      "https://acme.my.salesforce.mil"])
def test_salesforce_sandbox_and_government_hosts_are_accepted(acme, store, instance):
    response = acme.send("PATCH", ACME_URL, json={"instance_url": instance, "auth_mode": "canvas"})
    assert response.status_code == 200, response.get_json()


def test_the_operator_may_allow_another_host(tmp_path, sign_in):
    settings = Settings(demo_mode=False, database_url=f"sqlite:///{tmp_path / 'ops.sqlite3'}",
                        encryption_keys=SecretBox.new_key(), app_secret=APP_SECRET,
                        allowed_crm_hosts="sf-proxy.internal.example")
    app = create_app(settings)
    app.config["SESSION_COOKIE_SECURE"] = False
    svc = app.extensions["be_inspired"]
    upgrade(svc.engine)
    svc.org_connections().save(acme_org())
    sign_in(admin_of(ACME))
    response = open_console(app).send("PATCH", ACME_URL, json={
        "instance_url": "https://sf-proxy.internal.example:8443", "auth_mode": "canvas"})
    assert response.status_code == 200, response.get_json()
    svc.engine.dispose()
