"""Admin pages for the org's connection: list, connect, edit, test, status, remove."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for

from content_catalog.modules import FieldError
from plugin.web.identity import Role, requires
from plugin.orgs.connections import DEMO_AUTH_MODE
from plugin.orgs.demo_connection import DEMO_CONNECTION_FIXED
from plugin.orgs.management import OrgAlreadyConnected
from plugin.orgs.admin_input import (
    AUTH_LABELS,
    CONNECTION_FIELDS,
    SECRET_LABELS,
    OrgInputInvalid,
    field_values,
    frame_ancestor_values,
    plain_values,
    secret_hints,
)
from plugin.crm.salesforce.connection_check import ConnectionCheck
from plugin.web.admin import NAVIGATION, NavItem, blueprint, org_admin

NAVIGATION.append(NavItem("admin.orgs_list", "Salesforce org", "orgs"))
DEMO_SOURCE_LABEL = "Demo records (bundled, no Salesforce)"

FIELD_LABELS = {
    "org_id": "Org Id", "name": "Name", "auth_mode": "Authentication",
    "instance_url": "My Domain URL", "login_domain": "Login domain", "api_version": "API version",
    "timeout": "Timeout", "ca_bundle": "CA certificates", "username": "Username",
    "consumer_key": "Consumer key", "connection": "Connection", **SECRET_LABELS,
}  # fmt: skip
#: Which auth modes use a field; the form shows a field only for its modes (admin-org-form.js).
FIELD_MODES = {
    "username": ("jwt_bearer", "password"),
    "consumer_key": ("jwt_bearer", "client_credentials", "canvas", "password"),
    "consumer_secret": ("client_credentials",),
    "private_key": ("jwt_bearer",),
    "password": ("password",),
    "security_token": ("password",),
}


#: The orgs list's "Authentication" column also names the demo org's data source.
LISTED_AUTH_LABELS = {**AUTH_LABELS, DEMO_AUTH_MODE: DEMO_SOURCE_LABEL}


@blueprint.get("/orgs")
@requires(Role.ADMIN)
def orgs_list():
    summaries = org_admin().summaries()
    return render_template("admin/orgs.html", summaries=summaries, auth_labels=LISTED_AUTH_LABELS)


@blueprint.get("/orgs/new")
@requires(Role.ADMIN)
def orgs_new():
    form = {"org_id": g.user.org_id, "auth_mode": "canvas", "api_version": "59.0", "timeout": "3.0"}
    return render_form(form)


@blueprint.post("/orgs")
@requires(Role.ADMIN)
def orgs_create():
    data = submitted()
    try:
        org = org_admin().create(data)
    except OrgInputInvalid as exc:
        return render_form(data, errors=exc.errors), 400
    except OrgAlreadyConnected as exc:
        return render_form(data, errors=[_error("org_id", str(exc))]), 409
    flash(f"Connected “{org.name}”. Secrets are stored encrypted. Test the connection, then map "
          "its fields and stages.", "success")
    return redirect(url_for("admin.orgs_view", org_id=org.connection.org_id))


@blueprint.get("/orgs/<org_id>")
@requires(Role.ADMIN)
def orgs_view(org_id: str):
    return render_view(org_id)


@blueprint.post("/orgs/<org_id>/test")
@requires(Role.ADMIN)
def orgs_test(org_id: str):
    check = org_admin().test(org_id)
    return render_view(org_id, check=check)


@blueprint.get("/orgs/<org_id>/edit")
@requires(Role.ADMIN)
def orgs_edit(org_id: str):
    org = org_admin().get(org_id)
    if org.is_demo:
        flash(DEMO_CONNECTION_FIXED, "info")
        return redirect(url_for("admin.orgs_view", org_id=org.connection.org_id))
    return render_form(plain_values(org), org=org)


@blueprint.post("/orgs/<org_id>/edit")
@requires(Role.ADMIN)
def orgs_update(org_id: str):
    admin = org_admin()
    current = admin.get(org_id)
    if current.is_demo:
        flash(DEMO_CONNECTION_FIXED, "info")
        return redirect(url_for("admin.orgs_view", org_id=current.connection.org_id))
    data = submitted()
    try:
        org = admin.update(org_id, data)
    except OrgInputInvalid as exc:
        form = {**data, "org_id": current.connection.org_id}
        return render_form(form, org=current, errors=exc.errors), 400
    flash("Saved the connection. Secrets left empty were kept.", "success")
    return redirect(url_for("admin.orgs_view", org_id=org.connection.org_id))


@blueprint.get("/orgs/<org_id>/remove")
@requires(Role.ADMIN)
def orgs_remove_confirm(org_id: str):
    return render_template("admin/remove.html", org=org_admin().get(org_id))


@blueprint.post("/orgs/<org_id>/remove")
@requires(Role.ADMIN)
def orgs_remove(org_id: str):
    admin = org_admin()
    org = admin.get(org_id)
    admin.remove(org_id)
    flash(f"Removed the connection to “{org.name}”. Its content modules are kept.", "success")
    return redirect(url_for("admin.orgs_list"))


# -- rendering -------------------------------------------------------------------------------
def submitted() -> dict[str, str]:
    """The form's connection fields and secrets; nothing else is read."""
    names = (*CONNECTION_FIELDS, *SECRET_LABELS)
    return {name: request.form.get(name, "") for name in names if name in request.form}


def render_form(form: dict, *, org=None, errors=()):
    field_errors: dict[str, list] = {}
    for error in errors:
        field_errors.setdefault(error.field, []).append(error)
    return render_template(
        "admin/org_form.html", form=form, org=org, errors=list(errors), field_errors=field_errors,
        field_labels=FIELD_LABELS, auth_labels=AUTH_LABELS, secret_labels=SECRET_LABELS,
        hints=secret_hints(org), field_modes=FIELD_MODES,
    )  # fmt: skip


def render_view(org_id: str, *, check: ConnectionCheck | None = None):
    admin = org_admin()
    report = admin.status(org_id)
    org = report.org
    return render_template(
        "admin/org_view.html", org=org, report=report, check=check, values=plain_values(org),
        hints=secret_hints(org), secret_labels=SECRET_LABELS, auth_labels=AUTH_LABELS,
        fields=field_values(org), ancestors=frame_ancestor_values(org),
        mapped_stages=len(org.mapping.stage_phases), demo_source=DEMO_SOURCE_LABEL,
        demo_page=url_for("demo.record_page") if "demo" in current_app.blueprints else None,
    )  # fmt: skip


def _error(field: str, message: str) -> FieldError:
    return FieldError(field, message)
