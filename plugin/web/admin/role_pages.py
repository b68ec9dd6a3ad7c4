"""Admin page for who gets which role: the org's mappings of Salesforce users, sets and profiles."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from content_catalog.modules import FieldError
from plugin.errors import NotFound
from plugin.web.identity import Role, requires, role_admin
from plugin.access.role_changes import RoleChange, RoleMappingNotFound
from plugin.access.role_mappings import (
    ID_PREFIXES,
    ROLE_ORDER,
    InvalidRoleMapping,
    RoleMapping,
    SubjectKind,
    parse_role_mapping,
    parse_subject,
)
from plugin.web.admin import NAVIGATION, NavItem, blueprint

NAVIGATION.append(NavItem("admin.roles_list", "Roles", "roles"))

#: In the order they are consulted: a user's mapping beats a permission set's beats a profile's.
KIND_LABELS = {SubjectKind.USER: "User", SubjectKind.PERMISSION_SET: "Permission set",
               SubjectKind.PROFILE: "Profile"}
ROLE_LABELS = {Role.REP: "Rep", Role.MANAGER: "Manager", Role.ENABLEMENT: "Enablement lead",
               Role.ADMIN: "Admin"}
FIELD_LABELS = {"subject_kind": "Kind", "subject_id": "Salesforce Id", "role": "Role"}
NO_MAPPING = "This org has no role mapping for this subject."


@blueprint.get("/roles")
@requires(Role.ADMIN)
def roles_list():
    return render_roles({"subject_kind": SubjectKind.USER.value, "role": Role.ENABLEMENT.value})


@blueprint.post("/roles")
@requires(Role.ADMIN)
def roles_save():
    """Add a mapping, or change the role of one that exists (the same subject is one mapping)."""
    form = {name: request.form.get(name, "").strip() for name in FIELD_LABELS}
    try:
        mapping = parse_role_mapping(form["subject_kind"], form["subject_id"], form["role"])
    except InvalidRoleMapping as exc:
        return render_roles(form, [FieldError(exc.field, exc.reason, _shown(exc.value))]), 400
    change = role_admin(g.user.org_id).put(mapping, by=g.user.name)
    flash(_saved_message(change), "success")
    return redirect(url_for("admin.roles_list"))


@blueprint.get("/roles/<subject_kind>/<subject_id>/remove")
@requires(Role.ADMIN)
def roles_remove_confirm(subject_kind: str, subject_id: str):
    mapping = _existing(subject_kind, subject_id)
    return render_template("admin/role_remove.html", mapping=mapping, **_labels())


@blueprint.post("/roles/<subject_kind>/<subject_id>/remove")
@requires(Role.ADMIN)
def roles_remove(subject_kind: str, subject_id: str):
    try:
        kind, checked_id = parse_subject(subject_kind, subject_id)
        change = role_admin(g.user.org_id).remove(kind, checked_id, by=g.user.name)
    except (InvalidRoleMapping, RoleMappingNotFound):
        raise NotFound(NO_MAPPING) from None
    flash(f"Removed the mapping of {_subject(change.mapping)}. {_applies(change)}", "success")
    return redirect(url_for("admin.roles_list"))


# -- rendering -------------------------------------------------------------------------------
def render_roles(form: dict[str, str], errors: list[FieldError] = ()):
    order = list(KIND_LABELS)
    mappings = sorted(role_admin(g.user.org_id).list(),
                      key=lambda m: (order.index(m.subject_kind), m.subject_id))
    field_errors: dict[str, list[FieldError]] = {}
    for error in errors:
        field_errors.setdefault(error.field, []).append(error)
    return render_template(
        "admin/roles.html", mappings=mappings, form=form, errors=list(errors),
        field_errors=field_errors, field_labels=FIELD_LABELS, **_labels(),
    )  # fmt: skip


def _labels() -> dict:
    return {"kind_labels": KIND_LABELS, "role_labels": ROLE_LABELS,
            "roles": list(reversed(ROLE_ORDER)), "id_prefixes": ID_PREFIXES}


def _existing(subject_kind: str, subject_id: str) -> RoleMapping:
    try:
        kind, checked_id = parse_subject(subject_kind, subject_id)
    except InvalidRoleMapping:
        raise NotFound(NO_MAPPING) from None
    found = role_admin(g.user.org_id).get(kind, checked_id)
    if found is None:
        raise NotFound(NO_MAPPING)
    return found


def _saved_message(change: RoleChange) -> str:
    mapping, role = change.mapping, ROLE_LABELS[change.mapping.role]
    if change.previous is None:
        done = f"Mapped {_subject(mapping)} to {role}."
    elif change.previous is mapping.role:
        done = f"{_subject(mapping)[0].upper()}{_subject(mapping)[1:]} stays {role}."
    else:
        done = f"Changed {_subject(mapping)} from {ROLE_LABELS[change.previous]} to {role}."
    return f"{done} {_applies(change)}"


def _applies(change: RoleChange) -> str:
    if change.mapping.subject_kind is not SubjectKind.USER:
        return "It applies at each person's next sign-in."
    if change.sessions_ended:
        ended = change.sessions_ended
        return (f"Their {ended} session{'' if ended == 1 else 's'} ended, so the change applies "
                "when they sign in again.")
    return "It applies from their next sign-in."


def _subject(mapping: RoleMapping) -> str:
    return f"{KIND_LABELS[mapping.subject_kind].lower()} {mapping.subject_id}"


def _shown(value: object) -> str | None:
    return str(value)[:60] if isinstance(value, str) and value else None
