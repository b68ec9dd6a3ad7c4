"""From raw CRM values to the recommender's :class:`OpportunityContext`, one mapping for every
source (design: docs/design/ranking.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from content_catalog.taxonomy import Dimension, JourneyPhase, Taxonomy
from plugin.crm.records import OpportunityRecord
from plugin.orgs.stage_phases import StagePhase, stage_phase
from recommender import OpportunityContext


@dataclass(frozen=True)
class MappedContext:
    context: OpportunityContext
    #: dimension → values the taxonomy did not know
    unknown: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: How the stage's phase was decided (None when the caller gave the phase): an unmapped
    #: stage's notice for the rep comes from it.
    stage: StagePhase | None = None


def map_context(
    taxonomy: Taxonomy,
    *,
    stage: str | None = None,
    industry: str | None = None,
    buyer_roles: Sequence[str] = (),
    challenge: str | None = None,
    amount: float | None = None,
    text: str = "",
    journey_phase: JourneyPhase | None = None,
    is_won: bool | None = None,
) -> MappedContext:
    unknown: dict[str, tuple[str, ...]] = {}

    def one(dimension: Dimension, raw: str | None) -> str | None:
        values = many(dimension, [raw] if raw else [])
        return values[0] if values else None

    def many(dimension: Dimension, raw: Sequence[str]) -> tuple[str, ...]:
        classified = taxonomy.classify(dimension, raw)
        if classified.unknown:
            unknown[dimension.value] = classified.unknown
        # Keep the CRM's order (primary role first) for known and unknown values alike.
        canonical = {v: taxonomy.spec(dimension).canonical(v) or v.strip() for v in raw if v and v.strip()}
        return tuple(dict.fromkeys(canonical.values()))

    stage_value = one(Dimension.DEAL_STAGE, stage)
    decided = None if journey_phase else stage_phase(taxonomy, stage_value, is_won=is_won)
    phase = journey_phase or decided.phase
    context = OpportunityContext(
        stage=stage_value,
        journey_phase=phase.value if phase else None,
        industry=one(Dimension.INDUSTRY, industry),
        buyer_roles=many(Dimension.BUYER_ROLE, list(buyer_roles)),
        challenge=one(Dimension.CHALLENGE, challenge),
        deal_size=taxonomy.deal_size_bands.band(amount),
        amount=amount,
        text=text,
    )
    return MappedContext(context, unknown, decided)


def context_from_record(record: OpportunityRecord, taxonomy: Taxonomy) -> MappedContext:
    """``taxonomy`` is the org's (``Services.taxonomy_for``). The text the recommender matches is
    the description, the next step and the extra fields the org's admin mapped."""
    extra = [value for _, value in record.extra_fields]
    return map_context(
        taxonomy,
        stage=record.stage,
        industry=record.industry,
        buyer_roles=[r.role for r in record.contact_roles if r.role],
        challenge=record.challenge,
        amount=record.amount,
        text="\n".join(t for t in (record.description, record.next_step, *extra) if t),
        is_won=record.is_won,
    )
