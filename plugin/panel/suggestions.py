"""Suggestions for the panel: the catalog, the ranker and the taxonomy's words put together.
Design: docs/design/panel.md."""
from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Callable, Sequence

import numpy as np
import sqlalchemy.exc
from sqlalchemy import select
from sqlalchemy.orm import Session

from content_catalog.history import CatalogHistory
from content_catalog.model_store import ModelMarker, serving_state
from content_catalog.modules import ContentModule
from content_catalog.refresher_state import RepStamp
from content_catalog.repository import CatalogRepository
from content_catalog.tables.catalog_tables import ModuleRow
from content_catalog.taxonomy import Audience, ModuleKind, ModuleStatus, Taxonomy
from plugin.panel.ranked_lists import RankedLists, session_key
from plugin.panel.serving_markers import ServingMarkers
from plugin.ranking.candidates import candidate_from_module, catalog_candidates, tag_labels
from plugin.ranking.refit_work import ChildProcess, InProcess, keep_fit, last_fit
from plugin.ranking.refits import OrgRefits
from plugin.ranking.served_models import ServedModels
from plugin.panel.rep_refreshers import RefresherStates, Situations
from recommender import (
    CandidateModule,
    OpportunityContext,
    Recommendations,
    ScoringWeights,
    Suggestion,
    TagTextRanker,
)
from recommender.heap import give_back_freed_heap
from recommender.learning import LearnedRanker
from recommender.refreshers import (
    REFRESHER, SITUATION_WINDOW, bring_back, dismissed, due_refreshers,
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
    #: A manager recommended it to this rep on this deal (``plugin.panel.manager_picks``): the
    #: manager's name, their note and the recommendation's id; None for the ranker's cards.
    recommended_by: str | None = None
    note: str = ""
    recommendation_id: int | None = None
    #: A training refresher brought back to this rep (``recommender.refreshers``): why, in the
    #: rep's words (also its first reason); the card offers to dismiss it for good.
    back_because: str | None = None

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
    #: The org's catalog and manager-recommendation revisions the view's one statement read
    #: (None from memory): the panel re-reads recommendations only when they moved.
    revisions: tuple[int, int] | None = None


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
    for_partners: bool = False

    @classmethod
    def of(cls, module: ContentModule) -> "DisplayFields":
        return cls(key=module.key, title=module.title, summary=module.summary,
                   kind=module.kind.value, kind_label=module.kind.label,
                   audience=module.audience.value, author=module.author, link=module.link,
                   for_partners=module.for_partners)


def published_display(session: Session, org_id: str) -> dict[str, DisplayFields]:
    """The display fields of the org's published modules, read as plain rows of those columns:
    a big catalog's bodies and tags, which building ``ContentModule`` objects would read, would
    cost a 100,000-module org about 700 MiB of peak memory for fields a card never shows."""
    rows = session.execute(
        select(ModuleRow.module_key, ModuleRow.title, ModuleRow.summary, ModuleRow.kind,
               ModuleRow.audience, ModuleRow.author, ModuleRow.link, ModuleRow.for_partners)
        .where(ModuleRow.org_id == org_id, ModuleRow.status == ModuleStatus.PUBLISHED.value)
    )
    return {
        key: DisplayFields(key=key, title=title, summary=summary, kind=kind,
                           kind_label=ModuleKind(kind).label, audience=audience, author=author,
                           link=link, for_partners=bool(for_partners))
        for key, title, summary, kind, audience, author, link, for_partners in rows
    }


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
        refit_inline_modules: int = 200,
        refits: OrgRefits | None = None,
        work: InProcess | ChildProcess | None = None,
        refreshers: RefresherStates | None = None,
        ranked_lists: RankedLists | None = None,
        markers: ServingMarkers | None = None,
    ):
        """``refit_inline_modules``: up to this many modules in an org's catalog, a view that
        finds the catalog (or the model) changed refits before it ranks, which costs less than a
        warm view's p99; above it the refit runs in the background (``refits``) and the previous
        fit serves meanwhile, filtered on the current catalog; ``work`` says where a background
        refit reads and fits (default: the refit's own thread); ``ranked_lists``: where the lists
        of working sessions are remembered (default: nowhere); ``markers``: how long a
        process reuses what a view reads of the database (default: not at all)."""
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
        self._refit_inline_modules = refit_inline_modules
        #: Per org: (catalog revision, whether it is refitted in the background).
        self._big: dict[str, tuple[int, bool]] = {}
        self._refits = refits or OrgRefits()
        self._work = work or InProcess(sessions)
        self._models = ServedModels(sessions, refits=self._refits, work=self._work,
                                    swapped=self._share_v1_part)
        #: Each rep's training refreshers, held per (org, rep) (``plugin.panel.rep_refreshers``).
        self.refreshers = refreshers or RefresherStates()
        self._situations = Situations()
        self._lists = ranked_lists or RankedLists(max_entries=0)
        self._markers = markers or ServingMarkers(hold_s=0)

    @property
    def refits(self) -> OrgRefits:
        """Where the background refits run (a benchmark waits on it)."""
        return self._refits

    @property
    def ranked_lists(self) -> RankedLists:
        """The lists remembered per working session (their hit rate)."""
        return self._lists

    @property
    def markers(self) -> ServingMarkers:
        """What views read of the database, and how often it was reused (a benchmark asks)."""
        return self._markers

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
        draw_seed: int | None = None, viewer: str | None = None, partners_only: bool = False,
    ) -> PanelSuggestions:
        """``partners_only``: a partner user's view, ranked among the modules marked for
        partners alone (and any other card dropped, should a fit be older than the catalog).
        ``explore=False`` for views that are not shown to a rep (the workspace's preview): a
        learned model then ranks deterministically, and no card is an exploratory pick.
        ``draw_seed`` (:func:`working_session_seed`) fixes the exploratory draw, so a rep who
        reloads a record sees the same list; without it each view draws afresh. With
        ``viewer`` (a rep being shown the panel), a training refresher they used before may come
        back first in the internal list, and those they dismissed are not shown
        (``recommender.refreshers``).

        While the database is unreachable the org's v1 ranker and the display fields this
        process holds serve the view (``from_memory``); raises :class:`CatalogUnavailable` when
        there are none."""
        try:
            with self._sessions() as session:
                repository = CatalogRepository(session, org_id)
                # At most one statement per warm view: the revisions and model marker (and, for
                # a rep, whether their refresher state moved), held for a moment.
                markers = self._markers.get(session, org_id, viewer)
                revision, marker, stamp = markers.revision, markers.model, markers.stamp
                picks_revision = markers.picks_revision
                in_background = functools.cache(lambda: self._is_big(repository, revision))
                catalog = None
                if self._display_in_memory and self._may_hold_catalog(org_id, revision,
                                                                      in_background):
                    catalog = self._catalog(session, org_id, revision)
                ranked = self._rank(session, repository, context, today, explore, draw_seed,
                                    (revision, marker), catalog, in_background,
                                    partners_only=partners_only)
                if viewer is not None and stamp is not None:
                    ranked = self._refreshers_back(session, repository, (viewer, stamp), context,
                                                   today, ranked, (revision, marker), catalog,
                                                   in_background)
                if catalog is not None:
                    modules = catalog.display
                else:
                    if self._display_in_memory:
                        self._refits.request(org_id, "display",
                                             lambda: self._read_display(org_id))
                    # The current revision of each: a fit older than the catalog (a background
                    # refit still running) must neither show old words nor serve what is no
                    # longer servable.
                    modules = {
                        key: module
                        for key, module in repository.find(s.module_id for s in ranked).items()
                        if module.status is ModuleStatus.PUBLISHED
                        and (module.review_by is None or module.review_by >= today)
                    }
                    self._remember(org_id, modules)
        except sqlalchemy.exc.OperationalError as exc:
            log.warning("org %s: database unreachable, ranking from memory: %s", org_id,
                        type(exc.orig).__name__ if exc.orig is not None else "OperationalError")
            return self._from_memory(org_id, context, today, partners_only)
        return PanelSuggestions(
            client_facing=self._cards(ranked.client_facing, modules, Audience.CLIENT_FACING,
                                      partners_only),
            internal=self._cards(ranked.internal, modules, Audience.INTERNAL, partners_only),
            revisions=(revision, picks_revision),
        )

    def _refreshers_back(
        self, session: Session, repository: CatalogRepository, viewer: tuple[str, RepStamp],
        context: OpportunityContext, today: date, ranked: Recommendations,
        state: tuple[int, ModelMarker | None], catalog: _ServedCatalog | None,
        in_background: Callable[[], bool],
    ) -> Recommendations:
        """``ranked`` with a refresher due back to ``viewer`` first in the internal list, if the
        ranker places one among its candidates for this context; the rep's state is held in
        memory until their stamp moves (a warm view asks nothing more of the database)."""
        user_id, stamp = viewer
        uses = self.refreshers.uses(session, repository.org_id, user_id, stamp, state[0])
        due, gone = due_refreshers(uses, today), dismissed(uses)
        if not due and not any(s.module_id in gone for s in ranked.internal):
            return ranked
        # The situation: the same ranker's internal candidates for this context, without a draw.
        situation = self._situations.get(
            (repository.org_id, *state, today, context),
            lambda: self._rank(session, repository, context, today, False, None, state, catalog,
                               in_background, k=(0, SITUATION_WINDOW)).internal)
        return bring_back(ranked, due, situation, self._k[1], gone)[0]

    def _remember(self, org_id: str, modules: dict[str, ContentModule]) -> None:
        """Without the catalog in memory, keep the modules just shown for the revision of the
        org's fitted ranker; a new revision starts afresh."""
        fitted = self._fitted.get(org_id)
        if fitted is None:
            return  # a learned model ranked and no v1 ranker is held: nothing to pair them with
        revision, shown = self._shown.get(org_id, (fitted.revision, {}))
        if revision != fitted.revision:
            shown = {}
        self._shown[org_id] = (fitted.revision, {**shown, **modules})

    def _from_memory(self, org_id: str, context: OpportunityContext,
                     today: date, partners_only: bool = False) -> PanelSuggestions:
        """The org's v1 ranker this process fitted, with the display fields it holds (the
        catalog's, else those of the modules it has shown); the catalog may have moved on."""
        fitted = self._fitted.get(org_id)
        catalog, shown = self._catalogs.get(org_id), self._shown.get(org_id)
        if fitted is not None and catalog is not None:
            modules: dict[str, DisplayFields] | dict[str, ContentModule] = catalog.display
        elif fitted is not None and shown is not None and shown[0] == fitted.revision:
            modules = shown[1]
        else:
            raise CatalogUnavailable(org_id)
        ranked = fitted.ranker.rank(context, today=today, k_client_facing=self._k[0],
                                    k_internal=self._k[1], partners_only=partners_only)
        return PanelSuggestions(
            client_facing=self._cards(ranked.client_facing, modules, Audience.CLIENT_FACING,
                                      partners_only),
            internal=self._cards(ranked.internal, modules, Audience.INTERNAL, partners_only),
            from_memory=True,
        )

    def _cards(self, ranked: Sequence[Suggestion],
               modules: dict[str, DisplayFields] | dict[str, ContentModule],
               audience: Audience, partners_only: bool = False) -> tuple[SuggestionCard, ...]:
        return tuple(
            self._card(s, modules) for s in ranked
            if s.module_id in modules and _audience(modules[s.module_id]) is audience
            and (modules[s.module_id].for_partners or not partners_only)
        )

    def _may_hold_catalog(self, org_id: str, revision: int,
                          in_background: Callable[[], bool]) -> bool:
        """Whether this view may use the display fields held in memory: they are of the current
        revision, or read now (a small catalog, or an org's first view, which waits for its first
        fit anyway). A big catalog whose revision moved is refitted in the background, and
        meanwhile each view reads its chosen modules."""
        served = self._catalogs.get(org_id)
        return served is None or served.revision == revision or not in_background()

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

    def _read_display(self, org_id: str) -> None:
        """A big catalog's display fields, read again in the background after its revision
        moved; views read their chosen modules until it is in."""
        with self._sessions() as session:
            revision, _ = serving_state(session, org_id)
            served = self._catalogs.get(org_id)
            if served is not None and served.revision >= revision:
                return
            display = published_display(session, org_id)
        with self._lock:
            served = self._catalogs.get(org_id)
            if served is None or served.revision < revision:
                self._catalogs[org_id] = _ServedCatalog(revision, display, None)
        del served
        give_back_freed_heap()  # the previous revision's fields, and the read's rows

    @staticmethod
    def _candidates(session: Session, org_id: str, catalog: _ServedCatalog | None,
                    ) -> list[CandidateModule]:
        if catalog is None:
            return catalog_candidates(session, org_id)
        candidates, catalog.candidates = catalog.candidates, None
        return candidates if candidates is not None else catalog_candidates(session, org_id)

    def _rank(
        self, session: Session, repository: CatalogRepository, context: OpportunityContext,
        today: date, explore: bool, draw_seed: int | None = None,
        state: tuple[int, ModelMarker | None] | None = None,
        catalog: _ServedCatalog | None = None,
        in_background: Callable[[], bool] | None = None,
        partners_only: bool = False,
        k: tuple[int, int] | None = None,
    ) -> Recommendations:
        """``k``: (client-facing, internal) list lengths, by default the panel's."""
        org_id = repository.org_id
        k_client_facing, k_internal = k or self._k
        revision, marker = state or serving_state(session, org_id)
        # A list is remembered only when nothing random decides it (a seeded draw, or none):
        # then the ranker, the context, the day and the seed decide it all.
        memo = (None if explore and draw_seed is None else
                (*session_key(org_id, revision, marker, context, today,
                              draw_seed if explore else None), (k_client_facing, k_internal),
                 partners_only))
        if in_background is None:
            in_background = functools.cache(lambda: self._is_big(repository, revision))
        if marker is not None:
            learned = self._models.ranker(
                session, org_id, revision, marker,
                # A background refit may run in a child process: it reads the catalog itself.
                catalog_candidates if in_background() else
                (lambda session, org_id: self._candidates(session, org_id, catalog)),
                in_background=in_background,
            )
            if learned is not None:
                try:
                    return self._ranked(learned, memo, lambda: learned.rank(
                        context, today=today, k_client_facing=k_client_facing,
                        k_internal=k_internal,
                        rng=np.random.default_rng(draw_seed) if explore else None,
                        partners_only=partners_only,
                    ))  # fmt: skip
                except Exception:  # noqa: BLE001 - a broken model must not cost the rep a panel
                    log.exception("org %s: the learned ranker failed; serving v1", org_id)
                    self._models.failed(org_id, marker, "used to rank")
        ranker = self._ranker(session, repository, revision, in_background, catalog)
        return self._ranked(ranker, memo, lambda: ranker.rank(
            context, today=today, k_client_facing=k_client_facing, k_internal=k_internal,
            partners_only=partners_only))

    def _ranked(self, ranker: object, memo: tuple | None,
                rank: Callable[[], Recommendations]) -> Recommendations:
        """``rank()``, or the list ``ranker`` ranked before for the same ``memo`` key."""
        return rank() if memo is None else self._lists.ranked(ranker, memo, rank)

    def _is_big(self, repository: CatalogRepository, revision: int) -> bool:
        """Whether the org's catalog at ``revision`` is refitted in the background. Counted once
        per revision, and only when something must be refitted: every view during a refit asks,
        and counting 100,000 rows on each would load the database the refit reads."""
        known = self._big.get(repository.org_id)
        if known is not None and known[0] == revision:
            return known[1]
        big = repository.count() > self._refit_inline_modules
        self._big[repository.org_id] = (revision, big)
        return big

    def _ranker(
        self, session: Session, repository: CatalogRepository, revision: int,
        in_background: Callable[[], bool],
        catalog: _ServedCatalog | None = None,
    ) -> TagTextRanker:
        org_id = repository.org_id
        fitted = self._fitted.get(org_id)
        if fitted and fitted.revision == revision:
            return fitted.ranker
        if fitted is not None and in_background():  # the first fit of an org still waits
            self._refits.request(org_id, "v1", lambda: self._refit_v1(org_id))
            return fitted.ranker
        if fitted is None and in_background():  # a big catalog: its next refit finds the
            self._work.warm()  # worker ready (a child process: seconds to start on a busy host)
        with self._lock:
            fitted = self._fitted.get(repository.org_id)
            if fitted and fitted.revision == revision:
                return fitted.ranker
            candidates = self._candidates(session, repository.org_id, catalog)
            ranker = TagTextRanker(self._weights, self._labels).fit(candidates)
            self._fitted[repository.org_id] = _Fitted(revision, ranker)
            return ranker

    def _share_v1_part(self, org_id: str, revision: int, learned: LearnedRanker) -> None:
        """Hold the learned ranker's own v1 part as the org's v1, when it was made by this
        service's rules and is at least as new as the v1 fit held. A learned ranker is laid over
        the catalog by fitting v1 on it (``LearnedRanker.with_catalog``): the same floats as this
        service's v1 fit of that revision. Held apart, an org serving a model kept a second v1
        fit it no longer used (a fifth of a 100,000-module worker's memory, issue 12); shared,
        the v1 fallback (model off or failed, database down) is current without a refit."""
        base = learned.base_
        if base.weights != self._weights or base.labels != self._labels:
            return
        with self._lock:
            fitted = self._fitted.get(org_id)
            if fitted is not None and (fitted.ranker is base or fitted.revision > revision):
                return
            self._fitted[org_id] = _Fitted(revision, base)

    def _refit_v1(self, org_id: str) -> None:
        """The background refit of v1 (in ``work``: this thread or a child process), swapped in
        when it is ready."""
        fitted = self._fitted.get(org_id)
        started = time.perf_counter()
        result = self._work.run(refit_v1, org_id, self._weights, self._labels,
                                fitted.revision if fitted is not None else -1)
        if result is None:
            return
        revision, ranker = result
        ranker.prepare()  # handed back from a child: made on arrival already
        log.info("org %s: v1 refitted in the background for catalog revision %s in %.1f s",
                 org_id, revision, time.perf_counter() - started)
        with self._lock:
            fitted = self._fitted.get(org_id)
            if fitted is None or fitted.revision < revision:
                self._fitted[org_id] = _Fitted(revision, ranker)
        del fitted, ranker, result
        give_back_freed_heap()  # the fit swapped out and the hand-back's buffers

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
            back_because=next((r.label for r in suggestion.reasons if r.dimension == REFRESHER),
                              None),
            score=suggestion.score,
            rank=suggestion.rank,
            breakdown=dict(suggestion.breakdown),
            propensity=suggestion.propensity,
            explored=suggestion.explored,
            model_version=suggestion.model_version,
        )


def _audience(module: DisplayFields | ContentModule) -> Audience:
    return module.audience if isinstance(module.audience, Audience) else Audience(module.audience)


def refit_v1(session: Session, org_id: str, weights: ScoringWeights,
             labels: dict[str, dict[str, str]], fitted_revision: int,
             ) -> tuple[int, TagTextRanker] | None:
    """A background refit's work: v1 fitted on the catalog as it is now, with its revision
    (read first: a later write means one more refit, never a fit labelled newer than it is);
    None when the fit held is already of that revision."""
    revision, _ = serving_state(session, org_id)
    if revision <= fitted_revision:
        return None
    candidates = catalog_candidates(session, org_id)
    session.rollback()  # ends the read: the fit that follows holds no connection
    ranker = TagTextRanker(weights, labels).fit(candidates, previous=last_fit(org_id))
    keep_fit(org_id, ranker)
    return revision, ranker
