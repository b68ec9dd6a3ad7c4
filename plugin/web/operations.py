"""What operators and their tools ask the service: is it alive (``/healthz``), can it serve
(``/readyz``: database, schema at head, Redis), its metrics (``/metrics``, for Prometheus with
its bearer token), and the request id every response and log line carries."""
from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, g, request

from plugin.errors import NotFound
from plugin.telemetry import metrics, request_ids
from plugin.telemetry.readiness import readiness_problems
from plugin.web.app_services import services

blueprint = Blueprint("operations", __name__)

#: The panel views timed for ``beinspired_panel_seconds``, by endpoint → route label.
PANEL_ROUTES = {
    "panel.suggestions": "panel_html",
    "canvas.entry": "canvas",
    "api.opportunity_recommendations": "api_json",
    "api.context_recommendations": "api_context",
}


@blueprint.get("/healthz")
def health():
    """Alive: the process answers (no dependency is asked)."""
    return {"status": "ok"}


@blueprint.get("/readyz")
def ready():
    svc = services()
    problems = readiness_problems(svc.engine, svc.settings.redis_url)
    if problems:
        return {"status": "not ready", "reasons": problems}, 503
    return {"status": "ready"}


@blueprint.get("/metrics")
def metrics_page():
    """Off unless ``BEINSPIRED_METRICS_TOKEN`` is set; then only with it as the bearer token.
    A wrong or missing token gets the same 404 as when it is off."""
    expected = services().settings.metrics_token
    sent = request.headers.get("Authorization", "")
    if not expected or not hmac.compare_digest(sent.encode(), f"Bearer {expected}".encode()):
        raise NotFound("Not found.")
    body, content_type = metrics.exposition(
        lambda: {"beinspired_job_queue_depth": float(services().jobs.depth())})
    return Response(body, content_type=content_type)


def install_request_ids(app: Flask) -> None:
    """Every request gets an id (the caller's when well-formed), in ``g``, in every log line
    written meanwhile and in the response's ``X-Request-Id``; panel views are timed."""

    @app.before_request
    def _begin():
        g.request_id = request_ids.accept_or_make(request.headers.get(request_ids.HEADER))
        g.started = time.perf_counter()
        request_ids.begin(g.request_id)

    @app.after_request
    def _finish(response):
        response.headers[request_ids.HEADER] = g.get("request_id", "")
        route = PANEL_ROUTES.get(request.endpoint or "")
        if route is not None and response.status_code < 500:
            metrics.observe_panel(route, time.perf_counter() - g.started)
        return response

    @app.teardown_request
    def _end(_exc):
        request_ids.end()

    @app.context_processor
    def _request_id():
        return {"request_id": g.get("request_id", "")}


__all__ = ["PANEL_ROUTES", "blueprint", "install_request_ids"]
