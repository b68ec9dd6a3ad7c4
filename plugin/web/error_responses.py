"""The one place that turns exceptions into HTTP responses (JSON under ``/api``, else a page)."""
from __future__ import annotations

import logging

import sqlalchemy.exc
from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from plugin.crm.salesforce.exceptions import CanvasSessionExpired
from plugin.errors import ApiError, InvalidInput, ServiceUnavailable, TooManyRequests
from plugin.panel.panel_search import SearchRateLimited, SearchRefused
from plugin.panel.suggestions import CatalogUnavailable
from plugin.panel.view import CATALOG_UNAVAILABLE_NOTICE

log = logging.getLogger(__name__)
#: What a client is told to wait (Retry-After) while the database is unreachable.
DATABASE_RETRY_AFTER_S = 5


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _json(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def _with_retry_after(response: Response, exc: ApiError) -> Response:
    if isinstance(exc, (TooManyRequests, ServiceUnavailable)):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


#: The panel's own routes: a rep always gets a panel from them, never an error page.
PANEL_BLUEPRINTS = frozenset({"canvas", "panel"})


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        if _wants_json():
            response = jsonify(exc.body())
            response.status_code = exc.status
            return _with_retry_after(response, exc)
        response = app.make_response(
            (render_template("error.html", status=exc.status, message=exc.message), exc.status))
        return _with_retry_after(response, exc)

    @app.errorhandler(SearchRefused)
    def search_refused(exc: SearchRefused):
        return api_error(InvalidInput(str(exc)))

    @app.errorhandler(SearchRateLimited)
    def search_rate_limited(exc: SearchRateLimited):
        message = f"That is a lot of searches at once: try again in {exc.retry_after} seconds."
        return api_error(TooManyRequests(message, retry_after=exc.retry_after))

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = f"This form is out of date or was not sent from Be Inspired ({exc.description}). Reload and try again."
        if _wants_json():
            return _json(400, "csrf_failed", message)
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(CanvasSessionExpired)
    def canvas_session_expired(_exc: CanvasSessionExpired):
        message = "Your Salesforce session has expired. Reload the page to sign in again."
        if _wants_json():
            return _json(401, "session_refresh_needed", message)
        return render_template("error.html", status=401, message=message), 401

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        message = {
            413: f"Request body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes",
            429: f"Too many requests of this kind ({exc.description}); try again after the "
                 "seconds in Retry-After.",
        }.get(exc.code or 500, exc.description or exc.name)
        if _wants_json():
            return _json(exc.code or 500, code, message)
        return render_template("error.html", status=exc.code, message=message), exc.code

    @app.errorhandler(sqlalchemy.exc.OperationalError)
    @app.errorhandler(CatalogUnavailable)
    def database_unavailable(exc: Exception):
        # The database is unreachable (restarting, network cut): nothing is wrong with the
        # request, and nothing was acknowledged; try again shortly.
        orig = getattr(exc, "orig", None)
        log.warning("database unavailable on %s %s: %s", request.method, request.path,
                    type(orig or exc).__name__)
        if request.blueprint in PANEL_BLUEPRINTS and not _wants_json():
            # Inside Salesforce the rep gets the panel, saying what happened in their words (the
            # search box's results, fetched as a fragment, get the notice alone).
            fragment = request.args.get("fragment") == "1"
            return render_template(
                "panel/_unavailable_notice.html" if fragment else "panel/unavailable.html",
                message=CATALOG_UNAVAILABLE_NOTICE + "."), 200
        return api_error(ServiceUnavailable(
            "Be Inspired is briefly unavailable. Try again in a few seconds.",
            retry_after=DATABASE_RETRY_AFTER_S))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        message = "Something went wrong on our side; it has been logged."
        if _wants_json():
            return _json(500, "internal_error", message)
        return render_template("error.html", status=500, message=message), 500
