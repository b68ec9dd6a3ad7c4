"""``beinspired org add / edit`` and issue 13: an error names the option that is wrong (16), the CA
bundle is read from the operator's file and stored as certificates (12, 13), and the instance URL
must be a Salesforce host unless the operator allows another (14)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from content_catalog.database import make_engine, session_factory, upgrade
from plugin.cli import main
from plugin.orgs.connections import OrgConnections, SecretBox
from tests.plugin.crm.salesforce.sf_fakes import CANVAS_SECRET, INSTANCE, ORG_ID, ca_pem


@pytest.fixture
def store(tmp_path, monkeypatch) -> OrgConnections:
    key = SecretBox.new_key()
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BEINSPIRED_ENCRYPTION_KEYS", key)
    monkeypatch.setenv("SF_CANVAS_SECRET", CANVAS_SECRET)
    monkeypatch.delenv("BEINSPIRED_ALLOWED_CRM_HOSTS", raising=False)
    engine = make_engine(url)
    upgrade(engine)
    yield OrgConnections(session_factory(engine), SecretBox([key]))
    engine.dispose()


def add(*extra: str, instance: str = INSTANCE):
    return CliRunner().invoke(main, ["org", "add", "--org-id", ORG_ID, "--name", "Acme",
                                     "--instance-url", instance, "--auth", "canvas", *extra])


def test_a_bad_frame_ancestor_names_the_frame_ancestor_option(store):
    result = add("--frame-ancestor", "http://partner.example.com")
    assert result.exit_code == 2
    assert "--frame-ancestor" in result.output and "instance URL" not in result.output
    assert store.get(ORG_ID) is None


def test_a_localhost_frame_ancestor_may_use_http(store):
    assert add("--frame-ancestor", "http://localhost:3000").exit_code == 0
    assert store.get(ORG_ID).extra_frame_ancestors == ("http://localhost:3000",)


def test_an_instance_outside_salesforce_names_the_instance_url_option(store):
    result = add(instance="https://169.254.169.254")
    assert result.exit_code == 2 and "--instance-url" in result.output
    assert "not a Salesforce host" in result.output and store.get(ORG_ID) is None


def test_the_operator_setting_allows_another_instance_host(store, monkeypatch):
    monkeypatch.setenv("BEINSPIRED_ALLOWED_CRM_HOSTS", "sf-proxy.internal.example")
    assert add(instance="https://sf-proxy.internal.example:8443").exit_code == 0


def test_the_ca_bundle_file_is_stored_as_its_certificates(store, tmp_path):
    bundle = tmp_path / "proxy-ca.pem"
    bundle.write_text(ca_pem())
    result = add("--ca-bundle", str(bundle))
    assert result.exit_code == 0, result.output
    assert store.get(ORG_ID).connection.ca_bundle == ca_pem()


def test_a_ca_bundle_file_that_is_not_certificates_is_refused(store, tmp_path):
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
    result = add("--ca-bundle", str(secret))
    assert result.exit_code == 2 and "only certificates" in result.output
    assert "MIIB" not in result.output


def test_the_ca_bundle_option_says_what_it_is_for():
    result = CliRunner().invoke(main, ["org", "add", "--help"])
    assert "PEM file of CA certificates" in " ".join(result.output.split())
    result = CliRunner().invoke(main, ["org", "edit", "--help"])
    assert "PEM file of CA certificates" in " ".join(result.output.split())
