"""``/api/v1/tokens`` and ``/api/v1/role-mappings``: who may use the org's Be Inspired."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Blueprint

from content_catalog.modules import FieldError
from plugin.access.api_tokens import ApiToken, InvalidTokenRequest
from plugin.errors import InvalidInput, NotFound
from plugin.web.json_body import json_object
from plugin.web.identity import api_tokens, current_user, requires, role_admin
from plugin.access.role_changes import RoleMappingNotFound
from plugin.access.role_mappings import (
    ID_PREFIXES,
    InvalidRoleMapping,
    Role,
    RoleMapping,
    SubjectKind,
    parse_role,
    parse_role_mapping,
    parse_subject,
)

blueprint = Blueprint("access_api", __name__, url_prefix="/api/v1")
NO_TOKEN = "This org has no API token with this id."
NO_MAPPING = "This org has no role mapping for this subject."


# -- personal API tokens -------------------------------------------------------------------------
@blueprint.get("/tokens")
@requires(Role.ADMIN)
def list_tokens():
    return {"items": [token_json(t) for t in api_tokens().list(current_user().org_id)]}


@blueprint.post("/tokens")
@requires(Role.ADMIN)
def create_token():
    user, body = current_user(), json_object()
    try:
        role = parse_role(body.get("role"))
        issued = api_tokens().create(user.org_id, body.get("name"), role, created_by=user.name,
                                     expires_at=_expires_at(body.get("expires_at")))
    except InvalidRoleMapping as exc:
        raise _invalid(exc.field, exc.reason, exc.value) from None
    except InvalidTokenRequest as exc:
        raise _invalid(exc.field, exc.reason, body.get(exc.field)) from None
    response = {"token": token_json(issued.token), "secret": issued.secret}
    return response, 201, {"Cache-Control": "no-store"}


@blueprint.post("/tokens/<int:token_id>/revoke")
@requires(Role.ADMIN)
def revoke_token(token_id: int):
    revoked = api_tokens().revoke(current_user().org_id, token_id)
    if revoked is None:
        raise NotFound(NO_TOKEN)
    return token_json(revoked)


def token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role.value,
        "prefix": token.prefix,
        "created_at": token.created_at.isoformat(),
        "created_by": token.created_by,
        "last_used_at": _iso(token.last_used_at),
        "expires_at": _iso(token.expires_at),
        "revoked_at": _iso(token.revoked_at),
        "active": token.active_at(datetime.now(timezone.utc)),
    }


# -- role mappings -------------------------------------------------------------------------------
@blueprint.get("/role-mappings")
@requires(Role.ADMIN)
def list_role_mappings():
    mappings = role_admin(current_user().org_id).list()
    return {"items": [mapping_json(m) for m in mappings],
            "precedence": [k.value for k in SubjectKind], "default_role": Role.REP.value}


@blueprint.put("/role-mappings/<subject_kind>/<subject_id>")
@requires(Role.ADMIN)
def put_role_mapping(subject_kind: str, subject_id: str):
    user = current_user()
    try:
        mapping = parse_role_mapping(subject_kind, subject_id, json_object().get("role"))
    except InvalidRoleMapping as exc:
        raise _invalid(exc.field, exc.reason, exc.value) from None
    role_admin(user.org_id).put(mapping, by=user.name)
    return mapping_json(mapping)


@blueprint.delete("/role-mappings/<subject_kind>/<subject_id>")
@requires(Role.ADMIN)
def delete_role_mapping(subject_kind: str, subject_id: str):
    user = current_user()
    try:
        role_admin(user.org_id).remove(*parse_subject(subject_kind, subject_id), by=user.name)
    except (InvalidRoleMapping, RoleMappingNotFound):
        raise NotFound(NO_MAPPING) from None
    return "", 204


def mapping_json(mapping: RoleMapping) -> dict[str, Any]:
    return {"subject_kind": mapping.subject_kind.value, "subject_id": mapping.subject_id,
            "role": mapping.role.value, "id_prefix": ID_PREFIXES[mapping.subject_kind]}


# -- parsing ---------------------------------------------------------------------------------------
def _expires_at(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise _invalid("expires_at", "must be an ISO 8601 date-time, e.g. 2027-01-31T00:00:00Z",
                       value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _invalid(field: str, reason: str, value: object) -> InvalidInput:
    shown = value if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
    shown_text = str(shown)[:60] if shown is not None else None
    return InvalidInput(f"{field} {reason}.", errors=[FieldError(field, reason, shown_text)])


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
