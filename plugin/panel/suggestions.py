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

from content_catalog.history import CatalogHistory
from content_catalog.model_store import ModelMarker, serving_state
from content_catalog.modules import ContentModule
from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import ModuleStatus, Taxonomy
from plugin.ranking.candidates import candidate_from_module, catalog_candidates, tag_labels
from plugin.ranking.served_models import ServedModels
from recommender import (
    CandidateModule,
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


@dataclass(frozen=True)
class DisplayFields:
    """What a card shows of a module, held in memory per catalog revision."""

    key: str
    title: str
    summary: str
    kind: str
    kind_label: str
    audience: str
    author: str
    link: str | None

    @classmethod
    def of(cls, module: ContentModule) -> "DisplayFields":
        return cls(key=module.key, title=module.title, summary=module.summary,
                   kind=module.kind.value, kind_label=module.kind.label,
                   audience=module.audience.value, author=module.author, link=module.link)


@dataclass
class _Fitted:
    revision: int
    ranker: TagTextRanker


@dataclass
class _ServedCatalog:
    """One org's published catalog at one revision: the cards' display fields for every view,
    and the rankers' candidates until a ranker has been built from them (then dropped: the
    rankers keep what they need, and a later v1 fallback reads them again)."""

    revision: int
    display: dict[str, DisplayFields]
    candidates: list[CandidateModule] | None


class RecommendationService:
    def __init__(
        self,
        sessions: Callable[[], Session],
        taxonomy: Taxonomy,
        weights: ScoringWeights | None = None,
        *,
        k_client_facing: int = 5,
        k_internal: int = 3,
        display_in_memory: bool = True,
    ):
        self._sessions = sessions
        #: False: the previous path, display fields read from the database on every view.
        self._display_in_memory = display_in_memory
        self._catalogs: dict[str, _ServedCatalog] = {}
        self._taxonomy = taxonomy
        self._weights = weights or ScoringWeights()
        self._labels = tag_labels(taxonomy)
        self._k = (k_client_facing, k_internal)
        self._fitted: dict[str, _Fitted] = {}
        #: Without the catalog in memory: the modules this process has shown, per org, for the
        #: revision of its fitted ranker; with the ranker (and else ``_catalogs``), what a view is
        #: served from while the database is unreachable.
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

        While the database is unreachable the org's v1 ranker and the catalog this process
        holds serve the view (``from_memory``); raises :class:`CatalogUnavailable` when there
        are none."""
        try:
            with self._sessions() as session:
                repository = CatalogRepository(session, org_id)
                if self._display_in_memory:
                    # One statement per warm view: the revision and model marker.
                    revision, marker = serving_state(session, org_id)
                    catalog = self._catalog(session, org_id, revision)
                    ranked = self._rank(session, repository, context, today, explore,
                                        (revision, marker), catalog)
                    modules = catalog.display
                else:
                    ranked = self._rank(session, repository, context, today, explore)
                    modules = {
                        key: module
                        for key, module in repository.find(s.module_id for s in ranked).items()
                        if module.status is ModuleStatus.PUBLISHED  # retired since fitted
                    }
                    self._remember(org_id, modules)
        except sqlalchemy.exc.OperationalError as exc:
            log.warning("org %s: database unreachable, ranking from memory: %s", org_id,
                        type(exc.orig).__name__ if exc.orig is not None else "OperationalError")
            return self._from_memory(org_id, context, today)
        return self._cards(ranked, modules)

    def _cards(self, ranked: Recommendations,
               modules: dict[str, DisplayFields] | dict[str, ContentModule], *,
               from_memory: bool = False) -> PanelSuggestions:
        return PanelSuggestions(
            client_facing=tuple(self._card(s, modules) for s in ranked.client_facing if s.module_id in modules),
            internal=tuple(self._card(s, modules) for s in ranked.internal if s.module_id in modules),
            from_memory=from_memory,
        )

    def _remember(self, org_id: str, modules: dict[str, ContentModule]) -> None:
        """Without the catalog in memory (``display_in_memory=False``), keep the modules just
        shown for the revision of the org's fitted ranker; a new revision starts afresh."""
        fitted = self._fitted.get(org_id)
        if fitted is None:
            return  # a learned model ranked and no v1 ranker is held: nothing to pair them with
        revision, shown = self._shown.get(org_id, (fitted.revision, {}))
        if revision != fitted.revision:
            shown = {}
        self._shown[org_id] = (fitted.revision, {**shown, **modules})

    def _from_memory(self, org_id: str, context: OpportunityContext,
                     today: date) -> PanelSuggestions:
        fitted = self._fitted.get(org_id)
        catalog, shown = self._catalogs.get(org_id), self._shown.get(org_id)
        if fitted is not None and catalog is not None and catalog.revision == fitted.revision:
            modules: dict[str, DisplayFields] | dict[str, ContentModule] = catalog.display
        elif fitted is not None and shown is not None and shown[0] == fitted.revision:
            modules = shown[1]
        else:
            raise CatalogUnavailable(org_id)
        ranked = fitted.ranker.rank(context, today=today, k_client_facing=self._k[0],
                                    k_internal=self._k[1])
        return self._cards(ranked, modules, from_memory=True)

    def _catalog(self, session: Session, org_id: str, revision: int) -> _ServedCatalog:
        """The org's catalog at ``revision``, read once per revision and process."""
        served = self._catalogs.get(org_id)
        if served is not None and served.revision == revision:
            return served
        with self._lock:
            served = self._catalogs.get(org_id)
            if served is None or served.revision != revision:
                # Read after the revision: a change in between moves it again, and the next
                # view reads the catalog again.
                first_published = CatalogHistory(session, org_id).first_published()
                modules = CatalogRepository(session, org_id).published()
                served = _ServedCatalog(
                    revision, {m.key: DisplayFields.of(m) for m in modules},
                    [candidate_from_module(m, first_published.get(m.key)) for m in modules])
                self._catalogs[org_id] = served
            return served

    @staticmethod
    def _candidates(session: Session, org_id: str, catalog: _ServedCatalog | None,
                    ) -> list[CandidateModule]:
        if catalog is None:
            return catalog_candidates(session, org_id)
        candidates, catalog.candidates = catalog.candidates, None
        return candidates if candidates is not None else catalog_candidates(session, org_id)

    def _rank(
        self, session: Session, repository: CatalogRepository, context: OpportunityContext,
        today: date, explore: bool,
        state: tuple[int, ModelMarker | None] | None = None,
        catalog: _ServedCatalog | None = None,
    ) -> Recommendations:
        org_id = repository.org_id
        revision, marker = state or serving_state(session, org_id)
        if marker is not None:
            learned = self._models.ranker(
                session, org_id, revision, marker,
                lambda: self._candidates(session, org_id, catalog),
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
        ranker = self._ranker(session, repository, revision, catalog)
        return ranker.rank(context, today=today, k_client_facing=self._k[0], k_internal=self._k[1])

    def _ranker(
        self, session: Session, repository: CatalogRepository, revision: int,
        catalog: _ServedCatalog | None = None,
    ) -> TagTextRanker:
        fitted = self._fitted.get(repository.org_id)
        if fitted and fitted.revision == revision:
            return fitted.ranker
        with self._lock:
            fitted = self._fitted.get(repository.org_id)
            if fitted and fitted.revision == revision:
                return fitted.ranker
            candidates = self._candidates(session, repository.org_id, catalog)
            ranker = TagTextRanker(self._weights, self._labels).fit(candidates)
            self._fitted[repository.org_id] = _Fitted(revision, ranker)
            return ranker

    @staticmethod
    def _card(suggestion: Suggestion,
              modules: dict[str, DisplayFields] | dict[str, ContentModule]) -> SuggestionCard:
        module = modules[suggestion.module_id]
        if isinstance(module, ContentModule):
            module = DisplayFields.of(module)
        return SuggestionCard(
            module_id=module.key,
            title=module.title,
            summary=module.summary,
            kind=module.kind,
            kind_label=module.kind_label,
            audience=module.audience,
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
