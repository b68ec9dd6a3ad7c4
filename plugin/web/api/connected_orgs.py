"""``/api/v1/admin/orgs``: the admin console's operations as JSON, for scripts and pages alike."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, url_for

from plugin.web import identity
from plugin.errors import Conflict, Forbidden, InvalidInput, NotFound
from plugin.web.identity import Role, requires
from plugin.web.json_body import json_object
from plugin.orgs.management import (
    OrgAdmin,
    OrgAlreadyConnected,
    OrgNotManaged,
    OrgOutOfScope,
    OrgStatusReport,
    StageListing,
)
from plugin.orgs.connections import ConfiguredOrg, EncryptionKeyMissing, SecretsUnreadable
from plugin.orgs.admin_input import (
    OrgInputInvalid,
    field_values,
    frame_ancestor_values,
    plain_values,
    secret_hints,
)
from plugin.crm.salesforce.connection_check import CANVAS_ONLY, ConnectionCheck
from plugin.services import org_admin_for
from plugin.web.app_services import services

blueprint = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")


@blueprint.errorhandler(OrgNotManaged)
def _not_managed(exc: OrgNotManaged):
    return _error(NotFound(str(exc)))


@blueprint.errorhandler(OrgOutOfScope)
def _out_of_scope(exc: OrgOutOfScope):
    return _error(Forbidden(str(exc), reason="not_your_org"))


@blueprint.errorhandler(OrgAlreadyConnected)
def _already(exc: OrgAlreadyConnected):
    return _error(Conflict(str(exc), reason="org_exists"))


@blueprint.errorhandler(OrgInputInvalid)
def _invalid(exc: OrgInputInvalid):
    return _error(InvalidInput("Some settings are not valid.", errors=exc.errors))


@blueprint.errorhandler(SecretsUnreadable)
@blueprint.errorhandler(EncryptionKeyMissing)
def _secrets(exc: RuntimeError):
    message = f"The org's stored secrets cannot be used: {exc}."
    response = jsonify({"error": {"code": "secrets_unavailable", "message": message}})
    response.status_code = 500
    return response


def _error(exc):
    response = jsonify(exc.body())
    response.status_code = exc.status
    return response


# -- orgs ------------------------------------------------------------------------------------------
@blueprint.get("/orgs")
@requires(Role.ADMIN)
def list_orgs():
    return {"items": [{"org_id": s.org_id, "name": s.name, "auth_mode": s.auth_mode,
                       "url": url_for("admin_api.get_org", org_id=s.org_id)}
                      for s in admin().summaries()]}


@blueprint.post("/orgs")
@requires(Role.ADMIN)
def create_org():
    org = admin().create(json_object())
    response = jsonify(org_json(org))
    response.status_code = 201
    response.headers["Location"] = url_for("admin_api.get_org", org_id=org.connection.org_id)
    return response


@blueprint.get("/orgs/<org_id>")
@requires(Role.ADMIN)
def get_org(org_id: str):
    return org_json(admin().get(org_id))


@blueprint.patch("/orgs/<org_id>")
@requires(Role.ADMIN)
def update_org(org_id: str):
    return org_json(admin().update(org_id, json_object()))


@blueprint.delete("/orgs/<org_id>")
@requires(Role.ADMIN)
def remove_org(org_id: str):
    admin().remove(org_id)
    return "", 204


@blueprint.post("/orgs/<org_id>/test")
@requires(Role.ADMIN)
def test_org(org_id: str):
    return check_json(admin().test(org_id))


@blueprint.get("/orgs/<org_id>/status")
@requires(Role.ADMIN)
def org_status(org_id: str):
    return status_json(admin().status(org_id))


# -- mapping ---------------------------------------------------------------------------------------
@blueprint.get("/orgs/<org_id>/fields")
@requires(Role.ADMIN)
def get_fields(org_id: str):
    return field_values(admin().get(org_id))


@blueprint.put("/orgs/<org_id>/fields")
@requires(Role.ADMIN)
def put_fields(org_id: str):
    return field_values(admin().update_fields(org_id, json_object()))


@blueprint.get("/orgs/<org_id>/stages")
@requires(Role.ADMIN)
def get_stages(org_id: str):
    org_admin = admin()
    return stages_json(org_admin.get(org_id), org_admin.stages(org_id))


@blueprint.put("/orgs/<org_id>/stages")
@requires(Role.ADMIN)
def put_stages(org_id: str):
    org_admin = admin()
    org_admin.get(org_id)  # another org is not found, whatever the body
    body = json_object()
    if set(body) != {"stage_phases"}:
        raise InvalidInput('Send {"stage_phases": {"<stage>": "<journey phase>", ...}}.')
    org = org_admin.update_stages(org_id, body["stage_phases"])
    return stages_json(org, org_admin.stages(org_id))


@blueprint.get("/orgs/<org_id>/frame-ancestors")
@requires(Role.ADMIN)
def get_frame_ancestors(org_id: str):
    return frame_ancestor_values(admin().get(org_id))


@blueprint.put("/orgs/<org_id>/frame-ancestors")
@requires(Role.ADMIN)
def put_frame_ancestors(org_id: str):
    org_admin = admin()
    org_admin.get(org_id)  # another org is not found, whatever the body
    body = json_object()
    if set(body) != {"extra"}:
        raise InvalidInput('Send {"extra": ["https://host", ...]}; the derived origins follow '
                           "the My Domain URL.")
    return frame_ancestor_values(org_admin.update_frame_ancestors(org_id, body["extra"]))


# -- helpers ---------------------------------------------------------------------------------
def admin() -> OrgAdmin:
    """The signed-in admin's view: their own org only. (``requires`` has checked the role.)"""
    return org_admin_for(services(), identity.current_user().org_id)


def org_json(org: ConfiguredOrg) -> dict[str, Any]:
    return {
        **plain_values(org),
        "secrets": secret_hints(org),
        "fields": field_values(org),
        "stage_phases": {name: phase.value for name, phase in org.mapping.stage_phases},
        "frame_ancestors": frame_ancestor_values(org),
    }


def check_json(check: ConnectionCheck) -> dict[str, Any]:
    usage = check.api_usage
    return {
        "testable": check.testable, "ok": check.ok, "summary": check.summary(),
        "org_name": check.org_name, "error": check.error if check.testable else CANVAS_ONLY,
        "api_usage": None if usage is None else {"used": usage.used, "limit": usage.limit},
        "missing": [{"object": m.sobject, "field": m.field, "role": m.role} for m in check.missing],
        "api_calls": check.api_calls,
    }  # fmt: skip


def status_json(report: OrgStatusReport) -> dict[str, Any]:
    live, usage = report.live, report.usage
    return {
        "org_id": report.org.connection.org_id,
        "api_usage": None if usage is None else
        {"used": usage.used, "limit": usage.limit, "reported_at": usage.reported_at.isoformat()},
        "live": None if live is None else {
            "api_calls": live.api_calls, "breaker_open": live.breaker_open_until is not None,
            "degraded_parts": list(live.degraded_parts),
        },
        "events": [{"at": e.at.isoformat(), "kind": e.kind, "message": e.message}
                   for e in report.events],
        "unknown_values": [{"dimension": u.dimension, "value": u.value, "times_seen": u.times_seen,
                            "last_seen": u.last_seen.isoformat()} for u in report.unknown],
    }  # fmt: skip


def stages_json(org: ConfiguredOrg, listing: StageListing) -> dict[str, Any]:
    return {
        "from_salesforce": listing.from_salesforce, "note": listing.note,
        "stage_phases": {name: phase.value for name, phase in org.mapping.stage_phases},
        "stages": [{
            "value": row.value, "label": row.label, "phase": row.phase.value if row.phase else None,
            "mapped_by": row.mapped_by, "in_salesforce": row.in_salesforce,
            "seen_unknown": row.seen_unknown,
            "is_closed": row.is_closed, "is_won": row.is_won,
            "assumed_phase": row.assumed.phase.value if row.assumed else None,
        } for row in listing.rows],
        "unmapped": [row.value for row in listing.unmapped],
    }  # fmt: skip
