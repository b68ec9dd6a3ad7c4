"""The catalog as rankers see it, and v1 as the panel builds it: what serving and training
share, so that a learned model that knows nothing ranks exactly as the panel does."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from content_catalog.history import CatalogHistory
from content_catalog.modules import ModuleInput
from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import Dimension, Taxonomy
from recommender import CandidateModule, ScoringWeights, TagTextRanker


def tag_labels(taxonomy: Taxonomy) -> dict[str, dict[str, str]]:
    """Words the ranker uses in reasons: "Buying phase", "Risk & compliance", "Large deal"."""
    labels = {dim.value: {v.value: v.label for v in taxonomy.spec(dim).values} for dim in Dimension}
    labels[Dimension.JOURNEY_PHASE.value] = {
        v.value: f"{v.label} phase" for v in taxonomy.spec(Dimension.JOURNEY_PHASE).values
    }
    return labels


def v1_ranker(taxonomy: Taxonomy, weights: ScoringWeights | None = None) -> TagTextRanker:
    """v1 as the panel builds it, unfitted: the scoring weights and the taxonomy's words for
    reasons. Training, the demo history and ``evaluate`` start from it, so a learned model that
    knows nothing ranks exactly as the panel does."""
    return TagTextRanker(weights or ScoringWeights(), tag_labels(taxonomy))


def candidate_from_module(
    module: ModuleInput, first_published: datetime | None = None
) -> CandidateModule:
    """``first_published``: when the module was first saved as published (its history); without
    it, when a stored module was created. The learned ranker explores recently published ones."""
    published = first_published or getattr(module, "created_at", None)
    return CandidateModule(
        module_id=module.key,
        text="\n".join((module.title, module.summary, module.body)),
        audience=module.audience.value,
        tags={dim.value: values for dim, values in module.tags.items()},
        review_by=module.review_by,
        kind=module.kind.value,
        published_on=published.date() if published else None,
    )


def catalog_candidates(session: Session, org_id: str) -> list[CandidateModule]:
    """The org's published modules as rankers see them, with their first publication dates."""
    first_published = CatalogHistory(session, org_id).first_published()
    return [
        candidate_from_module(module, first_published.get(module.key))
        for module in CatalogRepository(session, org_id).published()
    ]
