"""What the coaching view shows: the coached reps' open deals (stage, days in stage, the stuck
flag, the content used on each, what the manager recommended), and per rep suggestions seen and used."""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable, Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content_catalog.events import EventKind, ImpressionOrigin
from content_catalog.manager_recommendations import ManagerRecommendation, ManagerRecommendations
from content_catalog.people_store import PeopleStore
from content_catalog.repository import CatalogRepository
from content_catalog.tables.learning_tables import PanelEventRow, PanelImpressionRow
from plugin.coaching.team_reach import coached_reps, is_channel_manager
from plugin.crm.records import OpportunityRecord
from plugin.deals.people import OrgPeople

#: What counts as using a module on a deal (an open alone is reading it).
USE_KINDS = (EventKind.PERSONALISE, EventKind.COPY, EventKind.DOWNLOAD, EventKind.SHARE)
#: How far back the per-rep figures and the deals seen in the panel reach.
WINDOW_DAYS = 90
#: Deals shown at most (the coached reps' open deals, soonest close first).
DEALS_AT_MOST = 200


@dataclass(frozen=True)
class StageTime:
    """How long the deal has been in its stage, and whether that is longer than usual in this
    org (None: not enough of the org's history to say)."""

    days: int
    stuck: bool | None = None
    usual_days: float | None = None


#: The stuck-deal seam: an opportunity's time in its stage, or None when there is no stage
#: history for it (``plugin/deals/stage_norms.py`` on the stuck-deals branch answers it).
StageClock = Callable[[OpportunityRecord], StageTime | None]


@dataclass(frozen=True)
class UsedContent:
    module_key: str
    title: str
    used: bool  # personalised, copied, downloaded or shared; else only opened


@dataclass(frozen=True)
class CoachedDeal:
    record: OpportunityRecord
    owner_name: str
    owner_is_partner: bool
    stage_time: StageTime | None
    content: tuple[UsedContent, ...]
    recommendations: tuple[ManagerRecommendation, ...]


@dataclass(frozen=True)
class RepFigures:
    """Suggestions the rep was shown in the window and how many of them they used."""

    rep_id: str
    name: str
    partner: bool
    open_deals: int
    suggestions_seen: int
    suggestions_used: int

    @property
    def used_share(self) -> float | None:
        return self.suggestions_used / self.suggestions_seen if self.suggestions_seen else None


@dataclass(frozen=True)
class CoachingView:
    manager_id: str
    channel: bool
    region: str | None
    reps: tuple[RepFigures, ...]
    deals: tuple[CoachedDeal, ...]
    since: date


def build_coaching_view(sessions: Callable[[], Session], org_id: str, manager_id: str,
                        records: Iterable[OpportunityRecord] | None, today: date,
                        stage_clock: StageClock | None = None) -> CoachingView:
    """``records``: the org's open deals when the source can list them (the demo's); None
    reads the deals the coached reps opened the panel on in the window instead."""
    since = today - timedelta(days=WINDOW_DAYS)
    start = datetime.combine(since, time.min, tzinfo=timezone.utc)
    with sessions() as session:
        people = OrgPeople.build(PeopleStore(session, org_id).users())
        reps = coached_reps(people, manager_id)
        if records is None:
            records = deals_seen_in_panel(session, org_id, reps, start)
        deals = sorted((r for r in records if r.owner_id in reps and not r.is_closed),
                       key=lambda r: (r.close_date or date.max, r.name))[:DEALS_AT_MOST]
        ids = [d.opportunity_id for d in deals]
        content = _content_used(session, org_id, ids)
        recommended = defaultdict(list)
        for rec in ManagerRecommendations(session, org_id).on_deals(ids):
            recommended[rec.opportunity_id].append(rec)
        figures = _rep_figures(session, org_id, reps, start)
    coached = tuple(
        CoachedDeal(d, people.name(d.owner_id) or d.owner_id or "", people.is_partner(d.owner_id),
                    stage_clock(d) if stage_clock else None, content.get(d.opportunity_id, ()),
                    tuple(recommended[d.opportunity_id]))
        for d in deals)
    open_deals = defaultdict(int)
    for d in deals:
        open_deals[d.owner_id] += 1
    rep_rows = tuple(sorted(
        (RepFigures(r, people.name(r) or r, people.is_partner(r), open_deals[r],
                    *figures.get(r, (0, 0))) for r in reps),
        key=lambda f: (f.partner, f.name.casefold())))
    return CoachingView(manager_id, is_channel_manager(people, manager_id),
                        people.region(manager_id), rep_rows, coached, since)


def deals_seen_in_panel(session: Session, org_id: str, reps: Sequence[str] | frozenset[str],
                        since: datetime) -> list[OpportunityRecord]:
    """The deals the reps opened the panel on since ``since``, their stage as last shown."""
    if not reps:
        return []
    latest = (select(PanelImpressionRow.opportunity_id, PanelImpressionRow.user_id,
                     func.max(PanelImpressionRow.shown_at).label("at"))
              .where(PanelImpressionRow.org_id == org_id, PanelImpressionRow.shown_at >= since,
                     PanelImpressionRow.user_id.in_(list(reps)),
                     PanelImpressionRow.opportunity_id.is_not(None))
              .group_by(PanelImpressionRow.opportunity_id, PanelImpressionRow.user_id).subquery())
    rows = session.execute(
        select(latest.c.opportunity_id, latest.c.user_id, PanelImpressionRow.context)
        .join(PanelImpressionRow, (PanelImpressionRow.opportunity_id == latest.c.opportunity_id)
              & (PanelImpressionRow.user_id == latest.c.user_id)
              & (PanelImpressionRow.shown_at == latest.c.at)))
    found: dict[str, OpportunityRecord] = {}
    for opportunity_id, user_id, context in rows:
        stage = (json.loads(context or "{}") or {}).get("stage")
        found[opportunity_id] = OpportunityRecord(
            opportunity_id=opportunity_id, name=opportunity_id, stage=stage, owner_id=user_id)
    return list(found.values())


def _content_used(session: Session, org_id: str,
                  opportunity_ids: list[str]) -> dict[str, tuple[UsedContent, ...]]:
    """Per deal, the modules opened or used on it from the panel (any origin), used first."""
    if not opportunity_ids:
        return {}
    rows = session.execute(
        select(PanelImpressionRow.opportunity_id, PanelImpressionRow.module_key, PanelEventRow.kind)
        .join(PanelEventRow, PanelEventRow.impression_id == PanelImpressionRow.impression_id)
        .where(PanelImpressionRow.org_id == org_id,
               PanelImpressionRow.opportunity_id.in_(opportunity_ids),
               PanelEventRow.kind.in_([EventKind.OPEN.value] + [k.value for k in USE_KINDS])))
    used: dict[str, dict[str, bool]] = defaultdict(dict)
    for opportunity_id, key, kind in rows:
        used[opportunity_id][key] = used[opportunity_id].get(key, False) or kind != EventKind.OPEN
    keys = {k for modules in used.values() for k in modules}
    titles = {k: m.title for k, m in CatalogRepository(session, org_id).find(keys).items()}
    return {
        deal: tuple(sorted((UsedContent(k, titles.get(k, k), u) for k, u in modules.items()),
                           key=lambda c: (not c.used, c.title.casefold())))
        for deal, modules in used.items()
    }


def _rep_figures(session: Session, org_id: str, reps: frozenset[str],
                 since: datetime) -> dict[str, tuple[int, int]]:
    """Per rep: suggestions shown since ``since`` (the ranker's, not searches or managers'),
    and how many of those they used."""
    if not reps:
        return {}
    shown = (PanelImpressionRow.org_id == org_id, PanelImpressionRow.shown_at >= since,
             PanelImpressionRow.user_id.in_(list(reps)),
             PanelImpressionRow.origin == ImpressionOrigin.SUGGESTIONS.value)
    seen = dict(session.execute(
        select(PanelImpressionRow.user_id, func.count()).where(*shown)
        .group_by(PanelImpressionRow.user_id)).all())
    used = dict(session.execute(
        select(PanelImpressionRow.user_id,
               func.count(func.distinct(PanelImpressionRow.impression_id)))
        .join(PanelEventRow, PanelEventRow.impression_id == PanelImpressionRow.impression_id)
        .where(*shown, PanelEventRow.kind.in_([k.value for k in USE_KINDS]))
        .group_by(PanelImpressionRow.user_id)).all())
    return {rep: (seen.get(rep, 0), used.get(rep, 0)) for rep in reps}
