"""The Flask application factory."""
from __future__ import annotations

import logging
import secrets
from datetime import date
from typing import Callable

from flask import Flask, redirect, url_for

from plugin.csrf import install_csrf
from plugin.errors import register_error_handlers
from plugin.security_headers import add_security_headers
from plugin.services import build_services
from plugin.settings import Settings
from plugin.web import api, canvas, coverage_api, demo, modules_api, panel, personalise, workspace
from plugin.web import access_api, auth, demo_identity  # who may do what
from plugin.web import admin, admin_api  # connecting and mapping the org
from plugin.web import events_api  # what reps did with the suggestions
from plugin.web import analytics_api  # how the content fares, for enablement leads


def create_app(settings: Settings | None = None, *, today: Callable[[], date] = date.today) -> Flask:
    settings = settings or Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl SQLiteImpl" on every start
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.config["SECRET_KEY"] = settings.app_secret or secrets.token_urlsafe(48)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = not settings.demo_mode  # the demo runs on plain http://localhost
    app.json.sort_keys = False
    app.extensions["be_inspired"] = build_services(settings, today)
    register_error_handlers(app)
    install_csrf(app)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(modules_api.blueprint)
    app.register_blueprint(coverage_api.blueprint)
    app.register_blueprint(analytics_api.blueprint)
    app.register_blueprint(events_api.blueprint)
    app.register_blueprint(personalise.blueprint)
    app.register_blueprint(panel.blueprint)
    app.register_blueprint(canvas.blueprint)
    app.register_blueprint(workspace.blueprint)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(access_api.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(admin_api.blueprint)
    if settings.demo_mode:
        app.register_blueprint(demo.blueprint)
        app.register_blueprint(demo_identity.blueprint)  # and then only from this machine

    @app.get("/")
    def index():
        if settings.demo_mode:
            return redirect(url_for("demo.record_page"))
        return redirect(url_for("api.openapi"))

    @app.get("/healthz")
    def health():
        return {"status": "ok"}

    app.after_request(add_security_headers)
    return app
