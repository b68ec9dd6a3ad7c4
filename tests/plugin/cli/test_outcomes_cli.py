"""``beinspired outcomes sync``: a report per org, exit 1 when any org failed."""
from __future__ import annotations

import pytest
import responses
from click.testing import CliRunner

from content_catalog.database import make_engine, session_factory
from content_catalog.deal_outcomes import DealOutcomes
from plugin.cli import main
from plugin.crm.demo_org import DEMO_ORG_ID, load_demo_catalog
from plugin.orgs.connections import ConfiguredOrg, OrgConnections, SecretBox
from plugin.crm.salesforce.config import OrgConnection
from plugin.services import build_services
from plugin.settings import Settings
from tests.plugin.learning.outcome_fakes import FakeSalesforce, acme_org, deal
from tests.plugin.crm.salesforce.sf_fakes import CANVAS_SECRET, INSTANCE, ORG_ID

CANVAS_ORG = "00DB0000000BbbbMAC"


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    """The demo org loaded, Acme (client credentials) and a Canvas-only org configured."""
    key = SecretBox.new_key()
    url = f"sqlite:///{tmp_path / 'outcomes.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BEINSPIRED_ENCRYPTION_KEYS", key)
    svc = build_services(Settings(database_url=url))
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    store = OrgConnections(svc.sessions, SecretBox([key]))
    store.save(acme_org())
    store.save(ConfiguredOrg("Canvas Co", OrgConnection(CANVAS_ORG, INSTANCE,
                                                        canvas_secret=CANVAS_SECRET)))
    svc.engine.dispose()
    return url


@pytest.fixture
def salesforce():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeSalesforce(mock)


def run(*args: str):
    return CliRunner().invoke(main, ["outcomes", "sync", *args])


def outcomes_of(url: str, org_id: str) -> int:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return len(DealOutcomes(session, org_id).by_opportunity())
    finally:
        engine.dispose()


def test_all_syncs_the_demo_org_and_every_org_with_credentials(database, salesforce):
    salesforce.pages([deal(1), deal(2, won=False), deal(3, Amount="lots")])
    result = run("--all")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{CANVAS_ORG}: skipped: Canvas-only org: the service holds no " \
        "credentials to read its opportunities (add server-to-server credentials to sync deal " \
        "outcomes)"
    assert lines[1].startswith(f"Northwind Cloud (demo org) ({DEMO_ORG_ID}): demo sync: ")
    assert lines[2].startswith(f"Acme Corp ({ORG_ID}): incremental sync: 3 fetched, 1 won and "
                               "1 lost saved, 0 unchanged, 0 reopened forgotten, 1 skipped")
    assert "skipped 0065e00000Op003" in lines[3] and "Amount is not a number" in lines[3]
    assert outcomes_of(database, ORG_ID) == 2 and outcomes_of(database, DEMO_ORG_ID) > 0


def test_a_failing_org_is_reported_and_makes_the_exit_code_1(database, salesforce):
    salesforce.error(403, "error_request_limit.json")
    result = run("--all")
    assert result.exit_code == 1
    assert (f"Acme Corp ({ORG_ID}): sync failed: the org's API request limit is used up "
            "(REQUEST_LIMIT_EXCEEDED); nothing was saved") in result.output
    assert "Traceback" not in result.output and outcomes_of(database, DEMO_ORG_ID) > 0


def test_full_reads_every_closed_deal_again(database, salesforce):
    salesforce.pages([deal(1)])
    run("--org", ORG_ID)
    salesforce.pages([deal(1)])
    result = run("--org", ORG_ID, "--full")
    assert result.exit_code == 0 and ": full sync: 1 fetched" in result.output
    assert salesforce.soql[-1].endswith("WHERE IsClosed = true")


@pytest.mark.parametrize("org_id, said", [
    (CANVAS_ORG, "Canvas-only org"), ("00D000000000404AAA", "no such org is configured"),
    ("'; rm -rf /", "no such org is configured"),
])
def test_an_org_that_cannot_be_synced_says_why(database, org_id, said):
    result = run("--org", org_id)
    assert result.exit_code == 1 and said in result.output


@pytest.mark.parametrize("args", [(), ("--org", ORG_ID, "--all")])
def test_one_org_or_all_must_be_chosen(database, args):
    result = run(*args)
    assert result.exit_code == 2 and "give either --org ORG_ID or --all" in result.output
