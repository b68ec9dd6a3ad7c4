"""Each org's stage norms, deals' present stays and stage-advance evidence, loaded together and
held in memory for a few minutes, so a panel view asks no question of its own to find a stuck
deal. Design: docs/design/deals.md."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Callable, Mapping, Sequence

from sqlalchemy.orm import Session, sessionmaker

from content_catalog.opportunity_history import OpportunityHistory, closing_stages, module_uses
from plugin.deals.stage_evidence import USE_KINDS, StageEvidence, stage_evidence
from plugin.deals.stage_norms import (
    StageChange, StageNorm, StageNorms, StageStint, StuckNotice, stage_norms, stage_stints,
    stuck_notice,
)

log = logging.getLogger(__name__)

#: How long an org's figures are held before the next view reads them again.
MAX_AGE_SECONDS = 600.0
#: Said closed even before any outcome is synced (Salesforce's default stage names).
DEFAULT_WON, DEFAULT_LOST = "Closed Won", "Closed Lost"


@dataclass(frozen=True)
class DealStages:
    """One org's figures as read at ``read_at``."""

    norms: StageNorms
    #: Each open deal's present stay, by opportunity Id.
    present: Mapping[str, StageStint]
    #: Stage key (case-folded) → baseline and module evidence.
    evidence: Mapping[str, StageEvidence]
    read_at: datetime


@dataclass(frozen=True)
class StuckDeal:
    """A deal past its stage's usual time: what the rep reads, and its stage's evidence."""

    notice: StuckNotice
    evidence: StageEvidence | None


def read_deal_stages(session: Session, org_id: str, stage_order: Sequence[str],
                     now: datetime) -> DealStages:
    """Three questions: the stage history, the stages closed deals ended in, the modules used."""
    entries = OpportunityHistory(session, org_id).entries()
    won, lost = closing_stages(session, org_id)
    won.add(DEFAULT_WON)
    changes = [StageChange(e.opportunity_id, e.stage, e.created_at, e.amount) for e in entries]
    stints = stage_stints(changes, closed_stages=won | lost | {DEFAULT_LOST}, now=now)
    latest_amount: dict[str, float | None] = {}
    for entry in entries:
        latest_amount[entry.opportunity_id] = None if entry.amount is None else float(entry.amount)
    norms = stage_norms(stints, deal_amounts=latest_amount)
    present = {s.opportunity_id: s for s in stints if not s.moved}
    evidence = stage_evidence(stints, module_uses(session, org_id, USE_KINDS),
                              stage_order=stage_order, won_stages=won,
                              lost_stages=lost | {DEFAULT_LOST}, norms=norms)
    return DealStages(norms, present, evidence, now)


class StuckDeals:
    """Finds stuck deals from figures held per org, read again in the background once they are
    ``max_age`` seconds old while views go on with the old ones."""

    def __init__(self, sessions: sessionmaker[Session],
                 stage_order_for: Callable[[str], Sequence[str]], *,
                 max_age: float = MAX_AGE_SECONDS, clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self._sessions = sessions
        self._stage_order_for = stage_order_for
        self._max_age = max_age
        self._clock = clock
        self._now = now
        self._held: dict[str, tuple[float, DealStages]] = {}
        self._lock = threading.Lock()

    def stages(self, org_id: str) -> DealStages:
        """The org's figures: read now if none are held (the org's first view), else those held,
        read again in a background thread once they are old (the view does not wait)."""
        held = self._held.get(org_id)
        if held is None:
            with self._lock:
                held = self._held.get(org_id) or self._read(org_id)
            return held[1]
        if self._clock() - held[0] >= self._max_age and self._lock.acquire(blocking=False):
            threading.Thread(target=self._read_again, args=(org_id,), daemon=True,
                             name=f"stage-norms-{org_id[:15]}").start()
        return held[1]

    def _read(self, org_id: str) -> tuple[float, DealStages]:
        with self._sessions() as session:
            read = read_deal_stages(session, org_id, self._stage_order_for(org_id), self._now())
        held = (self._clock(), read)
        self._held[org_id] = held
        return held

    def _read_again(self, org_id: str) -> None:
        """In the background, holding the lock a caller took for it."""
        try:
            self._read(org_id)
        except Exception:  # noqa: BLE001 - the old figures serve; the next view tries again
            log.exception("could not read the stage figures of org %s again", org_id)
        finally:
            self._lock.release()

    def forget(self, org_id: str) -> None:
        """Read the org again at its next view (after a sync)."""
        self._held.pop(org_id, None)

    def stuck(self, org_id: str, opportunity_id: str, stage: str | None,
              amount: float | Decimal | None = None) -> StuckDeal | None:
        """The deal's notice when it has stayed in ``stage`` (the stage the CRM shows now)
        longer than usual; None otherwise, or when the history has not caught up with it."""
        figures = self.stages(org_id)
        present = figures.present.get(opportunity_id)
        if present is None or not stage or present.stage.casefold() != stage.strip().casefold():
            return None
        days = (self._now() - present.entered_at) / timedelta(days=1)
        stay = StageStint(present.opportunity_id, present.stage, present.entered_at, days, False,
                          present.amount if amount is None else float(amount))
        notice = stuck_notice(figures.norms, stay)
        if notice is None:
            return None
        return StuckDeal(notice, figures.evidence.get(present.stage.strip().casefold()))


@dataclass(frozen=True)
class StageNormRow:
    """One stage on the admin's mapping page: its norm for all sizes and by size band."""

    stage: str
    norm: StageNorm
    bands: tuple[StageNorm, ...]


def stage_norm_rows(sessions: sessionmaker[Session], org_id: str, stage_order: Sequence[str],
                    now: datetime | None = None) -> list[StageNormRow]:
    """The org's stages with norms, in ``stage_order`` (stages it does not list after, most
    observed first); read afresh, for an admin's page."""
    with sessions() as session:
        figures = read_deal_stages(session, org_id, stage_order,
                                   now or datetime.now(timezone.utc))
    place = {stage.casefold(): n for n, stage in enumerate(stage_order)}
    norms = sorted(figures.norms.stages(),
                   key=lambda n: place.get(n.stage.casefold(), len(place)))
    return [StageNormRow(n.stage, n, tuple(figures.norms.bands_of(n.stage))) for n in norms]


__all__ = ["DealStages", "MAX_AGE_SECONDS", "StageNormRow", "StuckDeal", "StuckDeals",
           "read_deal_stages", "stage_norm_rows"]
