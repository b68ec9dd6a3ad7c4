"""The Flask application factory."""
from __future__ import annotations

import secrets
from datetime import date
from typing import Callable

from flask import Flask, redirect, url_for

from plugin.services import build_services
from plugin.settings import Settings
from plugin.web import register_blueprints
from plugin.web.csrf import install_csrf
from plugin.telemetry.log_setup import configure_logging
from plugin.web.error_responses import register_error_handlers
from plugin.web.json_body import StrictJSONProvider
from plugin.web.operations import install_request_ids
from plugin.web.proxy_trust import trust_proxies
from plugin.web.rate_limits import install_rate_limits
from plugin.web.security_headers import add_security_headers


def create_app(settings: Settings | None = None, *, today: Callable[[], date] = date.today) -> Flask:
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_format)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.config["SECRET_KEY"] = settings.app_secret or secrets.token_urlsafe(48)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = not settings.demo_mode  # the demo runs on plain http://localhost
    app.json = StrictJSONProvider(app)  # no NaN out, strict JSON in; keys in the views' order
    app.extensions["be_inspired"] = build_services(settings, today, signs_panel_tokens=True)
    trust_proxies(app, settings.proxy_count)
    install_request_ids(app)
    register_error_handlers(app)
    install_csrf(app)
    register_blueprints(app, demo_mode=settings.demo_mode)
    install_rate_limits(app, settings)

    @app.get("/")
    def index():
        if settings.demo_mode:
            return redirect(url_for("demo.record_page"))
        return redirect(url_for("api.openapi"))

    app.after_request(add_security_headers)
    return app
