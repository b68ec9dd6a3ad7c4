"""The learned ranker each org's panel serves, held in memory and reloaded when it changes.
Design: docs/design/ranking.md."""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Sequence

from sqlalchemy.orm import Session, sessionmaker

from content_catalog.model_store import ModelMarker, RankerModels, serving_state
from content_catalog.org_activity import OrgActivityRepository
from plugin.ranking.refit_work import ChildProcess, InProcess, keep_fit, last_fit
from plugin.ranking.refits import OrgRefits
from recommender import CandidateModule
from recommender.heap import give_back_freed_heap
from recommender.learning import LearnedRanker

log = logging.getLogger(__name__)

#: The org event admins see when a stored model could not be served.
MODEL_FAILED_EVENT = "ranker_model_failed"
#: How long a process serves v1 after the org's model failed before trying it again.
RETRY_FAILED_S = 300.0


@dataclass(frozen=True)
class _Loaded:
    marker: ModelMarker
    #: None: the model failed; serve v1 until the marker moves or ``retry_at``.
    model: LearnedRanker | None
    version: int | None
    #: The catalog revision ``adapted`` (``model`` laid over that catalog) serves.
    revision: int = -1
    adapted: LearnedRanker | None = None
    #: ``time.monotonic()`` after which a failed model is tried again.
    retry_at: float = 0.0
    #: What could not be done with a failed model, in the admins' message: "loaded", ...
    failed_doing: str = ""

    def serves(self, marker: ModelMarker, revision: int, now: float) -> bool:
        """Whether this entry answers for ``marker`` and ``revision`` without any work."""
        if self.marker != marker:
            return False
        if self.model is None:
            return now < self.retry_at
        return self.revision == revision


#: Told of each learned ranker an org starts to serve: (org, its catalog revision, the ranker).
Swapped = Callable[[str, int, LearnedRanker], None]


class ServedModels:
    def __init__(self, sessions: Callable[[], Session] | sessionmaker[Session],
                 clock: Callable[[], float] = time.monotonic, refits: OrgRefits | None = None,
                 work: InProcess | ChildProcess | None = None,
                 swapped: Swapped | None = None):
        """``work``: where a background refit runs (default: the refit's own thread);
        ``swapped``: called, outside any lock, with each ranker swapped in."""
        self._sessions = sessions
        self._clock = clock
        self._refits = refits or OrgRefits()
        self._work = work or InProcess(sessions)
        self._swapped = swapped
        self._loaded: dict[str, _Loaded] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def ranker(
        self,
        session: Session,
        org_id: str,
        revision: int,
        marker: ModelMarker,
        candidates: Callable[[Session, str], Sequence[CandidateModule]],
        *,
        in_background: Callable[[], bool] = lambda: False,
    ) -> LearnedRanker | None:
        """The org's learned ranker for catalog ``revision``, or None to serve v1 (it failed).

        When ``in_background()`` (a big catalog), loading a new model or laying it over a new
        revision happens off the request (:class:`OrgRefits`) and the model this process already
        serves answers meanwhile (None, so v1, when it has none). ``candidates`` reads the
        catalog (a module-level function, so that a child process can run it)."""
        loaded = self._loaded.get(org_id)
        if loaded is not None and loaded.serves(marker, revision, self._clock()):
            return loaded.adapted
        if in_background():
            self._refits.request(org_id, "learned", lambda: self._refresh(org_id, candidates))
            return loaded.adapted if loaded is not None else None
        with self._lock_of(org_id):
            previous = self._loaded.get(org_id)
            if previous is not None and previous.serves(marker, revision, self._clock()):
                return previous.adapted
            loaded = _next_loaded(session, org_id, previous, revision, marker,
                                  lambda: list(candidates(session, org_id)))
            self._keep(org_id, loaded)
        return self._told(org_id, previous, marker, loaded)

    def failed(self, org_id: str, marker: ModelMarker, doing: str) -> None:
        """Ranking with the org's model raised (logged by the caller): serve v1 for a while."""
        with self._lock_of(org_id):
            loaded = self._loaded.get(org_id)
            version = loaded.version if loaded is not None else None
            told = _failed_before(loaded, marker)
            self._loaded[org_id] = self._failed(marker, version, doing)
        if not told:
            self._tell_admins(org_id, version, doing)

    def _refresh(
        self, org_id: str, candidates: Callable[[Session, str], Sequence[CandidateModule]]
    ) -> None:
        """The background refit: what the org serves now, read afresh and made ready to serve
        (in ``work``: this thread or a child process), then swapped in."""
        previous = self._loaded.get(org_id)
        # The previous model's catalog stays here: the work needs only the model.
        slim = None if previous is None else dataclasses.replace(previous, adapted=None)
        started = time.perf_counter()
        result = self._work.run(refit_learned, org_id, slim, candidates)
        if result is None:  # nothing to do, or turned off meanwhile
            return
        marker, loaded = result
        if loaded is not None and loaded.adapted is not None:
            loaded.adapted.base_.prepare()  # handed back from a child: made on arrival already
        log.info("org %s: learned ranker made ready in the background in %.1f s", org_id,
                 time.perf_counter() - started)
        with self._lock_of(org_id):
            previous = self._loaded.get(org_id)
            self._keep(org_id, loaded)
        self._told(org_id, previous, marker, loaded)
        del previous, loaded, result
        give_back_freed_heap()  # the model swapped out and the hand-back's buffers

    def _keep(self, org_id: str, loaded: _Loaded | None) -> None:
        """Holding the org's lock: serve ``loaded`` from now on (a failure: v1 for a while)."""
        if loaded is None:  # turned off since the marker was read: cache nothing
            return
        if loaded.model is None:
            loaded = self._failed(loaded.marker, loaded.version, loaded.failed_doing)
        self._loaded[org_id] = loaded

    def _told(self, org_id: str, previous: _Loaded | None, marker: ModelMarker,
              loaded: _Loaded | None) -> LearnedRanker | None:
        """After the lock is released: tell admins of a new failure, or whoever asked of a
        ranker swapped in; what to rank with."""
        if loaded is None:
            return None
        if loaded.model is None and not _failed_before(previous, marker):
            self._tell_admins(org_id, loaded.version, loaded.failed_doing)
        if loaded.adapted is not None and self._swapped is not None:
            self._swapped(org_id, loaded.revision, loaded.adapted)
        return loaded.adapted

    def _failed(self, marker: ModelMarker, version: int | None, doing: str) -> _Loaded:
        return _Loaded(marker, None, version, retry_at=self._clock() + RETRY_FAILED_S,
                       failed_doing=doing)

    def _lock_of(self, org_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(org_id, threading.Lock())

    def _tell_admins(self, org_id: str, version: int | None, doing: str) -> None:
        message = (
            f"The learned ranker (model version {version}) could not be {doing}; the panel "
            "serves the tag rules (v1) until a new version is trained or another is activated "
            "('beinspired model rollback' or 'beinspired model off'); each server tries this "
            f"version again every {RETRY_FAILED_S / 60:g} minutes."
        )
        try:
            with self._sessions() as session, session.begin():
                OrgActivityRepository(session, org_id).add_event(
                    MODEL_FAILED_EVENT, message, datetime.now(timezone.utc)
                )
        except Exception:  # noqa: BLE001 - telling admins is best effort; the rep gets v1
            log.exception("org %s: could not record that the ranker model failed", org_id)


def _failed_before(loaded: _Loaded | None, marker: ModelMarker) -> bool:
    """Admins were told already: this model failed in this process before (a retry failed)."""
    return loaded is not None and loaded.marker == marker and loaded.model is None


def refit_learned(
    session: Session, org_id: str, previous: _Loaded | None,
    candidates: Callable[[Session, str], Sequence[CandidateModule]],
) -> tuple[ModelMarker, _Loaded | None] | None:
    """A background refit's work (in a refit thread or a child process): the model the org
    serves now laid over its catalog now; None when ``previous`` already is that."""
    revision, marker = serving_state(session, org_id)
    if marker is None or (previous is not None and previous.marker == marker
                          and previous.model is not None and previous.revision == revision):
        return None

    def read() -> list[CandidateModule]:
        rows = list(candidates(session, org_id))
        session.rollback()  # ends the read: the fit that follows holds no connection
        return rows

    return marker, _next_loaded(session, org_id, previous, revision, marker, read)


def _next_loaded(
    session: Session, org_id: str, loaded: _Loaded | None, revision: int, marker: ModelMarker,
    candidates: Callable[[], list[CandidateModule]],
) -> _Loaded | None:
    """``loaded`` brought to ``marker`` and ``revision``: the model loaded again if it changed
    (or failed), laid over the catalog if it moved. A failure is an entry without a model (the
    caller sets when to retry); None: the model was turned off."""
    if loaded is None or loaded.marker != marker or loaded.model is None:
        loaded = _load(session, org_id)
        if loaded is None:
            return None
    if loaded.model is not None and loaded.revision != revision:
        loaded = _adapt(org_id, loaded, revision, candidates())
    return loaded


def _load(session: Session, org_id: str) -> _Loaded | None:
    stored = RankerModels(session, org_id).active()
    if stored is None:
        return None
    info = stored.info
    try:
        model = LearnedRanker.from_bytes(stored.payload)
    except Exception:  # noqa: BLE001 - any failure to load means: serve v1, say so
        log.exception("org %s: ranker model version %s could not be loaded", org_id, info.version)
        return _Loaded(info.marker, None, info.version, failed_doing="loaded")
    log.info("org %s: serving ranker model version %s (%s)", org_id, info.version, info.model_id)
    return _Loaded(info.marker, model, info.version)


def _adapt(org_id: str, loaded: _Loaded, revision: int,
           candidates: list[CandidateModule]) -> _Loaded:
    """Lay the model over the catalog ``candidates`` (read by the caller: a database error there
    is not the model's failure)."""
    try:
        # Adapted even at the revision it was trained on: it costs what fitting v1 costs, and
        # the catalog may have moved between training's reads of the revision and modules.
        adapted = loaded.model.with_catalog(candidates, previous=last_fit(org_id))
        keep_fit(org_id, adapted.base_)
    except Exception:  # noqa: BLE001 - as for loading
        log.exception("org %s: ranker model version %s could not take the current catalog",
                      org_id, loaded.version)
        return _Loaded(loaded.marker, None, loaded.version,
                       failed_doing="used with the current catalog")
    return _Loaded(loaded.marker, loaded.model, loaded.version, revision, adapted)
