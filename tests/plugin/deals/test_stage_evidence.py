"""Stage-advance evidence from stage stays and rep uses: which deals count, which moved on, and
which modules were used while the deal was in the stage."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from content_catalog.opportunity_history import ModuleUse
from plugin.deals.stage_evidence import stage_evidence
from plugin.deals.stage_norms import StageChange, stage_norms, stage_stints

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
ORDER = ("Prospecting", "Proposal", "Negotiation")
CLOSED = ("Closed Won", "Closed Lost")


def day(n: float) -> datetime:
    return NOW - timedelta(days=200) + timedelta(days=n)


def path(deal: str, *steps: tuple[str, float]) -> list[StageChange]:
    return [StageChange(deal, stage, day(at)) for stage, at in steps]


def evidence(changes, uses, norms=None):
    stints = stage_stints(changes, closed_stages=CLOSED, now=NOW)
    return stage_evidence(stints, uses, stage_order=ORDER, won_stages=["Closed Won"],
                          norms=norms)


def test_forwards_and_won_moves_count_as_moving_on_and_backwards_and_lost_do_not():
    changes = (path("A", ("Proposal", 0), ("Negotiation", 5))
               + path("B", ("Proposal", 0), ("Closed Won", 5))
               + path("C", ("Proposal", 0), ("Prospecting", 5))
               + path("D", ("Proposal", 0), ("Closed Lost", 5)))
    baseline = evidence(changes, [])["proposal"].baseline
    assert (baseline.deals, baseline.moved_on) == (4, 2)


def test_a_module_counts_for_the_stays_it_was_used_during():
    changes = (path("A", ("Proposal", 0), ("Negotiation", 10))
               + path("B", ("Proposal", 0), ("Closed Lost", 10)))
    uses = [ModuleUse("A", "roi", day(3)), ModuleUse("A", "roi", day(4)),  # twice: one deal
            ModuleUse("B", "roi", day(2)),
            ModuleUse("B", "case", day(12))]  # after B left Proposal: not during the stay
    proposal = evidence(changes, uses)["proposal"]
    assert (proposal.modules["roi"].used_in, proposal.modules["roi"].moved_on) == (2, 1)
    assert "case" not in proposal.modules


def test_a_deal_still_in_the_stage_counts_only_once_it_is_past_the_90th_percentile():
    done = [c for n in range(20) for c in path(f"M{n}", ("Proposal", 0), ("Negotiation", n + 1))]
    young = path("Y", ("Proposal", 195))  # 5 days in: may still move
    old = path("O", ("Proposal", 100))  # 100 days in: past every usual time
    changes = done + young + old
    norms = stage_norms(stage_stints(changes, closed_stages=CLOSED, now=NOW))
    baseline = evidence(changes, [], norms)["proposal"].baseline
    assert (baseline.deals, baseline.moved_on) == (21, 20)


def test_closing_lost_is_not_moving_on_even_where_the_stage_order_lists_it_last():
    changes = (path("A", ("Proposal", 0), ("Closed Lost", 5))
               + path("B", ("Proposal", 0), ("Negotiation", 5)))
    stints = stage_stints(changes, closed_stages=CLOSED, now=NOW)
    found = stage_evidence(stints, [], stage_order=(*ORDER, "Closed Won", "Closed Lost"),
                           won_stages=["Closed Won"], lost_stages=["Closed Lost"])
    assert (found["proposal"].baseline.deals, found["proposal"].baseline.moved_on) == (2, 1)
