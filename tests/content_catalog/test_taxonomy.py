import math

import pytest

from content_catalog.taxonomy import (
    DEFAULT_STAGES,
    Dimension,
    JourneyPhase,
    ModuleKind,
    TagValue,
    UnknownTagValue,
)


def test_crm_values_match_case_insensitively_and_by_label(taxonomy):
    assert taxonomy.spec(Dimension.DEAL_STAGE).canonical("  closed WON ") == "Closed Won"
    assert taxonomy.spec(Dimension.INDUSTRY).canonical("food & beverage") == "Food & Beverage"
    assert taxonomy.spec(Dimension.CHALLENGE).canonical("Risk & Compliance") == "risk_compliance"
    assert taxonomy.spec(Dimension.JOURNEY_PHASE).canonical("Implementation & adoption") == (
        "implementation_adoption"
    )
    assert taxonomy.spec(Dimension.INDUSTRY).canonical("Space Mining") is None


def test_no_two_tag_values_share_a_spelling(taxonomy):
    """Matching is by value or label, case-insensitively: a shared spelling would be ambiguous."""
    for dimension in Dimension:
        owners: dict[str, str] = {}
        for tag in taxonomy.spec(dimension).values:
            for spelling in {tag.value.casefold(), tag.label.casefold()}:
                assert owners.setdefault(spelling, tag.value) == tag.value, (dimension, spelling)


def test_classify_keeps_unknown_crm_values_and_reports_them(taxonomy):
    classified = taxonomy.classify(
        Dimension.INDUSTRY, ["banking", " Space Mining ", "", "   ", None, "Banking", "Space Mining"]
    )
    assert classified.known == ("Banking",)
    assert classified.unknown == ("Space Mining",)


def test_classify_keeps_first_appearance_order(taxonomy):
    classified = taxonomy.classify(
        Dimension.BUYER_ROLE, ["technical buyer", "Chief Wizard", "Evaluator", "Technical Buyer", "Oracle"]
    )
    assert classified.known == ("Technical Buyer", "Evaluator")
    assert classified.unknown == ("Chief Wizard", "Oracle")


def test_validate_returns_canonical_spelling_without_duplicates(taxonomy):
    assert taxonomy.validate("industry", ["healthcare", "Banking", "HEALTHCARE"]) == ("Healthcare", "Banking")
    assert taxonomy.validate(Dimension.CHALLENGE, []) == ()


def test_validate_rejects_unknown_value_and_lists_the_allowed_ones(taxonomy):
    with pytest.raises(UnknownTagValue) as raised:
        taxonomy.validate("industry", ["Banking", "Space Mining"])
    assert raised.value.dimension is Dimension.INDUSTRY
    assert raised.value.value == "Space Mining"
    assert "Banking" in raised.value.allowed and "Space Mining" not in raised.value.allowed


def test_unknown_dimension_is_an_error(taxonomy):
    with pytest.raises(ValueError):
        taxonomy.spec("favourite_colour")


def test_every_default_stage_has_a_journey_phase(taxonomy):
    assert taxonomy.spec(Dimension.DEAL_STAGE).allowed == list(DEFAULT_STAGES)
    unmapped = [stage for stage in DEFAULT_STAGES if taxonomy.phase_for_stage(stage) is None]
    assert unmapped == []


def test_pipeline_moves_forward_through_the_journey(taxonomy):
    """Open stages never go back to an earlier phase as the pipeline advances."""
    order = list(JourneyPhase)
    open_stages = [s for s in DEFAULT_STAGES if not s.startswith("Closed")]
    phases = [order.index(taxonomy.phase_for_stage(s)) for s in open_stages]
    assert phases == sorted(phases)
    assert phases[0] == order.index(JourneyPhase.AWARENESS)


def test_won_deal_is_in_implementation_and_lost_deal_stays_in_buying(taxonomy):
    assert taxonomy.phase_for_stage("Closed Won") is JourneyPhase.IMPLEMENTATION_ADOPTION
    assert taxonomy.phase_for_stage("Closed Lost") is JourneyPhase.BUYING


def test_stage_lookup_ignores_case_and_unknown_stage_has_no_phase(taxonomy):
    assert taxonomy.phase_for_stage("  negotiation/review ") is JourneyPhase.BUYING
    assert taxonomy.phase_for_stage("Pilot") is None
    assert taxonomy.phase_for_stage("") is None
    assert taxonomy.phase_for_stage(None) is None


def test_extending_a_picklist_returns_a_copy(taxonomy):
    extended = taxonomy.with_values(
        Dimension.INDUSTRY, [TagValue("Space Mining", "Space Mining"), TagValue("Banking", "Banks")]
    )
    assert extended.validate("industry", ["space mining"]) == ("Space Mining",)
    assert extended.spec("industry").allowed.count("Banking") == 1
    assert extended.spec("industry").label_of("Banking") == "Banking"  # existing value untouched
    with pytest.raises(UnknownTagValue):
        taxonomy.validate("industry", ["Space Mining"])


def test_custom_stage_mapping_joins_the_stage_picklist(taxonomy):
    custom = taxonomy.with_stage_phases(
        {"Pilot": JourneyPhase.IMPLEMENTATION_ADOPTION, "Prospecting": JourneyPhase.BUYING}
    )
    assert custom.phase_for_stage("pilot") is JourneyPhase.IMPLEMENTATION_ADOPTION
    assert custom.phase_for_stage("Prospecting") is JourneyPhase.BUYING
    assert custom.validate("deal_stage", ["PILOT"]) == ("Pilot",)
    assert custom.spec("deal_stage").allowed.count("Prospecting") == 1
    assert taxonomy.phase_for_stage("Pilot") is None
    assert taxonomy.phase_for_stage("Prospecting") is JourneyPhase.AWARENESS


@pytest.mark.parametrize(
    ("amount", "band"),
    [
        (0, "small"),
        (49_999.99, "small"),
        (50_000, "medium"),
        (249_999.99, "medium"),
        (250_000, "large"),
        (10**12, "large"),
        (None, None),
        (-1, None),
        (math.nan, None),
        (math.inf, None),
        (-math.inf, None),
    ],
)
def test_deal_size_band_follows_the_thresholds(taxonomy, amount, band):
    assert taxonomy.deal_size_bands.band(amount) == band


def test_every_module_kind_has_a_readable_label():
    labels = [kind.label for kind in ModuleKind]
    assert all(label and label != kind.value for label, kind in zip(labels, ModuleKind))
    assert len(set(labels)) == len(labels)


def test_canonical_spelling_is_the_first_tag_matching_by_value_or_label():
    """The lookup made once answers what scanning the tags in order answered: the first tag whose
    value (any case, where the dimension ignores case) or label (any case) is the raw value."""
    from content_catalog.taxonomy import DimensionSpec, TagValue, default_taxonomy

    def scanned(spec, raw):
        needle = raw.strip()
        for tag in spec.values:
            if tag.value == needle or (spec.case_insensitive
                                       and tag.value.casefold() == needle.casefold()):
                return tag.value
            if tag.label.casefold() == needle.casefold():
                return tag.value
        return None

    tricky = DimensionSpec("challenge", "Challenge", (
        TagValue("cost", "Downtime"), TagValue("Downtime", "Outages"), TagValue("risk", "COST")),
        case_insensitive=False)
    raws = ["Downtime", "downtime", " cost ", "COST", "Cost", "outages", "risk", "RISK", "none", ""]
    for spec in (tricky, *default_taxonomy().dimensions.values()):
        values = [v for t in spec.values for v in (t.value, t.label, t.value.upper(), t.label.lower())]
        for raw in raws + values:
            assert spec.canonical(raw) == scanned(spec, raw), (spec.dimension, raw)
