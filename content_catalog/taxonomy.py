"""The tag dimensions content modules are described by, and their default values.
Design: docs/design/content_catalog.md."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from typing import Iterable, Mapping


class Dimension(StrEnum):
    """A tag dimension. The string value is the key used in storage, imports and the API."""

    JOURNEY_PHASE = "journey_phase"
    BUYER_ROLE = "buyer_role"
    INDUSTRY = "industry"
    DEAL_STAGE = "deal_stage"
    CHALLENGE = "challenge"
    DEAL_SIZE = "deal_size"


class JourneyPhase(StrEnum):
    """The customer's journey (seed 001): change, decision and value dynamics."""

    AWARENESS = "awareness"
    BUYING = "buying"
    IMPLEMENTATION_ADOPTION = "implementation_adoption"


@dataclass(frozen=True)
class TagValue:
    value: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class DimensionSpec:
    dimension: Dimension
    label: str
    values: tuple[TagValue, ...]
    #: Salesforce-fed dimensions compare case-insensitively, as picklists do.
    case_insensitive: bool = True

    def canonical(self, raw: str) -> str | None:
        """The taxonomy's spelling of ``raw``, or None when the value is unknown: the first tag,
        in the taxonomy's order, whose value is ``raw`` (any case where the dimension ignores
        it) or whose label is, in any case."""
        needle = raw.strip()
        exact, folded = self._lookup
        found = (exact.get(needle), folded.get(needle.casefold()))
        first = min((i for i in found if i is not None), default=None)
        return None if first is None else self.values[first].value

    @cached_property
    def _lookup(self) -> tuple[dict[str, int], dict[str, int]]:
        """(value → first tag index, folded value or label → first tag index), made once: a
        panel view maps a dozen CRM values, each a scan of every tag before (issue 12)."""
        exact: dict[str, int] = {}
        folded: dict[str, int] = {}
        for i, tag in enumerate(self.values):
            exact.setdefault(tag.value, i)
            if self.case_insensitive:
                folded.setdefault(tag.value.casefold(), i)
            folded.setdefault(tag.label.casefold(), i)
        return exact, folded

    def label_of(self, value: str) -> str:
        for tag in self.values:
            if tag.value == value:
                return tag.label
        return value

    @property
    def allowed(self) -> list[str]:
        return [tag.value for tag in self.values]


class UnknownTagValue(ValueError):
    """A person supplied a tag value the taxonomy does not have."""

    def __init__(self, dimension: Dimension, value: str, allowed: list[str]):
        self.dimension = dimension
        self.value = value
        self.allowed = allowed
        super().__init__(f"{value!r} is not a known {dimension.value} value")


@dataclass(frozen=True)
class Classified:
    """Values sorted into the ones the taxonomy knows and the ones it does not."""

    known: tuple[str, ...]
    unknown: tuple[str, ...]


def _same(*names: str) -> tuple[TagValue, ...]:
    return tuple(TagValue(n, n) for n in names)


PHASE_VALUES = (
    TagValue(
        JourneyPhase.AWARENESS,
        "Awareness",
        "Change dynamics: the customer recognises a need to change and explores options.",
    ),
    TagValue(
        JourneyPhase.BUYING,
        "Buying",
        "Decision dynamics: the customer evaluates, builds the case and decides.",
    ),
    TagValue(
        JourneyPhase.IMPLEMENTATION_ADOPTION,
        "Implementation & adoption",
        "Value dynamics: the customer implements, adopts and realises value.",
    ),
)

#: Salesforce's default Opportunity.StageName values, in pipeline order.
DEFAULT_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)

#: Where each default stage sits in the customer's journey. Closed Lost stays in buying: the
#: content that helps there is the win/loss kind, and a lost deal is not being implemented.
DEFAULT_STAGE_PHASES: Mapping[str, JourneyPhase] = {
    "Prospecting": JourneyPhase.AWARENESS,
    "Qualification": JourneyPhase.AWARENESS,
    "Needs Analysis": JourneyPhase.AWARENESS,
    "Value Proposition": JourneyPhase.BUYING,
    "Id. Decision Makers": JourneyPhase.BUYING,
    "Perception Analysis": JourneyPhase.BUYING,
    "Proposal/Price Quote": JourneyPhase.BUYING,
    "Negotiation/Review": JourneyPhase.BUYING,
    "Closed Won": JourneyPhase.IMPLEMENTATION_ADOPTION,
    "Closed Lost": JourneyPhase.BUYING,
}

DEFAULT_BUYER_ROLES = (
    "Business User",
    "Decision Maker",
    "Economic Buyer",
    "Economic Decision Maker",
    "Evaluator",
    "Executive Sponsor",
    "Influencer",
    "Technical Buyer",
    "Other",
)

DEFAULT_INDUSTRIES = (
    "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications",
    "Construction", "Consulting", "Education", "Electronics", "Energy", "Engineering",
    "Entertainment", "Environmental", "Finance", "Food & Beverage", "Government", "Healthcare",
    "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media", "Not For Profit",
    "Recreation", "Retail", "Shipping", "Technology", "Telecommunications", "Transportation",
    "Utilities", "Other",
)  # fmt: skip

CHALLENGE_VALUES = (
    TagValue("growth", "Growth", "Win new customers, markets or revenue."),
    TagValue("efficiency", "Efficiency", "Do the same work faster or with fewer hand-offs."),
    TagValue("transformation", "Transformation", "Change how the business operates."),
    TagValue("risk_compliance", "Risk & compliance", "Meet regulation, reduce exposure."),
    TagValue("cost_reduction", "Cost reduction", "Spend less for the same outcome."),
    TagValue("customer_experience", "Customer experience", "Serve customers better."),
)

DEAL_SIZE_VALUES = (
    TagValue("small", "Small deal", "Amount under the small-deal threshold."),
    TagValue("medium", "Mid-size deal", "Amount between the two thresholds."),
    TagValue("large", "Large deal", "Amount at or above the large-deal threshold."),
)


class ModuleKind(StrEnum):
    CASE_STUDY = "case_study"
    VALUE_MESSAGE = "value_message"
    BUSINESS_CASE_TEMPLATE = "business_case_template"
    BATTLE_CARD = "battle_card"
    PRESENTATION = "presentation"
    PLAYBOOK = "playbook"
    TRAINING_REFRESHER = "training_refresher"
    EMAIL_TEMPLATE = "email_template"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    ModuleKind.CASE_STUDY: "Case study",
    ModuleKind.VALUE_MESSAGE: "Value message",
    ModuleKind.BUSINESS_CASE_TEMPLATE: "Business-case template",
    ModuleKind.BATTLE_CARD: "Battle card",
    ModuleKind.PRESENTATION: "Presentation",
    ModuleKind.PLAYBOOK: "Playbook",
    ModuleKind.TRAINING_REFRESHER: "Training refresher",
    ModuleKind.EMAIL_TEMPLATE: "Email template",
}


class Audience(StrEnum):
    """Client-facing content is shared with the buyer; internal content prepares the rep."""

    CLIENT_FACING = "client_facing"
    INTERNAL = "internal"

    @property
    def label(self) -> str:
        return "Client-facing" if self is Audience.CLIENT_FACING else "Internal"


class ModuleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


@dataclass(frozen=True)
class DealSizeBands:
    """Amount thresholds (in the org's currency) that split deals into small/medium/large."""

    medium_from: float = 50_000
    large_from: float = 250_000

    def band(self, amount: float | None) -> str | None:
        # NaN compares false with everything and would otherwise land in "small".
        if amount is None or not math.isfinite(amount) or amount < 0:
            return None
        if amount >= self.large_from:
            return "large"
        if amount >= self.medium_from:
            return "medium"
        return "small"


@dataclass(frozen=True)
class Taxonomy:
    """Every dimension's values plus the stage → phase mapping; immutable, extend by copy."""

    dimensions: Mapping[Dimension, DimensionSpec]
    stage_phases: Mapping[str, JourneyPhase] = field(default_factory=dict)
    deal_size_bands: DealSizeBands = DealSizeBands()
    #: The org's stages in pipeline order (``OpportunityStage.SortOrder``) when known, else
    #: empty: where an unmapped stage sits among the mapped ones.
    stage_order: tuple[str, ...] = ()

    def spec(self, dimension: Dimension | str) -> DimensionSpec:
        return self.dimensions[Dimension(dimension)]

    def validate(self, dimension: Dimension | str, values: Iterable[str]) -> tuple[str, ...]:
        """Canonical spellings of ``values``; raises :class:`UnknownTagValue` on the first stranger.

        Duplicates are dropped and the order of first appearance kept.
        """
        spec = self.spec(dimension)
        seen: dict[str, None] = {}
        for raw in values:
            canonical = spec.canonical(raw)
            if canonical is None:
                raise UnknownTagValue(spec.dimension, raw, spec.allowed)
            seen[canonical] = None
        return tuple(seen)

    def classify(self, dimension: Dimension | str, values: Iterable[str]) -> Classified:
        """Split CRM values into known (canonical spelling) and unknown (kept verbatim)."""
        spec = self.spec(dimension)
        known: dict[str, None] = {}
        unknown: dict[str, None] = {}
        for raw in values:
            if raw is None or not str(raw).strip():
                continue
            canonical = spec.canonical(str(raw))
            if canonical is None:
                unknown[str(raw).strip()] = None
            else:
                known[canonical] = None
        return Classified(tuple(known), tuple(unknown))

    def phase_for_stage(self, stage: str | None) -> JourneyPhase | None:
        """The journey phase of a stage, case-insensitively; None for a stage nobody mapped."""
        if not stage:
            return None
        folded = stage.strip().casefold()
        for name, phase in self.stage_phases.items():
            if name.casefold() == folded:
                return phase
        return None

    def with_values(self, dimension: Dimension | str, extra: Iterable[TagValue]) -> "Taxonomy":
        """A copy with more values on one dimension (how admins extend a picklist)."""
        spec = self.spec(dimension)
        present = {v.value for v in spec.values}
        added = tuple(v for v in extra if v.value not in present)
        dims = dict(self.dimensions)
        dims[spec.dimension] = replace(spec, values=spec.values + added)
        return replace(self, dimensions=dims)

    def with_stage_order(self, stages: Iterable[str]) -> "Taxonomy":
        """A copy that knows the org's stages in pipeline order (no stage joins the picklist)."""
        return replace(self, stage_order=tuple(stages))

    def with_stage_phases(self, mapping: Mapping[str, JourneyPhase]) -> "Taxonomy":
        """A copy with stage → phase entries added or overridden; new stages join the picklist."""
        merged = {**self.stage_phases, **mapping}
        copy = replace(self, stage_phases=merged)
        return copy.with_values(Dimension.DEAL_STAGE, _same(*mapping))


def default_taxonomy() -> Taxonomy:
    dims = {
        Dimension.JOURNEY_PHASE: DimensionSpec(Dimension.JOURNEY_PHASE, "Journey phase", PHASE_VALUES),
        Dimension.BUYER_ROLE: DimensionSpec(
            Dimension.BUYER_ROLE, "Buyer role", _same(*DEFAULT_BUYER_ROLES)
        ),
        Dimension.INDUSTRY: DimensionSpec(Dimension.INDUSTRY, "Industry", _same(*DEFAULT_INDUSTRIES)),
        Dimension.DEAL_STAGE: DimensionSpec(Dimension.DEAL_STAGE, "Deal stage", _same(*DEFAULT_STAGES)),
        Dimension.CHALLENGE: DimensionSpec(Dimension.CHALLENGE, "Customer challenge", CHALLENGE_VALUES),
        Dimension.DEAL_SIZE: DimensionSpec(Dimension.DEAL_SIZE, "Deal size", DEAL_SIZE_VALUES),
    }
    return Taxonomy(dimensions=dims, stage_phases=dict(DEFAULT_STAGE_PHASES))
