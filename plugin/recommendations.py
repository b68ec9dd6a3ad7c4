"""Suggestions for the panel: the catalog, the ranker and the taxonomy's words put together.

The ranker for an org is fitted once per catalog revision and shared by every request until the
catalog changes: the request path asks one cheap question of the database (the revision) and
one for the chosen modules' display fields.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Callable

from sqlalchemy.orm import Session

from content_catalog.modules import ContentModule
from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import Dimension, ModuleStatus, Taxonomy
from recommender import CandidateModule, OpportunityContext, ScoringWeights, Suggestion, TagTextRanker


@dataclass(frozen=True)
class SuggestionCard:
    """One suggestion as the panel and the API show it."""

    module_id: str
    title: str
    summary: str
    kind: str
    kind_label: str
    audience: str
    author: str
    link: str | None
    reasons: tuple[str, ...]
    score: float
    rank: int
    breakdown: dict[str, float]
    #: How the ranker chose it, logged with the impression: the probability of showing it at this
    #: rank, whether it was the list's exploratory pick, and the model that ranked it.
    propensity: float = 1.0
    explored: bool = False
    model_version: str = "v1"
    #: Set when the view is recorded (``plugin.panel_view``); the panel's events point at it.
    impression_id: str | None = None

    @property
    def reason_text(self) -> str:
        return " · ".join(self.reasons)


@dataclass(frozen=True)
class PanelSuggestions:
    client_facing: tuple[SuggestionCard, ...]
    internal: tuple[SuggestionCard, ...]


def tag_labels(taxonomy: Taxonomy) -> dict[str, dict[str, str]]:
    """Words the ranker uses in reasons: "Buying phase", "Risk & compliance", "Large deal"."""
    labels = {dim.value: {v.value: v.label for v in taxonomy.spec(dim).values} for dim in Dimension}
    labels[Dimension.JOURNEY_PHASE.value] = {
        v.value: f"{v.label} phase" for v in taxonomy.spec(Dimension.JOURNEY_PHASE).values
    }
    return labels


def candidate_from_module(module: ContentModule) -> CandidateModule:
    return CandidateModule(
        module_id=module.key,
        text="\n".join((module.title, module.summary, module.body)),
        audience=module.audience.value,
        tags={dim.value: values for dim, values in module.tags.items()},
        review_by=module.review_by,
    )


@dataclass
class _Fitted:
    revision: int
    ranker: TagTextRanker


class RecommendationService:
    def __init__(
        self,
        sessions: Callable[[], Session],
        taxonomy: Taxonomy,
        weights: ScoringWeights | None = None,
        *,
        k_client_facing: int = 5,
        k_internal: int = 3,
    ):
        self._sessions = sessions
        self._taxonomy = taxonomy
        self._weights = weights or ScoringWeights()
        self._labels = tag_labels(taxonomy)
        self._k = (k_client_facing, k_internal)
        self._fitted: dict[str, _Fitted] = {}
        self._lock = threading.Lock()

    @property
    def weights(self) -> ScoringWeights:
        """The rules scores are made by, so a preview can explain a score in words."""
        return self._weights

    def recommend(self, org_id: str, context: OpportunityContext, today: date) -> PanelSuggestions:
        with self._sessions() as session:
            repository = CatalogRepository(session, org_id)
            ranker = self._ranker(repository)
            ranked = ranker.rank(context, today=today, k_client_facing=self._k[0], k_internal=self._k[1])
            modules = {
                key: module
                for key, module in repository.find(s.module_id for s in ranked).items()
                if module.status is ModuleStatus.PUBLISHED  # retired since the ranker was fitted
            }
        return PanelSuggestions(
            client_facing=tuple(self._card(s, modules) for s in ranked.client_facing if s.module_id in modules),
            internal=tuple(self._card(s, modules) for s in ranked.internal if s.module_id in modules),
        )

    def _ranker(self, repository: CatalogRepository) -> TagTextRanker:
        revision = repository.revision()
        fitted = self._fitted.get(repository.org_id)
        if fitted and fitted.revision == revision:
            return fitted.ranker
        with self._lock:
            fitted = self._fitted.get(repository.org_id)
            if fitted and fitted.revision == revision:
                return fitted.ranker
            candidates = [candidate_from_module(m) for m in repository.published()]
            ranker = TagTextRanker(self._weights, self._labels).fit(candidates)
            self._fitted[repository.org_id] = _Fitted(revision, ranker)
            return ranker

    @staticmethod
    def _card(suggestion: Suggestion, modules: dict[str, ContentModule]) -> SuggestionCard:
        module = modules[suggestion.module_id]
        return SuggestionCard(
            module_id=module.key,
            title=module.title,
            summary=module.summary,
            kind=module.kind.value,
            kind_label=module.kind.label,
            audience=module.audience.value,
            author=module.author,
            link=module.link,
            reasons=tuple(r.label for r in suggestion.reasons),
            score=suggestion.score,
            rank=suggestion.rank,
            breakdown=dict(suggestion.breakdown),
            propensity=suggestion.propensity,
            explored=suggestion.explored,
            model_version=suggestion.model_version,
        )
