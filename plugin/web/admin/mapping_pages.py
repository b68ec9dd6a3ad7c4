"""Admin pages that map the org's Salesforce values (fields, stages, deal sizes, framing hosts)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from content_catalog.taxonomy import DEFAULT_STAGE_PHASES, JourneyPhase, default_taxonomy
from plugin.web.identity import Role, requires
from plugin.orgs.admin_input import OrgInputInvalid, field_values, frame_ancestor_values
from plugin.web.admin import blueprint, org_admin
from plugin.web.app_services import services
from plugin.deals.stuck_deals import stage_norm_rows

PHASE_LABELS = {tag.value: tag.label for tag in default_taxonomy().spec("journey_phase").values}
DEFAULT_PHASES = {stage.casefold(): phase for stage, phase in DEFAULT_STAGE_PHASES.items()}
FIELD_LABELS = {
    "challenge_field": "Customer challenge field", "industry_field": "Industry field",
    "extra_fields": "Extra context fields", "deal_size_bands.medium_from": "Mid-size from",
    "deal_size_bands.large_from": "Large from", "deal_size_bands": "Deal-size thresholds",
    "connection": "Connection",
}  # fmt: skip
#: Rows the stage form offers for stages that are not listed yet.
NEW_STAGE_ROWS = 2


# -- fields and deal sizes ---------------------------------------------------------------------
@blueprint.get("/orgs/<org_id>/fields")
@requires(Role.ADMIN)
def orgs_fields(org_id: str):
    org = org_admin().get(org_id)
    return render_fields(org, _as_form(field_values(org)))


@blueprint.post("/orgs/<org_id>/fields")
@requires(Role.ADMIN)
def orgs_fields_save(org_id: str):
    admin = org_admin()
    org = admin.get(org_id)
    form = {name: request.form.get(name, "") for name in
            ("challenge_field", "industry_field", "extra_fields", "medium_from", "large_from")}
    medium, large = _form_number(form["medium_from"]), _form_number(form["large_from"])
    data = {
        "challenge_field": form["challenge_field"], "industry_field": form["industry_field"],
        "extra_fields": form["extra_fields"],
        "deal_size_bands": None if medium == large == "" else
        {"medium_from": medium, "large_from": large},
    }  # fmt: skip
    try:
        admin.update_fields(org_id, data)
    except OrgInputInvalid as exc:
        return render_fields(org, form, exc.errors), 400
    flash("Saved the field mapping. Panels read these fields from their next opportunity on.",
          "success")
    return redirect(url_for("admin.orgs_fields", org_id=org.connection.org_id))


def render_fields(org, form, errors=()):
    field_errors: dict[str, list] = {}
    for error in errors:
        field_errors.setdefault(error.field.removeprefix("deal_size_bands."), []).append(error)
    return render_template("admin/fields.html", org=org, form=form, errors=list(errors),
                           field_errors=field_errors, field_labels=FIELD_LABELS)


def _as_form(values: dict) -> dict[str, str]:
    bands = values["deal_size_bands"] or {}
    return {
        "challenge_field": values["challenge_field"] or "",
        "industry_field": values["industry_field"] or "",
        "extra_fields": "\n".join(values["extra_fields"]),
        "medium_from": _amount_text(bands.get("medium_from")),
        "large_from": _amount_text(bands.get("large_from")),
    }  # fmt: skip


def _amount_text(value: float | None) -> str:
    return "" if value is None else (f"{value:.0f}" if float(value).is_integer() else str(value))


def _form_number(text: str) -> float | str:
    """A number from a form field ("250,000" too), or the text itself for the parser to refuse."""
    cleaned = text.replace(",", "").replace(" ", "").strip()
    try:
        return float(cleaned)
    except ValueError:
        return cleaned


# -- stages ------------------------------------------------------------------------------------
@blueprint.get("/orgs/<org_id>/stages")
@requires(Role.ADMIN)
def orgs_stages(org_id: str):
    admin = org_admin()
    return render_stages(admin.get(org_id), admin.stages(org_id))


@blueprint.post("/orgs/<org_id>/stages")
@requires(Role.ADMIN)
def orgs_stages_save(org_id: str):
    """The form lists every stage with a phase picker; a stage gets an entry of this org's own
    when a phase is picked (the empty choice keeps the default mapping, or none)."""
    admin = org_admin()
    org = admin.get(org_id)
    stages = request.form.getlist("stage")
    phases = request.form.getlist("phase")
    chosen: dict[str, str | None] = {}
    for stage, phase in zip(stages, phases):
        if stage.strip() and phase:
            chosen[stage.strip()] = phase
    try:
        admin.update_stages(org_id, chosen)
    except OrgInputInvalid as exc:
        return render_stages(org, admin.stages(org_id), exc.errors), 400
    flash("Saved the stage mapping. Panels place opportunities by it from now on.", "success")
    return redirect(url_for("admin.orgs_stages", org_id=org.connection.org_id))


def render_stages(org, listing, errors=()):
    return render_template(
        "admin/stages.html", org=org, listing=listing, errors=list(errors),
        phases=list(JourneyPhase),
        phase_labels=PHASE_LABELS, default_phase=lambda stage: DEFAULT_PHASES.get(stage.casefold()),
        new_rows=NEW_STAGE_ROWS, stage_norms=_stage_norms(org, listing),
    )  # fmt: skip


def _stage_norms(org, listing):
    """How long the org's deals stay in each stage (issue 15), in the listing's order."""
    return stage_norm_rows(services().sessions, org.connection.org_id,
                           [row.value for row in listing.rows])


# -- frame ancestors ---------------------------------------------------------------------------
@blueprint.get("/orgs/<org_id>/frame-ancestors")
@requires(Role.ADMIN)
def orgs_frame_ancestors(org_id: str):
    org = org_admin().get(org_id)
    values = frame_ancestor_values(org)
    return render_ancestors(org, values, "\n".join(values["extra"]))


@blueprint.post("/orgs/<org_id>/frame-ancestors")
@requires(Role.ADMIN)
def orgs_frame_ancestors_save(org_id: str):
    admin = org_admin()
    org = admin.get(org_id)
    text = request.form.get("extra", "")
    try:
        admin.update_frame_ancestors(org_id, text)
    except OrgInputInvalid as exc:
        return render_ancestors(org, frame_ancestor_values(org), text, exc.errors), 400
    flash("Saved. The panel may now be framed by these origins.", "success")
    return redirect(url_for("admin.orgs_frame_ancestors", org_id=org.connection.org_id))


def render_ancestors(org, values, text, errors=()):
    return render_template("admin/frame_ancestors.html", org=org, derived=values["derived"],
                           text=text, errors=list(errors))
