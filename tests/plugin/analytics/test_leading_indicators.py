"""Leading indicators from impressions, events, outcomes, meetings and people (pure)."""
from datetime import date, datetime, timedelta, timezone

import pytest

from content_catalog.deal_outcomes import DealOutcome
from content_catalog.events import EventKind, Impression, ImpressionOrigin, PanelEvent, ShownWithEvents
from content_catalog.people_store import Meeting, SalesRole, SyncedUser
from plugin.analytics.leading_indicators import (
    IndicatorInputs, indicators_for, proposal_stage_of, scopes,
)
from plugin.deals.people import OrgPeople

STAGES = ["Qualification", "Value Proposition", "Proposal/Price Quote", "Negotiation/Review"]
SINCE, UNTIL = date(2026, 11, 2), date(2026, 11, 16)  # two weeks, Mondays
KINDS = {"bva": "business_case_template", "story": "case_study"}
_n = iter(range(10_000))


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=timezone.utc)


def shown(opp: str, module: str, stage: str, when: datetime, *kinds: EventKind, user: str = "sam",
          origin: ImpressionOrigin = ImpressionOrigin.SUGGESTIONS) -> ShownWithEvents:
    n = next(_n)
    impression = Impression(f"i{n}", "org", f"v{n}", opp, user, module, "client_facing", 1, 1.0,
                            1.0, False, "v1", {"stage": stage}, when, origin)
    return ShownWithEvents(impression, tuple(
        PanelEvent(f"e{n}{k.value}", f"i{n}", k, when + timedelta(minutes=5), user_id=user)
        for k in kinds))


def closed(opp: str, day: int, won: bool = True) -> DealOutcome:
    return DealOutcome(opp, won, "Closed Won" if won else "Closed Lost", close_date=date(2026, 11, day))


def inputs(shown_items=(), outcomes=(), meetings=(), owners=None, **kw) -> IndicatorInputs:
    return IndicatorInputs(SINCE, UNTIL, list(shown_items), {o.opportunity_id: o for o in outcomes},
                           list(meetings), owners or {}, KINDS, STAGES, proposal_stage_of(STAGES),
                           **kw)


def test_a_value_analysis_counts_when_opened_or_used_before_the_proposal_stage_on_a_closed_deal():
    data = inputs(
        [shown("o1", "bva", "Value Proposition", at(3), EventKind.OPEN, EventKind.PERSONALISE),
         shown("o2", "bva", "Proposal/Price Quote", at(3), EventKind.PERSONALISE),  # too late
         shown("o3", "bva", "Qualification", at(3)),  # shown, never opened
         shown("o4", "story", "Qualification", at(3), EventKind.SHARE)],  # not a value analysis
        [closed("o1", 5), closed("o2", 6, won=False), closed("o3", 10), closed("o4", 12),
         closed("o5", 20)],  # after the window
        owners={f"o{n}": "sam" for n in range(1, 6)})
    figure = indicators_for({"sam"}, data).value_analysis
    assert (figure.numerator, figure.denominator) == (1, 4)
    assert [ln.opportunity_id for ln in figure.lines if ln.counted] == ["o1"]
    assert 0 < figure.interval.low < 0.25 < figure.interval.high < 0.85


def test_with_a_stage_history_value_analysis_counts_deals_past_buying_and_uses_its_dates():
    """o1 reached Closed Won (past buying) after a value analysis used before it entered the
    proposal stage, though the panel logged Proposal; o2 used it after entering the proposal stage;
    o3 closed lost without getting past buying: not in the denominator, though closed; o4 has no
    history: counted as before, from its outcome and the stage the panel logged."""
    history = {
        "o1": [("Value Proposition", at(1)), ("Proposal/Price Quote", at(4)), ("Closed Won", at(6))],
        "o2": [("Value Proposition", at(1)), ("Proposal/Price Quote", at(2)), ("closed won", at(9))],
        "o3": [("Qualification", at(1)), ("Closed Lost", at(5))],
    }
    data = inputs(
        [shown("o1", "bva", "Proposal/Price Quote", at(3), EventKind.OPEN),
         shown("o2", "bva", "Value Proposition", at(3), EventKind.OPEN),
         shown("o3", "bva", "Qualification", at(3), EventKind.OPEN),
         shown("o4", "bva", "Value Proposition", at(3), EventKind.OPEN)],
        [closed("o3", 5, won=False), closed("o4", 10, won=False)],
        owners={f"o{n}": "sam" for n in range(1, 5)},
        stage_history=history, past_buying=frozenset({"closed won"}))
    figure = indicators_for({"sam"}, data).value_analysis
    assert (figure.numerator, figure.denominator) == (2, 3)
    assert {ln.opportunity_id: (ln.counted, ln.on) for ln in figure.lines} == {
        "o1": (1, date(2026, 11, 6)), "o2": (0, date(2026, 11, 9)), "o4": (1, date(2026, 11, 10))}
    assert next(ln.detail for ln in figure.lines if ln.opportunity_id == "o1").endswith(
        "reached Closed Won")


def test_preparation_counts_meetings_with_content_opened_or_personalised_in_the_days_before():
    data = inputs(
        [shown("o1", "story", "Value Proposition", at(3), EventKind.OPEN),
         shown("o2", "story", "Value Proposition", at(2), EventKind.OPEN)],
        meetings=[Meeting("m1", "o1", at(5), owner_id="sam"),  # opened two days before
                  Meeting("m2", "o2", at(9), owner_id="sam"),  # a week later: not prepared
                  Meeting("m3", "o1", at(3, 9), owner_id="sam")],  # opened after it began
        prep_days=3)
    result = indicators_for({"sam"}, data)
    assert (result.preparation.numerator, result.preparation.denominator) == (1, 3)
    first, second = result.weeks
    assert first[0] == date(2026, 11, 2) and (first[2].numerator, first[2].denominator) == (1, 2)
    assert (second[2].numerator, second[2].denominator) == (0, 1)


def test_suggestions_seen_vs_used_count_suggestions_not_searches_and_keep_the_deals():
    data = inputs([shown("o1", "story", "Qualification", at(3), EventKind.COPY),
                   shown("o1", "story", "Qualification", at(3)),
                   shown("o2", "story", "Qualification", at(10), EventKind.OPEN),
                   shown("o2", "story", "Qualification", at(10), EventKind.COPY,
                         origin=ImpressionOrigin.SEARCH)])
    figure = indicators_for({"sam"}, data).suggestions
    assert (figure.numerator, figure.denominator) == (1, 3)
    assert {ln.opportunity_id for ln in figure.lines} == {"o1", "o2"}


def test_no_data_is_no_figure_not_zero():
    figure = indicators_for({"sam"}, inputs()).preparation
    assert figure.share is None and figure.denominator == 0
    assert (figure.interval.low, figure.interval.high) == (0.0, 1.0)


PEOPLE = OrgPeople.build(
    [SyncedUser("dana", "Dana", role_id="mgr"), SyncedUser("sam", "Sam", role_id="rep", manager_id="dana"),
     SyncedUser("priya", "Priya", role_id="rep", manager_id="dana"),
     SyncedUser("lukas", "Lukas", role_id="emea", manager_id="elena"), SyncedUser("elena", "Elena", role_id="emea")],
    [SalesRole("top", "Sales"), SalesRole("na", "North America", "top"), SalesRole("mgr", "Mgr", "na"),
     SalesRole("rep", "Rep", "mgr"), SalesRole("emea", "EMEA", "top")])


@pytest.fixture
def org_inputs():
    return inputs([shown("o1", "story", "Qualification", at(3), EventKind.COPY, user="sam"),
                   shown("o2", "story", "Qualification", at(4), user="priya"),
                   shown("o3", "story", "Qualification", at(4), EventKind.SHARE, user="lukas")])


def test_scopes_are_reps_teams_and_regions_in_name_order_never_by_a_figure(org_inputs):
    found = [(s.kind, s.label, s.indicators.suggestions.numerator) for s in scopes(PEOPLE, org_inputs)]
    assert found == [("region", "EMEA", 1), ("region", "North America", 1),
                     ("team", "Dana's team", 1), ("team", "Elena's team", 1),
                     ("rep", "Lukas", 1), ("rep", "Priya", 0), ("rep", "Sam", 1)]


def test_a_manager_sees_only_their_team(org_inputs):
    found = scopes(PEOPLE, org_inputs, visible=PEOPLE.team("dana"))
    assert [(s.kind, s.label) for s in found] == [("team", "Dana's team"), ("rep", "Priya"), ("rep", "Sam")]
