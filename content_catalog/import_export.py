"""Bulk import and export of an org's catalog as CSV or JSON (formats: docs/import-format.md).
Design: docs/design/content_catalog.md."""
from __future__ import annotations

import re
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, Callable, Iterable, Iterator, Literal, Sequence

from sqlalchemy.orm import Session

from content_catalog.import_files import (
    CSV_COLUMNS,
    DEFAULT_MAX_BYTES,
    ImportFileError,
    SourceRows,
    UnexportableValue,
    read_csv,
    read_json,
    write_csv,
    write_json,
)
from content_catalog.importing import ImportRejected, RowError, parse_rows
from content_catalog.modules import ModuleInput
from content_catalog.repository import CatalogRepository, UpsertResult
from content_catalog.taxonomy import Dimension, Taxonomy

__all__ = [
    "CSV_COLUMNS", "DEFAULT_MAX_BYTES", "ImportFileError", "ImportPlan", "ImportRejected",
    "ImportStage", "ModuleChange", "SourceRows", "describe_row_error", "export_modules",
    "plan_import", "read_csv", "read_json", "run_import", "UnexportableValue", "validate_rows",
]  # fmt: skip

Format = Literal["csv", "json"]

#: Modules per call to ``upsert_many``: small enough for SQL parameter limits (SQLite allows
#: 32,766 per statement) and for a progress bar that moves, large enough to keep batching.
WRITE_BATCH = 1000
#: Rows between two progress reports.
PROGRESS_STEP = 250

_CONTENT_FIELDS = tuple(f.name for f in fields(ModuleInput) if f.name not in ("key", "tags"))


class ImportStage(StrEnum):
    VALIDATE = "validate"
    COMPARE = "compare"
    WRITE = "write"


#: Told how many more rows a stage has finished.
Progress = Callable[[ImportStage, int], None]


@dataclass(frozen=True)
class ModuleChange:
    """A module the import would change, and which fields (``tags.<dimension>`` for tags)."""

    key: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ImportPlan:
    """What an import would do, module key by module key, in file order."""

    create: tuple[str, ...]
    update: tuple[ModuleChange, ...]
    unchanged: tuple[str, ...]

    def as_result(self) -> UpsertResult:
        return UpsertResult(len(self.create), len(self.update), len(self.unchanged))


# -- export -------------------------------------------------------------------------------------
def export_modules(modules: Iterable[ModuleInput], fmt: Format) -> bytes:
    """The modules as an import file; the order given is kept (the repository lists by key)."""
    if fmt == "csv":
        return write_csv(modules)
    if fmt == "json":
        return write_json(modules)
    raise ValueError(f"unknown format {fmt!r}; use 'csv' or 'json'")


# -- import -------------------------------------------------------------------------------------
def validate_rows(
    rows: Sequence[Any], taxonomy: Taxonomy, *, on_progress: Progress | None = None
) -> list[ModuleInput]:
    """Every row parsed, or :class:`ImportRejected` listing every problem in every row."""
    return parse_rows(_Counted(rows, ImportStage.VALIDATE, on_progress), taxonomy)


def plan_import(
    session: Session, org_id: str, rows: Sequence[Any], taxonomy: Taxonomy, *,
    on_progress: Progress | None = None,
) -> ImportPlan:  # fmt: skip
    """The dry run: what :func:`run_import` would create, update and leave alone. Writes nothing."""
    modules = validate_rows(rows, taxonomy, on_progress=on_progress)
    repository = CatalogRepository(session, org_id)
    create: list[str] = []
    update: list[ModuleChange] = []
    unchanged: list[str] = []
    for batch in _batches(modules, WRITE_BATCH):
        stored = repository.find(m.key for m in batch)
        for module in batch:
            if module.key not in stored:
                create.append(module.key)
            elif changed := _changed_fields(stored[module.key], module):
                update.append(ModuleChange(module.key, changed))
            else:
                unchanged.append(module.key)
        _report(on_progress, ImportStage.COMPARE, len(batch))
    return ImportPlan(tuple(create), tuple(update), tuple(unchanged))


def run_import(
    session: Session, org_id: str, rows: Sequence[Any], taxonomy: Taxonomy, actor: str, *,
    on_progress: Progress | None = None,
) -> UpsertResult:  # fmt: skip
    """Validate every row, then create or update the modules in the caller's transaction.

    Nothing is written unless every row is valid. The writes are split into batches only so
    progress can be shown; they all belong to the one transaction the caller commits or rolls
    back.
    """
    modules = validate_rows(rows, taxonomy, on_progress=on_progress)
    repository = CatalogRepository(session, org_id)
    created = updated = unchanged = 0
    for batch in _batches(modules, WRITE_BATCH):
        result = repository.upsert_many(batch, actor=actor)
        created, updated, unchanged = (
            created + result.created, updated + result.updated, unchanged + result.unchanged
        )
        _report(on_progress, ImportStage.WRITE, len(batch))
    return UpsertResult(created, updated, unchanged)


def _changed_fields(stored: ModuleInput, incoming: ModuleInput) -> tuple[str, ...]:
    """Names of the fields that differ, with tags named per dimension (``tags.industry``)."""
    changed = [name for name in _CONTENT_FIELDS if getattr(stored, name) != getattr(incoming, name)]
    changed += [
        f"tags.{dim.value}"
        for dim in Dimension
        if stored.tag_values(dim) != incoming.tag_values(dim)
    ]
    return tuple(changed)


# -- reporting ----------------------------------------------------------------------------------
_ROW_REFERENCE = re.compile(r"\brow (\d+)\b")


def describe_row_error(error: RowError, rows: Sequence[Any]) -> str:
    """One line a person can act on, e.g. ``row 12 (line 14), column tags.industry: 'Aerospace'
    is not an allowed value (allowed: …)``. ``rows`` is what :func:`read_csv` or
    :func:`read_json` returned: CSV rows also get their line in the file, fields are "columns"."""
    problem = error.error
    subject = f"column {problem.field}" if _is_csv(rows) else f"field {problem.field}"
    # parse_rows names the first row of a duplicate id in the message: give its line too.
    message = _ROW_REFERENCE.sub(lambda match: locate_row(int(match[1]), rows), problem.message)
    allowed = f" (allowed: {', '.join(problem.allowed)})" if problem.allowed else ""
    if problem.value is None:
        return f"{locate_row(error.row, rows)}, {subject} {message}{allowed}"
    return f"{locate_row(error.row, rows)}, {subject}: {problem.value!r} {message}{allowed}"


def locate_row(row: int, rows: Sequence[Any]) -> str:
    """``row N`` (the Nth module in the file), plus ``(line L)`` where the file has lines."""
    lines = getattr(rows, "lines", None)
    if lines and 1 <= row <= len(lines):
        return f"row {row} (line {lines[row - 1]})"
    return f"row {row}"


def _is_csv(rows: Sequence[Any]) -> bool:
    return isinstance(rows, SourceRows) and rows.format == "csv"


# -- helpers ------------------------------------------------------------------------------------
class _Counted(Sequence):
    """The rows, reporting progress as ``parse_rows`` walks through them."""

    def __init__(self, rows: Sequence[Any], stage: ImportStage, on_progress: Progress | None):
        self._rows, self._stage, self._on_progress = rows, stage, on_progress

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index):
        return self._rows[index]

    def __iter__(self) -> Iterator[Any]:
        pending = 0
        for row in self._rows:
            yield row
            pending += 1
            if pending == PROGRESS_STEP:
                _report(self._on_progress, self._stage, pending)
                pending = 0
        _report(self._on_progress, self._stage, pending)


def _report(on_progress: Progress | None, stage: ImportStage, count: int) -> None:
    if on_progress is not None and count:
        on_progress(stage, count)


def _batches(items: Sequence[ModuleInput], size: int) -> Iterator[Sequence[ModuleInput]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
