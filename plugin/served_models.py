"""The learned ranker each org's panel serves, held in memory and reloaded when it changes.

Every panel view already asks the database one question (``serving_state``: the catalog revision
and the active model's marker). While both are what this process last saw, the model in memory
is used as it is; when the marker moves (``beinspired model train``, the scheduled job, a
rollback, in any process) the next request here loads the new bytes, so every app process picks
up a new version on its own next request, without a restart. When only the catalog moved, the
loaded model is laid over the current catalog (:meth:`LearnedRanker.with_catalog`) without being
loaded again.

A model that cannot be loaded or cannot rank must never cost a rep their panel: the failure is
logged, told to the org's admins as an org event, and the org is served v1 until the marker
moves again (a new version, a rollback or ``model off``).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Sequence

from sqlalchemy.orm import Session, sessionmaker

from content_catalog.model_store import ModelMarker, RankerModels
from content_catalog.org_activity import OrgActivityRepository
from recommender import CandidateModule
from recommender.learning import LearnedRanker

log = logging.getLogger(__name__)

#: The org event admins see when a stored model could not be served.
MODEL_FAILED_EVENT = "ranker_model_failed"


@dataclass(frozen=True)
class _Loaded:
    marker: ModelMarker
    #: None: the model failed; serve v1 until the marker moves.
    model: LearnedRanker | None
    version: int | None
    #: The catalog revision ``adapted`` (``model`` laid over that catalog) serves.
    revision: int = -1
    adapted: LearnedRanker | None = None


class ServedModels:
    def __init__(self, sessions: Callable[[], Session] | sessionmaker[Session]):
        self._sessions = sessions
        self._loaded: dict[str, _Loaded] = {}
        self._lock = threading.Lock()

    def ranker(
        self,
        session: Session,
        org_id: str,
        revision: int,
        marker: ModelMarker,
        candidates: Callable[[], Sequence[CandidateModule]],
    ) -> LearnedRanker | None:
        """The org's learned ranker for catalog ``revision``, or None to serve v1 (it failed)."""
        loaded = self._loaded.get(org_id)
        if loaded is not None and loaded.marker == marker and (
            loaded.model is None or loaded.revision == revision
        ):
            return loaded.adapted
        with self._lock:
            loaded = self._loaded.get(org_id)
            if loaded is None or loaded.marker != marker:
                loaded = self._load(session, org_id, marker)
            if loaded.model is not None and loaded.revision != revision:
                loaded = self._adapt(org_id, loaded, revision, candidates)
            self._loaded[org_id] = loaded
            return loaded.adapted

    def failed(self, org_id: str, marker: ModelMarker, doing: str) -> None:
        """Ranking with the org's model raised (logged by the caller): serve v1 until it moves."""
        with self._lock:
            loaded = self._loaded.get(org_id)
            version = loaded.version if loaded is not None else None
            self._loaded[org_id] = _Loaded(marker, None, version)
        self._tell_admins(org_id, version, doing)

    def _load(self, session: Session, org_id: str, marker: ModelMarker) -> _Loaded:
        stored = RankerModels(session, org_id).active()
        if stored is None:  # turned off since the marker was read: the next request sees that
            return _Loaded(marker, None, None)
        info = stored.info
        try:
            model = LearnedRanker.from_bytes(stored.payload)
        except Exception:  # noqa: BLE001 - any failure to load means: serve v1, say so
            log.exception(
                "org %s: ranker model version %s could not be loaded", org_id, info.version
            )
            self._tell_admins(org_id, info.version, "loaded")
            return _Loaded(info.marker, None, info.version)
        log.info(
            "org %s: serving ranker model version %s (%s)", org_id, info.version, info.model_id
        )
        return _Loaded(info.marker, model, info.version)

    def _adapt(
        self,
        org_id: str,
        loaded: _Loaded,
        revision: int,
        candidates: Callable[[], Sequence[CandidateModule]],
    ) -> _Loaded:
        try:
            # Adapted even at the revision it was trained on: it costs what fitting v1 costs, and
            # the catalog may have moved between training's reads of the revision and modules.
            adapted = loaded.model.with_catalog(list(candidates()))
        except Exception:  # noqa: BLE001 - as for loading
            log.exception("org %s: ranker model version %s could not take the current catalog",
                          org_id, loaded.version)
            self._tell_admins(org_id, loaded.version, "used with the current catalog")
            return _Loaded(loaded.marker, None, loaded.version)
        return _Loaded(loaded.marker, loaded.model, loaded.version, revision, adapted)

    def _tell_admins(self, org_id: str, version: int | None, doing: str) -> None:
        message = (
            f"The learned ranker (model version {version}) could not be {doing}; the panel "
            "serves the tag rules (v1) until a new version is trained or another is activated "
            "('beinspired model rollback' or 'beinspired model off')."
        )
        try:
            with self._sessions() as session, session.begin():
                OrgActivityRepository(session, org_id).add_event(
                    MODEL_FAILED_EVENT, message, datetime.now(timezone.utc)
                )
        except Exception:  # noqa: BLE001 - telling admins is best effort; the rep gets v1
            log.exception("org %s: could not record that the ranker model failed", org_id)
