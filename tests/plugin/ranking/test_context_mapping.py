"""From raw CRM values to the ranker's OpportunityContext."""
import math
from dataclasses import replace
from datetime import date

import pytest

from content_catalog.taxonomy import DealSizeBands, JourneyPhase
from plugin.ranking.context_mapping import context_from_record, map_context
from plugin.crm.records import ContactRole, OpportunityRecord
from recommender import CandidateModule, TagTextRanker
from recommender.types import CLIENT_FACING


def test_crm_spellings_map_to_the_taxonomy_spelling(taxonomy):
    mapped = map_context(
        taxonomy,
        stage="closed won",
        industry=" banking ",
        buyer_roles=["economic buyer", "TECHNICAL BUYER"],
        challenge="Risk & compliance",
        amount=300_000,
        text="Audit next quarter",
    )
    context = mapped.context
    assert context.stage == "Closed Won"
    assert context.journey_phase == JourneyPhase.IMPLEMENTATION_ADOPTION.value
    assert context.industry == "Banking"
    assert context.buyer_roles == ("Economic Buyer", "Technical Buyer")
    assert context.challenge == "risk_compliance"
    assert (context.deal_size, context.amount) == ("large", 300_000)
    assert context.text == "Audit next quarter"
    assert mapped.unknown == {}


def test_unknown_crm_value_matches_no_tag_but_is_reported(taxonomy):
    mapped = map_context(taxonomy, industry="Space Mining", stage="Prospecting")
    assert mapped.context.industry == "Space Mining"  # kept: it is what the CRM said
    assert mapped.unknown == {"industry": ("Space Mining",)}

    catalog = [
        CandidateModule("banking-case", "", CLIENT_FACING, {"industry": ("Banking",)}),
        CandidateModule("mining-lookalike", "", CLIENT_FACING, {"industry": ("Energy",)}),
        CandidateModule("generic", "", CLIENT_FACING),
    ]
    ranked = TagTextRanker().fit(catalog).rank(mapped.context, today=date(2026, 6, 15))
    assert [s.module_id for s in ranked] == ["generic"]


def test_every_unknown_dimension_is_reported_verbatim(taxonomy):
    mapped = map_context(
        taxonomy, stage="Pilot", industry="Space Mining", buyer_roles=["Chief Wizard"], challenge=" Boredom "
    )
    assert mapped.unknown == {
        "deal_stage": ("Pilot",),
        "industry": ("Space Mining",),
        "buyer_role": ("Chief Wizard",),
        "challenge": ("Boredom",),
    }


def test_primary_role_stays_first_and_duplicates_are_dropped(taxonomy):
    mapped = map_context(
        taxonomy, buyer_roles=["Chief Wizard", "technical buyer", "Evaluator", "Technical Buyer", " ", "Chief Wizard"]
    )
    assert mapped.context.buyer_roles == ("Chief Wizard", "Technical Buyer", "Evaluator")
    assert mapped.context.primary_role == "Chief Wizard"
    assert mapped.unknown == {"buyer_role": ("Chief Wizard",)}


def test_unknown_stage_has_no_phase_unless_the_deal_is_won(taxonomy):
    assert map_context(taxonomy, stage="Pilot").context.journey_phase is None
    assert map_context(taxonomy, stage="Pilot", is_won=False).context.journey_phase is None
    won = map_context(taxonomy, stage="Contract Signed", is_won=True).context
    assert won.journey_phase == JourneyPhase.IMPLEMENTATION_ADOPTION.value
    assert won.stage == "Contract Signed"


def test_known_stage_phase_wins_over_the_won_flag(taxonomy):
    # A deal marked won but still sitting in a buying stage keeps the stage's phase.
    assert map_context(taxonomy, stage="Negotiation/Review", is_won=True).context.journey_phase == "buying"


def test_explicit_journey_phase_overrides_the_stage(taxonomy):
    mapped = map_context(taxonomy, stage="Prospecting", journey_phase=JourneyPhase.BUYING)
    assert mapped.context.journey_phase == "buying"
    assert mapped.context.stage == "Prospecting"


def test_admin_stage_mapping_is_used(taxonomy):
    custom = taxonomy.with_stage_phases({"Pilot": JourneyPhase.IMPLEMENTATION_ADOPTION})
    mapped = map_context(custom, stage="pilot")
    assert (mapped.context.stage, mapped.context.journey_phase) == ("Pilot", "implementation_adoption")
    assert mapped.unknown == {}


def test_blank_values_count_as_missing(taxonomy):
    mapped = map_context(taxonomy, stage="   ", industry="", buyer_roles=["", "  "], challenge=None)
    context = mapped.context
    assert (context.stage, context.journey_phase, context.industry, context.challenge) == (None,) * 4
    assert context.buyer_roles == ()
    assert mapped.unknown == {}


@pytest.mark.parametrize(
    ("amount", "band"),
    [(None, None), (0, "small"), (50_000, "medium"), (250_000, "large"), (-5, None), (math.nan, None), (math.inf, None)],
)
def test_amount_sets_the_deal_size_band(taxonomy, amount, band):
    assert map_context(taxonomy, amount=amount).context.deal_size == band


def test_custom_deal_size_thresholds_are_used(taxonomy):
    small_business = replace(taxonomy, deal_size_bands=DealSizeBands(medium_from=5_000, large_from=20_000))
    assert map_context(small_business, amount=25_000).context.deal_size == "large"


def record(**fields):
    defaults = dict(opportunity_id="006A0000006Vm9rIAC", name="Acme renewal")
    return OpportunityRecord(**{**defaults, **fields})


def test_context_from_record_reads_text_roles_and_account_industry(taxonomy):
    mapped = context_from_record(
        record(
            stage="Value Proposition",
            industry="healthcare",
            amount=60_000,
            challenge="efficiency",
            description="<script>alert(1)</script> HIPAA audit",
            next_step="Send case study",
            contact_roles=(
                ContactRole("Executive Sponsor", True),
                ContactRole(None, False, "No role given"),
                ContactRole("Evaluator", False),
            ),
        ),
        taxonomy,
    )
    context = mapped.context
    assert (context.stage, context.journey_phase, context.industry) == ("Value Proposition", "buying", "Healthcare")
    assert context.buyer_roles == ("Executive Sponsor", "Evaluator")
    assert (context.challenge, context.deal_size) == ("efficiency", "medium")
    assert context.text == "<script>alert(1)</script> HIPAA audit\nSend case study"


def test_won_record_with_a_custom_stage_is_in_implementation(taxonomy):
    mapped = context_from_record(record(stage="Signed & Live", is_won=True, is_closed=True), taxonomy)
    assert mapped.context.journey_phase == "implementation_adoption"
    assert mapped.unknown == {"deal_stage": ("Signed & Live",)}


def test_record_without_text_gives_empty_text(taxonomy):
    assert context_from_record(record(), taxonomy).context.text == ""
    assert context_from_record(record(next_step="Call"), taxonomy).context.text == "Call"
