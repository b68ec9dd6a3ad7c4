"""``beinspired deals sync-history``: a report per org, exit 1 when any org failed."""
from __future__ import annotations

import pytest
import responses
from click.testing import CliRunner

from content_catalog.database import make_engine, session_factory
from content_catalog.opportunity_history import OpportunityHistory
from plugin.cli import main
from plugin.crm.demo_org import DEMO_ORG_ID, load_demo_catalog
from plugin.orgs.connections import OrgConnections, SecretBox
from plugin.services import build_services
from plugin.settings import Settings
from tests.plugin.deals.test_stage_history_sync import row
from tests.plugin.learning.outcome_fakes import FakeSalesforce, acme_org
from tests.plugin.crm.salesforce.sf_fakes import ORG_ID


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    key = SecretBox.new_key()
    url = f"sqlite:///{tmp_path / 'deals.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BEINSPIRED_ENCRYPTION_KEYS", key)
    svc = build_services(Settings(database_url=url))
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    OrgConnections(svc.sessions, SecretBox([key])).save(acme_org())
    svc.engine.dispose()
    return url


@pytest.fixture
def salesforce():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeSalesforce(mock)


def rows_of(url: str, org_id: str) -> int:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return OpportunityHistory(session, org_id).count()
    finally:
        engine.dispose()


def test_all_syncs_the_demo_org_and_every_org_with_credentials(database, salesforce):
    salesforce.pages([row(1), row(2, Amount="lots")])
    result = CliRunner().invoke(main, ["deals", "sync-history", "--all"])
    assert result.exit_code == 0, result.output
    assert "demo stage history sync" in result.output
    assert f"skipped {row(2)['Id']}: Amount is not a number" in result.output
    assert rows_of(database, ORG_ID) == 1 and rows_of(database, DEMO_ORG_ID) > 1000


def test_a_failed_org_exits_1(database, salesforce):
    salesforce.error(503, "error_server.json")
    result = CliRunner().invoke(main, ["deals", "sync-history", "--org", ORG_ID])
    assert result.exit_code == 1 and "Salesforce answered 503" in result.output


def test_either_one_org_or_all_is_asked_for(database):
    assert CliRunner().invoke(main, ["deals", "sync-history"]).exit_code == 2
