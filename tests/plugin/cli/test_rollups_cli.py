"""``beinspired analytics rollup``: one org or every org, a line per org; an unknown org is an
error that writes nothing. ``demo-history`` rolls the demo org up after seeding it."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from content_catalog.analytics_rollups import AnalyticsRollups
from content_catalog.database import make_engine, session_factory
from content_catalog.repository import ensure_org
from plugin.cli import main
from plugin.crm.demo_org import DEMO_ORG_ID, load_demo_catalog
from plugin.services import build_services
from plugin.settings import Settings

OTHER = "00D000000000OTHERX"


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'rollups.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    svc = build_services(Settings(database_url=url))
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    with svc.sessions.begin() as session:
        ensure_org(session, OTHER, "Other")
    svc.engine.dispose()
    return url


def rolled_up(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return [org for org in (DEMO_ORG_ID, OTHER)
                    if AnalyticsRollups(session, org).state() is not None]
    finally:
        engine.dispose()


def run(*args: str):
    return CliRunner().invoke(main, ["analytics", "rollup", *args])


def test_rollup_of_one_org_rolls_up_that_org_only(database):
    result = run("--org", OTHER)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{OTHER}: 0 impressions rolled up into 0 rows up to ")
    assert rolled_up(database) == [OTHER]


def test_rollup_of_all_orgs_prints_a_line_per_org(database):
    result = run("--all")
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 2
    assert rolled_up(database) == [DEMO_ORG_ID, OTHER]


def test_an_unknown_org_or_no_choice_is_refused_and_nothing_is_rolled_up(database):
    unknown = run("--org", "00D000000000NOSUCH")
    assert unknown.exit_code == 1 and "There is no org '00D000000000NOSUCH' here." in unknown.output
    both = run("--org", OTHER, "--all")
    assert both.exit_code == 2 and "give either --org ORG_ID or --all" in both.output
    assert rolled_up(database) == []


def test_demo_history_rolls_up_the_demo_org(database):
    result = CliRunner().invoke(main, ["demo-history", "--weeks", "2", "--views-per-week", "20"])
    assert result.exit_code == 0, result.output
    assert f"Demo analytics roll-ups: {DEMO_ORG_ID}: " in result.output
    assert rolled_up(database) == [DEMO_ORG_ID]
