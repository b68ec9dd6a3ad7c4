"""CSRF protection for every state-changing request that a browser's cookies could authorise."""
from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

from plugin.access.panel_tokens import bearer_token

csrf = CSRFProtect()

EXEMPT_ENDPOINTS = {
    "canvas.entry", "api.context_recommendations", "personalise.edited_docx",
    "personalise.edited_pdf", "personalise.edited_preview", "events_api.record_events",
    "manager_picks_api.dismiss",
}
#: Like the events: the caller is the panel's app token (or the demo org), never a cookie.
EXEMPT_ENDPOINTS.add("refreshers_api.dismiss_refresher")


def install_csrf(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)  # a working day in the editor
    csrf.init_app(app)

    @app.before_request
    def check_csrf() -> None:
        if request.method not in ("POST", "PUT", "PATCH", "DELETE") or request.routing_exception:
            return  # nothing to protect, or no route: the 404/405 answers
        if request.endpoint in EXEMPT_ENDPOINTS or bearer_token(request.headers.get("Authorization")):
            return
        csrf.protect()
