"""The demo org's simulated history: logged like a rollout, written once, read by the learner."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from content_catalog.database import session_factory
from content_catalog.events import EventKind
from content_catalog.tables.learning_tables import DealOutcomeRow, PanelEventRow, PanelImpressionRow
from plugin.cli import main
from plugin.learning.demo_history import seed_demo_history
from plugin.crm.demo_org import DEMO_ORG_ID, DemoOrg, load_demo_catalog
from plugin.ranking.logged_views import logged_impressions
from plugin.crm.salesforce.ids import to_18

TODAY = date(2026, 11, 23)
SMALL = dict(today=TODAY, weeks=5, seed=5, views_per_week=15)


@pytest.fixture
def sessions(engine, taxonomy):
    sessions = session_factory(engine)
    load_demo_catalog(engine, sessions, taxonomy)
    return sessions


def counts(sessions) -> tuple[int, int, int]:
    with sessions() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(row).where(row.org_id == DEMO_ORG_ID))
            for row in (PanelImpressionRow, PanelEventRow, DealOutcomeRow)
        )


def test_seeding_twice_writes_nothing_new(sessions, taxonomy):
    first = seed_demo_history(sessions, taxonomy, **SMALL)
    stored = counts(sessions)
    again = seed_demo_history(sessions, taxonomy, **SMALL)

    assert first.written_impressions == first.impressions > 0
    assert stored == (first.impressions, first.events, first.outcomes)
    assert (again.written_impressions, again.written_events, again.written_outcomes) == (0, 0, 0)
    assert counts(sessions) == stored


def test_the_history_is_logged_as_a_rollout_v1_first_then_exploring_learners(sessions, taxonomy):
    seed_demo_history(sessions, taxonomy, **SMALL)
    with sessions() as session:
        logged = logged_impressions(
            session, DEMO_ORG_ID, datetime(2026, 1, 1, tzinfo=timezone.utc),
            datetime(2027, 1, 1, tzinfo=timezone.utc),
        )
    first_week = [i for i in logged if i.model_version == "v1"]
    later = [i for i in logged if i.model_version != "v1"]
    assert first_week and all(i.propensity == 1.0 and not i.explored for i in first_week)
    assert max(i.shown_at for i in first_week) < min(i.shown_at for i in later)
    assert len({i.model_version for i in later}) == SMALL["weeks"] - 1  # refitted each week
    explored = [i for i in later if i.explored]
    assert explored and all(0 < i.propensity < 1 for i in explored)
    assert all(i.shown_at.date() < TODAY for i in logged)
    assert any(i.rewarded for i in logged) and any(i.opened and not i.rewarded for i in logged)
    assert {i.deal_won for i in logged} == {True, False, None}  # some deals are still open


def test_reps_open_vote_with_reasons_and_use_content(sessions, taxonomy):
    seed_demo_history(sessions, taxonomy, **SMALL)
    with sessions() as session:
        events = session.scalars(select(PanelEventRow)).all()
    kinds = Counter(e.kind for e in events)
    assert kinds[EventKind.OPEN] >= max(kinds[k] for k in kinds if k != EventKind.OPEN)
    assert {EventKind.HELPFUL, EventKind.NOT_HELPFUL} <= set(kinds)
    assert set(kinds) & {EventKind.PERSONALISE, EventKind.COPY, EventKind.DOWNLOAD,
                         EventKind.SHARE}
    reasons = [e.reason for e in events if e.reason]
    assert reasons and all(e.kind in (EventKind.HELPFUL, EventKind.NOT_HELPFUL)
                           for e in events if e.reason)


def test_simulated_opportunities_have_salesforce_ids_unlike_the_demo_records(sessions, taxonomy):
    seed_demo_history(sessions, taxonomy, **SMALL)
    with sessions() as session:
        ids = set(session.scalars(select(PanelImpressionRow.opportunity_id)))
        closed = set(session.scalars(select(DealOutcomeRow.opportunity_id)))
    demo = {r.opportunity_id for r in DemoOrg().opportunities()}
    assert len(ids) == SMALL["weeks"] * SMALL["views_per_week"]
    assert closed and closed <= ids
    assert all(to_18(i, prefix="006") == i for i in ids)
    assert not ids & demo


def test_load_demo_seeds_a_history_only_into_an_org_without_one(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    runner = CliRunner()
    bare = runner.invoke(main, ["load-demo", "--no-history"], env=env)
    seeded = runner.invoke(main, ["load-demo"], env=env)
    again = runner.invoke(main, ["load-demo"], env=env)
    other_seed = ["demo-history", "--weeks", "2", "--views-per-week", "5", "--seed", "9"]
    extra = runner.invoke(main, other_seed, env=env)

    assert bare.exit_code == 0 and "history" not in bare.output
    assert seeded.exit_code == 0 and "impressions" in seeded.output
    assert again.exit_code == 0 and "left as it is" in again.output
    assert extra.exit_code == 0 and "10 panel views" in extra.output, extra.output
    assert "was stored already" in runner.invoke(main, other_seed, env=env).output


def test_the_simulated_views_are_counted_as_suggestions_once_per_view(sessions, taxonomy):
    from content_catalog.suggestion_stats import SuggestionStats

    seed_demo_history(sessions, taxonomy, **SMALL)
    seed_demo_history(sessions, taxonomy, **SMALL)  # nothing new: nothing counted twice
    with sessions() as session:
        stats = SuggestionStats(session, DEMO_ORG_ID).counts()
        views_by_module = Counter(
            module for _, module in set(session.execute(
                select(PanelImpressionRow.view_id, PanelImpressionRow.module_key)
                .where(PanelImpressionRow.org_id == DEMO_ORG_ID)
            ))
        )
    assert {key: n for key, n in stats.items() if n} == dict(views_by_module)


def test_load_demo_stores_the_demo_records_outcomes_and_serves_a_first_learned_model(tmp_path):
    from content_catalog.model_store import RankerModels
    from content_catalog.deal_outcomes import DealOutcomes
    from plugin.crm.demo_org import DemoOrg

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    runner = CliRunner()
    first = runner.invoke(main, ["load-demo"], env={"DATABASE_URL": url})
    again = runner.invoke(main, ["load-demo"], env={"DATABASE_URL": url})

    assert first.exit_code == 0 and "Learned ranker: org" in first.output, first.output
    assert again.exit_code == 0 and "Learned ranker" not in again.output
    engine = create_engine(url)
    try:
        with session_factory(engine)() as session:
            versions = RankerModels(session, DEMO_ORG_ID).versions()
            bundled = {r.opportunity_id for r in DemoOrg().opportunities()}
            outcomes = DealOutcomes(session, DEMO_ORG_ID).by_opportunity(bundled)
    finally:
        engine.dispose()
    assert [(v.version, v.active) for v in versions] == [(1, True)]
    assert outcomes and all(o.stage.startswith("Closed") for o in outcomes.values())
