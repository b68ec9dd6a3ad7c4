"""The analytics roll-up job: rebuilds an org's roll-ups of the longest window from its logged
impressions, in one transaction per org (``beinspired analytics rollup``, and the worker)."""
from __future__ import annotations

import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.analytics_rollups import AnalyticsRollups, RollupState
from content_catalog.repository import OrgNotFound
from content_catalog.tables.catalog_tables import Org
from plugin.analytics.log_tally import LogTally, tally
from plugin.analytics.page_data import WINDOWS
from plugin.analytics.simulated_share import simulated_rollup_rows
from plugin.ranking.logged_views import logged_impressions

#: The roll-ups reach back as far as the longest window.
ROLLUP_DAYS = max(WINDOWS)
#: Impressions reach the database a moment after they were shown (the recorder writes in the
#: background); the roll-up stops this long before it starts, so it does not miss them.
SETTLE = timedelta(minutes=2)
#: Impressions read at a time.
CHUNK = timedelta(days=7)
#: The pages use a roll-up for this many days after its own (the worker's next runs replace it
#: long before; an older one is not used, and the pages read raw impressions).
USABLE_DAYS = 7


@dataclass(frozen=True)
class RollupReport:
    org_id: str
    impressions: int
    rows: int
    covered_until: datetime
    seconds: float

    def line(self) -> str:
        return (f"{self.org_id}: {self.impressions} impressions rolled up into {self.rows} rows "
                f"up to {self.covered_until:%Y-%m-%d %H:%M} UTC in {self.seconds:.1f} s")


def rollup_span(today: date, now: datetime) -> tuple[datetime, datetime]:
    """[starts_at, covered_until): the longest window ending ``today``, up to :data:`SETTLE`
    before ``now`` (or the end of ``today``, if sooner)."""
    end_of_today = datetime.combine(today + timedelta(days=1), time.min, tzinfo=timezone.utc)
    starts_at = end_of_today - timedelta(days=ROLLUP_DAYS)
    return starts_at, max(starts_at, min(end_of_today, now - SETTLE))


def window_starts(today: date) -> tuple[date, ...]:
    """The first days of every window the pages may ask for from ``today`` to
    :data:`USABLE_DAYS` later: where the deal tallies' buckets are cut."""
    return tuple(sorted({today + timedelta(days=later - days + 1)
                         for days in WINDOWS for later in range(USABLE_DAYS + 1)}))


class AnalyticsRollupJob:
    """Builds roll-ups with the service's day and the wall clock."""

    def __init__(self, sessions: sessionmaker[Session], today: Callable[[], date],
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 timer: Callable[[], float] = clock.monotonic):
        self._sessions = sessions
        self._today = today
        self._now = now
        self._timer = timer

    def rebuild(self, org_id: str) -> RollupReport:
        """Raises :class:`OrgNotFound` for an org the service does not hold."""
        started = self._timer()
        today = self._today()
        starts_at, covered_until = rollup_span(today, self._now())
        with self._sessions.begin() as session:
            if session.get(Org, org_id) is None:
                raise OrgNotFound(org_id)
            counted, impressions = LogTally(), 0
            chunk_start = starts_at
            while chunk_start < covered_until:
                chunk_end = min(chunk_start + CHUNK, covered_until)
                shown = logged_impressions(session, org_id, chunk_start, chunk_end)
                impressions += len(shown)
                counted.merge(tally(shown))
                chunk_start = chunk_end
            simulated = simulated_rollup_rows(session, org_id, starts_at, covered_until)
            counted.activity.update(simulated[0])
            counted.modules.update(simulated[1])
            rows = AnalyticsRollups(session, org_id).replace(
                RollupState(org_id, starts_at, covered_until, self._now(), window_starts(today)),
                activity=counted.activity, modules=counted.modules, deals=counted.deals,
                outcomes=counted.outcomes)
        # After the commit, so the rebuild's transaction holds no ANALYZE lock.
        with self._sessions.begin() as session:
            AnalyticsRollups(session, org_id).refresh_statistics()
        return RollupReport(org_id, impressions, rows, covered_until, self._timer() - started)

    def org_ids(self) -> list[str]:
        with self._sessions() as session:
            return list(session.scalars(select(Org.org_id).order_by(Org.org_id)))

    def rebuild_all(self) -> list[RollupReport]:
        return [self.rebuild(org_id) for org_id in self.org_ids()]
