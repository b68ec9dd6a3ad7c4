"""The content analytics pages' data: the query parsed, the window's impressions read and counted.
Design: docs/design/analytics.md."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping, Sequence

from sqlalchemy.orm import Session, sessionmaker

from content_catalog.modules import ContentModule
from content_catalog.repository import CatalogRepository, ModuleNotFound
from content_catalog.taxonomy import Dimension, Taxonomy
from plugin.analytics.log_tally import ALL, as_activity, total, weekly_from_days
from plugin.analytics.module_figures import (
    SEGMENTS,
    SORTABLE,
    Activity,
    ContentStats,
    WeekStats,
    never_opened,
    often_not_helpful,
    sorted_stats,
    weekly_trend,
)
from plugin.analytics.rollup_memo import RollupMemo, memo_for
from plugin.analytics.simulated_share import simulated_span
from plugin.analytics.window_figures import WindowLog
from plugin.errors import InvalidInput, NotFound

WINDOWS = (30, 90, 180)
DEFAULT_WINDOW = 90
DEFAULT_SEGMENT = "phase"
DEFAULT_SORT = "impressions"
#: The module table's columns that sort; "module" sorts by title.
SORT_COLUMNS = ("module", *SORTABLE)
#: The ``value`` that picks opportunities without a value in the segment.
UNSET = "(not set)"

SEGMENT_DIMENSIONS = {
    "phase": Dimension.JOURNEY_PHASE,
    "role": Dimension.BUYER_ROLE,
    "industry": Dimension.INDUSTRY,
}
SEGMENT_LABELS = {"phase": "Journey phase", "role": "Buyer role", "industry": "Industry"}
assert set(SEGMENT_DIMENSIONS) == set(SEGMENTS)


@dataclass(frozen=True)
class AnalyticsQuery:
    window_days: int = DEFAULT_WINDOW
    segment: str = DEFAULT_SEGMENT
    #: Only opportunities whose segment has this value; None: all. (None inside means unset.)
    value: tuple[str | None] | None = None
    sort: str = DEFAULT_SORT
    descending: bool = True

    def args(self, **changes) -> dict[str, object]:
        """This query as URL parameters, with ``changes``; defaults left out to keep links short."""
        chosen = {
            "window": self.window_days,
            "segment": self.segment,
            "value": (UNSET if self.value[0] is None else self.value[0]) if self.value else None,
            "sort": self.sort,
            "order": "desc" if self.descending else "asc",
        }
        chosen.update(changes)
        defaults = {"window": DEFAULT_WINDOW, "segment": DEFAULT_SEGMENT, "sort": DEFAULT_SORT,
                    "order": "desc"}
        return {k: v for k, v in chosen.items() if v is not None and defaults.get(k) != v}


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime

    @property
    def first_day(self) -> date:
        return self.since.date()

    @property
    def last_day(self) -> date:
        return (self.until - timedelta(days=1)).date()


@dataclass(frozen=True)
class SimulatedHistory:
    """How much of a page's figures the demo simulated, in words a lead understands."""

    #: Weeks the whole simulated history spans.
    weeks: int
    #: Of the page's impressions, those shown to simulated reps, and all of them.
    shown: int
    total: int

    @property
    def label(self) -> str:
        return f"Demo data: {self.weeks} simulated week{'' if self.weeks == 1 else 's'}"

    @property
    def explanation(self) -> str:
        own = self.total - self.shown
        if not self.total:
            return "Nothing is counted here yet; the demo's other figures are simulated."
        return (f"{self.shown:,} of the {self.total:,} suggestions shown in this window went to "
                "simulated reps on made-up opportunities, with simulated votes, uses and deal "
                "outcomes" + (f"; {own:,} are real clicks in this demo." if own else ".")
                + " They show what the page does, not how real content fares.")


@dataclass(frozen=True)
class SegmentRow:
    value: str | None
    label: str
    activity: Activity


@dataclass(frozen=True)
class CatalogAnalytics:
    """The org-wide page: every module shown in the window."""

    query: AnalyticsQuery
    window: Window
    modules: Mapping[str, ContentModule]
    #: In the order the table shows them.
    stats: Sequence[ContentStats]
    totals: Activity
    #: The segment selector's table: the org's activity per value of the chosen segment.
    segments: Sequence[SegmentRow]
    trend: Sequence[WeekStats]
    never_opened: Sequence[ContentStats]
    often_not_helpful: Sequence[ContentStats]
    won_deals: int
    lost_deals: int
    #: Impressions shown before this were counted from the roll-ups, with what reps had done
    #: by then; later ones as they are now. None: every one as it is now.
    rolled_up_until: datetime | None = None
    #: The demo's simulated share of these figures; None when nothing here is simulated.
    simulated: SimulatedHistory | None = None


@dataclass(frozen=True)
class SegmentStats:
    value: str | None
    label: str
    stats: ContentStats


@dataclass(frozen=True)
class ModuleAnalytics:
    """One module's page."""

    query: AnalyticsQuery
    window: Window
    module: ContentModule
    #: None when the module was not shown in the window.
    stats: ContentStats | None
    segments: Sequence[SegmentStats] = field(default_factory=tuple)
    trend: Sequence[WeekStats] = field(default_factory=tuple)
    #: As :attr:`CatalogAnalytics.rolled_up_until`.
    rolled_up_until: datetime | None = None
    simulated: SimulatedHistory | None = None


def parse_analytics_query(args: Mapping[str, str]) -> AnalyticsQuery:
    """Strict: a value the page's own links and selectors could not have sent is a 400 that
    names the parameter, the value and what it may be."""
    problems = []
    window = (args.get("window") or str(DEFAULT_WINDOW)).strip()
    if window not in {str(w) for w in WINDOWS}:
        problems.append(_problem("window", window, [f"{w}" for w in WINDOWS], " (days)"))
    segment = (args.get("segment") or DEFAULT_SEGMENT).strip()
    if segment not in SEGMENTS:
        problems.append(_problem("segment", segment, list(SEGMENTS)))
    sort = (args.get("sort") or DEFAULT_SORT).strip()
    if sort not in SORT_COLUMNS:
        problems.append(_problem("sort", sort, list(SORT_COLUMNS)))
    order = (args.get("order") or "desc").strip()
    if order not in ("asc", "desc"):
        problems.append(_problem("order", order, ["asc", "desc"]))
    if problems:
        raise InvalidInput("These analytics cannot be shown: " + "; ".join(problems) + ".")
    raw_value = args.get("value")
    value = None if raw_value is None else ((None if raw_value == UNSET else raw_value.strip()),)
    return AnalyticsQuery(int(window), segment, value, sort, order == "desc")


def _problem(name: str, value: str, allowed: list[str], unit: str = "") -> str:
    shown = value if len(value) <= 40 else value[:40] + "…"
    return f"{name} “{shown}” is not one of {', '.join(allowed)}{unit}"


def analytics_window(today: date, days: int) -> Window:
    until = datetime.combine(today + timedelta(days=1), time.min, tzinfo=timezone.utc)
    return Window(until - timedelta(days=days), until)


def segment_label(taxonomy: Taxonomy, segment: str, value: str | None) -> str:
    if value is None:
        return "Not set"
    return taxonomy.spec(SEGMENT_DIMENSIONS[segment]).label_of(value)


def build_catalog_analytics(
    sessions: sessionmaker[Session], org_id: str, query: AnalyticsQuery, *,
    taxonomy: Taxonomy, today: date,
) -> CatalogAnalytics:
    """``taxonomy`` is the org's; ``today`` ends the window."""
    window = analytics_window(today, query.window_days)
    with sessions() as session:
        log = WindowLog(session, org_id, window.since, window.until, kinds=(ALL, query.segment),
                        memo=memo_for(sessions))
        by_segment = log.segment_activity(query.segment)
        kind, value = _chosen_segment(query, by_segment, taxonomy)
        stats = {module: s for (_, module), s in log.module_stats(kind, (value,)).items()}
        daily = log.daily(kind, value)
        won, lost = log.closed_deals(kind, value)
        modules = CatalogRepository(session, org_id).find(stats)
        simulated = simulated_history(
            session, org_id, window, sum(a.impressions for a in by_segment.values()),
            memo=memo_for(sessions))
    return CatalogAnalytics(
        query=query,
        window=window,
        modules=modules,
        stats=_table_order(stats.values(), query, modules),
        totals=as_activity(total(daily.values())),
        segments=sorted(
            (SegmentRow(v, segment_label(taxonomy, query.segment, v), a)
             for v, a in by_segment.items()),
            key=lambda row: (row.value is None, -row.activity.impressions, row.label),
        ),
        trend=weekly_from_days(daily, window.first_day, window.last_day),
        never_opened=never_opened(stats),
        often_not_helpful=often_not_helpful(stats),
        won_deals=won,
        lost_deals=lost,
        rolled_up_until=log.rolled_up_until,
        simulated=simulated,
    )


def simulated_weeks(session: Session, org_id: str, memo: RollupMemo | None = None,
                    ) -> int | None:
    """The weeks the demo's simulated history spans in this org; None when it has none."""
    everything = simulated_span(session, org_id, memo=memo)
    if everything is None:
        return None
    return -(-((everything.last_day - everything.first_day).days + 1) // 7)


def simulated_history(session: Session, org_id: str, window: Window, total: int,
                      module_key: str | None = None, *, memo: RollupMemo | None = None,
                      ) -> SimulatedHistory | None:
    """The simulated share of ``total`` impressions in ``window`` (of one module, if given),
    labelled with the weeks the whole simulated history spans; None when there is none."""
    weeks = simulated_weeks(session, org_id, memo)
    if weeks is None:
        return None
    here = simulated_span(session, org_id, since=window.since, until=window.until,
                          module_key=module_key, memo=memo)
    return SimulatedHistory(weeks, here.impressions if here else 0, total)


def _chosen_segment(query: AnalyticsQuery, by_segment: Mapping[str | None, Activity],
                    taxonomy: Taxonomy) -> tuple[str, str | None]:
    """The (segment, value) the query picks: (``all``, None) for every opportunity."""
    if query.value is None:
        return ALL, None
    value = query.value[0]
    spec = taxonomy.spec(SEGMENT_DIMENSIONS[query.segment])
    known = value is None or value in by_segment or spec.canonical(value) is not None
    if not known:
        raise InvalidInput(
            f"value “{value[:40]}” is not among this org's {SEGMENT_LABELS[query.segment]} "
            f"values, nor those of any opportunity shown in these {query.window_days} days; "
            f"use one of the segment table's links, or {UNSET} for opportunities without one."
        )
    canonical = value if value is None or value in by_segment else spec.canonical(value)
    return query.segment, canonical


def _table_order(stats, query: AnalyticsQuery, modules: Mapping[str, ContentModule]):
    if query.sort == "module":
        title = lambda s: (modules[s.module_id].title.casefold()  # noqa: E731
                           if s.module_id in modules else s.module_id)
        return sorted(stats, key=lambda s: (title(s), s.module_id), reverse=query.descending)
    return sorted_stats(stats, query.sort, query.descending)


def build_module_analytics(
    sessions: sessionmaker[Session], org_id: str, module_key: str, query: AnalyticsQuery, *,
    taxonomy: Taxonomy, today: date,
) -> ModuleAnalytics:
    """Raises :class:`NotFound` for a key that is no module of this org."""
    window = analytics_window(today, query.window_days)
    with sessions() as session:
        try:
            module = CatalogRepository(session, org_id).get(module_key)
        except ModuleNotFound:
            raise NotFound("There is no such module in this org.") from None
        log = WindowLog(session, org_id, window.since, window.until,
                        kinds=(ALL, query.segment), module_key=module_key,
                        memo=memo_for(sessions))
        by_value = log.module_stats(query.segment, None, module_key)
        overall = (log.module_stats(ALL, (None,), module_key)[(None, module_key)]
                   if by_value else None)
        simulated = simulated_history(session, org_id, window,
                                      overall.impressions if overall else 0, module_key,
                                      memo=memo_for(sessions))
        if not by_value:
            return ModuleAnalytics(query, window, module, None,
                                   trend=weekly_trend((), window.first_day, window.last_day),
                                   rolled_up_until=log.rolled_up_until,
                                   simulated=simulated)
        daily = log.daily(ALL, None, module_key)
    segments = [
        SegmentStats(value, segment_label(taxonomy, query.segment, value), stats)
        for (value, _), stats in by_value.items()
    ]
    segments.sort(key=lambda row: (row.value is None, -row.stats.impressions, row.label))
    return ModuleAnalytics(
        query=query,
        window=window,
        module=module,
        stats=overall,
        segments=segments,
        trend=weekly_from_days(daily, window.first_day, window.last_day),
        rolled_up_until=log.rolled_up_until,
        simulated=simulated,
    )
