"""Each rep's training refreshers as the panel needs them: held in memory per (org, rep), read
again after the rep's own events or dismissals and at most a minute after the last read.
Design: docs/design/panel.md."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable

from sqlalchemy.orm import Session

from content_catalog.modules import MODULE_KEY
from content_catalog.refresher_state import dismiss_refresher, rep_refreshers
from content_catalog.repository import CatalogRepository, ModuleNotFound
from content_catalog.taxonomy import Audience, ModuleKind, ModuleStatus
from plugin.errors import InvalidInput, NotFound
from recommender.refreshers import RefresherUse

#: How long a rep's refresher state is used before it is read again: bounds what another
#: process's events (a different server worker) take to show here.
MAX_AGE_S = 60.0
#: Reps held per process before the least recently seen is dropped (a few hundred bytes each).
MAX_REPS = 20_000


class RefresherStates:
    """Per (org, rep): the refreshers they used and dismissed, as ``RefresherUse``s. Thread-safe;
    a lost race reads a rep twice, nothing worse."""

    def __init__(self, *, max_age_s: float = MAX_AGE_S, max_reps: int = MAX_REPS,
                 clock: Callable[[], float] = time.monotonic):
        self._max_age_s = max_age_s
        self._max_reps = max_reps
        self._clock = clock
        self._held: OrderedDict[tuple[str, str], tuple[float, tuple[RefresherUse, ...]]] = (
            OrderedDict())
        self._lock = threading.Lock()

    def uses(self, session: Session, org_id: str, user_id: str) -> tuple[RefresherUse, ...]:
        """The rep's refreshers: from memory, else read now (one statement)."""
        key, now = (org_id, user_id), self._clock()
        with self._lock:
            held = self._held.get(key)
            if held is not None and now - held[0] < self._max_age_s:
                self._held.move_to_end(key)
                return held[1]
        read = tuple(
            RefresherUse(r.module_key, r.use_days, r.last_kind, r.dismissed)
            for r in rep_refreshers(session, org_id, user_id).values()
        )
        with self._lock:
            self._held[key] = (now, read)
            self._held.move_to_end(key)
            while len(self._held) > self._max_reps:
                self._held.popitem(last=False)
        return read

    def forget(self, org_id: str, user_id: str | None) -> None:
        """The rep did something (events stored, a dismissal): their next view reads again."""
        if user_id is None:
            return
        with self._lock:
            self._held.pop((org_id, user_id), None)


def dismiss(sessions: Callable[[], Session], states: RefresherStates, org_id: str,
            user_id: str | None, module_key: object) -> bool:
    """The rep dismisses a training refresher of their org's published catalog for good; True
    if this call recorded it, False if it was dismissed already. Raises :class:`InvalidInput`
    for a malformed key or no rep, :class:`NotFound` for anything but a published refresher."""
    if user_id is None:
        raise InvalidInput("Only a rep can dismiss a refresher.")
    if not isinstance(module_key, str) or not MODULE_KEY.fullmatch(module_key):
        raise InvalidInput("module_id must be a module key: 1 to 64 lowercase letters, digits "
                           "and hyphens.")
    with sessions() as session:
        try:
            module = CatalogRepository(session, org_id).get(module_key)
        except ModuleNotFound:
            module = None
        if (module is None or module.status is not ModuleStatus.PUBLISHED
                or module.kind is not ModuleKind.TRAINING_REFRESHER
                or module.audience is not Audience.INTERNAL):
            raise NotFound("No training refresher of this org has that id.")
        recorded = dismiss_refresher(session, org_id, user_id, module_key)
        session.commit()
    states.forget(org_id, user_id)
    return recorded
