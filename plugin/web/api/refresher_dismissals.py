"""``POST /api/v1/refreshers/dismissals``: a rep dismisses a training refresher for good."""
from __future__ import annotations

from flask import Blueprint

from plugin.errors import InvalidInput
from plugin.panel.rep_refreshers import dismiss
from plugin.web.app_services import services
from plugin.web.json_body import json_object
from plugin.web.request_org import current_org

blueprint = Blueprint("refreshers_api", __name__, url_prefix="/api/v1")

_HINT = 'Send {"module_id": "<a training refresher\'s id>"}.'


@blueprint.post("/refreshers/dismissals")
def dismiss_refresher():
    org = current_org()
    body = json_object(_HINT)
    if set(body) != {"module_id"}:
        raise InvalidInput(f"The body must have exactly one field, module_id. {_HINT}")
    svc = services()
    recorded = dismiss(svc.sessions, svc.recommendations.refreshers, org.org_id, org.viewer,
                       body["module_id"])
    return {"module_id": body["module_id"], "dismissed": True}, 201 if recorded else 200
