"""Stage norms: stays read from stage histories, Kaplan-Meier percentiles, size bands, the
minimum number of deals, and when a deal is stuck."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from plugin.deals.stage_norms import (
    MIN_DEALS, SizeBand, StageChange, StageStint, current_stint, size_bands, stage_norms,
    stage_stints, stuck_notice,
)

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
START = NOW - timedelta(days=400)
CLOSED = ("Closed Won", "Closed Lost")


def day(n: float) -> datetime:
    return START + timedelta(days=n)


def stint(days: float, *, moved: bool = True, stage: str = "Proposal", amount: float | None = None,
          deal: str = "006A") -> StageStint:
    return StageStint(deal, stage, START, days, moved, amount)


def test_a_stay_runs_from_entering_a_stage_to_the_next_stage():
    changes = [StageChange("006A", "Prospecting", day(0), 1000),
               StageChange("006A", "Proposal", day(5), 1000),
               StageChange("006A", "Closed Won", day(17), 1000)]
    stints = stage_stints(changes, closed_stages=CLOSED, now=NOW)
    assert [(s.stage, s.days, s.moved) for s in stints] == [("Prospecting", 5, True),
                                                              ("Proposal", 12, True)]


def test_rows_that_change_only_the_amount_do_not_start_a_new_stay():
    changes = [StageChange("006A", "Proposal", day(0), 1000),
               StageChange("006A", "Proposal", day(3), 5000),
               StageChange("006A", "Negotiation", day(10), 5000)]
    [proposal, negotiation] = stage_stints(changes, closed_stages=CLOSED, now=day(12))
    assert (proposal.days, proposal.amount, proposal.moved) == (10, 1000, True)
    assert (negotiation.days, negotiation.moved) == (2, False)


def test_an_open_deals_last_stay_is_censored_at_now_and_a_closed_stage_is_no_stay():
    changes = [StageChange("006A", "Proposal", day(0)), StageChange("006B", "Closed Lost", day(1))]
    stints = stage_stints(changes, closed_stages=CLOSED, now=day(30))
    assert [(s.opportunity_id, s.days, s.moved) for s in stints] == [("006A", 30, False)]


def test_a_deal_that_goes_back_to_a_stage_has_two_stays_there():
    changes = [StageChange("006A", "Proposal", day(0)), StageChange("006A", "Negotiation", day(4)),
               StageChange("006A", "Proposal", day(6)), StageChange("006A", "Closed Won", day(9))]
    stays = [(s.stage, s.days) for s in stage_stints(changes, closed_stages=CLOSED, now=NOW)]
    assert stays == [("Proposal", 4), ("Negotiation", 2), ("Proposal", 3)]


def test_percentiles_of_completed_stays_are_the_usual_ones():
    norms = stage_norms([stint(d) for d in range(1, 21)])
    norm = norms.by_stage["proposal"]
    assert norm.enough
    assert (norm.days(50), norm.days(75), norm.days(90)) == (10, 15, 18)


def test_deals_still_in_a_stage_lengthen_the_norm_instead_of_being_dropped():
    moved = [stint(d) for d in range(1, 11)]
    only_moved = stage_norms(moved).by_stage["proposal"]
    with_waiting = stage_norms(moved + [stint(30, moved=False) for _ in range(10)]).by_stage["proposal"]
    assert with_waiting.days(50) > only_moved.days(50)
    assert with_waiting.still_in == 10


def test_a_percentile_left_open_by_deals_still_waiting_is_not_guessed():
    # 10 deals left within 10 days; 40 have waited 50 days and counting: at most 1 in 5 left.
    stints = [stint(d) for d in range(1, 11)] + [stint(50, moved=False) for _ in range(40)]
    norm = stage_norms(stints).by_stage["proposal"]
    assert norm.enough and norm.days(50) is None and norm.days(90) is None


def test_no_figure_is_shown_below_the_minimum_and_the_shortfall_says_how_far():
    norm = stage_norms([stint(d) for d in range(1, 5)]).by_stage["proposal"]
    assert not norm.enough
    assert norm.days(50) is None and norm.median_days is None
    assert norm.shortfall() == f"not enough deals yet (4 of {MIN_DEALS})"


def test_stages_are_matched_whatever_their_case_and_spacing():
    norms = stage_norms([stint(d, stage=" proposal ") for d in range(1, 21)])
    assert norms.for_deal("PROPOSAL", None) is norms.by_stage["proposal"]


def test_size_bands_cut_amounts_at_their_thirds_rounded_and_need_enough_deals():
    assert size_bands([1000.0] * (3 * MIN_DEALS - 1)) == ()
    bands = size_bands([float(a) for a in range(1000, 91_000, 1000)])
    assert [(b.name, b.low, b.high) for b in bands] == [("small", None, 31_000),
                                                        ("mid-size", 31_000, 60_000),
                                                        ("large", 60_000, None)]
    assert bands[0].label() == "small deals (under 31,000)"


def test_a_deal_gets_its_bands_norm_when_that_band_has_enough_deals():
    amounts = {f"{size}{n}": base + n for size, base in (("s", 1000.0), ("m", 50_000.0),
                                                          ("l", 900_000.0)) for n in range(30)}
    small = [stint(d, amount=1000.0 + d, deal=f"s{d}") for d in range(1, 21)]
    large = [stint(d * 4, amount=900_000.0 + d, deal=f"l{d}") for d in range(1, 21)]
    mid = [stint(d, amount=50_000.0 + d, deal=f"m{d}") for d in range(1, 4)]
    norms = stage_norms(small + large + mid, deal_amounts=amounts)
    assert norms.for_deal("Proposal", 950_000).band.name == "large"
    assert norms.for_deal("Proposal", 1000).band.name == "small"
    # Too few mid-size deals have left Proposal: the stage's norm for all sizes.
    assert norms.for_deal("Proposal", 50_000).band is None
    assert norms.for_deal("Proposal", None).band is None
    assert norms.for_deal("Proposal", 950_000).days(50) > norms.for_deal("Proposal", 1000).days(50)


def test_a_deal_past_the_75th_percentile_is_stuck_in_a_reps_words():
    norms = stage_norms([stint(d) for d in range(1, 21)])
    notice = stuck_notice(norms, stint(16.5, moved=False))
    assert notice.text() == "16 days in Proposal; deals here usually move within 15"
    assert notice.percentile == 75
    assert notice.detail() == ("3 in 4 of this org's deals left Proposal within 15 days, "
                               "9 in 10 within 18 (from 20 deals that left it).")


def test_past_the_90th_percentile_the_notice_says_so_and_still_calls_the_75th_usual():
    norms = stage_norms([stint(d) for d in range(1, 21)])
    notice = stuck_notice(norms, stint(34, moved=False))
    assert (notice.percentile, notice.usual_days, notice.most_days) == (90, 15, 18)
    assert notice.text() == "34 days in Proposal; deals here usually move within 15"


def test_the_notice_names_the_size_band_whose_norm_it_used():
    amounts = {f"d{n}": float(1000 * (n + 1)) for n in range(30)}
    stints = [stint(d % 20 + 1, amount=float(1000 * (d + 1)), deal=f"d{d}") for d in range(30)]
    norms = stage_norms(stints, deal_amounts=amounts, minimum=5)
    notice = stuck_notice(norms, stint(60, moved=False, amount=29_000.0))
    assert notice.band.name == "large" and "this org's large deals (20,000 and over)" in notice.detail()


def test_no_notice_within_the_usual_time_or_without_enough_deals():
    norms = stage_norms([stint(d) for d in range(1, 21)])
    assert stuck_notice(norms, stint(15, moved=False)) is None
    few = stage_norms([stint(d) for d in range(1, 5)])
    assert stuck_notice(few, stint(400, moved=False)) is None
    assert stuck_notice(norms, None) is None
    assert stuck_notice(norms, stint(400, moved=False, stage="Unknown stage")) is None


def test_the_present_stay_is_known_only_when_the_history_has_the_deals_current_stage():
    changes = [StageChange("006A", "Prospecting", day(0)), StageChange("006A", "Proposal", day(5)),
               StageChange("006A", "Proposal", day(8), 700)]
    present = current_stint(changes, "006A", "proposal", now=day(40))
    assert (present.stage, present.days, present.moved) == ("Proposal", 35, False)
    assert current_stint(changes, "006A", "Negotiation", now=day(40)) is None
    assert current_stint(changes, "006B", "Proposal", now=day(40)) is None


@pytest.mark.parametrize("low, high, amount, inside", [
    (None, 10.0, 9.99, True), (None, 10.0, 10.0, False), (10.0, None, 10.0, True),
    (10.0, 20.0, None, False),
])
def test_a_band_holds_amounts_from_its_low_up_to_its_high(low, high, amount, inside):
    assert SizeBand("b", low, high).holds(amount) is inside
