"""RoleAdmin, the one way the API, the console and the CLI change role mappings, on each backend."""
from __future__ import annotations

import pytest

from content_catalog.database import session_factory
from content_catalog.repository import ensure_org
from plugin.access.role_changes import RoleAdmin, RoleMappingNotFound
from plugin.access.role_mappings import Role, RoleMapping, SubjectKind, User
from plugin.access.user_sessions import UserSessions

ORG, OTHER_ORG = "00D5e000001AcmEEAS", "00DB0000000BbbbMAC"
USER, PROFILE = "0055e000001ReP1AAK", "00e5e000000SaLeAAK"


@pytest.fixture
def signed_in(engine) -> UserSessions:
    return UserSessions(session_factory(engine), max_seconds=3600, idle_seconds=600)


@pytest.fixture
def orgs(engine) -> None:
    """Both orgs have their row, as served orgs do: a session needs one."""
    with session_factory(engine).begin() as session:
        ensure_org(session, ORG, "Acme")
        ensure_org(session, OTHER_ORG, "Globex")


@pytest.fixture
def admin(engine, signed_in):
    return lambda org=ORG: RoleAdmin(session_factory(engine), signed_in, org)


def test_the_first_mapping_of_an_org_without_a_row_yet_is_saved(admin):
    change = admin().put(RoleMapping(SubjectKind.PROFILE, PROFILE, Role.ENABLEMENT), by="tests")
    assert change.previous is None and change.sessions_ended == 0
    assert admin().list() == [RoleMapping(SubjectKind.PROFILE, PROFILE, Role.ENABLEMENT)]


def test_a_change_reports_the_role_it_replaced(admin):
    admin().put(RoleMapping(SubjectKind.USER, USER, Role.ENABLEMENT), by="tests")
    change = admin().put(RoleMapping(SubjectKind.USER, USER, Role.ADMIN), by="tests")
    assert change.previous is Role.ENABLEMENT
    assert admin().get(SubjectKind.USER, USER) == RoleMapping(SubjectKind.USER, USER, Role.ADMIN)


def test_a_users_change_ends_only_that_users_sessions_in_that_org(admin, signed_in, orgs):
    theirs = signed_in.start(User(ORG, USER, "Priya", Role.ENABLEMENT))
    elsewhere = signed_in.start(User(OTHER_ORG, USER, "Priya at Globex", Role.ENABLEMENT))
    someone_else = signed_in.start(User(ORG, "0055e000001AdMnAAC", "Ada", Role.ADMIN))
    change = admin().put(RoleMapping(SubjectKind.USER, USER, Role.REP), by="tests")
    assert change.sessions_ended == 1 and signed_in.find(theirs) is None
    assert signed_in.find(elsewhere) is not None and signed_in.find(someone_else) is not None


def test_a_profile_change_ends_no_session(admin, signed_in, orgs):
    theirs = signed_in.start(User(ORG, USER, "Priya", Role.ENABLEMENT))
    change = admin().put(RoleMapping(SubjectKind.PROFILE, PROFILE, Role.REP), by="tests")
    assert change.sessions_ended == 0
    assert signed_in.find(theirs) is not None


def test_removing_ends_the_users_sessions_and_an_unmapped_subject_is_not_found(
        admin, signed_in, orgs):
    admin().put(RoleMapping(SubjectKind.USER, USER, Role.ADMIN), by="tests")
    theirs = signed_in.start(User(ORG, USER, "Priya", Role.ADMIN))
    with pytest.raises(RoleMappingNotFound):
        admin(OTHER_ORG).remove(SubjectKind.USER, USER, by="tests")
    change = admin().remove(SubjectKind.USER, USER, by="tests")
    assert change.previous is Role.ADMIN and signed_in.find(theirs) is None
    assert admin().list() == []
    with pytest.raises(RoleMappingNotFound):
        admin().remove(SubjectKind.USER, USER, by="tests")
