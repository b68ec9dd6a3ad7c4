"""``beinspired roles list / set / remove``: the org's role mappings from the service's host, with
the same checks and the same ending of sessions as the admin console and the JSON API."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from content_catalog.database import make_engine, session_factory, upgrade
from plugin.cli import main
from plugin.orgs.connections import ConfiguredOrg, OrgConnections, SecretBox
from plugin.access.role_changes import RoleAdmin
from plugin.access.role_mappings import Role, RoleMapping, SubjectKind, User
from plugin.crm.salesforce.config import OrgConnection
from plugin.access.user_sessions import UserSessions
from tests.plugin.crm.salesforce.sf_fakes import CANVAS_SECRET, INSTANCE, ORG_ID

USER, PROFILE = "0055e000001ReP1AAK", "00e5e000000SaLeAAK"
PERMISSION_SET = "0PS5e000000AaaaGAC"
GLOBEX = "00DB0000000BbbbMAC"


class Host:
    """The database the CLI reads (from DATABASE_URL), seen from the test."""

    def __init__(self, sessions):
        self.sessions = sessions
        self.signed_in = UserSessions(sessions, max_seconds=3600, idle_seconds=600)

    def mappings(self, org_id: str = ORG_ID) -> list[RoleMapping]:
        return RoleAdmin(self.sessions, self.signed_in, org_id).list()


@pytest.fixture
def host(tmp_path, monkeypatch) -> Host:
    key = SecretBox.new_key()
    url = f"sqlite:///{tmp_path / 'roles-cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BEINSPIRED_ENCRYPTION_KEYS", key)
    monkeypatch.delenv("BEINSPIRED_DEMO_MODE", raising=False)
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    store = OrgConnections(sessions, SecretBox([key]))
    for org_id, name in ((ORG_ID, "Acme Corp"), (GLOBEX, "Globex")):
        connection = OrgConnection(org_id, INSTANCE, canvas_secret=CANVAS_SECRET)
        store.save(ConfiguredOrg(name, connection))
    yield Host(sessions)
    engine.dispose()


def roles(*args: str):
    return CliRunner().invoke(main, ["roles", *args])


def test_set_maps_a_15_character_id_and_list_shows_it(host):
    result = roles("set", "--org", ORG_ID[:15], "--profile", PROFILE[:15], "--role", "enablement")
    assert result.exit_code == 0, result.output
    assert f"profile {PROFILE} is enablement" in result.output
    assert host.mappings() == [RoleMapping(SubjectKind.PROFILE, PROFILE, Role.ENABLEMENT)]
    listed = roles("list", "--org", ORG_ID)
    assert listed.exit_code == 0 and PROFILE in listed.output and "enablement" in listed.output


def test_list_shows_users_then_permission_sets_then_profiles(host):
    roles("set", "--org", ORG_ID, "--profile", PROFILE, "--role", "enablement")
    roles("set", "--org", ORG_ID, "--permission-set", PERMISSION_SET, "--role", "admin")
    roles("set", "--org", ORG_ID, "--user", USER, "--role", "rep")
    lines = roles("list", "--org", ORG_ID).output.splitlines()
    assert [line.split() for line in lines] == [
        ["user", USER, "rep"], ["permission_set", PERMISSION_SET, "admin"],
        ["profile", PROFILE, "enablement"],
    ]  # fmt: skip


def test_an_org_without_mappings_says_everyone_is_a_rep(host):
    assert "everyone from" in roles("list", "--org", ORG_ID).output


def test_set_again_changes_the_role_and_says_what_it_was(host):
    roles("set", "--org", ORG_ID, "--user", USER, "--role", "enablement")
    result = roles("set", "--org", ORG_ID, "--user", USER, "--role", "admin")
    assert result.exit_code == 0 and "is admin (was enablement)" in result.output
    assert host.mappings() == [RoleMapping(SubjectKind.USER, USER, Role.ADMIN)]


def test_changing_a_users_mapping_ends_their_sessions_and_a_profiles_does_not(host):
    token = host.signed_in.start(User(ORG_ID, USER, "Priya", Role.ENABLEMENT))
    roles("set", "--org", ORG_ID, "--profile", PROFILE, "--role", "admin")
    assert host.signed_in.find(token) is not None
    result = roles("set", "--org", ORG_ID, "--user", USER, "--role", "rep")
    assert "Ended 1 session(s)" in result.output
    assert host.signed_in.find(token) is None


def test_remove_removes_the_mapping_and_ends_the_users_sessions(host):
    roles("set", "--org", ORG_ID, "--user", USER, "--role", "admin")
    token = host.signed_in.start(User(ORG_ID, USER, "Priya", Role.ADMIN))
    result = roles("remove", "--org", ORG_ID, "--user", USER[:15])
    assert result.exit_code == 0 and "was admin" in result.output
    assert host.mappings() == [] and host.signed_in.find(token) is None


def test_removing_what_is_not_mapped_fails(host):
    roles("set", "--org", GLOBEX, "--user", USER, "--role", "admin")
    result = roles("remove", "--org", ORG_ID, "--user", USER)
    assert result.exit_code == 1 and "has no mapping for user" in result.output
    assert host.mappings(GLOBEX) != []  # another org's mapping is untouched


@pytest.mark.parametrize(("args", "says"), [
    (("set", "--org", ORG_ID, "--user", PROFILE, "--role", "admin"), "a user Id must start with"),
    (("set", "--org", ORG_ID, "--user", "0055e000001ReP1AAA", "--role", "admin"), "checksum"),
    (("set", "--org", ORG_ID, "--profile", "nope", "--role", "admin"), "--profile"),
    (("set", "--org", ORG_ID, "--user", USER, "--role", "root"), "'root' is not one of"),
    (("set", "--org", ORG_ID, "--role", "admin"), "give exactly one of"),
    (("set", "--org", ORG_ID, "--user", USER, "--profile", PROFILE, "--role", "admin"),
     "give exactly one of"),
    (("set", "--org", "00Dnope", "--user", USER, "--role", "admin"), "--org"),
    (("remove", "--org", ORG_ID, "--permission-set", USER), "a permission_set Id must start"),
    (("list", "--org", "001000000000001"), "must start with '00D'"),
])  # fmt: skip
def test_bad_input_is_a_usage_error_that_changes_nothing(host, args, says):
    roles("set", "--org", ORG_ID, "--profile", PROFILE, "--role", "enablement")
    result = roles(*args)
    assert result.exit_code == 2 and says in result.output, result.output
    assert host.mappings() == [RoleMapping(SubjectKind.PROFILE, PROFILE, Role.ENABLEMENT)]


def test_an_org_that_is_not_configured_is_refused(host):
    result = roles("set", "--org", "00D5e000009ZzZzEAK", "--user", USER, "--role", "admin")
    assert result.exit_code == 1 and "is configured" in result.output
