"""HTTP: every route (panel, Canvas, sign-in, operations, admin/, workspace/, api/) and its glue.

Rule of this room: read the request, call a feature with what it needs, render the answer."""
from __future__ import annotations

from flask import Flask

from plugin.web import admin, auth, canvas, demo_identity, demo_page, operations, panel, workspace
from plugin.web.app_navigation import install_app_navigation
from plugin.web.api import (
    access_admin,
    catalog_modules,
    connected_orgs,
    coverage_gaps,
    loss_review_api,
    module_analytics,
    personalise,
    recommend,
    rep_events,
)
from plugin.web.api import manager_picks_api
from plugin.web.api import refresher_dismissals


def register_blueprints(app: Flask, *, demo_mode: bool) -> None:
    """Every route of the service; the demo's only in demo mode."""
    for module in (
        recommend, catalog_modules, coverage_gaps, module_analytics, rep_events, personalise,
        panel, canvas, workspace, auth, access_admin, admin, connected_orgs, operations,
        loss_review_api,
    ):
        app.register_blueprint(module.blueprint)
    app.register_blueprint(manager_picks_api.blueprint)
    app.register_blueprint(refresher_dismissals.blueprint)
    if demo_mode:
        app.register_blueprint(demo_page.blueprint)
        app.register_blueprint(demo_identity.blueprint)  # and then only from this machine
    install_app_navigation(app)


from plugin.web import loss_review_panel  # noqa: E402,F401  (its route joins the panel blueprint)
