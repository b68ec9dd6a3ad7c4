"""Loading the demo stores its people as a sync stores an org's, on both databases."""
from sqlalchemy.orm import sessionmaker

from content_catalog.people_store import PeopleStore
from plugin.crm.demo_org import DEMO_ORG_ID, DemoOrg
from plugin.deals.people import OrgPeople
from plugin.deals.people_sync import PeopleSync

DANA, SAM, JAMIE = "0055e00000DANAWAA5", "0055e00000DEMOLAA5", "0055e00000JAMIOAA5"


def test_the_demo_people_are_stored_and_answer_who_is_who(engine):
    sessions = sessionmaker(engine)
    report = PeopleSync(sessions, demo_org=DemoOrg()).sync_demo()
    assert report.ok and (report.users, report.roles) == (10, 9) and not report.skipped
    assert PeopleSync(sessions, demo_org=DemoOrg()).sync_demo().ok  # again: the same rows, replaced
    with sessions() as session:
        store = PeopleStore(session, DEMO_ORG_ID)
        org = OrgPeople.build(store.users(), store.roles(), store.region_mappings())
    assert len(org.users) == 10
    assert SAM in org.team(DANA) and org.name(DANA) == "Dana Whitfield"
    assert org.region(SAM) == "North America" and org.is_partner(JAMIE)
    assert org.regions() == ["EMEA", "North America"]


def test_load_demo_stores_the_people_and_meetings_and_people_sync_runs_from_the_cli(tmp_path):
    from click.testing import CliRunner

    from plugin.cli import main

    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    runner = CliRunner()
    loaded = runner.invoke(main, ["load-demo"], env=env)
    assert loaded.exit_code == 0, loaded.output
    assert "Demo org people: demo people sync: 10 users, 9 roles" in loaded.output
    assert "Demo org people and meetings: demo people sync: 22 users" in loaded.output
    synced = runner.invoke(main, ["people", "sync", "--all"], env=env)
    assert synced.exit_code == 0 and "demo people sync: 10 users" in synced.output
    assert runner.invoke(main, ["people", "sync"], env=env).exit_code == 2
