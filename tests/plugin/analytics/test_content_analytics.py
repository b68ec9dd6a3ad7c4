"""Content analytics from hand-built impressions: every expected count is worked out here, by
hand, from the impressions listed beside it."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

import pytest

from plugin.analytics.module_figures import (
    ASSOCIATION_CAUTION,
    activity,
    in_segment,
    module_stats,
    never_opened,
    often_not_helpful,
    segment_activity,
    segment_stats,
    sorted_stats,
    weekly_trend,
)
from recommender.evaluation import wilson_interval
from recommender.feedback import Impression
from recommender.types import OpportunityContext

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)  # ISO week 2026-W45
HEALTH_BUYING = OpportunityContext(
    journey_phase="buying", industry="Healthcare", buyer_roles=("Economic Buyer", "Evaluator")
)
BANK_AWARE = OpportunityContext(
    journey_phase="awareness", industry="Banking", buyer_roles=("Evaluator",)
)
NO_TAGS = OpportunityContext()


def shown(module, opportunity, *, context=HEALTH_BUYING, day=0, opened=False, helpful=None,
          used=False, won=None, view=None) -> Impression:
    return Impression(
        context=context, module_id=module, position=1, score=1.0, propensity=1.0,
        model_version="v1", shown_at=MONDAY + timedelta(days=day), opened=opened,
        helpful=helpful, used=used, deal_won=won, opportunity_id=opportunity,
        view_id=view or f"{opportunity}-{day}",
    )


#: case-study: 6 impressions on 4 opportunities (A won, B lost, C won, D open).
#:   opens 4, votes: helpful 2, not helpful 1; uses 2 (on A twice: one deal), rewarded 3.
#:   deals used: A (won) → 1 won / 0 lost; shown not used: B (lost), C (won) → 1 won / 1 lost.
#: battle-card: 3 impressions, never opened, on B, C, D.
LOG = [
    shown("case-study", "A", opened=True, helpful=True, used=True, won=True),
    shown("case-study", "A", day=1, opened=True, used=True, won=True),
    shown("case-study", "B", context=BANK_AWARE, opened=True, helpful=False, won=False),
    shown("case-study", "C", day=7, opened=True, helpful=True, won=True),
    shown("case-study", "C", day=8, won=True),
    shown("case-study", "D", context=NO_TAGS, day=8),
    shown("battle-card", "B", context=BANK_AWARE, won=False),
    shown("battle-card", "C", day=7, won=True),
    shown("battle-card", "D", context=NO_TAGS, day=8),
]


def test_counts_and_rates_per_module_use_their_stated_denominators():
    stats = module_stats(LOG)["case-study"]

    assert (stats.impressions, stats.views, stats.opens, stats.uses) == (6, 6, 4, 2)
    assert (stats.helpful_votes, stats.unhelpful_votes, stats.votes) == (2, 1, 3)
    assert stats.open_rate == wilson_interval(4, 6)
    assert stats.helpful_rate == wilson_interval(2, 3)          # helpful among votes
    assert stats.helpful_or_used_rate == wilson_interval(3, 6)  # per impression
    assert stats.helpful_rate.estimate == pytest.approx(2 / 3)


def test_a_deal_counts_once_per_module_used_if_any_view_used_it():
    stats = module_stats(LOG)["case-study"]

    assert (stats.deals_used, stats.deals_unused) == (1, 2)
    rates = stats.win_rates
    assert rates.with_content.estimate == 1.0       # A won
    assert rates.without_content.estimate == 0.5    # B lost, C won
    assert rates.difference.estimate == pytest.approx(0.5)
    assert rates.difference.low < 0 < rates.difference.high  # three deals prove nothing
    assert rates.caution == ASSOCIATION_CAUTION


def test_a_module_never_used_has_no_with_content_win_rate():
    rates = module_stats(LOG)["battle-card"].win_rates
    assert math.isnan(rates.with_content.estimate)
    assert math.isnan(rates.difference.estimate)
    assert rates.without_content.estimate == 0.5  # B lost, C won; D is still open


def test_segments_split_by_phase_primary_role_and_industry():
    by_role = segment_stats(LOG, "role")
    # HEALTH_BUYING's primary role is the first one, not every role of its contacts.
    assert set(by_role) == {"Economic Buyer", "Evaluator", None}
    assert by_role["Economic Buyer"]["case-study"].impressions == 4
    assert by_role["Evaluator"]["case-study"].impressions == 1
    assert by_role[None]["battle-card"].impressions == 1

    by_industry = segment_stats(LOG, "industry")
    banking = by_industry["Banking"]["case-study"]
    assert (banking.impressions, banking.unhelpful_votes, banking.deals_unused) == (1, 1, 1)
    assert by_industry["Healthcare"]["case-study"].win_rates.with_content.estimate == 1.0

    by_phase = segment_stats(LOG, "phase")
    assert by_phase["awareness"]["battle-card"].impressions == 1
    assert by_phase["buying"]["battle-card"].impressions == 1


def test_an_unknown_segment_is_refused_by_name():
    with pytest.raises(ValueError, match="deal_size"):
        segment_stats(LOG, "deal_size")


def test_the_weekly_trend_has_every_iso_week_of_the_range_gaps_included():
    weeks = weekly_trend(LOG, date(2026, 10, 28), date(2026, 11, 20))

    assert [w.label for w in weeks] == ["2026-W44", "2026-W45", "2026-W46", "2026-W47"]
    assert weeks[0].starts == date(2026, 10, 26)
    w44, w45, w46, w47 = (w.activity for w in weeks)
    assert w44.impressions == 0 and math.isnan(w44.open_rate.estimate)
    # W45: case-study A, A, B and battle-card B (days 0 and 1).
    assert (w45.impressions, w45.opens, w45.helpful_or_used, w45.views) == (4, 3, 2, 3)
    # W46: case-study C, C, D and battle-card C, D (days 7 and 8).
    assert (w46.impressions, w46.opens, w46.helpful_or_used, w46.views) == (5, 1, 1, 3)
    assert w46.open_rate == wilson_interval(1, 5)
    assert w47.impressions == 0


def test_a_trend_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        weekly_trend(LOG, date(2026, 11, 20), date(2026, 11, 1))


def test_org_activity_counts_panel_views_once():
    total = activity(LOG)
    assert (total.impressions, total.opens, total.helpful_or_used) == (9, 4, 3)
    assert (total.helpful_votes, total.votes) == (2, 3)
    assert total.views == 6  # B-0, C-7, C-8, D-8


def test_segment_activity_and_filter_agree():
    by_industry = segment_activity(LOG, "industry")
    assert {k: v.impressions for k, v in by_industry.items()} == {
        "Healthcare": 5, "Banking": 2, None: 2}
    assert by_industry["Banking"].helpful_rate.estimate == 0.0  # one vote, "not helpful"
    banking = in_segment(LOG, "industry", "Banking")
    assert [i.module_id for i in banking] == ["case-study", "battle-card"]
    assert len(in_segment(LOG, "phase", None)) == 2


def test_never_opened_needs_enough_impressions():
    stats = module_stats(LOG)
    assert [s.module_id for s in never_opened(stats, min_impressions=3)] == ["battle-card"]
    assert never_opened(stats, min_impressions=4) == []


def test_often_not_helpful_needs_confidence_not_two_unlucky_votes():
    votes = [shown("dud", f"O{n}", helpful=False) for n in range(5)]
    votes += [shown("split", f"S{n}", helpful=n % 2 == 0) for n in range(10)]
    votes += [shown("unlucky", f"U{n}", helpful=False) for n in range(2)]
    stats = module_stats(votes)

    assert wilson_interval(5, 5).low > 0.5  # why five "no" votes of five are enough
    assert [s.module_id for s in often_not_helpful(stats)] == ["dud"]
    # Two "no" of two: even without a minimum, the interval (0.34 to 1) is not sure enough.
    assert wilson_interval(2, 2).low < 0.5
    assert often_not_helpful(stats, min_votes=1) == [stats["dud"]]
    assert often_not_helpful(stats, min_votes=1, threshold=0.3) == [stats["dud"],
                                                                     stats["unlucky"]]


def test_sorting_puts_modules_without_a_figure_last_and_breaks_ties_by_id():
    stats = module_stats(LOG + [shown("another", "E", opened=True)])
    by_win = sorted_stats(stats.values(), "win_difference")
    assert [s.module_id for s in by_win] == ["case-study", "another", "battle-card"]
    by_opens = sorted_stats(stats.values(), "open_rate", descending=False)
    assert [s.module_id for s in by_opens] == ["battle-card", "case-study", "another"]
    with pytest.raises(ValueError, match="impressions"):
        sorted_stats(stats.values(), "colour")
