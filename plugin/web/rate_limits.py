"""Rate limits on the expensive endpoints, per caller (org and user), with Flask-Limiter: counted
in Redis when ``REDIS_URL`` is set (every process shares them), in memory otherwise."""
from __future__ import annotations

import logging

from flask import Flask, request
from flask_limiter import Limiter

from plugin.access.api_tokens import looks_like_api_token
from plugin.access.panel_tokens import AppTokenError, bearer_token
from plugin.errors import ApiError
from plugin.settings import Settings
from plugin.web.app_services import services
from plugin.web import identity

log = logging.getLogger(__name__)

#: Endpoints whose one request can cost a worker much more than a page: a Word or PDF document,
#: the panel's ranking run on a context or in the workspace preview, the previews, an import.
#: (The panel's search keeps its own per-person limit, plugin/panel/panel_search.py.)
EXPENSIVE_ENDPOINTS = (
    "personalise.personalised_docx",
    "personalise.edited_docx",
    "personalise.personalised_pdf",
    "personalise.edited_pdf",
    "personalise.edited_preview",
    "api.context_recommendations",
    "modules_api.preview_body",
    "workspace.preview_page",
    "workspace.import_upload",
)


def caller_key() -> str:
    """``org:user`` of whoever asks (panel token, API token, session or the demo user); the
    client's address when nobody is known, so an unauthenticated flood is limited too."""
    token = bearer_token(request.headers.get("Authorization"))
    try:
        if token is not None and not looks_like_api_token(token):
            claims = services().app_tokens.verify(token)
            return f"{claims.org_id}:{claims.user_id}"
        user = identity.current_user()
        return f"{user.org_id}:{user.user_id}"
    except (ApiError, AppTokenError):
        return f"address:{request.remote_addr}"


def install_rate_limits(app: Flask, settings: Settings) -> Limiter:
    """One limiter per app, wrapped around the expensive views already registered; each
    endpoint counts on its own. A Redis outage lets requests through (logged), never a 500."""
    limiter = Limiter(
        caller_key, app=app, storage_uri=settings.redis_url or "memory://",
        key_prefix="beinspired-limits", strategy="moving-window", headers_enabled=True,
        swallow_errors=True, in_memory_fallback_enabled=True,
    )  # fmt: skip
    limit = limiter.limit(settings.rate_limit_expensive)
    for endpoint in EXPENSIVE_ENDPOINTS:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    return limiter
