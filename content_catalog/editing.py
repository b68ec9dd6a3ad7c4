"""Editing an org's modules by hand: safe against concurrent saves, with history and an audit log.
Design: docs/design/content_catalog.md."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content_catalog.history import (
    AuditAction,
    AuditEntry,
    CatalogHistory,
    ModuleVersion,
    changed_fields,
)
from content_catalog.tables.catalog_tables import ModuleRow
from content_catalog.module_rows import row_to_input, row_to_module, write_row
from content_catalog.modules import ContentModule, ModuleInput
from content_catalog.repository import CatalogRepository, ModuleNotFound
from content_catalog.taxonomy import Dimension, ModuleStatus

__all__ = [
    "ALLOWED_TRANSITIONS", "AuditAction", "AuditEntry", "EditConflict", "FieldChange",
    "InvalidTransition", "ModuleEditor", "ModuleExists", "ModuleNotFound", "ModuleVersion",
    "StaleVersion", "VersionNotFound", "diff_modules",
]  # fmt: skip

_S = ModuleStatus
#: Every change of status is allowed today; the table says so explicitly, so a rule added later
#: (say, retired modules must go back through draft) is one line here.
ALLOWED_TRANSITIONS: frozenset[tuple[ModuleStatus, ModuleStatus]] = frozenset({
    (_S.DRAFT, _S.PUBLISHED), (_S.DRAFT, _S.RETIRED),
    (_S.PUBLISHED, _S.RETIRED), (_S.PUBLISHED, _S.DRAFT),
    (_S.RETIRED, _S.PUBLISHED), (_S.RETIRED, _S.DRAFT),
})  # fmt: skip

_STATUS_ACTIONS = {
    ModuleStatus.PUBLISHED: AuditAction.PUBLISHED,
    ModuleStatus.RETIRED: AuditAction.RETIRED,
    ModuleStatus.DRAFT: AuditAction.STATUS_CHANGED,
}
#: Fields whose change is shown line by line; the others are short values shown before/after.
_TEXT_FIELDS = frozenset({"title", "summary", "body", "tags"})


class EditConflict(Exception):
    """The change does not fit the module as it now is (one HTTP 409 for all of them)."""


class ModuleExists(EditConflict):
    def __init__(self, key: str):
        self.key = key
        super().__init__(f"a module with id {key!r} already exists")


class StaleVersion(EditConflict):
    """The change was based on an older version; ``current`` is the module as it now is."""

    def __init__(self, current: ContentModule):
        self.current = current
        super().__init__(f"{current.key} has been saved since (now version {current.version})")


class InvalidTransition(EditConflict):
    def __init__(self, from_status: ModuleStatus, to_status: ModuleStatus):
        self.from_status = from_status
        self.to_status = to_status
        super().__init__(f"a {from_status.value} module cannot become {to_status.value}")


class VersionNotFound(ModuleNotFound):
    """The module exists, but not in that version."""

    def __init__(self, key: str, version: int):
        self.key = key
        self.version = version
        super().__init__(f"{key} has no version {version}")


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str
    #: ``difflib.unified_diff`` lines (headers included) for text fields and tags; empty otherwise.
    diff: tuple[str, ...]


class ModuleEditor:
    """One person's (``actor``'s) changes to one org's modules."""

    def __init__(self, session: Session, org_id: str, actor: str):
        if not actor or not actor.strip():
            raise ValueError("actor must name who makes the change")
        self.session = session
        self.org_id = org_id
        self.actor = actor.strip()
        self._catalog = CatalogRepository(session, org_id)
        self._history = CatalogHistory(session, org_id)

    # -- writing --------------------------------------------------------------------------------
    def create(self, module: ModuleInput) -> ContentModule:
        self._catalog.lock_for_writing()
        if self._catalog.find([module.key]):
            raise ModuleExists(module.key)
        now = _now()
        row = ModuleRow(org_id=self.org_id, module_key=module.key, version=1, created_at=now)
        write_row(row, module, now)
        try:
            # A savepoint, so that losing to a concurrent create keeps the caller's transaction.
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            raise ModuleExists(module.key) from None
        return self._recorded(row, AuditAction.CREATED, f"created as {module.status.value}", now)

    def update(self, key: str, module: ModuleInput, expected_version: int) -> ContentModule:
        """Save ``module`` over version ``expected_version``; identical content saves nothing."""
        if module.key != key:
            raise ValueError(f"module id {module.key!r} is not {key!r}; ids cannot be changed")
        row = self._lock(key, expected_version)
        before = row_to_input(row)
        if before == module:
            return row_to_module(row)
        if module.status != before.status:
            _check_transition(before.status, module.status)
        detail = "changed " + ", ".join(changed_fields(before, module))
        return self._save(row, module, AuditAction.UPDATED, detail)

    def set_status(self, key: str, status: ModuleStatus, expected_version: int) -> ContentModule:
        status = ModuleStatus(status)
        row = self._lock(key, expected_version)
        current = ModuleStatus(row.status)
        _check_transition(current, status)
        module = replace(row_to_input(row), status=status)
        detail = f"{current.value} → {status.value}"
        return self._save(row, module, _STATUS_ACTIONS[status], detail)

    def restore_version(self, key: str, version: int, expected_version: int) -> ContentModule:
        """Save the content of an old version as a new one; the status stays as it is now."""
        row = self._lock(key, expected_version)
        old = self._history.version(key, version)
        if old is None:
            raise VersionNotFound(key, version)
        before = row_to_input(row)
        module = replace(old.module, status=before.status)
        if before == module:
            return row_to_module(row)
        detail = f"content of version {version}"
        return self._save(row, module, AuditAction.RESTORED_VERSION, detail)

    # -- reading --------------------------------------------------------------------------------
    def history(self, key: str) -> list[ModuleVersion]:
        """Every saved version, newest first."""
        self._catalog.get(key)
        return self._history.versions(key)

    def version(self, key: str, version: int) -> ModuleVersion:
        self._catalog.get(key)
        found = self._history.version(key, version)
        if found is None:
            raise VersionNotFound(key, version)
        return found

    def diff(self, key: str, from_version: int, to_version: int) -> list[FieldChange]:
        """What changed from one version to another, field by field; unchanged fields left out."""
        before, after = self.version(key, from_version), self.version(key, to_version)
        labels = f"version {from_version}", f"version {to_version}"
        return diff_modules(before.module, after.module, *labels)

    def audit(self, limit: int = 100, module_key: str | None = None) -> list[AuditEntry]:
        """The org's audit log (or one module's), newest first."""
        return self._history.audit(limit, module_key)

    # -- inside ---------------------------------------------------------------------------------
    def _lock(self, key: str, expected_version: int) -> ModuleRow:
        self._catalog.lock_for_writing()
        row = self._catalog.row_for_update(key)
        if row.version != expected_version:
            raise StaleVersion(row_to_module(row))
        return row


    def _save(
        self, row: ModuleRow, module: ModuleInput, action: AuditAction, detail: str
    ) -> ContentModule:
        claim = (
            update(ModuleRow)
            .where(ModuleRow.pk == row.pk, ModuleRow.version == row.version)
            .values(version=row.version + 1)
            .execution_options(synchronize_session=False)
        )
        if self.session.execute(claim).rowcount != 1:
            raise StaleVersion(row_to_module(self._catalog.row_for_update(row.module_key)))
        now = _now()
        row.version += 1
        write_row(row, module, now)
        self.session.flush()
        return self._recorded(row, action, detail, now)

    def _recorded(
        self, row: ModuleRow, action: AuditAction, detail: str, now: datetime
    ) -> ContentModule:
        saved = row_to_module(row)
        self._history.record(saved, actor=self.actor, action=action, detail=detail, at=now)
        self._catalog.bump_revision()
        self.session.flush()
        return saved


def diff_modules(
    before: ModuleInput, after: ModuleInput, from_label: str = "before", to_label: str = "after"
) -> list[FieldChange]:
    """The fields that differ, in form order; text fields and tags with a line diff."""
    changes = []
    for name in changed_fields(before, after):
        old, new = _shown(before, name), _shown(after, name)
        lines: tuple[str, ...] = ()
        if name in _TEXT_FIELDS:
            lines = tuple(difflib.unified_diff(
                old.splitlines(), new.splitlines(), from_label, to_label, lineterm=""
            ))  # fmt: skip
        changes.append(FieldChange(name, old, new, lines))
    return changes


def _shown(module: ModuleInput, name: str) -> str:
    """A field as text, the way a person reads it; tags one "dimension: a, b" line each."""
    if name == "tags":
        return "\n".join(
            f"{dim.value}: {', '.join(values)}"
            for dim in Dimension
            if (values := module.tag_values(dim))
        )
    value = getattr(module, name)
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value.value if hasattr(value, "value") else value)


def _check_transition(from_status: ModuleStatus, to_status: ModuleStatus) -> None:
    if (from_status, to_status) not in ALLOWED_TRANSITIONS:
        raise InvalidTransition(from_status, to_status)


def _now() -> datetime:
    return datetime.now(timezone.utc)
