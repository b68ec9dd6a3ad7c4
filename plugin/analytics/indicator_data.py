"""Loads what the leading indicators are computed from (impressions, events, outcomes, meetings,
people, deal owners) for one org and window. Design: docs/analytics.md."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping, Sequence

from sqlalchemy.orm import Session

from content_catalog.deal_outcomes import DealOutcomes
from content_catalog.events import ImpressionOrigin, PanelEventLog, ShownWithEvents
from content_catalog.opportunity_history import OpportunityHistory
from content_catalog.people_store import PeopleStore
from content_catalog.taxonomy import DEFAULT_STAGE_PHASES, JourneyPhase
from content_catalog.repository import CatalogRepository
from plugin.analytics.leading_indicators import (
    DEFAULT_PREP_DAYS, IndicatorInputs, proposal_stage_of, week_of,
)
from plugin.deals.people import OrgPeople

#: How far before the window a value analysis may have been used on a deal that closes in it.
VALUE_ANALYSIS_LOOKBACK = timedelta(days=120)
WINDOW_WEEKS = (4, 8, 12, 26)
DEFAULT_WEEKS = 8


@dataclass(frozen=True)
class IndicatorData:
    inputs: IndicatorInputs
    people: OrgPeople


def load_indicator_data(session: Session, org_id: str, *, today: date, weeks: int,
                        stage_order: Sequence[str], known_owners: Mapping[str, str] = {},
                        prep_days: int = DEFAULT_PREP_DAYS,
                        stage_phases: Mapping[str, JourneyPhase] | None = None) -> IndicatorData:
    """``weeks`` whole weeks ending with the current one. ``known_owners`` (opportunity →
    owner) comes first; else a meeting's owner; else the rep who saw the deal's suggestions most.
    ``stage_phases``: the org's stage → phase mapping (the defaults' without one)."""
    until = week_of(today) + timedelta(days=7)
    since = until - timedelta(weeks=weeks)
    start = datetime.combine(since, time(), timezone.utc)
    end = datetime.combine(until, time(), timezone.utc)
    shown = PanelEventLog(session, org_id).shown_with_events(
        start - VALUE_ANALYSIS_LOOKBACK, end,
        origins=(ImpressionOrigin.SUGGESTIONS, ImpressionOrigin.SEARCH))
    store = PeopleStore(session, org_id)
    # Meetings that have happened: up to the start of today (a meeting later today or next
    # week cannot have been prepared for yet, nor missed).
    meetings = store.meetings(since=start, until=min(end, datetime.combine(today, time(),
                                                                           timezone.utc)))
    people = OrgPeople.build(store.users(), store.roles(), store.region_mappings())
    kinds = {m.key: m.kind.value for m in CatalogRepository(session, org_id).list()}
    owners = deal_owners(shown, meetings, known_owners)
    inputs = IndicatorInputs(
        since=since, until=until, shown=shown,
        outcomes=DealOutcomes(session, org_id).by_opportunity(), meetings=meetings,
        owners=owners, module_kinds=kinds, stage_order=list(stage_order),
        proposal_stage=proposal_stage_of(stage_order), prep_days=prep_days,
        stage_history=stage_histories(session, org_id),
        past_buying=frozenset(stage.strip().casefold() for stage, phase in
                              (stage_phases or DEFAULT_STAGE_PHASES).items()
                              if phase == JourneyPhase.IMPLEMENTATION_ADOPTION))
    return IndicatorData(inputs, people)


def stage_histories(session: Session, org_id: str) -> dict[str, list[tuple[str, datetime]]]:
    """Opportunity → its synced stage history, (stage, entered at) oldest first."""
    found: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    for entry in OpportunityHistory(session, org_id).entries():
        found[entry.opportunity_id].append((entry.stage, entry.created_at))
    return dict(found)


def deal_owners(shown: Sequence[ShownWithEvents], meetings: Sequence, known: Mapping[str, str]
                ) -> dict[str, str]:
    """Opportunity → owner: ``known`` first, then the owner of its meetings, then the rep who
    saw its suggestions most often (ties: the lowest Id, so the answer is stable)."""
    viewers: dict[str, Counter[str]] = defaultdict(Counter)
    for item in shown:
        impression = item.impression
        if impression.opportunity_id and impression.user_id:
            viewers[impression.opportunity_id][impression.user_id] += 1
    owners = {opp: min(c, key=lambda u: (-c[u], u)) for opp, c in viewers.items()}
    owners.update({m.opportunity_id: m.owner_id for m in meetings if m.owner_id})
    owners.update(known)
    return owners


__all__ = ["DEFAULT_WEEKS", "IndicatorData", "VALUE_ANALYSIS_LOOKBACK", "WINDOW_WEEKS",
           "deal_owners", "load_indicator_data", "stage_histories"]
