"""Suggestions for the panel: the catalog, the ranker and the taxonomy's words put together.
Design: docs/design/panel.md."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date
from typing import Callable

import numpy as np
import sqlalchemy.exc
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
    #: Ranked from the catalog this process last read, because the database was unreachable:
    #: the catalog may have changed since.
    from_memory: bool = False


class CatalogUnavailable(Exception):
    """The database is unreachable and this process holds no copy of the org's catalog."""


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
        #: The display fields of modules this process has shown, per org, for the revision of
        #: its fitted ranker: with the ranker, what a view is served from while the database is
        #: unreachable.
        self._shown: dict[str, tuple[int, dict[str, ContentModule]]] = {}
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
        self, org_id: str, context: OpportunityContext, today: date, *, explore: bool = True
    ) -> PanelSuggestions:
        """``explore=False`` for views that are not shown to a rep (the workspace's preview): a
        learned model then ranks deterministically, and no card is an exploratory pick.

        While the database is unreachable the org's v1 ranker and the modules this process has
        shown serve the view (``from_memory``); raises :class:`CatalogUnavailable` when there
        are none."""
        try:
            with self._sessions() as session:
                repository = CatalogRepository(session, org_id)
                ranked = self._rank(session, repository, context, today, explore)
                modules = {
                    key: module
                    for key, module in repository.find(s.module_id for s in ranked).items()
                    if module.status is ModuleStatus.PUBLISHED  # retired since the ranker was fitted
                }
        except sqlalchemy.exc.OperationalError as exc:
            log.warning("org %s: database unreachable, ranking from memory: %s", org_id,
                        type(exc.orig).__name__ if exc.orig is not None else "OperationalError")
            return self._from_memory(org_id, context, today)
        self._remember(org_id, modules)
        return self._cards(ranked, modules)

    def _cards(self, ranked: Recommendations, modules: dict[str, ContentModule], *,
               from_memory: bool = False) -> PanelSuggestions:
        return PanelSuggestions(
            client_facing=tuple(self._card(s, modules) for s in ranked.client_facing if s.module_id in modules),
            internal=tuple(self._card(s, modules) for s in ranked.internal if s.module_id in modules),
            from_memory=from_memory,
        )

    def _remember(self, org_id: str, modules: dict[str, ContentModule]) -> None:
        """Keep the modules just shown for the revision of the org's fitted ranker; a new
        revision starts afresh (what was shown before may have changed)."""
        fitted = self._fitted.get(org_id)
        if fitted is None:
            return  # a learned model ranked and no v1 ranker is held: nothing to pair them with
        revision, shown = self._shown.get(org_id, (fitted.revision, {}))
        if revision != fitted.revision:
            shown = {}
        self._shown[org_id] = (fitted.revision, {**shown, **modules})

    def _from_memory(self, org_id: str, context: OpportunityContext,
                     today: date) -> PanelSuggestions:
        fitted, shown = self._fitted.get(org_id), self._shown.get(org_id)
        if fitted is None or shown is None or shown[0] != fitted.revision:
            raise CatalogUnavailable(org_id)
        ranked = fitted.ranker.rank(context, today=today, k_client_facing=self._k[0],
                                    k_internal=self._k[1])
        return self._cards(ranked, shown[1], from_memory=True)

    def _rank(
        self, session: Session, repository: CatalogRepository, context: OpportunityContext,
        today: date, explore: bool,
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
                        rng=np.random.default_rng() if explore else None,
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
