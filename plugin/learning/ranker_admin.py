"""Which learned-ranker version an org's panel serves, changed the one way that both
``beinspired model …`` and the admin console's *Learned ranker* page use."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from content_catalog.model_store import RankerModels, RankerVersion
from content_catalog.tables.catalog_tables import Org
from content_catalog.module_rows import utc
from content_catalog.org_activity import OrgActivityRepository
from plugin.learning.outcome_sync import FAILED_EVENT, SYNCED_EVENT
from plugin.ranking.served_models import MODEL_FAILED_EVENT
from plugin.learning.training import TRAINED_EVENT, TRAINING_FAILED_EVENT

log = logging.getLogger(__name__)


class NothingToRollBackTo(LookupError):
    """A rollback without a named version, when no version is active or the active one is the
    oldest kept."""

    def __init__(self, org_id: str, active: int | None):
        self.active = active
        if active is None:
            reason = "no version is active"
        else:
            reason = (f"version {active} is the oldest stored: "
                      "there is nothing to roll back to")
        super().__init__(f"org {org_id}: {reason}")


@dataclass(frozen=True)
class OrgNote:
    """An org event worth repeating beside the ranker (a sync's outcome, a model failure)."""

    kind: str
    message: str
    at: datetime


@dataclass(frozen=True)
class RankerStatus:
    """What an org's panel serves and what it could serve instead."""

    org_id: str
    #: Kept versions, newest first.
    versions: list[RankerVersion]
    #: The org's catalog revision now; None when the org has no catalog yet.
    catalog_revision: int | None
    last_outcome_sync: OrgNote | None
    last_model_failure: OrgNote | None
    #: The last version stored by training, or the last training that failed.
    last_training: OrgNote | None = None

    @property
    def active(self) -> RankerVersion | None:
        return next((v for v in self.versions if v.active), None)

    @property
    def catalog_changed(self) -> bool:
        """The catalog moved since the served version was trained: it ranks modules it never
        saw by their tags, and retired ones have dropped out."""
        active = self.active
        return active is not None and active.catalog_revision != self.catalog_revision


def ranker_status(sessions: sessionmaker[Session], org_id: str) -> RankerStatus:
    with sessions() as session:
        versions = RankerModels(session, org_id).versions()
        org = session.get(Org, org_id)
        activity = OrgActivityRepository(session, org_id)
        sync = activity.last_event((SYNCED_EVENT, FAILED_EVENT))
        failure = activity.last_event((MODEL_FAILED_EVENT,))
        training = activity.last_event((TRAINED_EVENT, TRAINING_FAILED_EVENT))
        return RankerStatus(
            org_id, versions, None if org is None else org.catalog_revision,
            _note(sync), _note(failure), _note(training),
        )  # fmt: skip


def serve_version(
    sessions: sessionmaker[Session], org_id: str, version: int | None, *, by: str
) -> RankerVersion:
    """Serve ``version``, or with None the newest one older than the active (a rollback).

    Raises ``UnknownModelVersion``, :class:`NothingToRollBackTo` or ``OrgNotFound``; then
    nothing has changed.
    """
    with sessions() as session, session.begin():
        store = RankerModels(session, org_id)
        target = version if version is not None else previous_version(org_id, store.versions())
        chosen = store.activate(target)
    log.info("org %s: ranker version %s (%s) served, by %s",
             org_id, chosen.version, chosen.model_id, by)
    return chosen


def serve_rules(sessions: sessionmaker[Session], org_id: str, *, by: str) -> RankerVersion | None:
    """Serve v1 (the tag rules) until a version is served again (training meanwhile stores
    without serving); returns the version that was active, if any. Raises ``OrgNotFound``."""
    with sessions() as session, session.begin():
        was = RankerModels(session, org_id).deactivate()
    log.info("org %s: the tag rules (v1) served (was version %s), by %s",
             org_id, None if was is None else was.version, by)
    return was


def previous_version(org_id: str, versions: list[RankerVersion]) -> int:
    """The newest kept version older than the active one."""
    active = next((v for v in versions if v.active), None)
    if active is None:
        raise NothingToRollBackTo(org_id, None)
    older = [v.version for v in versions if v.version < active.version]
    if not older:
        raise NothingToRollBackTo(org_id, active.version)
    return max(older)


def describe(version: RankerVersion) -> str:
    """One line per version, ``*`` on the served one: ``beinspired model list``'s format."""
    views = version.summary.get("views", "?")
    return (
        f"{'*' if version.active else ' '} v{version.version}  {version.model_id}  "
        f"trained {version.trained_at:%Y-%m-%d %H:%M} UTC  {version.n_impressions} impressions "
        f"in {views} views  catalog revision {version.catalog_revision}"
    )


def _note(row) -> OrgNote | None:
    return None if row is None else OrgNote(row.kind, row.message, utc(row.at))
