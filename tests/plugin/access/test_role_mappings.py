"""An org's mapping of Salesforce users, permission sets and profiles to roles."""
from __future__ import annotations

import pytest

from content_catalog.database import session_factory
from content_catalog.repository import ensure_org
from plugin.access.role_mappings import InvalidRoleMapping, Role, RoleMappings, SubjectKind, parse_role_mapping

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


# -- the JSON API (admins) -------------------------------------------------------------------------
from tests.plugin.access.access_fixtures import OTHER_ORG as GLOBEX, make_app, person, signed_in  # noqa: E402
from tests.plugin.crm.salesforce.sf_fakes import ORG_ID as ACME, VIEWER_ID  # noqa: E402

API = "/api/v1/role-mappings"


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path / "mappings.sqlite3")
    yield app
    app.extensions["be_inspired"].engine.dispose()


def test_an_admin_maps_lists_and_unmaps(app):
    admin = signed_in(app, person(Role.ADMIN))
    put_response = admin.send("PUT", f"{API}/profile/{PROFILE[:15]}", json={"role": "enablement"})
    assert put_response.status_code == 200
    assert put_response.get_json() == {"subject_kind": "profile", "subject_id": PROFILE, "role": "enablement", "id_prefix": "00e"}
    listed = admin.client.get(API).get_json()
    assert listed["items"] == [put_response.get_json()] and listed["precedence"] == ["user", "permission_set", "profile"]
    assert admin.send("DELETE", f"{API}/profile/{PROFILE}").status_code == 204
    assert admin.send("DELETE", f"{API}/profile/{PROFILE}").status_code == 404
    assert admin.client.get(API).get_json()["items"] == []


@pytest.mark.parametrize(("url", "body", "field"), [
    (f"{API}/profile/{USER}", {"role": "admin"}, "subject_id"),
    (f"{API}/team/{USER}", {"role": "admin"}, "subject_kind"),
    (f"{API}/user/{USER}", {"role": "root"}, "role"),
])
def test_invalid_mappings_are_a_400_naming_the_field(app, url, body, field):
    response = signed_in(app, person(Role.ADMIN)).send("PUT", url, json=body)
    assert response.status_code == 400 and response.get_json()["error"]["fields"][0]["field"] == field


def test_mappings_belong_to_the_admins_own_org(app):
    signed_in(app, person(Role.ADMIN, org_id=GLOBEX)).send("PUT", f"{API}/user/{USER}", json={"role": "admin"})
    acme = signed_in(app, person(Role.ADMIN))
    assert acme.client.get(API).get_json()["items"] == []
    assert acme.send("DELETE", f"{API}/user/{USER}").status_code == 404


def test_changing_a_users_own_mapping_ends_their_sessions_so_it_applies_at_once(app):
    lead = signed_in(app, person(Role.ENABLEMENT, user_id=VIEWER_ID))
    assert lead.client.get("/workspace/modules").status_code == 200
    signed_in(app, person(Role.ADMIN, user_id=USER)).send("PUT", f"{API}/user/{VIEWER_ID}", json={"role": "rep"})
    assert lead.client.get("/workspace/modules").status_code == 401  # sign in again, as a rep now


def test_a_canvas_user_gets_the_role_of_their_user_or_profile_mapping(app):
    from plugin.web.identity import canvas_user
    from plugin.crm.salesforce.signed_request import CanvasRequest

    canvas = CanvasRequest(org_id=ACME, user_id=VIEWER_ID, user_name="priya@acme.example", full_name="Priya Raman",
                           profile_id=PROFILE, instance_url="https://acme.my.salesforce.com", oauth_token="t",
                           record_id=None, display_location="Aura")
    admin = signed_in(app, person(Role.ADMIN, user_id=USER))
    with app.app_context():
        assert canvas_user(canvas).role is Role.REP
        admin.send("PUT", f"{API}/profile/{PROFILE}", json={"role": "enablement"})
        assert canvas_user(canvas).role is Role.ENABLEMENT and canvas_user(canvas).name == "Priya Raman"
        admin.send("PUT", f"{API}/user/{VIEWER_ID}", json={"role": "admin"})
        assert canvas_user(canvas).role is Role.ADMIN
