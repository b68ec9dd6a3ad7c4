"""The catalog as rankers see it, and v1 as the panel builds it: what serving and training
share, so that a learned model that knows nothing ranks exactly as the panel does."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_catalog.history import CatalogHistory
from content_catalog.modules import ModuleInput
from content_catalog.tables.catalog_tables import ModuleRow, ModuleTagRow
from content_catalog.taxonomy import Dimension, ModuleStatus, Taxonomy
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
        for_partners=module.for_partners,
    )


def catalog_candidates(session: Session, org_id: str) -> list[CandidateModule]:
    """The org's published modules as rankers see them, with their first publication dates.

    Read as plain rows, not ORM objects: a refit reads the whole catalog, and building objects
    was most of a refit's time (about 1 ms a module on a busy machine)."""
    first_published = CatalogHistory(session, org_id).first_published()
    published = (ModuleRow.org_id == org_id, ModuleRow.status == ModuleStatus.PUBLISHED.value)
    tags: dict[int, list[tuple[str, int, str]]] = {}
    for pk, dimension, position, value in session.execute(
        select(ModuleTagRow.module_pk, ModuleTagRow.dimension, ModuleTagRow.position,
               ModuleTagRow.value)
        .join(ModuleRow, ModuleRow.pk == ModuleTagRow.module_pk)
        .where(*published)
        .order_by(ModuleTagRow.module_pk, ModuleTagRow.position)
    ):
        tags.setdefault(pk, []).append((dimension, position, value))
    rows = session.execute(
        select(ModuleRow.pk, ModuleRow.module_key, ModuleRow.title, ModuleRow.summary,
               ModuleRow.body, ModuleRow.audience, ModuleRow.kind, ModuleRow.review_by,
               ModuleRow.created_at, ModuleRow.for_partners)
        .where(*published)
        .order_by(ModuleRow.module_key)
    )
    candidates = []
    for pk, key, title, summary, body, audience, kind, review_by, created_at, partners in rows:
        published_at = first_published.get(key) or created_at
        candidates.append(CandidateModule(
            module_id=key,
            text="\n".join((title, summary, body)),
            audience=audience,
            tags=_tags(tags.get(pk, ())),
            review_by=review_by,
            kind=kind,
            published_on=published_at.date() if published_at else None,
            for_partners=bool(partners),
        ))  # fmt: skip
    return candidates


def _tags(rows) -> dict[str, tuple[str, ...]]:
    """As a stored module's tags: by dimension, each dimension's values in their order."""
    by_dimension: dict[str, list[str]] = {}
    for dimension, _position, value in sorted(rows, key=lambda t: (t[0], t[1])):
        by_dimension.setdefault(Dimension(dimension).value, []).append(value)
    return {dimension: tuple(values) for dimension, values in by_dimension.items()}
