"""CSRF protection for every state-changing request that a browser's cookies could authorise.

Flask-WTF's token is checked on POST, PUT, PATCH and DELETE, except where something stronger or
nothing is at stake: the Canvas POST (its HMAC signature is the proof), calls carrying a Bearer
token (a cross-site page cannot make a browser add one), the stateless context
recommendation call that any CRM makes without a session, and turning a rep's edited template
into a .docx or PDF or its preview (it changes nothing, answers only JSON requests, which a
cross-site form cannot send, and returns the caller's own text).

The panel's events (``POST /api/v1/events``) are exempt too. Their authority never comes from a
cookie: the app token in a Bearer header inside Salesforce, and in demo mode the demo org, which
every request gets whether or not it carries cookies, so a forged request gains nothing a direct
one would not. The endpoint also takes only ``application/json``, which a cross-site form cannot
send, and can only add feedback on impressions of that org.
"""
from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

from plugin.access.panel_tokens import bearer_token

csrf = CSRFProtect()

EXEMPT_ENDPOINTS = {
    "canvas.entry", "api.context_recommendations", "personalise.edited_docx",
    "personalise.edited_pdf", "personalise.edited_preview", "events_api.record_events",
}


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
