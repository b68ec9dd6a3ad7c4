"""The audit log page: who changed which module, how and when, newest first; one module's with
``?module=<id>``. Imported by :mod:`plugin.web.workspace`, which lists it in the navigation."""
from __future__ import annotations

from flask import g, render_template, request

from content_catalog.editing import ModuleEditor
from plugin.web.app_services import services
from plugin.web.workspace import NAVIGATION, NavItem, blueprint

NAVIGATION.append(NavItem("workspace.audit_list", "Audit log", "audit"))

LIMITS = (50, 100, 200, 500)


@blueprint.get("/audit")
def audit_list():
    module_key = request.args.get("module", "").strip()[:64] or None
    limit = request.args.get("limit", type=int)
    limit = limit if limit in LIMITS else LIMITS[1]
    with services().sessions() as session:
        entries = ModuleEditor(session, g.user.org_id, g.user.name).audit(limit, module_key)
    return render_template(
        "workspace/audit.html", entries=entries, module_key=module_key, limit=limit, limits=LIMITS
    )
