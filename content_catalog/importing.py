"""Bringing modules into a catalog: every row validated first, then all written or none."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from sqlalchemy.orm import Session

from content_catalog.modules import FieldError, ModuleInput, ModuleValidationError, parse_module
from content_catalog.repository import CatalogRepository, UpsertResult
from content_catalog.taxonomy import Taxonomy


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based position in the input
    module_id: str | None
    error: FieldError

    def __str__(self) -> str:
        allowed = f" (allowed: {', '.join(self.error.allowed[:12])}{'…' if len(self.error.allowed) > 12 else ''})" if self.error.allowed else ""
        value = f" {self.error.value!r}" if self.error.value is not None else ""
        return f"row {self.row} ({self.module_id or 'no id'}): {self.error.field}{value} {self.error.message}{allowed}"


class ImportRejected(ValueError):
    """Nothing was imported; ``errors`` says which rows are wrong and how."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(f"{len(errors)} problem(s); nothing imported")


def parse_rows(rows: Sequence[Any], taxonomy: Taxonomy) -> list[ModuleInput]:
    modules: list[ModuleInput] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(rows, start=1):
        module_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        try:
            module = parse_module(raw, taxonomy)
        except ModuleValidationError as exc:
            errors.extend(RowError(number, module_id, e) for e in exc.errors)
            continue
        if module.key in seen:
            errors.append(RowError(number, module.key, FieldError("id", f"duplicates row {seen[module.key]}", module.key)))
            continue
        seen[module.key] = number
        modules.append(module)
    if errors:
        raise ImportRejected(errors)
    return modules


def import_modules(session: Session, org_id: str, rows: Sequence[Any], taxonomy: Taxonomy) -> UpsertResult:
    """Validate every row, then upsert them all in the caller's transaction."""
    modules = parse_rows(rows, taxonomy)
    return CatalogRepository(session, org_id).upsert_many(modules)
