"""``beinspired catalog import`` checks a file against the org's own taxonomy: the stages its
admin mapped are values its modules may carry; another org's import of them is refused, row and
field named, and writes nothing."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from content_catalog.database import upgrade
from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import JourneyPhase
from plugin.cli import main
from plugin.orgs.connections import ConfiguredOrg, OrgConnections, SecretBox
from plugin.orgs.mapping import OrgMapping
from plugin.crm.salesforce.config import OrgConnection
from plugin.services import build_services
from plugin.settings import Settings

ACME, GLOBEX = "00D5e000001AcmEEAS", "00D5e000002GlbXEAS"
STAGE = "Technical Win"
HEADER = (
    "id,title,summary,body,link,kind,audience,author,status,review_by,tags.journey_phase,"
    "tags.buyer_role,tags.industry,tags.deal_stage,tags.challenge,tags.deal_size"
)
ROW = f"poc-checklist,PoC checklist,,Steps,,playbook,internal,Ana,published,,buying,,,{STAGE},,"


@pytest.fixture
def services(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("BEINSPIRED_ENCRYPTION_KEYS", SecretBox.new_key())
    svc = build_services(Settings())
    upgrade(svc.engine)
    store = OrgConnections(svc.sessions, SecretBox(svc.settings.encryption_key_list))
    mappings = {ACME: OrgMapping(((STAGE, JourneyPhase.BUYING),)), GLOBEX: OrgMapping()}
    for org_id, mapping in mappings.items():
        connection = OrgConnection(org_id, "https://example.my.salesforce.com",
                                   canvas_secret="s3cret-value")
        store.save(ConfiguredOrg(org_id, connection, mapping=mapping))
    yield svc
    svc.engine.dispose()


@pytest.fixture
def csv_file(tmp_path) -> Path:
    path = tmp_path / "modules.csv"
    path.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    return path


def stages_of(svc, org_id: str) -> dict[str, tuple[str, ...]]:
    with svc.sessions() as session:
        modules = CatalogRepository(session, org_id).list()
    return {m.key: m.tag_values("deal_stage") for m in modules}


def test_an_orgs_own_stage_imports_into_that_org(services, csv_file):
    result = CliRunner().invoke(main, ["catalog", "import", str(csv_file), "--org", ACME])
    assert result.exit_code == 0, result.output
    assert stages_of(services, ACME) == {"poc-checklist": (STAGE,)}


def test_another_orgs_import_of_the_stage_names_the_row_and_writes_nothing(services, csv_file):
    result = CliRunner().invoke(main, ["catalog", "import", str(csv_file), "--org", GLOBEX])
    assert result.exit_code != 0
    assert "tags.deal_stage" in result.output and STAGE in result.output
    assert stages_of(services, GLOBEX) == {}


def test_without_the_encryption_keys_the_import_says_why_and_writes_nothing(
    services, csv_file, monkeypatch
):
    monkeypatch.delenv("BEINSPIRED_ENCRYPTION_KEYS")
    result = CliRunner().invoke(main, ["catalog", "import", str(csv_file), "--org", ACME])
    assert result.exit_code != 0 and "BEINSPIRED_ENCRYPTION_KEYS" in result.output
    assert stages_of(services, ACME) == {}
