"""``beinspired org edit / test / stages / map-stage / fields``: the admin console's operations on
the service's host, for any org, with secrets only from the environment."""
from __future__ import annotations

import pytest
import responses
from click.testing import CliRunner

from content_catalog.database import make_engine, session_factory, upgrade
from content_catalog.taxonomy import JourneyPhase
from plugin.cli import main
from plugin.orgs.connections import ConfiguredOrg, OrgConnections, SecretBox
from plugin.crm.salesforce.config import ClientCredentials, OrgConnection
from tests.plugin.crm.salesforce.sf_fakes import CANVAS_SECRET, INSTANCE, ORG_ID
from tests.plugin.crm.salesforce.sf_org_fakes import CONSUMER_KEY, CONSUMER_SECRET, FakeOrg


@pytest.fixture
def stored(tmp_path, monkeypatch) -> OrgConnections:
    """The environment the CLI reads, and the store it writes, with Acme (client credentials)."""
    key = SecretBox.new_key()
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BEINSPIRED_ENCRYPTION_KEYS", key)
    for name in ("SF_CONSUMER_SECRET", "SF_PASSWORD", "SF_SECURITY_TOKEN", "SF_CANVAS_SECRET"):
        monkeypatch.delenv(name, raising=False)
    engine = make_engine(url)
    upgrade(engine)
    store = OrgConnections(session_factory(engine), SecretBox([key]))
    store.save(ConfiguredOrg("Acme Corp", OrgConnection(
        ORG_ID, INSTANCE, ClientCredentials(CONSUMER_KEY, CONSUMER_SECRET), canvas_secret=CANVAS_SECRET)))
    yield store
    engine.dispose()


@pytest.fixture
def salesforce():
    org = FakeOrg()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        org.install(mock)
        yield org


def run(*args: str, **env: str):
    return CliRunner().invoke(main, ["org", *args], env=env or None, catch_exceptions=False)


def test_edit_changes_what_is_given_and_keeps_secrets_whose_variable_is_unset(stored):
    result = run("edit", ORG_ID, "--timeout", "9", "--name", "Acme EU")
    assert result.exit_code == 0, result.output
    org = stored.get(ORG_ID)
    assert (org.name, org.connection.timeout) == ("Acme EU", 9.0)
    assert org.connection.credentials.consumer_secret == CONSUMER_SECRET
    assert CONSUMER_SECRET not in result.output


def test_edit_takes_a_new_secret_from_the_environment(stored):
    assert run("edit", ORG_ID, SF_CANVAS_SECRET="rotated-canvas-secret-0042").exit_code == 0
    assert stored.get(ORG_ID).connection.canvas_secret == "rotated-canvas-secret-0042"


def test_edit_refuses_bad_settings_and_names_them(stored):
    result = CliRunner().invoke(main, ["org", "edit", ORG_ID, "--instance-url", "http://acme.example"])
    assert result.exit_code == 1 and "instance_url" in result.output
    assert stored.get(ORG_ID).connection.instance_url == INSTANCE


def test_test_reports_name_usage_and_missing_fields(stored, salesforce):
    run("fields", ORG_ID, "--challenge-field", "Pain_Point__c")
    result = CliRunner().invoke(main, ["org", "test", ORG_ID])
    assert result.exit_code == 1
    assert "Acme Corporation" in result.output and "18 of 15,000" in result.output
    assert "cannot read Opportunity.Pain_Point__c (mapped challenge field)" in result.output
    assert CONSUMER_SECRET not in result.output


def test_test_passes_when_everything_is_readable(stored, salesforce):
    result = run("test", ORG_ID)
    assert result.exit_code == 0 and "every field the panel reads is readable" in result.output


def test_stages_lists_the_orgs_stages_and_map_stage_maps_one(stored, salesforce):
    listed = run("stages", ORG_ID)
    assert "Security_Review (Security Review)" in listed.output and "2 stage(s) map to no phase" in listed.output
    mapped = run("map-stage", ORG_ID, "Pilot Running", "implementation_adoption")
    assert mapped.exit_code == 0 and "implementation_adoption" in mapped.output
    assert stored.get(ORG_ID).mapping.phase_of("Pilot Running") is JourneyPhase.IMPLEMENTATION_ADOPTION
    assert "1 stage(s) map to no phase" in run("stages", ORG_ID).output
    run("map-stage", ORG_ID, "Pilot Running", "none")
    assert stored.get(ORG_ID).mapping.stage_phases == ()


def test_fields_sets_shows_and_clears_the_mapping(stored):
    result = run("fields", ORG_ID, "--challenge-field", "Account.Pain__c", "--industry-field", "Account.Sector__c",
                 "--extra-field", "Competitor__c", "--extra-field", "Account.Tier__c", "--medium-from", "20000")
    assert result.exit_code == 0, result.output
    assert "mid-size from 20,000, large from 250,000" in result.output
    connection = stored.get(ORG_ID).connection
    assert connection.extra_fields == ("Competitor__c", "Account.Tier__c")
    assert "Account.Sector__c" in run("fields", ORG_ID).output
    cleared = run("fields", ORG_ID, "--industry-field", "", "--no-extra-fields", "--default-deal-sizes")
    assert "industry field:   Account.Industry" in cleared.output and "extra fields:     (none)" in cleared.output
    assert stored.get(ORG_ID).mapping.deal_size_bands is None


def test_fields_refuses_a_name_that_is_not_an_api_name(stored):
    result = CliRunner().invoke(main, ["org", "fields", ORG_ID, "--extra-field", "Pain Point"])
    assert result.exit_code == 1 and "extra_fields" in result.output


def test_commands_on_an_unknown_org_say_so(stored):
    for args in (["test", "00D000000000009"], ["stages", "nonsense"], ["fields", "00D000000000009"]):
        result = CliRunner().invoke(main, ["org", *args])
        assert result.exit_code == 1 and "No such org" in result.output, args
