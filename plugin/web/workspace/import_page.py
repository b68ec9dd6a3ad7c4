"""Import and export the org's catalog from the workspace (formats: docs/import-format.md)."""
from __future__ import annotations

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
    run_import,
    UnexportableValue,
)
from content_catalog.repository import CatalogRepository
from plugin.errors import NotFound
from plugin.content.pending_imports import PendingImports, UploadGone
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
    return _render_upload()


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
    try:
        upload = pending().load(token, org_id=g.user.org_id, user_id=g.user.user_id)
    except UploadGone:
        flash(UPLOAD_GONE, "error")
        return redirect(url_for("workspace.import_page"), 303)
    rows = _read(upload.format, upload.data)
    try:
        with services().sessions.begin() as session:
            result = run_import(
                session, g.user.org_id, rows, org_taxonomy(), actor=g.user.name
            )
    except ImportRejected as exc:  # the taxonomy changed since the dry run
        return _render_upload(filename=upload.filename, problems=row_problems(exc, rows)), 400
    pending().discard(token)
    flash(
        f"Imported {upload.filename}: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged.",
        "success",
    )
    return redirect(url_for("workspace.import_page"), 303)


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
    )

