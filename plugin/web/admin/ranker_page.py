"""Admin page for the learned ranker of the admin's own org: what the panel serves, the kept
versions, training now, serving another version or the tag rules (v1).

The page does what ``beinspired model train / list / rollback / off`` does, through the same
functions (:mod:`plugin.learning.ranker_admin`, :meth:`plugin.learning.training.Trainer.train_org`). Training runs in the
request: on an org the demo's size (4,000 impressions) it takes about half a second, and the
fit holds no lock; only its save is one short transaction. A training that fails is logged and
told to the org's admins as the scheduled one's is, and the page says so.
"""
from __future__ import annotations

import re

from flask import flash, g, redirect, render_template, url_for

from content_catalog.model_store import KEEP_VERSIONS, UnknownModelVersion
from content_catalog.repository import OrgNotFound
from plugin.errors import InvalidInput, NotFound
from plugin.web.identity import Role, requires
from plugin.learning.outcome_sync import FAILED_EVENT
from plugin.learning.training import TRAINING_FAILED_EVENT
from plugin.learning.ranker_admin import ranker_status, serve_rules, serve_version
from plugin.web.app_services import services
from plugin.learning.training import NOTHING_TO_LEARN, TrainingReport
from plugin.web.admin import NAVIGATION, NavItem, blueprint

NAVIGATION.append(NavItem("admin.ranker_page", "Learned ranker", "ranker"))

#: A version as the form sends it: digits, small enough for any database's integer column.
_VERSION = re.compile(r"[0-9]{1,9}")


@blueprint.get("/ranker")
@requires(Role.ADMIN)
def ranker_page():
    svc = services()
    return render_template(
        "admin/ranker.html", status=ranker_status(svc.sessions, g.user.org_id), keep=KEEP_VERSIONS,
        training_hours=svc.settings.training_interval / 3600, sync_failed_kind=FAILED_EVENT,
        training_failed_kind=TRAINING_FAILED_EVENT,
    )  # fmt: skip


@blueprint.post("/ranker/train")
@requires(Role.ADMIN)
def ranker_train():
    svc = services()
    try:
        report = svc.trainer.train_org(g.user.org_id, today=svc.today())
    except OrgNotFound:
        report = TrainingReport(g.user.org_id, note=NOTHING_TO_LEARN)
    except Exception as exc:  # noqa: BLE001 - told to the admin and the org's events, as the job
        report = svc.trainer.failed(g.user.org_id, exc)
    if report.failed:
        flash(f"Training failed, nothing changed: {report.line()}. It has been logged.", "error")
    elif report.version is None:
        flash(f"Nothing stored: {report.line()}.", "info")
    elif not report.served:
        flash(f"Trained, not served: {report.line()}.", "info")
    else:
        flash(f"Trained: {report.line()}. The panel serves it from its next view.", "success")
    return redirect(url_for("admin.ranker_page"))


@blueprint.post("/ranker/versions/<version>/serve")
@requires(Role.ADMIN)
def ranker_serve(version: str):
    if not _VERSION.fullmatch(version):
        raise InvalidInput(f"“{version[:20]}” is not a version number: versions are 1, 2, 3, …")
    try:
        chosen = serve_version(services().sessions, g.user.org_id, int(version), by=g.user.name)
    except UnknownModelVersion as exc:
        raise NotFound(f"{exc}. Nothing changed.") from None
    except OrgNotFound:
        raise NotFound(f"org {g.user.org_id} has no model version {version} (stored: none). "
                       "Nothing changed.") from None
    flash(f"The panel now serves version {chosen.version} ({chosen.model_id}), from its next "
          "view.", "success")
    return redirect(url_for("admin.ranker_page"))


@blueprint.post("/ranker/off")
@requires(Role.ADMIN)
def ranker_off():
    try:
        was = serve_rules(services().sessions, g.user.org_id, by=g.user.name)
    except OrgNotFound:
        was = None
    if was is None:
        flash("No version was being served: the panel serves the tag rules (v1).", "info")
    else:
        flash(f"Version {was.version} switched off: the panel serves the tag rules (v1) from its "
              "next view, until a version is served again; training meanwhile stores new "
              "versions without serving them.", "success")
    return redirect(url_for("admin.ranker_page"))
