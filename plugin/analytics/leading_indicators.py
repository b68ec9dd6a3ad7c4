"""Leading indicators per rep, team and region, by week: business-value analysis before the
proposal, preparation before meetings, suggestions seen vs used. Pure; design: docs/analytics.md."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable, Mapping, Sequence

from content_catalog.deal_outcomes import DealOutcome
from content_catalog.events import EventKind, ImpressionOrigin, ShownWithEvents
from content_catalog.people_store import Meeting
from plugin.deals.people import OrgPeople
from recommender.evaluation import Interval, wilson_interval

#: The kind of module that counts as a business-value analysis (the business case template).
VALUE_ANALYSIS_KIND = "business_case_template"
#: What counts as using a module: working with it, not only opening it.
USE_KINDS = frozenset({EventKind.PERSONALISE, EventKind.COPY, EventKind.DOWNLOAD, EventKind.SHARE})
#: What counts as a value analysis done with the panel: the template opened or worked with (a rep
#: who read it may have built the analysis outside the panel; see docs/analytics.md).
VALUE_ANALYSIS_EVENTS = USE_KINDS | {EventKind.OPEN}
#: What counts as preparing with a module before a meeting.
PREP_KINDS = frozenset({EventKind.OPEN, EventKind.PERSONALISE})
DEFAULT_PREP_DAYS = 3
INDICATORS = ("value_analysis", "preparation", "suggestions")


@dataclass(frozen=True)
class DealLine:
    """One deal behind a figure (a closed deal, a meeting on it, or a day's suggestions on it):
    ``counted`` of its ``total`` went to the numerator."""

    opportunity_id: str
    owner_id: str | None
    counted: int
    #: When: the day it got past buying or closed (value analysis), the meeting's day, the day
    #: suggestions were seen.
    on: date
    #: Why it did or did not count, in a few words.
    detail: str
    total: int = 1


@dataclass(frozen=True)
class Figure:
    numerator: int = 0
    denominator: int = 0
    lines: tuple[DealLine, ...] = ()

    @property
    def interval(self) -> Interval:
        return wilson_interval(self.numerator, self.denominator)

    @property
    def share(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def __add__(self, other: Figure) -> Figure:
        return Figure(self.numerator + other.numerator, self.denominator + other.denominator,
                      self.lines + other.lines)


@dataclass(frozen=True)
class Indicators:
    """The three figures over the whole window, and by week (Monday first, oldest first)."""

    value_analysis: Figure = Figure()
    preparation: Figure = Figure()
    suggestions: Figure = Figure()
    weeks: tuple[tuple[date, Figure, Figure, Figure], ...] = ()

    def figure(self, name: str) -> Figure:
        return getattr(self, name)


@dataclass(frozen=True)
class ScopeIndicators:
    """One rep, team or region: who it covers and their indicators."""

    kind: str  # "rep", "team", "region" or "org"
    key: str
    label: str
    members: frozenset[str]
    indicators: Indicators


@dataclass(frozen=True)
class IndicatorInputs:
    """What the figures are computed from, loaded by the caller for ``[since, until)``."""

    since: date
    until: date
    #: Every impression in the window (suggestions and searches) with its events.
    shown: Sequence[ShownWithEvents]
    #: Closed deals by opportunity id (the close dates decide the week).
    outcomes: Mapping[str, DealOutcome]
    meetings: Sequence[Meeting]
    #: Opportunity id → its owner's User Id.
    owners: Mapping[str, str]
    #: Module key → its kind.
    module_kinds: Mapping[str, str]
    #: Stages in pipeline order; the proposal stage is where the value analysis is due by.
    stage_order: Sequence[str]
    proposal_stage: str | None
    prep_days: int = DEFAULT_PREP_DAYS
    #: Opportunity id → its synced stage history, (stage, entered at) oldest first; deals with
    #: none fall back to the closed deals and the stages the panel logged.
    stage_history: Mapping[str, Sequence[tuple[str, datetime]]] = field(default_factory=dict)
    #: Stages (case-folded) the org maps to a phase past buying: reaching one counts a deal.
    past_buying: frozenset[str] = frozenset()


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def proposal_stage_of(stages: Sequence[str]) -> str | None:
    """The first stage whose name says proposal or quote ("Proposal/Price Quote")."""
    for stage in stages:
        words = stage.casefold()
        if "proposal" in words or "quote" in words:
            return stage
    return None


def rep_lines(inputs: IndicatorInputs) -> dict[str, dict[str, list[DealLine]]]:
    """user id → indicator name → the lines behind it, for every rep the inputs name."""
    found: dict[str, dict[str, list[DealLine]]] = defaultdict(lambda: defaultdict(list))
    for owner, line in _value_analysis_lines(inputs):
        found[owner]["value_analysis"].append(line)
    for owner, line in _preparation_lines(inputs):
        found[owner]["preparation"].append(line)
    for user, line in _suggestion_lines(inputs):
        found[user]["suggestions"].append(line)
    return found


def indicators_for(reps: Iterable[str], inputs: IndicatorInputs,
                   lines: Mapping[str, Mapping[str, list[DealLine]]] | None = None) -> Indicators:
    """The indicators of a set of reps together (one rep, a team, a region): what the
    coaching view calls. ``lines`` is :func:`rep_lines`' answer, to compute it once for many sets."""
    lines = rep_lines(inputs) if lines is None else lines
    chosen: dict[str, list[DealLine]] = {name: [] for name in INDICATORS}
    for rep in set(reps):
        for name in INDICATORS:
            chosen[name].extend(lines.get(rep, {}).get(name, ()))
    weeks = []
    week = week_of(inputs.since)
    while week < inputs.until:
        end = week + timedelta(days=7)
        weeks.append((week, *(_figure([ln for ln in chosen[name] if week <= ln.on < end])
                              for name in INDICATORS)))
        week = end
    return Indicators(*(_figure(chosen[name]) for name in INDICATORS), weeks=tuple(weeks))


def scopes(people: OrgPeople, inputs: IndicatorInputs, *, visible: frozenset[str] | None = None
           ) -> list[ScopeIndicators]:
    """Every rep with activity, every team (a manager with reports) and every region, limited
    to ``visible`` reps when given (a manager's team). Ordered by kind, then name: never by a
    figure, so nobody is ranked."""
    lines = rep_lines(inputs)
    reps = set(lines) if visible is None else set(lines) & visible
    out = [ScopeIndicators("rep", r, people.name(r) or r, frozenset({r}),
                           indicators_for({r}, inputs, lines)) for r in reps]
    managers = [u for u in people.users if people.team(u)]
    for manager in managers:
        members = people.team(manager) & reps
        if members and (visible is None or people.team(manager) <= visible | {manager}):
            out.append(ScopeIndicators("team", manager, f"{people.name(manager)}'s team",
                                       frozenset(members), indicators_for(members, inputs, lines)))
    for region in people.regions():
        members = people.in_region(region) & reps
        if members and visible is None:
            out.append(ScopeIndicators("region", region, region, frozenset(members),
                                       indicators_for(members, inputs, lines)))
    order = {"region": 0, "team": 1, "rep": 2}
    return sorted(out, key=lambda s: (order[s.kind], s.label.casefold(), s.key))


def _figure(lines: list[DealLine]) -> Figure:
    ordered = tuple(sorted(lines, key=lambda ln: (ln.on, ln.opportunity_id)))
    return Figure(sum(ln.counted for ln in ordered), sum(ln.total for ln in ordered), ordered)


def _value_analysis_lines(inputs: IndicatorInputs):
    """Deals past the buying phase in the window: was a business-value analysis used before the
    proposal stage? With a stage history: the deals that reached a stage past buying in the
    window, a use counted before the deal first entered the proposal stage (or a later one).
    Without one: the deals closed in the window, a use counted in a stage the panel logged as
    earlier than the proposal stage."""
    rank = {stage.casefold(): n for n, stage in enumerate(inputs.stage_order)}
    due = rank.get((inputs.proposal_stage or "").casefold())
    history = inputs.stage_history
    used_before: set[str] = set()
    for item in inputs.shown:
        impression = item.impression
        deal = impression.opportunity_id
        if inputs.module_kinds.get(impression.module_key) != VALUE_ANALYSIS_KIND or not deal:
            continue
        uses = [e.occurred_at for e in item.events if e.kind in VALUE_ANALYSIS_EVENTS]
        if not uses or due is None:
            continue
        if history.get(deal):
            proposal = _entered(history[deal], lambda st: rank.get(st, -1) >= due)
            if proposal is None or min(uses) < proposal:
                used_before.add(deal)
            continue
        stage = str(impression.context.get("stage") or "").casefold()
        if rank.get(stage, due) < due:
            used_before.add(deal)
    lines = {}
    for opportunity_id, stays in history.items():
        reached = _entered(stays, lambda st: st in inputs.past_buying)
        if reached is None or not inputs.since <= reached.date() < inputs.until:
            continue
        lines[opportunity_id] = (reached.date(), "reached " + next(
            st for st, at in stays if at == reached))
    for opportunity_id, outcome in inputs.outcomes.items():
        closed = outcome.close_date
        if history.get(opportunity_id) or closed is None or not inputs.since <= closed < inputs.until:
            continue
        lines[opportunity_id] = (closed, "won" if outcome.won else "lost")
    for opportunity_id, (on, how) in lines.items():
        owner = inputs.owners.get(opportunity_id)
        if owner is None:
            continue
        counted = opportunity_id in used_before
        yield owner, DealLine(opportunity_id, owner, int(counted), on,
                              ("value analysis used before the proposal" if counted
                               else "no value analysis used before the proposal")
                              + f" · {how}")


def _entered(stays: Sequence[tuple[str, datetime]], which) -> datetime | None:
    """When the deal first entered a stage ``which`` (given the case-folded name) accepts."""
    return next((at for stage, at in stays if which(stage.strip().casefold())), None)


def _preparation_lines(inputs: IndicatorInputs):
    """Meetings of the window: was content opened or personalised on the deal in the days before?"""
    prepared: dict[str, list[datetime]] = defaultdict(list)
    for item in inputs.shown:
        if item.impression.opportunity_id:
            prepared[item.impression.opportunity_id].extend(
                e.occurred_at for e in item.events if e.kind in PREP_KINDS)
    window = timedelta(days=inputs.prep_days)
    for meeting in inputs.meetings:
        day = meeting.starts_at.date()
        owner = meeting.owner_id or inputs.owners.get(meeting.opportunity_id)
        if owner is None or not inputs.since <= day < inputs.until:
            continue
        counted = any(meeting.starts_at - window <= at < meeting.starts_at
                      for at in prepared.get(meeting.opportunity_id, ()))
        yield owner, DealLine(meeting.opportunity_id, owner, int(counted), day,
                              f"meeting {meeting.starts_at:%d %b %H:%M} UTC: "
                              + ("content opened or personalised in the "
                                 f"{inputs.prep_days} days before" if counted
                                 else f"nothing opened in the {inputs.prep_days} days before"))


def _suggestion_lines(inputs: IndicatorInputs):
    """Per rep, deal and week: suggestions seen, and how many of them were used."""
    tally: dict[tuple[str, str, date], list[int]] = defaultdict(lambda: [0, 0])
    for item in inputs.shown:
        impression = item.impression
        if impression.origin is not ImpressionOrigin.SUGGESTIONS or not impression.user_id:
            continue
        day = impression.shown_at.date()
        if not inputs.since <= day < inputs.until:
            continue
        key = (impression.user_id, impression.opportunity_id or "", day)
        tally[key][0] += 1
        tally[key][1] += any(e.kind in USE_KINDS for e in item.events)
    for (user, opportunity_id, day), (seen, used) in tally.items():
        yield user, DealLine(opportunity_id, inputs.owners.get(opportunity_id), used, day,
                             f"{seen} suggestions seen, {used} used", total=seen)


__all__ = [
    "DEFAULT_PREP_DAYS", "DealLine", "Figure", "INDICATORS", "IndicatorInputs", "Indicators",
    "PREP_KINDS", "ScopeIndicators", "USE_KINDS", "VALUE_ANALYSIS_EVENTS", "VALUE_ANALYSIS_KIND", "indicators_for",
    "proposal_stage_of", "rep_lines", "scopes", "week_of",
]
