"""An org's mapping of Salesforce users, permission sets and profiles to roles."""
from __future__ import annotations

import pytest

from content_catalog.database import session_factory
from content_catalog.repository import ensure_org
from plugin.roles import InvalidRoleMapping, Role, RoleMappings, SubjectKind, parse_role_mapping

ORG, OTHER_ORG = "00D5e000001AcmEEAS", "00DB0000000BbbbMAC"
USER, PROFILE = "0055e000001ReP1AAK", "00e5e000000SaLeAAK"
PERMSET_A, PERMSET_B = "0PS5e000000AaaaGAC", "0PS5e000000BbbbGAC"


@pytest.fixture
def mappings(engine):
    sessions = session_factory(engine)
    with sessions.begin() as s:
        ensure_org(s, ORG, "Acme")
        ensure_org(s, OTHER_ORG, "Globex")
    with sessions() as session:
        yield lambda org=ORG: RoleMappings(session, org)


def put(mappings, kind, subject_id, role, org=ORG):
    mappings(org).put(parse_role_mapping(kind, subject_id, role))


def test_nobody_mapped_is_a_rep(mappings):
    assert mappings().resolve(USER, PROFILE, [PERMSET_A]) is Role.REP


def test_user_beats_permission_set_beats_profile(mappings):
    put(mappings, "profile", PROFILE, "admin")
    assert mappings().resolve(USER, PROFILE) is Role.ADMIN
    put(mappings, "permission_set", PERMSET_A, "enablement")
    assert mappings().resolve(USER, PROFILE, [PERMSET_A]) is Role.ENABLEMENT
    put(mappings, "user", USER, "rep")
    assert mappings().resolve(USER, PROFILE, [PERMSET_A]) is Role.REP


def test_of_several_permission_sets_the_most_powerful_role_counts(mappings):
    put(mappings, "permission_set", PERMSET_A, "enablement")
    put(mappings, "permission_set", PERMSET_B, "admin")
    assert mappings().resolve(USER, None, [PERMSET_A, PERMSET_B]) is Role.ADMIN
    assert mappings().resolve(USER, None, [PERMSET_A]) is Role.ENABLEMENT


def test_a_mapping_applies_in_its_own_org_only(mappings):
    put(mappings, "user", USER, "admin", org=OTHER_ORG)
    assert mappings().resolve(USER) is Role.REP
    assert mappings(OTHER_ORG).resolve(USER) is Role.ADMIN


def test_an_id_of_one_kind_does_not_match_another_kind(mappings):
    put(mappings, "profile", PROFILE, "admin")
    assert mappings().resolve(USER, None, [PROFILE]) is Role.REP  # not a permission set


def test_mapping_again_changes_the_role_and_removing_forgets_it(mappings):
    put(mappings, "user", USER, "admin")
    put(mappings, "user", USER[:15], "enablement")  # the 15-character form is the same user
    assert [(m.subject_id, m.role) for m in mappings().list()] == [(USER, Role.ENABLEMENT)]
    assert mappings().remove(SubjectKind.USER, USER) is True
    assert mappings().remove(SubjectKind.USER, USER) is False
    assert mappings().resolve(USER) is Role.REP


@pytest.mark.parametrize(("kind", "subject_id", "role", "field"), [
    ("group", USER, "admin", "subject_kind"),
    ("user", PROFILE, "admin", "subject_id"),          # a profile Id given as a user
    ("profile", USER, "admin", "subject_id"),
    ("permission_set", "0PS5e000000AaaaXXX", "admin", "subject_id"),  # checksum does not match
    ("user", "005' OR 1=1 --", "admin", "subject_id"),
    ("user", USER, "superuser", "role"),
    ("user", USER, None, "role"),
])
def test_invalid_mappings_are_refused_naming_the_field(kind, subject_id, role, field):
    with pytest.raises(InvalidRoleMapping) as raised:
        parse_role_mapping(kind, subject_id, role)
    assert raised.value.field == field
