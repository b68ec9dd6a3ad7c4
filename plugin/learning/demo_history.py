"""A simulated, logged history for the demo org, so ``beinspired evaluate`` and the content
analytics have something to read without a real org (design: docs/design/learning.md)."""
from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.events import EventKind, Impression, PanelEvent, PanelEventLog
from content_catalog.events import add_impressions
from content_catalog.tables.learning_tables import PanelImpressionRow
from content_catalog.deal_outcomes import DealOutcome, DealOutcomes
from content_catalog.repository import CatalogRepository
from content_catalog.suggestion_stats import SuggestionStats
from content_catalog.taxonomy import Taxonomy
from plugin.ranking.context_mapping import context_from_record
from plugin.crm.demo_org import DEMO_ORG_ID, SIMULATED_REP_PREFIX, DemoOrg
from plugin.ranking.candidates import candidate_from_module, v1_ranker
from plugin.crm.salesforce.ids import to_18
from plugin.crm.records import OpportunityRecord
from recommender import feedback
from recommender.learning import LearnedRanker
from recommender.ranker import TagTextRanker
from recommender.simulation import DealSimulator
from recommender.types import CandidateModule

DEFAULT_WEEKS, DEFAULT_SEED, DEFAULT_VIEWS_PER_WEEK = 10, 7, 60
REPS = 12
_USES = (EventKind.PERSONALISE, EventKind.COPY, EventKind.DOWNLOAD, EventKind.SHARE)
_USE_SHARES = (0.35, 0.25, 0.2, 0.2)
_HELPFUL_REASONS = (
    "Sent it to the CFO with our numbers",
    "Exactly the industry story the buyer asked for",
    "Good proof point for the steering committee",
)
_UNHELPFUL_REASONS = (
    "Wrong industry for this account",
    "Too early in the deal for this",
    "Too long to send as it is",
    "Figures look out of date",
)
_REASON_SHARE = {EventKind.HELPFUL: 0.3, EventKind.NOT_HELPFUL: 0.5}


class DemoHistoryError(ValueError):
    """The demo history cannot be simulated (no demo catalog loaded, bad parameters)."""


@dataclass(frozen=True)
class DemoHistory:
    """What the simulation produced, ready to be written."""

    impressions: tuple[Impression, ...]
    events: tuple[PanelEvent, ...]
    outcomes: tuple[DealOutcome, ...]
    views: int
    #: Model version per week, oldest first: "v1", then the learned models.
    model_versions: tuple[str, ...]


@dataclass(frozen=True)
class SeedResult:
    views: int
    impressions: int
    events: int
    outcomes: int
    #: What was new in this run (0 everywhere when the history was seeded before).
    written_impressions: int
    written_events: int
    written_outcomes: int


# -- simulating -----------------------------------------------------------------------------------
def simulate_demo_history(
    catalog: Sequence[CandidateModule],
    records: Sequence[OpportunityRecord],
    taxonomy: Taxonomy,
    *,
    today: date,
    weeks: int = DEFAULT_WEEKS,
    seed: int = DEFAULT_SEED,
    views_per_week: int = DEFAULT_VIEWS_PER_WEEK,
    org_id: str = DEMO_ORG_ID,
) -> DemoHistory:
    """``weeks`` weeks of views ending before ``today``; the same arguments, the same history."""
    if weeks < 1 or views_per_week < 1:
        raise DemoHistoryError("weeks and views per week must be at least 1")
    if not catalog:
        raise DemoHistoryError("the demo org has no published modules: run `beinspired load-demo`")
    rng = np.random.default_rng(seed)
    simulator = DealSimulator(catalog, seed, today=today)
    base = v1_ranker(taxonomy)
    v1 = TagTextRanker(base.weights, base.labels).fit(catalog)
    first_day = datetime.combine(today - timedelta(weeks=weeks), time(), timezone.utc)
    logged: list[feedback.Impression] = []
    opportunities: dict[str, OpportunityRecord] = {}
    versions = []
    for week in range(weeks):
        start = first_day + timedelta(weeks=week)
        if week == 0:
            policy, version = (lambda c, r: v1.rank(c, today=start.date())), "v1"
        else:
            # The weeks logged before the ranker read "not helpful" votes: the history keeps
            # what reps kept rejecting, which the org's first trained model then sinks.
            learner = LearnedRanker(base, sink_rejected=False).fit(
                catalog, logged, today=start.date(), trained_at=start
            )
            policy = lambda c, r, m=learner, d=start.date(): m.rank(c, today=d, rng=r)  # noqa: E731
            version = learner.model_version_
        versions.append(version)
        numbers = range(week * views_per_week, (week + 1) * views_per_week)
        varied = [_varied_record(records, rng, seed, n) for n in numbers]
        opportunities.update((r.opportunity_id, r) for r in varied)
        contexts = [context_from_record(r, taxonomy).context for r in varied]
        shown = simulator.log_sessions(policy, contexts, rng, start=start, view_prefix=f"w{week}")
        logged += _as_panel_views(shown, varied, _view_times(rng, start, views_per_week))
    return _stored(logged, opportunities, rng, seed, today, org_id, len(opportunities), versions)


def _varied_record(
    records: Sequence[OpportunityRecord], rng: np.random.Generator, seed: int, n: int
) -> OpportunityRecord:
    """An opportunity like a bundled one: same story, some fields drawn from other records."""
    base = records[int(rng.integers(len(records)))]
    other = lambda: records[int(rng.integers(len(records)))]  # noqa: E731
    open_stages = [r.stage for r in records if not r.is_closed and r.stage]
    number = seed * 36**5 + n
    changes: dict = {"opportunity_id": _salesforce_id("006SIM", number), "is_closed": False}
    if base.is_won:  # an account being rolled out: the adoption phase, already won
        changes.update(is_closed=True)
    elif base.is_closed or rng.random() < 0.4:
        changes.update(stage=open_stages[int(rng.integers(len(open_stages)))], is_won=False)
    if rng.random() < 0.3:
        changes["industry"] = other().industry
    if rng.random() < 0.3:
        changes["challenge"] = other().challenge
    if rng.random() < 0.4:
        roles = list(base.contact_roles) + list(other().contact_roles[:1])
        rng.shuffle(roles)
        changes["contact_roles"] = tuple(roles[: int(rng.integers(1, len(roles) + 1))])
    if base.amount is not None:
        changes["amount"] = round(float(base.amount * rng.lognormal(0.0, 0.5)), -3) or 1000.0
    return dataclasses.replace(base, **changes)


def _view_times(rng: np.random.Generator, start: datetime, n: int) -> list[datetime]:
    """Working hours, Monday to Friday of the week beginning ``start``, in order."""
    days = rng.integers(0, 5, n)
    minutes = rng.uniform(8 * 60, 18 * 60, n)
    return sorted(start + timedelta(days=int(d), minutes=float(m)) for d, m in zip(days, minutes))


def _as_panel_views(
    shown: list[feedback.Impression], records: list[OpportunityRecord], times: list[datetime]
) -> list[feedback.Impression]:
    """The simulator's impressions at working-hour times, on the varied records' ids."""
    out = []
    for impression in shown:
        n = int(impression.view_id.rsplit("-", 1)[1])
        out.append(dataclasses.replace(
            impression, shown_at=times[n], opportunity_id=records[n].opportunity_id
        ))
    return out


def _stored(
    logged: list[feedback.Impression],
    opportunities: dict[str, OpportunityRecord],
    rng: np.random.Generator,
    seed: int,
    today: date,
    org_id: str,
    views: int,
    versions: list[str],
) -> DemoHistory:
    """The learner's impressions as the panel would have stored them: rows, events, outcomes."""
    impressions, events = [], []
    reps: dict[str, str] = {}
    closes: dict[str, tuple[bool | None, datetime]] = {}
    for i in logged:
        view = _hex_id(seed, "view", i.view_id)
        user = reps.setdefault(view, _salesforce_id(SIMULATED_REP_PREFIX, int(rng.integers(REPS))))
        impression_id = _hex_id(seed, "impression", i.view_id, i.audience, i.position)
        impressions.append(Impression(
            impression_id=impression_id, org_id=org_id, view_id=view,
            opportunity_id=i.opportunity_id, user_id=user, module_key=i.module_id,
            audience=i.audience, position=i.position, score=i.score, propensity=i.propensity,
            explored=i.explored, model_version=i.model_version,
            context=dataclasses.asdict(i.context), shown_at=i.shown_at,
        ))
        events += _events(i, impression_id, user, rng, seed)
        closes.setdefault(i.opportunity_id, (i.deal_won, i.shown_at))
    outcomes = _outcomes(closes, opportunities, rng, today)
    return DemoHistory(tuple(impressions), tuple(events), tuple(outcomes), views, tuple(versions))


def _events(
    i: feedback.Impression, impression_id: str, user: str, rng: np.random.Generator, seed: int
) -> list[PanelEvent]:
    """Open first, then the vote and the use a few minutes later (the panel's order)."""
    if not i.opened:
        return []
    at = i.shown_at + timedelta(seconds=float(rng.uniform(5, 120)))
    kinds: list[EventKind] = [EventKind.OPEN]
    if i.helpful is not None:
        kinds.append(EventKind.HELPFUL if i.helpful else EventKind.NOT_HELPFUL)
    if i.used:
        kinds.append(_USES[int(rng.choice(len(_USES), p=_USE_SHARES))])
    events = []
    for kind in kinds:
        reason = None
        if kind in _REASON_SHARE and rng.random() < _REASON_SHARE[kind]:
            choices = _HELPFUL_REASONS if kind is EventKind.HELPFUL else _UNHELPFUL_REASONS
            reason = choices[int(rng.integers(len(choices)))]
        events.append(PanelEvent(
            event_id=_hex_id(seed, "event", impression_id, kind.value), impression_id=impression_id,
            kind=kind, occurred_at=at, reason=reason, user_id=user, received_at=at,
        ))
        at += timedelta(seconds=float(rng.uniform(30, 600)))
    return events


def _outcomes(
    closes: dict[str, tuple[bool | None, datetime]],
    opportunities: dict[str, OpportunityRecord],
    rng: np.random.Generator,
    today: date,
) -> list[DealOutcome]:
    """Deals close three to ten weeks after the view (rolled-out accounts were won already);
    only those closed before today have an outcome."""
    outcomes = []
    for opportunity_id, (won, shown_at) in closes.items():
        record = opportunities[opportunity_id]
        if record.is_won:
            won, closed = True, shown_at.date() - timedelta(days=int(rng.integers(7, 60)))
        else:
            closed = shown_at.date() + timedelta(days=int(rng.integers(21, 70)))
        if won is None or closed >= today:
            continue
        amount = Decimal(str(record.amount)).quantize(Decimal("0.01")) if record.amount else None
        outcomes.append(DealOutcome(
            opportunity_id=opportunity_id, won=won, stage="Closed Won" if won else "Closed Lost",
            amount=amount, close_date=closed,
            modified_at=datetime.combine(closed, time(17), timezone.utc),
        ))
    return outcomes


def _hex_id(seed: int, *parts: object) -> str:
    """32 hex characters, like the panel's random ids, but the same for the same seed and view."""
    text = "/".join(["demo-history", str(seed), *map(str, parts)])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _salesforce_id(prefix: str, number: int) -> str:
    """An 18-character Id: ``prefix`` and ``number`` in base 36, padded to 15 characters. The
    demo records' Ids start ``006Dn``, so ``006SIM…`` never collides with them."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    encoded = ""
    width = 15 - len(prefix)
    for _ in range(width):
        number, digit = divmod(number, 36)
        encoded = digits[digit] + encoded
    if number:
        raise DemoHistoryError(f"too many simulated records for Ids starting {prefix!r}")
    return to_18(prefix + encoded)


# -- writing --------------------------------------------------------------------------------------
def org_has_impressions(session: Session, org_id: str) -> bool:
    query = select(PanelImpressionRow.impression_id).where(PanelImpressionRow.org_id == org_id)
    return session.scalar(query.limit(1)) is not None


def _count_suggestions(session: Session, impressions: Sequence[Impression]) -> None:
    """Count the simulated views' suggestions as the impression recorder counts real ones (a
    module once per view), so the workspace's "never suggested" list agrees with analytics."""
    if not impressions:
        return
    shown = {(i.view_id, i.module_key) for i in impressions}
    counts = Counter(module_key for _, module_key in shown)
    SuggestionStats(session, DEMO_ORG_ID).record_counts(counts, max(i.shown_at for i in impressions))


def seed_demo_history(
    sessions: sessionmaker[Session],
    taxonomy: Taxonomy,
    *,
    today: date,
    weeks: int = DEFAULT_WEEKS,
    seed: int = DEFAULT_SEED,
    views_per_week: int = DEFAULT_VIEWS_PER_WEEK,
) -> SeedResult:
    """Simulate and write the demo org's history in one transaction; what is already stored
    (the same seed seeded before) is left alone, so a second run writes nothing."""
    with sessions.begin() as session:
        modules = CatalogRepository(session, DEMO_ORG_ID).published()
        catalog = [candidate_from_module(m) for m in modules]
        history = simulate_demo_history(
            catalog, DemoOrg().opportunities(), taxonomy, today=today, weeks=weeks, seed=seed,
            views_per_week=views_per_week,
        )
        log = PanelEventLog(session, DEMO_ORG_ID)
        stored = set(log.impression_records(i.impression_id for i in history.impressions))
        new_impressions = [i for i in history.impressions if i.impression_id not in stored]
        add_impressions(session, new_impressions)
        _count_suggestions(session, new_impressions)
        new_events = [e for e in history.events if e.impression_id not in stored]
        written_events = len(new_events) - log.add_events(new_events).duplicates
        outcomes = DealOutcomes(session, DEMO_ORG_ID)
        known = outcomes.by_opportunity(o.opportunity_id for o in history.outcomes)
        new_outcomes = [o for o in history.outcomes if o.opportunity_id not in known]
        outcomes.save(new_outcomes)
    return SeedResult(
        views=history.views, impressions=len(history.impressions), events=len(history.events),
        outcomes=len(history.outcomes), written_impressions=len(new_impressions),
        written_events=written_events, written_outcomes=len(new_outcomes),
    )
