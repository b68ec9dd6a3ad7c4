"""The record of every save to an org's catalog: one snapshot per module version, and an audit log.
Design: docs/design/content_catalog.md."""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content_catalog.tables.catalog_tables import AuditLogRow, ModuleVersionRow
from content_catalog.module_rows import utc
from content_catalog.modules import ContentModule, ModuleInput, module_to_dict
from content_catalog.taxonomy import Audience, Dimension, ModuleKind, ModuleStatus

#: Column widths of ``audit_log`` and ``module_versions``; longer text is cut, never refused.
ACTOR_LIMIT = 200
DETAIL_LIMIT = 500
#: The largest version number the column holds on every backend (PostgreSQL's integer).
MAX_VERSION = 2**31 - 1
_DIMENSIONS = {dimension.value for dimension in Dimension}


class AuditAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    PUBLISHED = "published"
    RETIRED = "retired"
    #: Any other status change (back to draft).
    STATUS_CHANGED = "status_changed"
    RESTORED_VERSION = "restored_version"
    IMPORTED = "imported"


@dataclass(frozen=True)
class ModuleVersion:
    version: int
    saved_at: datetime
    actor: str
    status: ModuleStatus
    module: ModuleInput


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    module_key: str
    version: int
    detail: str


def as_input(module: ModuleInput) -> ModuleInput:
    """The part of a module a person decides (drops version and timestamps)."""
    return ModuleInput(**{f.name: getattr(module, f.name) for f in fields(ModuleInput)})


def changed_fields(before: ModuleInput, after: ModuleInput) -> list[str]:
    """Names of the fields that differ, in the order of :class:`ModuleInput`."""
    names = [f.name for f in fields(ModuleInput)]
    return [name for name in names if getattr(before, name) != getattr(after, name)]


def snapshot(module: ModuleInput) -> str:
    return json.dumps(module_to_dict(as_input(module)), ensure_ascii=False)


def module_from_snapshot(text: str) -> ModuleInput:
    """Read a stored snapshot back; trusts it, since only this module ever wrote one."""
    raw: dict[str, Any] = json.loads(text)
    tags = {
        Dimension(name): tuple(values)
        for name, values in (raw.get("tags") or {}).items()
        if values and name in _DIMENSIONS  # a dimension since dropped from the code
    }
    return ModuleInput(
        key=raw["id"], title=raw["title"], summary=raw.get("summary") or "",
        body=raw.get("body") or "", kind=ModuleKind(raw["kind"]),
        audience=Audience(raw["audience"]), author=raw["author"],
        status=ModuleStatus(raw["status"]), link=raw.get("link"),
        review_by=date.fromisoformat(raw["review_by"]) if raw.get("review_by") else None,
        tags=tags, for_partners=bool(raw.get("for_partners", False)),
    )  # fmt: skip


class CatalogHistory:
    """Versions and audit entries of one org's catalog."""

    def __init__(self, session: Session, org_id: str):
        self.session = session
        self.org_id = org_id

    def record(
        self, module: ContentModule, *, actor: str, action: AuditAction, detail: str, at: datetime
    ) -> None:
        """Keep ``module`` as saved (its version must be new) and say who saved it and why."""
        self.session.add(ModuleVersionRow(
            org_id=self.org_id, module_key=module.key, version=module.version,
            snapshot=snapshot(module), status=module.status.value, saved_at=at,
            actor=actor[:ACTOR_LIMIT],
        ))  # fmt: skip
        self.session.add(AuditLogRow(
            org_id=self.org_id, at=at, actor=actor[:ACTOR_LIMIT], action=action.value,
            module_key=module.key, version=module.version, detail=detail[:DETAIL_LIMIT],
        ))  # fmt: skip

    def versions(self, key: str) -> list[ModuleVersion]:
        query = self._versions(key).order_by(ModuleVersionRow.version.desc())
        return [_version(row) for row in self.session.scalars(query)]

    def version(self, key: str, version: int) -> ModuleVersion | None:
        if not 0 < version <= MAX_VERSION:  # the column could not hold it: no such version
            return None
        row = self.session.scalar(self._versions(key).where(ModuleVersionRow.version == version))
        return None if row is None else _version(row)

    def keys_saved_by_others(self, actors: Collection[str]) -> set[str]:
        """Modules with a version saved by anyone but ``actors``: the ones a person has edited
        (a loader that refreshes bundled modules must leave those alone)."""
        query = select(ModuleVersionRow.module_key).distinct().where(
            ModuleVersionRow.org_id == self.org_id, ModuleVersionRow.actor.not_in(list(actors)))
        return set(self.session.scalars(query))

    def first_published(self) -> dict[str, datetime]:
        """When each module was first saved as published, in one grouped query: the learned
        ranker's "new module" is recently *published*, not recently drafted."""
        query = (
            select(ModuleVersionRow.module_key, func.min(ModuleVersionRow.saved_at))
            .where(
                ModuleVersionRow.org_id == self.org_id,
                ModuleVersionRow.status == ModuleStatus.PUBLISHED.value,
            )
            .group_by(ModuleVersionRow.module_key)
        )
        return {key: utc(at) for key, at in self.session.execute(query)}

    def audit(self, limit: int = 100, module_key: str | None = None) -> list[AuditEntry]:
        if limit < 1:
            raise ValueError(f"limit must be at least 1 (got {limit})")
        query = (
            select(AuditLogRow)
            .where(AuditLogRow.org_id == self.org_id)
            .order_by(AuditLogRow.at.desc(), AuditLogRow.pk.desc())
            .limit(limit)
        )
        if module_key is not None:
            query = query.where(AuditLogRow.module_key == module_key)
        return [
            AuditEntry(utc(row.at), row.actor, row.action, row.module_key, row.version, row.detail)
            for row in self.session.scalars(query)
        ]

    def _versions(self, key: str):
        return select(ModuleVersionRow).where(
            ModuleVersionRow.org_id == self.org_id, ModuleVersionRow.module_key == key
        )


def _version(row: ModuleVersionRow) -> ModuleVersion:
    return ModuleVersion(
        version=row.version, saved_at=utc(row.saved_at), actor=row.actor,
        status=ModuleStatus(row.status), module=module_from_snapshot(row.snapshot),
    )  # fmt: skip


