"""Trained rankers, by version, per org: which one the panel serves, and the ones to roll back to.
Design: docs/design/content_catalog.md and docs/learning.md (Versions and rollback)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from content_catalog.tables.base import utcnow

from content_catalog.tables.catalog_tables import Org

from content_catalog.tables.learning_tables import RankerModelRow
from content_catalog.tables.coaching_tables import RecommendationRevisionRow
from content_catalog.module_rows import utc
from content_catalog.repository import OrgNotFound, lock_org

#: Versions kept per org: the newest this many, plus the active one and the one served before the
#: newest was saved, whatever their age: they are what the panel serves or a rollback goes back to.
KEEP_VERSIONS = 10

#: Changes whenever the served model does: the active row's (pk, model id), or None for v1.
ModelMarker = tuple[int, str]


class UnknownModelVersion(LookupError):
    """The org has no stored model of that version (never trained, or pruned)."""

    def __init__(self, org_id: str, version: int, known: list[int]):
        self.version = version
        listed = ", ".join(map(str, known)) if known else "none"
        super().__init__(f"org {org_id} has no model version {version} (stored: {listed})")


@dataclass(frozen=True)
class RankerVersion:
    """A stored model's description, without its bytes."""

    version: int
    model_id: str
    trained_at: datetime
    catalog_revision: int
    n_impressions: int
    summary: Mapping[str, Any]
    active: bool
    marker: ModelMarker


@dataclass(frozen=True)
class StoredRanker:
    info: RankerVersion
    payload: bytes


_DESCRIPTION = (
    RankerModelRow.pk, RankerModelRow.version, RankerModelRow.model_id,
    RankerModelRow.trained_at, RankerModelRow.catalog_revision, RankerModelRow.n_impressions,
    RankerModelRow.summary, RankerModelRow.active,
)  # fmt: skip


def _serving_state_query():
    active = (
        select(RankerModelRow.pk, RankerModelRow.model_id)
        .where(RankerModelRow.org_id == bindparam("org_id"), RankerModelRow.active.is_(True))
        .subquery()
    )
    picks = RecommendationRevisionRow
    return (
        select(Org.catalog_revision, active.c.pk, active.c.model_id, picks.revision)
        .select_from(Org)
        .outerjoin(active, Org.org_id == bindparam("org_id"))
        .outerjoin(picks, picks.org_id == Org.org_id)
        .where(Org.org_id == bindparam("org_id"))
    )


#: Built once: building it per call cost SQLAlchemy 8 times what executing it costs (2 ms against
#: 0.25 ms a warm panel view, measured for issue 12).
_SERVING_STATE = _serving_state_query()


def serving_state(session: Session, org_id: str) -> tuple[int, ModelMarker | None]:
    """(catalog revision, active model marker) in one query: what a panel view must know to reuse
    the ranker it already holds. Raises :class:`OrgNotFound` for an unknown org."""
    revision, marker, _ = serving_markers(session, org_id)
    return revision, marker


def serving_markers(session: Session, org_id: str) -> tuple[int, ModelMarker | None, int]:
    """:func:`serving_state` and, in the same statement, the revision of the org's manager
    recommendations (0 before the first), so a warm view learns whether they changed for free."""
    # Core, not the ORM: a plain select gains nothing from it and costs a third more.
    row = session.connection().execute(_SERVING_STATE, {"org_id": org_id}).first()
    if row is None:
        raise OrgNotFound(org_id)
    revision, pk, model_id, picks = row
    return revision, None if pk is None else (pk, model_id), picks or 0


class RankerModels:
    """One org's stored rankers."""

    def __init__(self, session: Session, org_id: str, *, keep: int = KEEP_VERSIONS):
        if keep < 1:
            raise ValueError(f"keep must be at least 1 (got {keep})")
        self.session = session
        self.org_id = org_id
        self.keep = keep

    # -- reading --------------------------------------------------------------------------------
    def versions(self) -> list[RankerVersion]:
        """Newest first; the payloads stay in the database."""
        rows = self.session.execute(
            select(*_DESCRIPTION)
            .where(RankerModelRow.org_id == self.org_id)
            .order_by(RankerModelRow.version.desc())
        )
        return [_version(row) for row in rows]

    def active(self) -> StoredRanker | None:
        row = self.session.execute(
            select(*_DESCRIPTION, RankerModelRow.payload).where(
                RankerModelRow.org_id == self.org_id, RankerModelRow.active.is_(True)
            )
        ).first()
        return None if row is None else StoredRanker(_version(row), bytes(row.payload))

    def active_version(self) -> int | None:
        """The served version's number; None when the panel serves v1."""
        return self.session.scalar(
            select(RankerModelRow.version).where(
                RankerModelRow.org_id == self.org_id, RankerModelRow.active.is_(True)
            )
        )

    def active_marker(self) -> ModelMarker | None:
        row = self.session.execute(
            select(RankerModelRow.pk, RankerModelRow.model_id).where(
                RankerModelRow.org_id == self.org_id, RankerModelRow.active.is_(True)
            )
        ).first()
        return None if row is None else (row.pk, row.model_id)

    # -- writing --------------------------------------------------------------------------------
    def save(
        self,
        *,
        model_id: str,
        payload: bytes,
        catalog_revision: int,
        n_impressions: int,
        summary: Mapping[str, Any],
        trained_at: datetime | None = None,
    ) -> RankerVersion:
        """Store a newly trained model as the next version; prune old versions.

        The new version is served when the org has none yet or serves its newest. Otherwise an
        admin rolled back or chose the tag rules, and that stands: the new version is stored
        inactive (``active`` is False in the result) for an admin to serve. Pruning keeps the
        active version and the one served until now, whatever their age."""
        self._claim()
        latest = self.session.scalar(
            select(func.max(RankerModelRow.version)).where(RankerModelRow.org_id == self.org_id)
        )
        served = self.active_version()
        serve = latest is None or served == latest
        if serve:
            self._deactivate_all()
        row = RankerModelRow(
            org_id=self.org_id, version=(latest or 0) + 1, model_id=model_id[:64],
            trained_at=trained_at or utcnow(), catalog_revision=catalog_revision,
            n_impressions=n_impressions, summary=json.dumps(summary, sort_keys=True, default=str),
            payload=payload, active=serve,
        )  # fmt: skip
        self.session.add(row)
        self.session.flush()
        self._prune(row.version, served)
        return self._describe(row.version)

    def activate(self, version: int) -> RankerVersion:
        """Serve ``version`` (an earlier one to roll back, a later one to roll forward)."""
        self._claim()
        known = self._known_versions()
        if version not in known:
            raise UnknownModelVersion(self.org_id, version, known)
        self._deactivate_all()
        self.session.execute(
            update(RankerModelRow)
            .where(RankerModelRow.org_id == self.org_id, RankerModelRow.version == version)
            .values(active=True)
        )
        return self._describe(version)

    def deactivate(self) -> RankerVersion | None:
        """Serve v1 again; returns the version that was active, if any."""
        self._claim()
        served = self.active_version()
        self._deactivate_all()
        return None if served is None else self._describe(served)

    def _claim(self) -> None:
        """Make this transaction the org's only model writer until it ends."""
        lock_org(self.session, self.org_id)

    def _deactivate_all(self) -> None:
        self.session.execute(
            update(RankerModelRow)
            .where(RankerModelRow.org_id == self.org_id, RankerModelRow.active.is_(True))
            .values(active=False)
            .execution_options(synchronize_session=False)
        )

    def _prune(self, newest: int, served: int | None) -> None:
        """Drop versions older than the newest ``keep``, except ``served`` and the active one."""
        self.session.execute(
            delete(RankerModelRow)
            .where(
                RankerModelRow.org_id == self.org_id,
                RankerModelRow.version <= newest - self.keep,
                RankerModelRow.version != (served or 0),
                RankerModelRow.active.is_(False),
            )
            .execution_options(synchronize_session=False)
        )

    def _known_versions(self) -> list[int]:
        return list(self.session.scalars(
            select(RankerModelRow.version)
            .where(RankerModelRow.org_id == self.org_id)
            .order_by(RankerModelRow.version.desc())
        ))  # fmt: skip

    def _describe(self, version: int) -> RankerVersion:
        row = self.session.execute(
            select(*_DESCRIPTION).where(
                RankerModelRow.org_id == self.org_id, RankerModelRow.version == version
            )
        ).one()
        return _version(row)


def _version(row) -> RankerVersion:
    return RankerVersion(
        version=row.version, model_id=row.model_id, trained_at=utc(row.trained_at),
        catalog_revision=row.catalog_revision, n_impressions=row.n_impressions,
        summary=json.loads(row.summary or "{}"), active=bool(row.active),
        marker=(row.pk, row.model_id),
    )  # fmt: skip
