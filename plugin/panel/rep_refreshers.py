"""Each rep's training refreshers as the panel needs them: held in memory per (org, rep), read
again only when the stamp the view's one statement reads for the rep (or the catalog) moves.
Design: docs/design/panel.md."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable

from sqlalchemy.orm import Session

from content_catalog.modules import MODULE_KEY
from content_catalog.refresher_state import RepStamp, dismiss_refresher, rep_refreshers
from content_catalog.repository import CatalogRepository, ModuleNotFound
from content_catalog.taxonomy import Audience, ModuleKind, ModuleStatus
from plugin.errors import InvalidInput, NotFound
from recommender.refreshers import RefresherUse
from recommender.types import Suggestion

#: Reps held per process before the least recently seen is dropped (a few hundred bytes each).
MAX_REPS = 20_000
#: Situations held per process (10 suggestions each, a few kilobytes).
MAX_SITUATIONS = 4_096


class RefresherStates:
    """Per (org, rep): the refreshers they used and dismissed, as ``RefresherUse``s, with the
    stamp and catalog revision they were read at. Thread-safe; a lost race reads a rep twice."""

    def __init__(self, *, max_reps: int = MAX_REPS):
        self._max_reps = max_reps
        self._held: OrderedDict[tuple[str, str], tuple[tuple[RepStamp, int],
                                                       tuple[RefresherUse, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def uses(self, session: Session, org_id: str, user_id: str, stamp: RepStamp,
             revision: int) -> tuple[RefresherUse, ...]:
        """The rep's refreshers: from memory if read at this ``stamp`` and catalog ``revision``
        (a module may have become a refresher), else read now (one statement)."""
        key, at = (org_id, user_id), (stamp, revision)
        with self._lock:
            held = self._held.get(key)
            if held is not None and held[0] == at:
                self._held.move_to_end(key)
                return held[1]
        read = tuple(
            RefresherUse(r.module_key, r.use_days, r.last_kind, r.dismissed)
            for r in rep_refreshers(session, org_id, user_id).values()
        )
        with self._lock:
            self._held[key] = (at, read)
            self._held.move_to_end(key)
            while len(self._held) > self._max_reps:
                self._held.popitem(last=False)
        return read

    def forget(self, org_id: str, user_id: str | None) -> None:
        """Drop what is held for the rep (their next view reads again)."""
        if user_id is None:
            return
        with self._lock:
            self._held.pop((org_id, user_id), None)


class Situations:
    """The ranker's deterministic internal candidates for a context, per (org, catalog revision,
    model, day, context): what a due refresher must be among to come back. Shared by every rep,
    so a record's situation is ranked once a day per revision, not on each view."""

    def __init__(self, *, max_entries: int = MAX_SITUATIONS):
        self._max = max_entries
        self._held: OrderedDict[Hashable, tuple[Suggestion, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, rank: Callable[[], tuple[Suggestion, ...]],
            ) -> tuple[Suggestion, ...]:
        try:
            hash(key)
        except TypeError:  # a context holding a list: rank it, nothing to hold it by
            return rank()
        with self._lock:
            held = self._held.get(key)
            if held is not None:
                self._held.move_to_end(key)
                return held
        ranked = rank()
        with self._lock:
            self._held[key] = ranked
            while len(self._held) > self._max:
                self._held.popitem(last=False)
        return ranked


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
