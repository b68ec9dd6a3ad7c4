"""``beinspired model train / list / rollback / off`` on the database DATABASE_URL names."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from content_catalog.database import make_engine, upgrade
from content_catalog.model_store import RankerModels
from content_catalog.org_settings import OrgSettingsRepository
from plugin.cli import main
from tests.plugin.model_fixtures import GEM, ORG, SHOWN_BY_V1, buying_catalog, log_views, publish
from tests.plugin.model_fixtures import services_on

TODAY = date.today()  # the command trains on the real clock's window


@pytest.fixture
def services(tmp_path, monkeypatch, module_factory):
    url = f"sqlite:///{tmp_path / 'models.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = make_engine(url)
    upgrade(engine)
    services = services_on(engine, TODAY)
    publish(services, *buying_catalog(module_factory))
    yield services
    engine.dispose()


@pytest.fixture
def history(services):
    log_views(services, (*SHOWN_BY_V1[:4], GEM), GEM, views=20,
              first_day=TODAY - timedelta(days=10))


def run(*args: str):
    return CliRunner().invoke(main, ["model", *args], catch_exceptions=False)


def active_version(services) -> int | None:
    with services.sessions() as session:
        active = RankerModels(session, ORG).active()
    return None if active is None else active.info.version


def test_train_prints_the_version_and_what_it_learned_from(services, history):
    result = run("train", "--org", ORG)
    assert result.exit_code == 0, result.output
    assert f"org {ORG}: version 1 (learned-" in result.output
    assert "100 impressions in 20 views, 20 rewarded" in result.output
    assert active_version(services) == 1


def test_train_without_history_says_so_and_stores_nothing(services):
    result = run("train", "--org", ORG)
    assert result.exit_code == 0, result.output
    assert "nothing to learn yet" in result.output and "serving v1" in result.output
    assert active_version(services) is None


def test_train_refuses_an_org_and_all_together_and_an_unknown_org(services):
    both = CliRunner().invoke(main, ["model", "train", "--org", ORG, "--all"])
    assert both.exit_code == 2 and "not both" in both.output
    unknown = CliRunner().invoke(main, ["model", "train", "--org", "00DC0000000CcccMAC"])
    assert unknown.exit_code == 1 and "unknown org" in unknown.output


def test_list_marks_the_served_version(services, history):
    run("train", "--org", ORG)
    run("train", "--org", ORG)
    lines = run("list", "--org", ORG).output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("* v2  learned-") and lines[1].startswith("  v1  learned-")
    assert "100 impressions in 20 views" in lines[0]


def test_rollback_goes_to_the_previous_version_or_the_one_named(services, history):
    for _ in range(3):
        run("train", "--org", ORG)
    result = run("rollback", "--org", ORG)
    assert result.exit_code == 0 and "now serving * v2" in result.output
    assert active_version(services) == 2
    assert run("rollback", "--org", ORG, "--to", "3").exit_code == 0
    assert active_version(services) == 3


def test_rollback_to_an_unknown_version_or_past_the_oldest_is_refused(services, history):
    run("train", "--org", ORG)
    unknown = CliRunner().invoke(main, ["model", "rollback", "--org", ORG, "--to", "7"])
    assert unknown.exit_code == 1 and "no model version 7 (stored: 1)" in unknown.output
    oldest = CliRunner().invoke(main, ["model", "rollback", "--org", ORG])
    assert oldest.exit_code == 1 and "nothing to roll back to" in oldest.output
    assert active_version(services) == 1


def test_off_serves_v1_and_list_says_so(services, history):
    run("train", "--org", ORG)
    result = run("off", "--org", ORG)
    assert result.exit_code == 0 and "version 1 switched off" in result.output
    assert active_version(services) is None
    assert "none active: the panel serves v1" in run("list", "--org", ORG).output
    no_active = CliRunner().invoke(main, ["model", "rollback", "--org", ORG])
    assert no_active.exit_code == 1 and "name one with --to" in no_active.output


def test_train_all_trains_each_connected_org(services, history):
    assert "No orgs to train" in run("train", "--all").output
    with services.sessions.begin() as session:
        OrgSettingsRepository(session).put(ORG, "Acme", "{}", "")
    result = run("train", "--all")
    assert result.exit_code == 0 and f"org {ORG}: version 1 (learned-" in result.output
