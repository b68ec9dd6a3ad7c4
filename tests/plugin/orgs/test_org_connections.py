"""Org connections: secrets encrypted at rest under keys kept outside the database."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from content_catalog.database import session_factory
from plugin.cli import main
from plugin.orgs.connections import (
    ConfiguredOrg,
    EncryptionKeyMissing,
    OrgConnections,
    SecretBox,
    SecretsUnreadable,
    normalise_origin,
)
from plugin.crm.salesforce.config import ClientCredentials, OrgConnection, PasswordCredentials
from plugin.crm.salesforce.exceptions import SalesforceConfigError

SECRETS = ("consumer-s3cret-value", "canvas-s3cret-value", "pa55word-value", "t0ken-value")


def acme(credentials=None, **extra) -> ConfiguredOrg:
    return ConfiguredOrg(
        name="Acme",
        connection=OrgConnection(
            org_id="00D5e000000Acme",
            instance_url="https://acme.my.salesforce.com",
            credentials=credentials or ClientCredentials("consumer-key", SECRETS[0]),
            canvas_secret=SECRETS[1],
            challenge_field="Customer_Challenge__c",
        ),
        **extra,
    )


@pytest.fixture
def box():
    return SecretBox([SecretBox.new_key()])


@pytest.fixture
def store(engine, box):
    return OrgConnections(session_factory(engine), box)


def stored_text(engine) -> str:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT settings, secrets FROM org_connections")).all()
    return " ".join(f"{a} {b}" for a, b in rows)


def test_saved_org_reads_back_equal(store):
    org = acme(extra_frame_ancestors=("http://127.0.0.1:9000",))
    store.save(org)
    assert store.get(org.connection.org_id) == org


@pytest.mark.parametrize("credentials", [None, PasswordCredentials("rep@acme.com", SECRETS[2], SECRETS[3])])
def test_no_secret_is_stored_in_plain_text(engine, store, credentials):
    store.save(acme(credentials))
    stored = stored_text(engine)
    assert "consumer-key" in stored or "rep@acme.com" in stored  # the plain part is readable
    for secret in SECRETS:
        assert secret not in stored


def test_repr_of_a_loaded_org_shows_no_secret(store):
    store.save(acme())
    shown = repr(store.get(acme().connection.org_id))
    assert not any(secret in shown for secret in SECRETS)


def test_rotation_reencrypts_under_the_new_key_and_old_key_can_go(engine):
    sessions = session_factory(engine)
    old_key, new_key = SecretBox.new_key(), SecretBox.new_key()
    OrgConnections(sessions, SecretBox([old_key])).save(acme())
    before = stored_text(engine)
    assert OrgConnections(sessions, SecretBox([new_key, old_key])).rotate() == 1  # newest first
    assert stored_text(engine) != before
    assert OrgConnections(sessions, SecretBox([new_key])).get(acme().connection.org_id) == acme()
    with pytest.raises(SecretsUnreadable):  # the old key alone no longer opens them
        OrgConnections(sessions, SecretBox([old_key])).get(acme().connection.org_id)


def test_wrong_key_is_a_clear_error_not_garbage(engine, store):
    store.save(acme())
    other = OrgConnections(store.sessions, SecretBox([SecretBox.new_key()]))
    with pytest.raises(SecretsUnreadable):
        other.get(acme().connection.org_id)


def test_storing_secrets_without_a_key_is_refused(engine):
    with pytest.raises(EncryptionKeyMissing):
        OrgConnections(session_factory(engine), SecretBox([])).save(acme())


@pytest.mark.parametrize("origin, expected", [
    ("https://acme.lightning.force.com", "https://acme.lightning.force.com"),
    ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
    ("http://localhost:8123", "http://localhost:8123"),
])  # fmt: skip
def test_frame_ancestor_origins_are_normalised(origin, expected):
    assert normalise_origin(origin) == expected


@pytest.mark.parametrize("origin", ["http://evil.example", "https://a.com/path", "javascript:alert(1)", "https://a b"])
def test_frame_ancestor_origins_other_than_https_or_loopback_are_refused(origin):
    with pytest.raises(SalesforceConfigError):
        normalise_origin(origin)


def test_cli_adds_lists_and_removes_an_org_with_secrets_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("BEINSPIRED_ENCRYPTION_KEYS", SecretBox.new_key())
    monkeypatch.setenv("SF_CANVAS_SECRET", SECRETS[1])
    monkeypatch.setenv("SF_CONSUMER_SECRET", SECRETS[0])
    runner = CliRunner()
    added = runner.invoke(main, ["org", "add", "--org-id", "00D5e000000Acme", "--name", "Acme",
                                 "--instance-url", "https://acme.my.salesforce.com", "--auth", "client_credentials",
                                 "--consumer-key", "consumer-key"])  # fmt: skip
    assert added.exit_code == 0, added.output
    listed = runner.invoke(main, ["org", "list"])
    assert "00D5e000000AcmeEAC" in listed.output and "client_credentials" in listed.output
    assert not any(secret in added.output + listed.output for secret in SECRETS)
    assert runner.invoke(main, ["org", "remove", "00D5e000000AcmeEAC"]).exit_code == 0
    assert "No orgs configured" in runner.invoke(main, ["org", "list"]).output


def test_cli_rejects_a_non_https_instance_url_and_saves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("BEINSPIRED_ENCRYPTION_KEYS", SecretBox.new_key())
    monkeypatch.setenv("SF_CANVAS_SECRET", "x")
    result = CliRunner().invoke(main, ["org", "add", "--org-id", "00D5e000000Acme", "--name", "A",
                                       "--instance-url", "http://acme.example", "--auth", "canvas"])  # fmt: skip
    assert result.exit_code == 2 and "https" in result.output
    assert "No orgs configured" in CliRunner().invoke(main, ["org", "list"]).output
