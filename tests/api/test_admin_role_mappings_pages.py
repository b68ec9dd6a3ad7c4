"""The admin console's Roles page: list, add, change and remove the org's role mappings; bad
input names its field and changes nothing; a user's own mapping ends their sessions, as the JSON
API's changes do; admins only, their own org only."""
from __future__ import annotations

import pytest

from plugin.web.identity import Role
from plugin.access.role_changes import RoleAdmin
from plugin.access.role_mappings import RoleMapping, SubjectKind
from plugin.access.user_sessions import UserSessions
from tests.api.admin_fixtures import (  # noqa: F401  (fixtures)
    ACME,
    GLOBEX,
    admin_app,
    admin_of,
    console,
    open_console,
    sign_in,
)
from tests.plugin.access.access_fixtures import make_app, person, signed_in

PAGE = "/admin/roles"
USER, PROFILE = "0055e000001ReP1AAK", "00e5e000000SaLeAAK"
PERMISSION_SET = "0PS5e000000AaaaGAC"


def text(response) -> str:
    return response.get_data(as_text=True)


def mappings_of(app, org_id: str = ACME) -> list[RoleMapping]:
    svc = app.extensions["be_inspired"]
    return RoleAdmin(svc.sessions, UserSessions(svc.sessions, max_seconds=60, idle_seconds=60),
                     org_id).list()


def save(console, kind: str, subject_id: str, role: str):
    return console.form(PAGE, {"subject_kind": kind, "subject_id": subject_id, "role": role})


def test_the_page_explains_how_roles_resolve_and_that_nobody_is_mapped_yet(console):
    page = text(console.get(PAGE))
    assert "a mapping of their own user wins" in page and "anyone not mapped is a rep" in page
    assert 'data-testid="no-mappings"' in page
    assert 'href="/admin/roles"' in text(console.get("/admin/orgs"))  # in the navigation


def test_an_admin_adds_a_mapping_with_a_15_character_id_and_sees_it_listed(console, admin_app):
    added = save(console, "profile", PROFILE[:15], "enablement")
    assert added.status_code == 302 and added.headers["Location"].endswith(PAGE)
    assert mappings_of(admin_app) == [RoleMapping(SubjectKind.PROFILE, PROFILE, Role.ENABLEMENT)]
    page = text(console.get(PAGE))
    assert f"Mapped profile {PROFILE} to Enablement lead." in page
    assert f'data-subject="{PROFILE}"' in page and "applies at each person" in page


def test_saving_the_same_subject_again_changes_its_role(console, admin_app):
    save(console, "user", USER, "enablement")
    assert save(console, "user", USER[:15], "admin").status_code == 302
    assert mappings_of(admin_app) == [RoleMapping(SubjectKind.USER, USER, Role.ADMIN)]
    assert f"Changed user {USER} from Enablement lead to Admin." in text(console.get(PAGE))


def test_the_list_shows_users_then_permission_sets_then_profiles(console):
    for kind, subject_id in (("profile", PROFILE), ("permission_set", PERMISSION_SET),
                             ("user", USER)):
        save(console, kind, subject_id, "enablement")
    rows = text(console.get(PAGE)).split('data-testid="mapping-row"')[1:]
    assert [row.split('data-subject="')[1][:18] for row in rows] == [USER, PERMISSION_SET, PROFILE]


def test_removing_asks_first_then_removes(console, admin_app):
    save(console, "permission_set", PERMISSION_SET, "admin")
    url = f"{PAGE}/permission_set/{PERMISSION_SET}/remove"
    confirm = text(console.get(url))
    assert "Remove the mapping" in confirm and "Now: Admin" in confirm
    assert mappings_of(admin_app) != []  # asking removed nothing
    removed = console.form(url, {})
    assert removed.status_code == 302 and mappings_of(admin_app) == []
    assert f"Removed the mapping of permission set {PERMISSION_SET}." in text(console.get(PAGE))
    assert console.form(url, {}).status_code == 404
    assert console.get(url).status_code == 404


@pytest.mark.parametrize(("kind", "subject_id", "role", "field", "says"), [
    ("user", PROFILE, "admin", "subject_id", "a user Id"),               # a profile's Id
    ("user", "0055e000001ReP1AAA", "admin", "subject_id", "a user Id"),  # checksum wrong
    ("user", "005", "admin", "subject_id", "a user Id"),
    ("user", "", "admin", "subject_id", "a user Id"),
    ("team", USER, "admin", "subject_kind", "must be one of user, permission_set, profile"),
    ("user", USER, "root", "role", "must be one of rep, manager, enablement, admin"),
])  # fmt: skip
def test_bad_input_names_its_field_and_changes_nothing(console, admin_app, kind, subject_id, role,
                                                       field, says):
    save(console, "profile", PROFILE, "enablement")
    refused = save(console, kind, subject_id, role)
    assert refused.status_code == 400
    page = text(refused)
    assert f'data-testid="error-f-{field}"' in page and says in page
    assert f'href="#f-{field}"' in page  # the summary above the form links to the field
    assert mappings_of(admin_app) == [RoleMapping(SubjectKind.PROFILE, PROFILE, Role.ENABLEMENT)]


def test_a_subject_that_is_not_mapped_cannot_be_removed(console):
    for url in (f"{PAGE}/user/{USER}/remove", f"{PAGE}/team/{USER}/remove",
                f"{PAGE}/user/not-an-id/remove"):
        assert console.get(url).status_code == 404, url
        assert console.form(url, {}).status_code == 404, url


def test_another_orgs_mappings_are_neither_shown_nor_removable(console, admin_app, sign_in):
    sign_in(admin_of(GLOBEX))
    globex = open_console(admin_app)
    assert save(globex, "user", USER, "admin").status_code == 302
    sign_in(admin_of(ACME))
    assert USER not in text(console.get(PAGE))
    assert console.form(f"{PAGE}/user/{USER}/remove", {}).status_code == 404
    assert mappings_of(admin_app, GLOBEX) == [RoleMapping(SubjectKind.USER, USER, Role.ADMIN)]


def test_forms_need_the_csrf_token(console, admin_app):
    save(console, "user", USER, "enablement")
    no_token = {"subject_kind": "user", "subject_id": USER, "role": "admin"}
    assert console.form(PAGE, no_token, csrf=False).status_code == 400
    assert console.form(f"{PAGE}/user/{USER}/remove", {}, csrf=False).status_code == 400
    assert mappings_of(admin_app) == [RoleMapping(SubjectKind.USER, USER, Role.ENABLEMENT)]


@pytest.mark.parametrize("role", [Role.REP, Role.ENABLEMENT])
def test_reps_and_enablement_leads_cannot_reach_the_page(console, admin_app, sign_in, role):
    save(console, "user", USER, "enablement")
    sign_in(admin_of(ACME, role))
    assert console.get(PAGE).status_code == 403
    assert save(console, "user", USER, "admin").status_code == 403
    assert console.form(f"{PAGE}/user/{USER}/remove", {}).status_code == 403
    assert mappings_of(admin_app) == [RoleMapping(SubjectKind.USER, USER, Role.ENABLEMENT)]


# -- sessions, with real session cookies -----------------------------------------------------------
ADMIN = "0055e000001AdMnAAC"


@pytest.fixture
def access_app(tmp_path):
    app = make_app(tmp_path / "roles-pages.sqlite3")
    yield app
    app.extensions["be_inspired"].engine.dispose()


def test_changing_a_users_own_mapping_signs_them_out_and_a_profiles_does_not(access_app):
    lead = signed_in(access_app, person(Role.ENABLEMENT, user_id=USER))
    admin = signed_in(access_app, person(Role.ADMIN, user_id=ADMIN))
    assert lead.client.get("/workspace/modules").status_code == 200
    form = {"subject_kind": "profile", "subject_id": PROFILE, "role": "admin"}
    assert admin.send("POST", PAGE, data=form).status_code == 302
    assert lead.client.get("/workspace/modules").status_code == 200  # applies at next sign-in
    form = {"subject_kind": "user", "subject_id": USER, "role": "rep"}
    assert admin.send("POST", PAGE, data=form).status_code == 302
    assert lead.client.get("/workspace/modules").status_code == 401  # sign in again, as a rep
    assert "Their 1 session ended" in text(admin.client.get(PAGE))


def test_removing_a_users_mapping_signs_them_out(access_app):
    admin = signed_in(access_app, person(Role.ADMIN, user_id=ADMIN))
    form = {"subject_kind": "user", "subject_id": USER, "role": "enablement"}
    assert admin.send("POST", PAGE, data=form).status_code == 302
    lead = signed_in(access_app, person(Role.ENABLEMENT, user_id=USER))
    assert lead.client.get("/workspace/modules").status_code == 200
    assert admin.send("POST", f"{PAGE}/user/{USER}/remove").status_code == 302
    assert lead.client.get("/workspace/modules").status_code == 401
