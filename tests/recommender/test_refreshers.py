"""Spaced refreshers: the schedule, what counts as the same situation, and the list they join."""
from datetime import date, timedelta

import pytest

from recommender.refreshers import (
    MAX_BACK,
    REFRESHER,
    SITUATION_WINDOW,
    SPACING_DAYS,
    RefresherUse,
    bring_back,
    dismissed,
    due_refreshers,
)
from recommender.types import Reason, Recommendations, Suggestion

TODAY = date(2026, 12, 6)


def used(*days_ago: int, module_id: str = "refresher", kind: str = "open",
         dismissed: bool = False) -> RefresherUse:
    return RefresherUse(module_id, frozenset(TODAY - timedelta(days=d) for d in days_ago), kind,
                        dismissed)


def suggestion(module_id: str, rank: int = 1, *reasons: Reason, audience: str = "internal",
               propensity: float = 1.0) -> Suggestion:
    return Suggestion(module_id, 1.0, rank, audience,
                      reasons or (Reason("journey_phase", "Buying phase"),), {}, propensity)


@pytest.mark.parametrize("step, interval", list(enumerate(SPACING_DAYS, 1)))
def test_each_interval_brings_it_back_on_its_day_and_not_the_day_before(step, interval):
    # Used on ``step`` distinct days, the last ``interval`` days ago (the others well before).
    earlier = [interval + 100 * n for n in range(1, step)]
    assert due_refreshers([used(interval, *earlier)], TODAY)[0].step == step
    assert due_refreshers([used(interval - 1, *earlier)], TODAY) == []


def test_the_schedule_is_2_7_21_60_days():
    assert SPACING_DAYS == (2, 7, 21, 60)


def test_a_use_since_it_came_back_resets_the_clock_and_moves_to_the_next_interval():
    assert [d.step for d in due_refreshers([used(9)], TODAY)] == [1]
    # Opened again yesterday: now on two days, due 7 days after yesterday, not today.
    assert due_refreshers([used(9, 1)], TODAY) == []
    assert [d.step for d in due_refreshers([used(9, 1)], TODAY + timedelta(days=6))] == [2]


def test_uses_on_one_day_count_once():
    assert due_refreshers([used(3, 3, 3)], TODAY)[0].step == 1


def test_used_at_every_interval_it_is_not_brought_back_again():
    assert due_refreshers([used(400, 300, 200, 100, 90)], TODAY) == []


def test_a_dismissal_wins_whatever_the_schedule_says():
    assert due_refreshers([used(9, dismissed=True)], TODAY) == []


def test_a_refresher_never_used_is_not_due():
    assert due_refreshers([RefresherUse("dismissed-only", dismissed=True)], TODAY) == []


def test_the_reason_says_what_the_rep_did_and_how_long_ago():
    due = due_refreshers([used(9, kind="personalise"), used(30, 9, module_id="b")], TODAY)
    assert {d.module_id: d.reason for d in due} == {
        "refresher": Reason(REFRESHER, "You personalised this 9 days ago; a second look now "
                                       "helps it stick"),
        "b": Reason(REFRESHER, "You opened this 9 days ago; a third look now helps it stick"),
    }


def test_most_overdue_first():
    due = due_refreshers([used(3, module_id="a"), used(9, module_id="b")], TODAY)
    assert [d.module_id for d in due] == ["b", "a"]


def ranked(*internal: Suggestion) -> Recommendations:
    return Recommendations((suggestion("client", audience="client_facing"),), internal)


def test_a_due_refresher_the_ranker_places_in_this_situation_comes_back_first():
    due = due_refreshers([used(9)], TODAY)
    shown = ranked(suggestion("x", 1, propensity=0.8), suggestion("y", 2), suggestion("z", 3))
    situation = [suggestion(f"m{n}", n) for n in range(1, 8)] + [suggestion("refresher", 8)]
    result, back = bring_back(shown, due, situation, k_internal=3)
    assert back == ("refresher",)
    assert [(s.module_id, s.rank) for s in result.internal] == [
        ("refresher", 1), ("x", 2), ("y", 3)]
    first = result.internal[0]
    assert first.reasons[0] == due[0].reason and first.reasons[1:] == situation[-1].reasons
    assert first.propensity == 1.0 and not first.explored
    assert result.internal[1].propensity == 0.8
    assert result.client_facing == shown.client_facing


def test_not_due_when_the_situation_differs():
    due = due_refreshers([used(9)], TODAY)
    shown = ranked(suggestion("x"))
    beyond = [suggestion(f"m{n}", n) for n in range(1, SITUATION_WINDOW + 1)]
    # Past the ranker's first SITUATION_WINDOW candidates, or not among them at all.
    assert bring_back(shown, due, [*beyond, suggestion("refresher", 11)], 3) == (shown, ())
    assert bring_back(shown, due, beyond[:3], 3) == (shown, ())
    # Among them only because it is untagged, or shares words with the opportunity's text.
    for reasons in ((Reason("any", "Useful for any opportunity like this"),),
                    (Reason("text", "mentions 'audit'"),)):
        assert bring_back(shown, due, [suggestion("refresher", 1, *reasons)], 3) == (shown, ())


def test_already_in_the_list_it_moves_first_with_its_reason_and_nothing_is_shown_twice():
    due = due_refreshers([used(9)], TODAY)
    shown = ranked(suggestion("x", 1), suggestion("refresher", 2))
    result, _ = bring_back(shown, due, [suggestion("x", 1), suggestion("refresher", 2)], 3)
    assert [s.module_id for s in result.internal] == ["refresher", "x"]
    assert result.internal[0].reasons[0].dimension == REFRESHER


def test_at_most_one_comes_back_at_once_the_best_placed():
    due = due_refreshers([used(9, module_id="a"), used(30, module_id="b")], TODAY)
    situation = [suggestion("x", 1), suggestion("a", 2), suggestion("b", 3)]
    result, back = bring_back(ranked(*situation), due, situation, 3)
    assert back == ("a",) and MAX_BACK == 1
    assert [s.module_id for s in result.internal] == ["a", "x", "b"]
    assert [s.reasons[0].dimension for s in result.internal] == [
        REFRESHER, "journey_phase", "journey_phase"]


def test_a_dismissed_refresher_leaves_the_list_and_the_next_candidate_fills_its_place():
    uses = [used(9, module_id="gone", dismissed=True), used(9, module_id="a")]
    shown = ranked(suggestion("x", 1), suggestion("gone", 2), suggestion("y", 3))
    situation = [suggestion(m, n) for n, m in enumerate(["x", "gone", "y", "z", "a"], 1)]
    result, back = bring_back(shown, due_refreshers(uses, TODAY), situation, 3,
                              dismissed(uses))
    assert back == ("a",)
    assert [s.module_id for s in result.internal] == ["a", "x", "y"]
    result, back = bring_back(shown, [], situation, 3, dismissed(uses))
    assert back == () and [s.module_id for s in result.internal] == ["x", "y", "z"]
