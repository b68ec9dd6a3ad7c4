"""The analytics pages read from roll-ups show exactly what they show read from every raw
impression: on randomised logs with deals on both sides of the roll-up, late events, deals
closed after it, and segments without a value; on SQLite and PostgreSQL."""
from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import delete, text

from content_catalog.analytics_rollups import AnalyticsRollups, outcome_changes
from content_catalog.database import session_factory
from content_catalog.deal_outcomes import DealOutcome, DealOutcomes
from content_catalog.events import EventKind, Impression, PanelEvent, PanelEventLog, add_impressions
from content_catalog.repository import CatalogRepository, OrgNotFound, ensure_org
from content_catalog.tables.learning_tables import PanelImpressionRow
from plugin.analytics.module_figures import (
    SEGMENTS,
    activity,
    closed_deals,
    in_segment,
    module_stats,
    segment_activity,
    weekly_trend,
)
from plugin.analytics.page_data import (
    WINDOWS,
    AnalyticsQuery,
    analytics_window,
    build_catalog_analytics,
    build_module_analytics,
)
from plugin.analytics.rollup_job import SETTLE, AnalyticsRollupJob
from plugin.analytics.simulated_share import simulated_span
from plugin.crm.demo_org import SIMULATED_REP_PREFIX
from plugin.ranking.logged_views import logged_impressions

ORG = "00D000000000ROLLUP"
OTHER = "00D000000000OTHERX"
TODAY = date(2026, 11, 23)
MODULES = [f"m{n}" for n in range(6)]
PHASES = ["awareness", "evaluation", "buying", None]
INDUSTRIES = ["Healthcare", "Banking", "Retail", None]
ROLES = [(), ("Economic Buyer",), ("Evaluator", "Champion"), ("Champion",)]
OPPORTUNITIES = [f"006{n:015d}" for n in range(14)]


def at(days_ago: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour, minute),
                            tzinfo=timezone.utc)


ROLLED_UP_AT = at(0, 10)  # the job runs at 10:00 today: impressions up to 09:58 are rolled up


class RandomLog:
    """Panel views with random contexts, modules, events and outcomes."""

    def __init__(self, sessions, rng: random.Random, org_id: str = ORG, event_rate: float = 0.2):
        self.sessions = sessions
        self.event_rate = event_rate
        self.rng = rng
        self.org_id = org_id
        self.impression_ids: list[str] = []

    def views(self, count: int, shown_at, **kwargs) -> None:
        impressions, events = [], []
        for _ in range(count):
            self._view(shown_at(), impressions, events, **kwargs)
        self.write(impressions, events)

    def _view(self, moment: datetime, impressions, events, opportunities=OPPORTUNITIES) -> None:
        rng = self.rng
        context = {"journey_phase": rng.choice(PHASES), "industry": rng.choice(INDUSTRIES),
                   "buyer_roles": list(rng.choice(ROLES))}
        opportunity = rng.choice([*opportunities, None])
        view = uuid.UUID(int=rng.getrandbits(128)).hex
        for position, module in enumerate(rng.sample(MODULES, rng.randint(1, 4)), start=1):
            impression_id = uuid.UUID(int=rng.getrandbits(128)).hex
            self.impression_ids.append(impression_id)
            impressions.append(Impression(
                impression_id=impression_id, org_id=self.org_id, view_id=view,
                opportunity_id=opportunity, user_id=None, module_key=module,
                audience="client_facing", position=position, score=1.0, propensity=1.0,
                explored=rng.random() < 0.2, model_version="v1", context=context,
                shown_at=moment))
            events += self.random_events(impression_id, moment)

    def random_events(self, impression_id: str, moment: datetime) -> list[PanelEvent]:
        kinds = [kind for kind in EventKind if self.rng.random() < self.event_rate]
        self.rng.shuffle(kinds)
        return [PanelEvent(uuid.UUID(int=self.rng.getrandbits(128)).hex, impression_id, kind,
                           moment + timedelta(minutes=n + 1)) for n, kind in enumerate(kinds)]

    def write(self, impressions=(), events=(), outcomes=()) -> None:
        with self.sessions.begin() as session:
            add_impressions(session, list(impressions))
            if events:
                PanelEventLog(session, self.org_id).add_events(list(events))
            if outcomes:
                DealOutcomes(session, self.org_id).save(list(outcomes))

    def close(self, opportunities) -> None:
        self.write(outcomes=[
            DealOutcome(o, won=self.rng.random() < 0.5, stage="Closed") for o in opportunities])


@pytest.fixture
def sessions(engine, module_factory):
    sessions = session_factory(engine)
    with sessions.begin() as session:
        for org_id in (ORG, OTHER):
            ensure_org(session, org_id, org_id)
            CatalogRepository(session, org_id).upsert_many([module_factory(m) for m in MODULES])
    return sessions


def job(sessions, now: datetime = ROLLED_UP_AT) -> AnalyticsRollupJob:
    return AnalyticsRollupJob(sessions, today=lambda: TODAY, now=lambda: now)


def history(sessions, seed: int) -> RandomLog:
    """200 days of views before the roll-up (some on the roll-up's day), half the deals
    closed; another org's views beside them."""
    rng = random.Random(seed)
    log = RandomLog(sessions, rng)
    log.views(150, lambda: at(rng.randint(0, 200), rng.randint(0, 9), rng.randint(0, 57)))
    log.close(OPPORTUNITIES[:7])
    theirs = RandomLog(sessions, rng, OTHER)
    theirs.views(20, lambda: at(rng.randint(0, 30)))
    return log


def tail(log: RandomLog) -> None:
    """After the roll-up: views today (deals already shown before, and new ones), late events
    on rolled-up impressions, and deals closed since."""
    rng = log.rng
    log.views(25, lambda: at(0, rng.randint(10, 23), rng.randint(0, 59)),
              opportunities=OPPORTUNITIES + ["006000000000000NEW"])
    late = []
    for impression_id in rng.sample(log.impression_ids[:300], 40):
        late += log.random_events(impression_id, at(0, 10))
    log.write(events=late)
    log.close(OPPORTUNITIES[7:11] + ["006000000000000NEW"])


def raw_catalog(sessions, query: AnalyticsQuery):
    """The figures as the pages computed them before roll-ups: from every raw impression."""
    window = analytics_window(TODAY, query.window_days)
    with sessions() as session:
        logged = logged_impressions(session, ORG, window.since, window.until)
    chosen = logged if query.value is None else in_segment(logged, query.segment, query.value[0])
    return dict(
        segments={v: a for v, a in segment_activity(logged, query.segment).items()},
        stats=module_stats(chosen), totals=activity(chosen),
        trend=weekly_trend(chosen, window.first_day, window.last_day),
        deals=closed_deals(chosen))


def page_catalog(sessions, query: AnalyticsQuery, taxonomy):
    report = build_catalog_analytics(sessions, ORG, query, taxonomy=taxonomy, today=TODAY)
    return dict(
        segments={row.value: row.activity for row in report.segments},
        stats={s.module_id: s for s in report.stats}, totals=report.totals,
        trend=list(report.trend), deals=(report.won_deals, report.lost_deals))


def raw_module(sessions, module: str, query: AnalyticsQuery):
    window = analytics_window(TODAY, query.window_days)
    with sessions() as session:
        logged = logged_impressions(session, ORG, window.since, window.until, module_key=module)
    if not logged:
        return None
    by_value = {}
    for value in {SEGMENTS[query.segment](i.context) for i in logged}:
        by_value[value] = module_stats(in_segment(logged, query.segment, value))[module]
    return dict(stats=module_stats(logged)[module], segments=by_value,
                trend=weekly_trend(logged, window.first_day, window.last_day))


def page_module(sessions, module: str, query: AnalyticsQuery, taxonomy):
    report = build_module_analytics(sessions, ORG, module, query, taxonomy=taxonomy, today=TODAY)
    if report.stats is None:
        return None
    return dict(stats=report.stats, segments={row.value: row.stats for row in report.segments},
                trend=list(report.trend))


def assert_pages_match_raw(sessions, taxonomy) -> int:
    """Every window, segment, segment value and module page; returns how many were compared."""
    compared = 0
    for window in WINDOWS:
        for segment in SEGMENTS:
            base = AnalyticsQuery(window, segment)
            values = raw_catalog(sessions, base)["segments"]
            for value in [None, *((v,) for v in values)]:
                query = AnalyticsQuery(window, segment, value)
                assert page_catalog(sessions, query, taxonomy) == raw_catalog(sessions, query), (
                    window, segment, value)
                compared += 1
            for module in MODULES:
                assert page_module(sessions, module, base, taxonomy) == raw_module(
                    sessions, module, base), (window, segment, module)
                compared += 1
    return compared


def outcomes_change(log: RandomLog) -> None:
    """After the roll-up: two deals turn, one reopens (Salesforce's sync forgets it), two more
    close."""
    with log.sessions.begin() as session:
        outcomes = DealOutcomes(session, ORG)
        known = outcomes.by_opportunity(OPPORTUNITIES[:7])
        outcomes.save([DealOutcome(o, won=not known[o].won, stage="Closed")
                       for o in OPPORTUNITIES[:2]])
        outcomes.forget([OPPORTUNITIES[2]])
    log.close(OPPORTUNITIES[11:13])


@pytest.mark.parametrize("seed", [1, 2])
def test_rolled_up_figures_equal_the_raw_figures(sessions, taxonomy, seed):
    log = history(sessions, seed)
    report = job(sessions).rebuild(ORG)
    assert report.covered_until == ROLLED_UP_AT - SETTLE
    assert report.impressions > 0 and report.rows > 0
    tail(log)
    # The next run counts the late events; the views since (the raw tail) stay as they are.
    job(sessions).rebuild(ORG)
    outcomes_change(log)
    late = log.random_events(log.impression_ids[-1], at(0, 23, 30))  # on a tail impression
    log.write(events=late)

    catalog = build_catalog_analytics(sessions, ORG, AnalyticsQuery(), taxonomy=taxonomy,
                                      today=TODAY)
    assert catalog.rolled_up_until == ROLLED_UP_AT - SETTLE
    assert assert_pages_match_raw(sessions, taxonomy) > 50


def test_outcomes_changed_after_a_page_kept_the_roll_up_show_on_the_next_page(sessions,
                                                                              taxonomy):
    """The pages keep the outcomes a roll-up counted (they are fixed until the next run), but
    must compare them with the outcomes as they are on every page."""
    log = history(sessions, 4)
    job(sessions).rebuild(ORG)
    tail(log)
    job(sessions).rebuild(ORG)  # counts tail()'s late events on rolled-up impressions
    before = page_catalog(sessions, AnalyticsQuery(), taxonomy)
    assert before == raw_catalog(sessions, AnalyticsQuery())

    outcomes_change(log)

    after = page_catalog(sessions, AnalyticsQuery(), taxonomy)
    assert after["deals"] != before["deals"]
    assert assert_pages_match_raw(sessions, taxonomy) > 50


def test_the_kept_outcomes_compared_in_python_equal_the_sql_comparison(sessions):
    """The memo compares the roll-up's outcomes with the current ones in Python; the pages
    without it (the benchmark's "sums read") join them in SQL: the same changes either way."""
    log = history(sessions, 6)
    job(sessions).rebuild(ORG)
    tail(log)
    outcomes_change(log)
    with sessions() as session:
        rollups = AnalyticsRollups(session, ORG)
        in_sql = rollups.changed_outcomes("all")
        in_python = outcome_changes(rollups.rolled_outcomes("all"), rollups.outcomes_now())
    assert in_python == in_sql
    with sessions() as session:
        rolled = AnalyticsRollups(session, ORG).rolled_outcomes("all")
    turned, reopened, closed = OPPORTUNITIES[:2], OPPORTUNITIES[2], OPPORTUNITIES[7:13]
    assert all(in_sql[o][0] is not None and in_sql[o][1] is (not in_sql[o][0])
               for o in turned)
    assert in_sql[reopened][0] is not None and in_sql[reopened][1] is None
    assert {o for o in closed if o in rolled} == {o for o in in_sql if in_sql[o][0] is None}
    assert set(in_sql) == set(turned) | {reopened} | {o for o in closed if o in rolled}


def test_a_rebuild_leaves_the_planner_the_row_counts_it_wrote(sessions, engine):
    """PostgreSQL plans the pages' look-ups from the tables' statistics; a rebuild rewrites the
    roll-ups, so it analyses them (autovacuum may be off or late)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite plans without statistics")
    history(sessions, 7)
    job(sessions).rebuild(ORG)
    with sessions() as session:
        for table in ("analytics_daily_activity", "analytics_daily_modules",
                      "analytics_deal_tallies", "analytics_opportunities"):
            rows = session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            planned = session.execute(text(
                "SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}).scalar()
            assert rows > 0 and planned == rows, table


def test_late_events_on_rolled_up_impressions_count_from_the_next_run(sessions, taxonomy):
    log = RandomLog(sessions, random.Random(5), event_rate=0.0)
    log.views(1, lambda: at(3))
    job(sessions).rebuild(ORG)
    used = PanelEvent(uuid.uuid4().hex, log.impression_ids[0], EventKind.COPY, at(0, 11))
    log.write(events=[used])

    def uses():
        report = build_catalog_analytics(sessions, ORG, AnalyticsQuery(30), taxonomy=taxonomy,
                                         today=TODAY)
        return sum(s.uses for s in report.stats)

    assert uses() == 0  # as the roll-up saw it
    job(sessions, ROLLED_UP_AT + timedelta(hours=1)).rebuild(ORG)
    assert uses() == 1


def test_an_org_without_roll_ups_and_a_stale_roll_up_read_raw_impressions(sessions, taxonomy):
    history(sessions, 3)
    assert assert_pages_match_raw(sessions, taxonomy) > 50  # no roll-up yet
    # A roll-up built "tomorrow" reaches past today's window: the pages do not use it.
    AnalyticsRollupJob(sessions, today=lambda: TODAY + timedelta(days=1),
                       now=lambda: ROLLED_UP_AT + timedelta(days=1)).rebuild(ORG)
    catalog = build_catalog_analytics(sessions, ORG, AnalyticsQuery(), taxonomy=taxonomy,
                                      today=TODAY)
    assert catalog.rolled_up_until is None
    assert assert_pages_match_raw(sessions, taxonomy) > 50


def test_a_rebuild_replaces_the_org_s_roll_ups_and_touches_no_other_org(sessions):
    history(sessions, 4)
    first = job(sessions).rebuild(ORG)
    again = job(sessions).rebuild(ORG)
    assert again.rows == first.rows
    with sessions() as session:
        assert AnalyticsRollups(session, OTHER).state() is None
    assert [r.org_id for r in job(sessions).rebuild_all()] == sorted([ORG, OTHER])


def test_rolling_up_an_unknown_org_is_refused(sessions):
    with pytest.raises(OrgNotFound):
        job(sessions).rebuild("00D000000000NOSUCH")


def simulated_views(log: RandomLog, count: int, shown_at) -> int:
    """Views shown to the demo's simulated reps (no events: the test deletes some later);
    returns their impressions."""
    impressions = []
    for _ in range(count):
        log._view(shown_at(), impressions, [])
    log.write([replace(i, user_id=f"{SIMULATED_REP_PREFIX}{n % 3}")
               for n, i in enumerate(impressions)])
    return len(impressions)


def raw_simulated(sessions, since=None, until=None, module=None):
    with sessions() as session:
        span = PanelEventLog(session, ORG).span_shown_to(SIMULATED_REP_PREFIX, since=since,
                                                         until=until, module_key=module)
    return (span.impressions, span.first.date(), span.last.date()) if span else None


def page_simulated(sessions, since=None, until=None, module=None):
    with sessions() as session:
        span = simulated_span(session, ORG, since=since, until=until, module_key=module)
    return (span.impressions, span.first_day, span.last_day) if span else None


def test_the_simulated_share_comes_from_the_roll_ups_and_equals_the_raw_count(sessions):
    log = history(sessions, 6)
    rng = log.rng
    # 260 days of simulated views, longer than the roll-ups' 180, some on the roll-up's day.
    rolled = simulated_views(log, 60, lambda: at(rng.randint(0, 260), rng.randint(0, 9)))
    job(sessions).rebuild(ORG)
    tail_count = simulated_views(log, 8, lambda: at(0, rng.randint(10, 23)))  # the raw tail
    windows = [analytics_window(TODAY, days) for days in WINDOWS]
    asked = [(None, None, None)] + [(w.since, w.until, m) for w in windows
                                    for m in (None, *MODULES)]
    expected = {a: raw_simulated(sessions, *a) for a in asked}
    assert all(expected[a] == page_simulated(sessions, *a) for a in asked)
    assert expected[(None, None, None)][0] == rolled + tail_count
    # What the roll-up counted is no longer read raw: its rows can go, the counts stay.
    with sessions.begin() as session:
        session.execute(delete(PanelImpressionRow).where(
            PanelImpressionRow.user_id.startswith(SIMULATED_REP_PREFIX),
            PanelImpressionRow.shown_at < ROLLED_UP_AT - SETTLE))
    assert all(expected[a] == page_simulated(sessions, *a) for a in asked)
    assert raw_simulated(sessions)[0] == tail_count


def test_the_simulated_share_is_read_raw_without_a_roll_up(sessions):
    log = history(sessions, 7)
    simulated_views(log, 20, lambda: at(log.rng.randint(0, 100)))
    window = analytics_window(TODAY, 90)
    for asked in [(None, None, None), (window.since, window.until, None),
                  (window.since, window.until, MODULES[0])]:
        assert page_simulated(sessions, *asked) == raw_simulated(sessions, *asked)


def test_pages_see_a_rebuild_made_in_the_same_clock_tick(sessions, taxonomy):
    """The pages keep a roll-up's sums in memory while it is the current one: a rebuild,
    even one stamped with the same moment, replaces them."""
    log = RandomLog(sessions, random.Random(8), event_rate=0.0)
    log.views(3, lambda: at(2))
    job(sessions).rebuild(ORG)

    def shown():
        report = build_catalog_analytics(sessions, ORG, AnalyticsQuery(30), taxonomy=taxonomy,
                                         today=TODAY)
        return report.totals.impressions

    before = shown()
    log.views(2, lambda: at(1))
    job(sessions).rebuild(ORG)  # the same clock as the first run
    assert shown() > before
    with sessions() as session:
        assert AnalyticsRollups(session, ORG).state().built_at > ROLLED_UP_AT
