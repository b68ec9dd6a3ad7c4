"""Rate limits on the expensive endpoints, per caller (org and user), with Flask-Limiter: counted
in Redis when ``REDIS_URL`` is set (every process shares them), in memory otherwise; no cost to
any other request (design: docs/design/web.md)."""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask, request
from flask_limiter import Limiter
from limits.storage import MemoryStorage

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

#: The in-memory counts' scheme (:class:`SweptMemoryStorage`).
MEMORY_URI = "beinspired-memory://"


class SweptMemoryStorage(MemoryStorage):
    """``limits``' memory storage without its timer thread. A moving window's verdict never
    depended on the sweep (a hit compares the entry ``limit`` back with the window's start), and
    a fixed window's count expires when read; the sweep only frees the entries of callers who
    stopped, so once a second, in whichever request comes, is enough."""

    STORAGE_SCHEME = [MEMORY_URI.removesuffix("://")]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()  # the one the parent starts: the sweeps run in the requests
        self._sweeping = threading.Lock()
        self._next_sweep = time.monotonic() + self.SWEEP_SECONDS

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - the parent's private hook
        now = time.monotonic()
        if now < self._next_sweep or not self._sweeping.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        finally:
            self._sweeping.release()

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self.timer.cancel()
        self._sweeping = threading.Lock()


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
        caller_key, app=app, storage_uri=settings.redis_url or MEMORY_URI,
        key_prefix="beinspired-limits", strategy="moving-window", headers_enabled=True,
        swallow_errors=True, in_memory_fallback_enabled=True,
    )  # fmt: skip
    limit = limiter.limit(settings.rate_limit_expensive)
    for endpoint in EXPENSIVE_ENDPOINTS:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    _check_in_the_decorators_only(app, limiter)
    return limiter


def _check_in_the_decorators_only(app: Flask, limiter: Limiter) -> None:
    """Drop the limiter's check before every request. With no default, application or meta
    limits it finds nothing to count on any request: a decorated endpoint's limit is counted by
    its decorator (the check before the request skips it), and the decorator also notices a
    Redis that came back. Its after-request hook (the X-RateLimit headers) stays."""
    if limiter.limit_manager.default_limits or limiter.limit_manager.application_limits \
            or limiter._meta_limits:  # noqa: SLF001 - no public reader; a limit here needs the hook
        return
    hooks = app.before_request_funcs.get(None, [])
    app.before_request_funcs[None] = [f for f in hooks if f != limiter._check_request_limit]  # noqa: SLF001
