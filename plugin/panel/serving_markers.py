"""The few values a warm panel view reads of the database (catalog revision, active model,
picks revision, the rep's refresher stamp), held for a moment per (org, rep) and forgotten on
any commit of this process. Why, and what it costs: docs/design/panel.md."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy.orm import Session

from content_catalog.model_store import ModelMarker, serving_markers
from content_catalog.refresher_state import RepStamp, serving_markers_for_rep

#: More (org, rep) pairs than this held at once, and those older than the hold are dropped.
MAX_HELD = 10_000


@dataclass(frozen=True)
class Markers:
    revision: int
    model: ModelMarker | None
    picks_revision: int
    #: The rep's refresher stamp; None for a view shown to nobody in particular.
    stamp: RepStamp | None


def read_markers(session: Session, org_id: str, viewer: str | None) -> Markers:
    """One statement: the org's markers, and the viewer's stamp when there is a viewer.
    Raises ``OrgNotFound`` for an unknown org."""
    if viewer is None:
        revision, model, picks = serving_markers(session, org_id)
        return Markers(revision, model, picks, None)
    revision, model, stamp, picks = serving_markers_for_rep(session, org_id, viewer)
    return Markers(revision, model, picks, stamp)


class ServingMarkers:
    """:func:`read_markers`, each answer reused for ``hold_s`` seconds from the moment its
    statement was sent (0: read on every view, the previous path)."""

    def __init__(self, hold_s: float, clock: Callable[[], float] = time.monotonic):
        if hold_s < 0:
            raise ValueError(f"hold_s must not be negative (got {hold_s})")
        self.hold_s = hold_s
        self._clock = clock
        self._held: dict[tuple[str, str | None], tuple[float, Markers]] = {}
        #: Moves on each :meth:`forget`: an answer read before it is not kept after it.
        self._generation = 0
        self._lock = threading.Lock()
        self.reads = 0
        self.reuses = 0

    def get(self, session: Session, org_id: str, viewer: str | None) -> Markers:
        if self.hold_s == 0:
            self.reads += 1
            return read_markers(session, org_id, viewer)
        key = (org_id, viewer)
        asked_at = self._clock()
        held = self._held.get(key)
        if held is not None and asked_at - held[0] < self.hold_s:
            self.reuses += 1
            return held[1]
        generation = self._generation
        markers = read_markers(session, org_id, viewer)
        self.reads += 1
        with self._lock:
            # A commit of this process during the read may have moved what was read.
            if generation == self._generation:
                if len(self._held) >= MAX_HELD:
                    self._drop_expired(asked_at)
                self._held[key] = (asked_at, markers)
        return markers

    def forget(self) -> None:
        """Something this process committed may have moved a marker: read afresh."""
        with self._lock:
            self._generation += 1
            self._held = {}

    def _drop_expired(self, now: float) -> None:
        self._held = {key: held for key, held in self._held.items()
                      if now - held[0] < self.hold_s}
        if len(self._held) >= MAX_HELD:
            self._held = {}


__all__ = ["MAX_HELD", "Markers", "ServingMarkers", "read_markers"]
