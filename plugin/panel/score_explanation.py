"""A suggestion's score, dimension by dimension, in words an enablement lead can act on.
Design: docs/design/panel.md."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from content_catalog.modules import ModuleInput
from content_catalog.taxonomy import Dimension, Taxonomy
from plugin.panel.suggestions import SuggestionCard
from recommender import OpportunityContext, ScoringWeights
from recommender.types import DIMENSIONS


class Match(StrEnum):
    EXACT = "exact"
    OTHER_ROLE = "other_role"
    ANY = "any"
    PENALTY = "penalty"
    NO_VALUE = "no_value"
    TEXT = "text"
    LEARNED = "learned"


MATCH_LABELS = {
    Match.EXACT: "Exact",
    Match.OTHER_ROLE: "Other contact",
    Match.ANY: "Any",
    Match.PENALTY: "Penalty",
    Match.NO_VALUE: "Not scored",
    Match.TEXT: "Text",
    Match.LEARNED: "Learned",
}


@dataclass(frozen=True)
class BreakdownRow:
    dimension: str  # a Dimension value, or "text"
    label: str  # "Journey phase"
    opportunity: str  # the context's value(s) in words, "—" when it has none
    module_tags: str  # the module's tags on the dimension, "Any" when untagged
    points: float
    match: Match
    explanation: str

    @property
    def match_label(self) -> str:
        return MATCH_LABELS[self.match]


def explain(
    card: SuggestionCard,
    context: OpportunityContext,
    module: ModuleInput,
    weights: ScoringWeights,
    taxonomy: Taxonomy,
) -> list[BreakdownRow]:
    """One row per tag dimension, in the ranker's order, then the text similarity."""
    rows = [
        _dimension_row(Dimension(dim), card, context, module, weights, taxonomy)
        for dim in DIMENSIONS
    ]
    rows.append(_text_row(card, context, weights))
    if "learned" in card.breakdown:
        rows.append(_learned_row(card))
    return rows


def _dimension_row(dimension, card, context, module, weights, taxonomy) -> BreakdownRow:
    spec = taxonomy.spec(dimension)
    wanted = context.values(dimension.value)
    tagged = module.tag_values(dimension)
    labels = [spec.label_of(v) for v in wanted]
    if dimension is Dimension.BUYER_ROLE and len(labels) > 1:
        labels[0] += " (primary)"
    match, explanation = _rule(dimension, wanted, tagged, weights, spec)
    return BreakdownRow(
        dimension=dimension.value,
        label=spec.label,
        opportunity=", ".join(labels) or "—",
        module_tags=", ".join(spec.label_of(v) for v in tagged) or "Any",
        points=card.breakdown.get(dimension.value, 0.0),
        match=match,
        explanation=explanation,
    )


def _rule(dimension, wanted, tagged, weights: ScoringWeights, spec) -> tuple[Match, str]:
    """Which rule of docs/ranking.md applies, in the same order the ranker applies them."""
    noun, weight = spec.label.lower(), weights.weight(dimension.value)
    if not wanted:
        return Match.NO_VALUE, f"The opportunity has no {noun}, so this counts neither way."
    if not tagged:
        factor = f"{weights.any_factor:g} × {weight:g}"
        return Match.ANY, f"Not tagged for any {noun}, so it fits every one, but weakly: {factor}."
    if wanted[0] in tagged:
        return Match.EXACT, f"Tagged for {spec.label_of(wanted[0])}: the full weight, {weight:g}."
    others = [v for v in wanted[1:] if v in tagged] if dimension is Dimension.BUYER_ROLE else []
    if others:
        factor = f"{weights.secondary_role_factor:g} × {weight:g}"
        return Match.OTHER_ROLE, (
            f"Tagged for {others[0]}, the role of another contact on the deal: {factor}."
        )
    factor = f"−{weights.conflict_penalty:g} × {weight:g}"
    return Match.PENALTY, f"Tagged for another {noun}, so it is ranked down: {factor}."


def _text_row(
    card: SuggestionCard, context: OpportunityContext, weights: ScoringWeights
) -> BreakdownRow:
    points = card.breakdown.get("text", 0.0)
    if not context.text.strip():
        opportunity = "—"
        explanation = "The opportunity has no description or next step to compare."
    elif not points:
        opportunity = _excerpt(context.text)
        explanation = "Shares no telling word with the description and next step."
    else:
        opportunity = _excerpt(context.text)
        similarity = points / weights.text_weight
        explanation = (
            "Words shared with the description and next step: "
            f"cosine similarity {similarity:.2f} × {weights.text_weight:g}."
        )
    return BreakdownRow(
        "text", "Text", opportunity, "Title, summary and body", points, Match.TEXT, explanation
    )


def _learned_row(card: SuggestionCard) -> BreakdownRow:
    """The learned ranker's correction (docs/learning.md, "Blend"): points for how much more or
    less often than the org's average suggestion the module is predicted to be found helpful or
    used, from reps' evidence on it and on modules like it."""
    points = card.breakdown["learned"]
    if points > 0:
        said = "more often than the average suggestion: points added"
    elif points < 0:
        said = "less often than the average suggestion: points taken off"
    else:
        said = "about as often as the average suggestion: nothing changed"
    explanation = (
        "From what reps did with it and with content like it, it is predicted to be found helpful "
        f"or used {said} ({card.model_version})."
    )
    return BreakdownRow(
        "learned", "What reps did", "—", "—", points, Match.LEARNED, explanation
    )


def _excerpt(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
