"""``/api/v1/modules`` and ``/api/v1/audit``: the catalog as JSON, for panel and workspace."""
from __future__ import annotations

import re
from typing import Any, Callable

from flask import Blueprint, Response, jsonify, request, url_for

from content_catalog.editing import (
    ALLOWED_TRANSITIONS,
    InvalidTransition,
    ModuleEditor,
    ModuleExists,
    StaleVersion,
    VersionNotFound,
)
from content_catalog.modules import (
    LIMITS,
    ContentModule,
    FieldError,
    ModuleValidationError,
    module_to_dict,
    parse_module,
)
from content_catalog.placeholders import unknown_placeholders, used_placeholders
from content_catalog.repository import CatalogRepository, ModuleNotFound
from content_catalog.taxonomy import ModuleStatus
from plugin.access.api_tokens import looks_like_api_token
from plugin.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionRequired,
    Unauthorised,
)
from plugin.web.identity import User, current_user
from plugin.web.json_body import json_object
from plugin.content.rendering import markdown_to_html
from plugin.access.panel_tokens import bearer_token
from plugin.web.app_services import services
from plugin.web.api.module_json import module_json, module_summary_json, version_summary_json
from plugin.web.module_params import MODULE_FIELDS, module_query
from plugin.web.org_taxonomy import org_taxonomy
from plugin.web.request_org import current_org
from plugin.panel.partner_viewers import visible_to

blueprint = Blueprint("modules_api", __name__, url_prefix="/api/v1")

#: Fields GET returns that a client may send back unchanged in a PUT; they are ignored.
READ_ONLY_FIELDS = frozenset({
    "module_id", "kind_label", "audience_label", "body_html", "placeholders", "version", "updated_at",
})  # fmt: skip
_ETAG = re.compile(r'^(?:W/)?"([1-9][0-9]{0,8})"$')
MAX_AUDIT_ENTRIES = 500
NOT_AVAILABLE = "This content module is not available."


# -- reading -------------------------------------------------------------------------------------
@blueprint.get("/modules")
def search_modules():
    user = workspace_user()
    query = module_query(request.args, org_taxonomy(), strict=True)
    with services().sessions() as session:
        page = CatalogRepository(session, user.org_id).search(query)
    return {
        "items": [module_summary_json(m) for m in page.items],
        "total": page.total,
        "page": page.page,
        "page_size": page.page_size,
        "pages": page.pages,
    }


@blueprint.get("/modules/<module_id>")
def module(module_id: str):
    """One module with its body as sanitised HTML: how the framed panel opens content (its links
    cannot carry the app token, so its script fetches this instead), and the editor's source."""
    org_id, sees_every_status = _reader()
    partner = not sees_every_status and _panel_reader_is_partner()
    with services().sessions() as session:
        try:
            found = CatalogRepository(session, org_id).get(module_id[:64])
        except ModuleNotFound:
            found = None
    if found is None or (not sees_every_status and found.status is not ModuleStatus.PUBLISHED):
        raise NotFound(NOT_AVAILABLE)
    if not visible_to(found, partner=partner):  # a partner user: partner content only, as 404
        raise NotFound(NOT_AVAILABLE)
    return module_response(found)


@blueprint.get("/modules/<module_id>/versions")
def module_versions(module_id: str):
    user = workspace_user()
    with services().sessions() as session:
        versions = _found(lambda: _editor(session, user).history(module_id[:64]))
    return {"module_id": module_id, "versions": [version_summary_json(v) for v in versions]}


@blueprint.get("/modules/<module_id>/versions/<int:version>")
def module_version(module_id: str, version: int):
    user = workspace_user()
    with services().sessions() as session:
        found = _found(lambda: _editor(session, user).version(module_id[:64], version))
    return {
        **version_summary_json(found),
        "module": module_to_dict(found.module),
        "body_html": markdown_to_html(found.module.body),
    }


@blueprint.get("/modules/<module_id>/diff")
def module_diff(module_id: str):
    """What changed between two versions; ``to`` defaults to the latest, ``from`` to the one
    before ``to``."""
    user = workspace_user()
    errors: list[FieldError] = []
    to_version = _version_param("to", errors)
    from_version = _version_param("from", errors)
    if errors:
        raise InvalidInput("Name the versions to compare as whole numbers from 1.", errors=errors)
    with services().sessions() as session:
        editor = _editor(session, user)
        current = _found(lambda: CatalogRepository(session, user.org_id).get(module_id[:64]))
        to_version = to_version or current.version
        from_version = from_version or max(1, to_version - 1)
        changes = _found(lambda: editor.diff(current.key, from_version, to_version))
    return {
        "module_id": current.key,
        "from": from_version,
        "to": to_version,
        "changes": [
            {"field": c.field, "before": c.before, "after": c.after, "diff": list(c.diff)}
            for c in changes
        ],
    }


@blueprint.get("/audit")
def audit_log():
    user = workspace_user()
    errors: list[FieldError] = []
    limit = _int_arg("limit", 100, errors)
    if not 1 <= limit <= MAX_AUDIT_ENTRIES:
        errors.append(FieldError("limit", f"must be a whole number from 1 to {MAX_AUDIT_ENTRIES}", limit))
    module_key = request.args.get("module", "").strip()[:64] or None
    if errors:
        raise InvalidInput("Some parameters are not valid.", errors=errors)
    with services().sessions() as session:
        entries = _editor(session, user).audit(limit, module_key)
    return {
        "entries": [
            {"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
             "module_id": e.module_key, "version": e.version, "detail": e.detail}
            for e in entries
        ]
    }  # fmt: skip


# -- writing -------------------------------------------------------------------------------------
@blueprint.post("/modules")
def create_module():
    user = workspace_user()
    raw, errors = _module_body()
    if not raw.get("author"):
        raw["author"] = user.name  # authorship is credited: the writer, unless they name another
    saved = _save(user, lambda editor, _: editor.create(_parsed(raw, errors)))
    response = module_response(saved, status=201)
    response.headers["Location"] = url_for(".module", module_id=saved.key)
    return response


@blueprint.put("/modules/<module_id>")
def update_module(module_id: str):
    """Replace a module's content. ``status`` may be left out (it stays as it is); ``id``, when
    sent, must be the module's own: ids cannot change."""
    user = workspace_user()
    expected = expected_version()
    raw, errors = _module_body()
    if raw.get("id") not in (None, module_id):
        errors.append(FieldError("id", "cannot be changed", str(raw["id"])[:64], [module_id]))

    def update(editor: ModuleEditor, catalog: CatalogRepository) -> ContentModule:
        current = catalog.get(module_id[:64])
        raw["id"] = current.key
        if raw.get("status") in (None, ""):
            raw["status"] = current.status.value
        return editor.update(current.key, _parsed(raw, errors), expected)

    return module_response(_save(user, update))


@blueprint.post("/modules/<module_id>/status")
def set_module_status(module_id: str):
    user = workspace_user()
    expected = expected_version()
    body = json_object()
    allowed = [s.value for s in ModuleStatus]
    errors = [FieldError(k[:60], "is not a field of this request", allowed=["status"]) for k in body if k != "status"]
    status = body.get("status")
    if status not in allowed:
        errors.append(FieldError("status", "is required" if status is None else "is not an allowed value",
                                 None if status is None else str(status)[:40], allowed))
    if errors:
        raise InvalidInput("The status change is not valid.", errors=errors)
    saved = _save(user, lambda editor, _: editor.set_status(module_id[:64], ModuleStatus(status), expected))
    return module_response(saved)


@blueprint.post("/modules/<module_id>/versions/<int:version>/restore")
def restore_module_version(module_id: str, version: int):
    """Save an old version's content as a new version; the status stays as it is."""
    user = workspace_user()
    expected = expected_version()
    saved = _save(user, lambda editor, _: editor.restore_version(module_id[:64], version, expected))
    return module_response(saved)


@blueprint.post("/modules/preview")
def preview_body():
    """The editor's live preview: Markdown rendered and sanitised exactly as the panel will show
    it, with the placeholders it uses and the ones that are not supported (flagged to fix)."""
    workspace_user()
    body = json_object()
    markdown = body.get("markdown")
    errors = [FieldError(k[:60], "is not a field of this request", allowed=["markdown"]) for k in body if k != "markdown"]
    if not isinstance(markdown, str):
        errors.append(FieldError("markdown", "must be a string"))
    elif len(markdown) > LIMITS["body"]:
        errors.append(FieldError("markdown", f"must be at most {LIMITS['body']} characters (got {len(markdown)})"))
    if errors:
        raise InvalidInput('Send the body as JSON: {"markdown": "..."}.', errors=errors)
    return {
        "html": markdown_to_html(markdown),
        "placeholders": used_placeholders(markdown),
        "unknown_placeholders": unknown_placeholders(markdown),
    }


# -- who is asking -------------------------------------------------------------------------------
def workspace_user() -> User:
    """The signed-in enablement lead or admin (or their API token, ``bip_…``); never a caller
    holding the panel's app token."""
    if _panel_token():
        raise Forbidden("The panel's app token can only read published modules; edit content in the workspace.",
                        reason="app_token_read_only")
    user = current_user()
    if not user.can_edit_content:
        raise Forbidden("Only enablement leads and admins may do this.")
    return user


def _reader() -> tuple[str, bool]:
    """The org a module is read from, and whether the caller may see every status."""
    if looks_like_api_token(bearer_token(request.headers.get("Authorization"))):
        user = current_user()  # an API token of any role reads its own org; a bad one is a 401
        return user.org_id, user.can_edit_content
    if not _panel_token():
        try:
            user = current_user()
        except Unauthorised:
            user = None
        if user is not None and user.can_edit_content:
            return user.org_id, True
    return current_org().org_id, False


def _panel_reader_is_partner() -> bool:
    """A panel reader (app token, or the demo's picked user) who is a partner user; an API
    token or a workspace user reads as their role allows."""
    if looks_like_api_token(bearer_token(request.headers.get("Authorization"))):
        return False
    return current_org().partner


def _panel_token() -> bool:
    token = bearer_token(request.headers.get("Authorization"))
    return token is not None and not looks_like_api_token(token)


def expected_version() -> int:
    """The version named by ``If-Match``: 428 when there is none (``*`` names none), 400 when it
    is not one of our ETags."""
    header = (request.headers.get("If-Match") or "").strip()
    if not header or header == "*":
        raise PreconditionRequired(
            "Send If-Match with the ETag of the version your change is based on (GET returns it)."
        )
    match = _ETAG.match(header)
    if match is None:
        raise InvalidInput("If-Match must be the one ETag GET returned for this module.",
                           errors=[FieldError("If-Match", 'must be one ETag such as "3"', header[:60])])
    return int(match.group(1))


# -- responses -------------------------------------------------------------------------------------
def module_response(module: ContentModule, status: int = 200) -> Response:
    response = jsonify(module_json(module))
    response.status_code = status
    response.set_etag(str(module.version))
    return response


# -- inside --------------------------------------------------------------------------------------
def _editor(session, user: User) -> ModuleEditor:
    return ModuleEditor(session, user.org_id, user.name)


def _save(user: User, change: Callable[[ModuleEditor, CatalogRepository], ContentModule]) -> ContentModule:
    """Run one change in its own transaction and turn the catalog's refusals into HTTP ones."""
    try:
        with services().sessions.begin() as session:
            return change(_editor(session, user), CatalogRepository(session, user.org_id))
    except ModuleValidationError as exc:
        raise InvalidInput("The module is not valid.", errors=exc.errors) from None
    except StaleVersion as exc:
        raise stale(exc.current) from None
    except ModuleExists as exc:
        raise Conflict(f"A module with id {exc.key!r} already exists.", reason="module_exists") from None
    except InvalidTransition as exc:
        raise Conflict(str(exc).capitalize() + ".", reason="invalid_transition",
                       allowed=_targets(exc.from_status)) from None
    except VersionNotFound as exc:
        raise NotFound(f"This module has no version {exc.version}.") from None
    except ModuleNotFound:
        raise NotFound(NOT_AVAILABLE) from None


def stale(current: ContentModule) -> Conflict:
    return Conflict(
        f"Someone saved this module since your version; it is now version {current.version}. "
        "Apply your change to the current version and send it with its ETag.",
        reason="stale_version", current_version=current.version, current=module_json(current),
    )  # fmt: skip


def _targets(status: ModuleStatus) -> list[str]:
    return [to.value for frm, to in sorted(ALLOWED_TRANSITIONS) if frm is status]


def _found(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except VersionNotFound as exc:
        raise NotFound(f"This module has no version {exc.version}.") from None
    except ModuleNotFound:
        raise NotFound(NOT_AVAILABLE) from None


def _module_body() -> tuple[dict[str, Any], list[FieldError]]:
    """The module fields sent, and an error for each field that is not one (read-only fields
    from GET are ignored, so a client may send back what it read)."""
    body = json_object()
    errors = [
        FieldError(name[:60], "is not a module field", allowed=list(MODULE_FIELDS))
        for name in body
        if name not in MODULE_FIELDS and name not in READ_ONLY_FIELDS
    ]
    return {k: v for k, v in body.items() if k in MODULE_FIELDS}, errors


def _parsed(raw: dict[str, Any], errors: list[FieldError]):
    """``raw`` parsed by the catalog; its errors and ``errors`` reported together."""
    try:
        module = parse_module(raw, org_taxonomy())
    except ModuleValidationError as exc:
        raise ModuleValidationError(errors + exc.errors) from None
    if errors:
        raise ModuleValidationError(errors)
    return module


def _version_param(name: str, errors: list[FieldError]) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9 or int(value) < 1:
        errors.append(FieldError(name, "must be a version number (a whole number from 1)", value[:20]))
        return None
    return int(value)


def _int_arg(name: str, default: int, errors: list[FieldError]) -> int:
    value = request.args.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or len(value) > 9:
        errors.append(FieldError(name, "must be a whole number", value[:20]))
        return default
    return int(value)
