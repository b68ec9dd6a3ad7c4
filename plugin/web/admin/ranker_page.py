"""Admin page for the org's learned ranker: what is served, its versions, train now, roll back."""
from __future__ import annotations

import re

from flask import flash, g, redirect, render_template, request, url_for

from content_catalog.model_store import KEEP_VERSIONS, UnknownModelVersion
from content_catalog.repository import OrgNotFound
from plugin.errors import InvalidInput, NotFound
from plugin.learning.job_queue import TRAINING, JobState
from plugin.web.identity import Role, requires
from plugin.learning.outcome_sync import FAILED_EVENT
from plugin.learning.training import TRAINING_FAILED_EVENT
from plugin.learning.ranker_admin import ranker_status, serve_rules, serve_version
from plugin.web.app_services import services
from plugin.web.admin import NAVIGATION, NavItem, blueprint

NAVIGATION.append(NavItem("admin.ranker_page", "Learned ranker", "ranker"))

#: A version as the form sends it: digits, small enough for any database's integer column.
_VERSION = re.compile(r"[0-9]{1,9}")
#: A job id as the queues make them (RQ's and the in-process one's).
_JOB_ID = re.compile(r"[0-9a-f-]{32,36}")
#: How the finished training job is worded, by its result.
TRAINING_WORDS = {
    "failed": ("Training failed, nothing changed: {}. It has been logged.", "error"),
    "nothing_stored": ("Nothing stored: {}.", "info"),
    "not_served": ("Trained, not served: {}.", "info"),
    "served": ("Trained: {}. The panel serves it from its next view.", "success"),
}
#: Seconds between two refreshes of the page while its training job is queued or running.
REFRESH_SECONDS = 2


@blueprint.get("/ranker")
@requires(Role.ADMIN)
def ranker_page():
    svc = services()
    job = _training_job(request.args.get("job", ""))
    return render_template(
        "admin/ranker.html", status=ranker_status(svc.sessions, g.user.org_id), keep=KEEP_VERSIONS,
        training_hours=svc.settings.training_interval / 3600, sync_failed_kind=FAILED_EVENT,
        training_failed_kind=TRAINING_FAILED_EVENT, job=job, job_words=_words(job),
        refresh_seconds=REFRESH_SECONDS,
    )  # fmt: skip


def _training_job(job_id: str) -> JobState | None:
    """This org's training job named in the URL; another org's, or any other job, is as unknown
    as one never made."""
    if not _JOB_ID.fullmatch(job_id):
        return None
    job = services().jobs.state(job_id)
    if job is None or job.kind != TRAINING or job.params.get("org_id") != g.user.org_id:
        return None
    return job


def _words(job: JobState | None) -> tuple[str, str] | None:
    if job is None or not job.finished:
        return None
    wording, level = TRAINING_WORDS.get(job.result, TRAINING_WORDS["failed"])
    return wording.format(job.summary), level


@blueprint.post("/ranker/train")
@requires(Role.ADMIN)
def ranker_train():
    job_id = services().jobs.enqueue(TRAINING, org_id=g.user.org_id)
    return redirect(url_for("admin.ranker_page", job=job_id))


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
