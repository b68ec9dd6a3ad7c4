"""Import and export the org's catalog from the workspace (formats: docs/import-format.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

from flask import current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage

from content_catalog.import_export import (
    CSV_COLUMNS,
    DEFAULT_MAX_BYTES,
    ImportFileError,
    ImportRejected,
    SourceRows,
    export_modules,
    plan_import,
    read_csv,
    read_json,
    UnexportableValue,
)
from content_catalog.repository import CatalogRepository
from plugin.errors import NotFound
from plugin.content.pending_imports import PendingImports, UploadGone
from plugin.learning.job_queue import CATALOG_IMPORT, JobState
from plugin.web.app_services import services
from plugin.web.org_taxonomy import org_taxonomy
from plugin.web.workspace import NAVIGATION, NavItem, blueprint
from plugin.web.workspace.links import modules_list_url

NAVIGATION.append(NavItem("workspace.import_page", "Import", "import"))

READERS = {"csv": read_csv, "json": read_json}
MIMETYPES = {"csv": "text/csv", "json": "application/json"}  # Flask adds "; charset=utf-8" to text/*
#: Row problems listed on the page; past this many a file has one systematic problem.
SHOWN_ERRORS = 200
#: Module ids listed per kind of change in a plan.
SHOWN_KEYS = 200
#: A job id as the queues make them (RQ's and the in-process one's).
_JOB_ID = re.compile(r"[0-9a-f-]{32,36}")
#: Seconds between two refreshes of the page while its import job is queued or running.
REFRESH_SECONDS = 1
UPLOAD_GONE = (
    "That upload has expired or was already imported; nothing was imported. "
    "Upload the file again."
)


@dataclass(frozen=True)
class RowProblem:
    row: int
    line: int | None
    module_id: str | None
    column: str
    value: Any
    message: str
    allowed: Sequence[str]


@blueprint.get("/import")
def import_page():
    return _render_upload(job=_import_job(request.args.get("job", "")))


@blueprint.post("/import")
def import_upload():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _render_upload(file_error="Choose a CSV or JSON file to upload."), 400
    data = upload.stream.read(max_upload_bytes() + 1)
    fmt = file_format(upload, data)
    try:
        rows = _read(fmt, data)
        with services().sessions() as session:
            plan = plan_import(session, g.user.org_id, rows, org_taxonomy())
    except ImportFileError as exc:
        return _render_upload(file_error=f"{upload.filename}: {exc}"), 400
    except ImportRejected as exc:
        return _render_upload(filename=upload.filename, problems=row_problems(exc, rows)), 400
    token = pending().save(
        org_id=g.user.org_id, user_id=g.user.user_id, filename=upload.filename, fmt=fmt, data=data
    )
    return render_template(
        "workspace/import_plan.html", plan=plan, token=token, filename=upload.filename, fmt=fmt,
        titles=_titles(rows), shown=SHOWN_KEYS,
    )  # fmt: skip


@blueprint.post("/import/<token>")
def import_confirm(token: str):
    """Enqueue the import (any worker may run it: the file waits in the database) and follow
    it on the import page; the job writes all of it in one transaction, or nothing."""
    try:
        upload = pending().load(token, org_id=g.user.org_id, user_id=g.user.user_id)
    except UploadGone:
        flash(UPLOAD_GONE, "error")
        return redirect(url_for("workspace.import_page"), 303)
    job_id = services().jobs.enqueue(
        CATALOG_IMPORT, org_id=g.user.org_id, user_id=g.user.user_id, token=token,
        actor=g.user.name, filename=upload.filename,
    )  # fmt: skip
    return redirect(url_for("workspace.import_page", job=job_id), 303)


@blueprint.post("/import/<token>/cancel")
def import_cancel(token: str):
    pending().discard(token)
    flash("Nothing was imported.", "info")
    return redirect(url_for("workspace.import_page"), 303)


@blueprint.get("/import/export.<fmt>")
def import_export(fmt: str):
    if fmt not in READERS:
        raise NotFound("Export as .csv or .json.")
    with services().sessions() as session:
        modules = CatalogRepository(session, g.user.org_id).list()
    filename = f"be-inspired-catalog-{services().today().isoformat()}.{fmt}"
    try:
        data = export_modules(modules, fmt)
    except UnexportableValue as exc:
        flash(f"Could not export as {fmt.upper()}: {exc}.", "error")
        return redirect(url_for("workspace.import_page"), 303)
    return current_app.response_class(
        data,
        mimetype=MIMETYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# -- helpers ------------------------------------------------------------------------------------
def max_upload_bytes() -> int:
    """The file limit: the import's own, or less where the service takes smaller requests."""
    return min(DEFAULT_MAX_BYTES, current_app.config.get("MAX_CONTENT_LENGTH") or DEFAULT_MAX_BYTES)


def file_format(upload: FileStorage, data: bytes) -> str:
    """From the file's name; failing that, JSON if it starts like a JSON list."""
    name = (upload.filename or "").lower()
    if name.endswith((".csv", ".json")):
        return name.rsplit(".", 1)[1]
    return "json" if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[") else "csv"


def _import_job(job_id: str) -> JobState | None:
    """This user's import job named in the URL; anyone else's, or any other job, is as unknown
    as one never made."""
    if not _JOB_ID.fullmatch(job_id):
        return None
    job = services().jobs.state(job_id)
    if job is None or job.kind != CATALOG_IMPORT \
            or (job.params.get("org_id"), job.params.get("user_id")) != (g.user.org_id,
                                                                         g.user.user_id):
        return None
    return job


def pending() -> PendingImports:
    return PendingImports(services().sessions)


def row_problems(exc: ImportRejected, rows: Sequence[Any]) -> list[RowProblem]:
    lines = rows.lines if isinstance(rows, SourceRows) else ()
    return [
        RowProblem(
            row=error.row,
            line=lines[error.row - 1] if 0 < error.row <= len(lines) else None,
            module_id=error.module_id,
            column=error.error.field,
            value=error.error.value,
            message=error.error.message,
            allowed=error.error.allowed or (),
        )
        for error in exc.errors
    ]


def _read(fmt: str, data: bytes) -> SourceRows:
    return READERS[fmt](data, max_bytes=max_upload_bytes())


def _titles(rows: Sequence[Any]) -> dict[str, str]:
    return {row.get("id"): row.get("title") for row in rows if isinstance(row, dict)}


def _render_upload(
    *,
    file_error: str | None = None,
    filename: str | None = None,
    problems: list[RowProblem] | None = None,
    job: JobState | None = None,
):
    with services().sessions() as session:
        count = CatalogRepository(session, g.user.org_id).count()
    return render_template(
        "workspace/import.html",
        file_error=file_error,
        filename=filename,
        problems=problems or [],
        shown=SHOWN_ERRORS,
        module_count=count,
        modules_url=modules_list_url({}),
        max_bytes=max_upload_bytes(),
        columns=CSV_COLUMNS,
        job=job,
        job_filename=job.params.get("filename", "") if job else "",
        refresh_seconds=REFRESH_SECONDS,
    )

