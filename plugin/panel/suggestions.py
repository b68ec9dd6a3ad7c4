"""Suggestions for the panel: the catalog, the ranker and the taxonomy's words put together.
Design: docs/design/panel.md."""
from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from datetime import date
from typing import Callable

import numpy as np
from sqlalchemy.orm import Session

from content_catalog.model_store import serving_state
from content_catalog.modules import ContentModule
from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import ModuleStatus, Taxonomy
from plugin.ranking.candidates import catalog_candidates, tag_labels
from plugin.ranking.served_models import ServedModels
from recommender import (
    OpportunityContext,
    Recommendations,
    ScoringWeights,
    Suggestion,
    TagTextRanker,
)

log = logging.getLogger(__name__)


def working_session_seed(org_id: str, viewer: str | None, record_id: str, day: date) -> int:
    """The exploratory draw's seed for one rep on one record on one day: reloading the record
    that day shows the same list, while another rep or another day draws again. Each shown
    card's propensity is still the probability the draw had, since the seed is fixed before,
    and independently of, what the ranker scores."""
    key = "\x1f".join((org_id, viewer or "", record_id, day.isoformat()))
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


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
    #: Set when the view is recorded (``plugin.panel.view``); the panel's events point at it.
    impression_id: str | None = None

    @property
    def reason_text(self) -> str:
        return " · ".join(self.reasons)


@dataclass(frozen=True)
class PanelSuggestions:
    client_facing: tuple[SuggestionCard, ...]
    internal: tuple[SuggestionCard, ...]


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
        self._models = ServedModels(sessions)

    @property
    def weights(self) -> ScoringWeights:
        """The rules scores are made by, so a preview can explain a score in words."""
        return self._weights

    @property
    def labels(self) -> dict[str, dict[str, str]]:
        """The words reasons use; training builds the learned ranker's v1 part with them."""
        return self._labels

    def recommend(
        self, org_id: str, context: OpportunityContext, today: date, *, explore: bool = True,
        draw_seed: int | None = None,
    ) -> PanelSuggestions:
        """``explore=False`` for views that are not shown to a rep (the workspace's preview): a
        learned model then ranks deterministically, and no card is an exploratory pick.
        ``draw_seed`` (:func:`working_session_seed`) fixes the exploratory draw, so a rep who
        reloads a record sees the same list; without it each view draws afresh."""
        with self._sessions() as session:
            repository = CatalogRepository(session, org_id)
            ranked = self._rank(session, repository, context, today, explore, draw_seed)
            modules = {
                key: module
                for key, module in repository.find(s.module_id for s in ranked).items()
                if module.status is ModuleStatus.PUBLISHED  # retired since the ranker was fitted
            }
        return PanelSuggestions(
            client_facing=tuple(self._card(s, modules) for s in ranked.client_facing if s.module_id in modules),
            internal=tuple(self._card(s, modules) for s in ranked.internal if s.module_id in modules),
        )

    def _rank(
        self, session: Session, repository: CatalogRepository, context: OpportunityContext,
        today: date, explore: bool, draw_seed: int | None = None,
    ) -> Recommendations:
        org_id = repository.org_id
        revision, marker = serving_state(session, org_id)
        if marker is not None:
            learned = self._models.ranker(
                session, org_id, revision, marker, lambda: catalog_candidates(session, org_id)
            )
            if learned is not None:
                try:
                    return learned.rank(
                        context, today=today, k_client_facing=self._k[0],
                        k_internal=self._k[1],
                        rng=np.random.default_rng(draw_seed) if explore else None,
                    )  # fmt: skip
                except Exception:  # noqa: BLE001 - a broken model must not cost the rep a panel
                    log.exception("org %s: the learned ranker failed; serving v1", org_id)
                    self._models.failed(org_id, marker, "used to rank")
        ranker = self._ranker(session, repository, revision)
        return ranker.rank(context, today=today, k_client_facing=self._k[0], k_internal=self._k[1])

    def _ranker(
        self, session: Session, repository: CatalogRepository, revision: int
    ) -> TagTextRanker:
        fitted = self._fitted.get(repository.org_id)
        if fitted and fitted.revision == revision:
            return fitted.ranker
        with self._lock:
            fitted = self._fitted.get(repository.org_id)
            if fitted and fitted.revision == revision:
                return fitted.ranker
            candidates = catalog_candidates(session, repository.org_id)
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
