"""An unmapped stage is never treated as a phase it is not: its phase is assumed from the mapped
stages around it in the org's stage order, or left unknown, and the rep is told which."""
from __future__ import annotations

import pytest

from content_catalog.taxonomy import JourneyPhase
from plugin.orgs.mapping import OrgMapping
from plugin.orgs.stage_phases import stage_phase
from plugin.ranking.context_mapping import map_context

ORDER = ("Prospecting", "Qualification", "Discovery Call", "Proposal/Price Quote",
         "Security Review", "Legal Review", "Negotiation/Review", "Closed Won", "Closed Lost")


def test_an_unmapped_stage_without_a_stage_order_has_no_phase_and_the_rep_is_told(taxonomy):
    decided = stage_phase(taxonomy, "Security Review")
    assert decided.phase is None and decided.unmapped
    assert decided.notice() == (
        "This deal's stage “Security Review” isn't set up in Be Inspired yet, so these "
        "suggestions don't assume where the deal is in the customer's journey. Your Be Inspired "
        "admin can map the stage.")


def test_an_unmapped_stage_takes_the_phase_of_the_mapped_stage_before_it(taxonomy):
    decided = stage_phase(taxonomy.with_stage_order(ORDER), "Security Review")
    assert decided.phase is JourneyPhase.BUYING and decided.unmapped
    assert (decided.after, decided.before) == ("Proposal/Price Quote", "Negotiation/Review")
    assert decided.mapped_phase is None  # assumed, not decided by anyone
    assert decided.notice() == (
        "This deal's stage “Security Review” isn't set up in Be Inspired yet, so these "
        "suggestions assume it sits between Proposal/Price Quote and Negotiation/Review (buying).")


def test_unmapped_neighbours_are_skipped_and_the_phase_follows_the_deal_not_the_next_gate(
    taxonomy,
):
    ordered = taxonomy.with_stage_order(ORDER)
    legal = stage_phase(ordered, "legal review")  # stages compare without regard to case
    assert (legal.phase, legal.after, legal.before) == (
        JourneyPhase.BUYING, "Proposal/Price Quote", "Negotiation/Review")
    discovery = stage_phase(ordered, "Discovery Call")  # awareness before, buying after
    assert discovery.phase is JourneyPhase.AWARENESS
    assert "sits between Qualification and Proposal/Price Quote (awareness)" in discovery.notice()


def test_a_first_stage_takes_the_phase_of_the_mapped_stage_after_it(taxonomy):
    ordered = taxonomy.with_stage_order(("Lead", "Prospecting", "Negotiation/Review"))
    decided = stage_phase(ordered, "Lead")
    assert decided.phase is JourneyPhase.AWARENESS
    assert decided.notice().endswith("assume it comes before Prospecting (awareness).")


@pytest.mark.parametrize("order", [(), ("Security Review", "Pilot"), ("Prospecting",)])
def test_no_phase_is_assumed_without_a_mapped_neighbour_or_outside_the_order(taxonomy, order):
    decided = stage_phase(taxonomy.with_stage_order(order), "Security Review")
    assert decided.phase is None and decided.notice().endswith("Your Be Inspired admin can map the stage.")


def test_a_mapped_stage_or_a_won_deal_needs_no_notice(taxonomy):
    mapped = OrgMapping(stage_phases=(("Security Review", JourneyPhase.BUYING),))
    own = stage_phase(mapped.taxonomy(taxonomy), "Security Review", mapping=mapped)
    assert (own.phase, own.mapped_by, own.notice()) == (JourneyPhase.BUYING, "org", None)
    won = stage_phase(taxonomy.with_stage_order(ORDER), "Signed", is_won=True)
    assert (won.phase, won.notice()) == (JourneyPhase.IMPLEMENTATION_ADOPTION, None)
    assert stage_phase(taxonomy, None).notice() is None


def test_the_context_ranks_with_the_assumed_phase_and_keeps_the_stage_unknown_for_admins(
    taxonomy,
):
    mapped = map_context(taxonomy.with_stage_order(ORDER), stage="Security Review")
    assert mapped.context.journey_phase == "buying"
    assert mapped.unknown == {"deal_stage": ("Security Review",)}  # still on the admin's list
    assert mapped.stage.notice().startswith("This deal's stage “Security Review”")
    unordered = map_context(taxonomy, stage="Security Review")
    assert unordered.context.journey_phase is None


def test_the_org_mapping_keeps_the_stage_order_it_was_given(taxonomy):
    mapping = OrgMapping(stage_order=ORDER)
    assert OrgMapping.from_settings(mapping.to_settings()) == mapping
    assert mapping.taxonomy(taxonomy).stage_order == ORDER
    assert OrgMapping.from_settings({"stage_order": "not a list"}).stage_order == ()
    assert OrgMapping.from_settings({"stage_order": ["A", 3, None, "B"]}).stage_order == ("A", "B")
