"""One panel view: fetch the opportunity, map it, rank the catalog, and degrade gracefully.

Shared by the panel page and the JSON API so that both always show the same suggestions.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from typing import Callable

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import Taxonomy
from plugin.ranking.context_mapping import MappedContext, context_from_record, map_context
from plugin.panel.impressions import (
    ImpressionRecorder, ShownPanel, new_impression_id, new_impression_ids,
)
from plugin.crm.sources import OpportunitySource, SourceUnavailable
from plugin.panel.manager_picks import ManagerPicks, first_in_lists
from plugin.panel.panel_search import PanelSearch, SearchRateLimit, SearchResults, search_words
from plugin.panel.suggestions import (
    CatalogUnavailable,
    PanelSuggestions,
    RecommendationService,
    SuggestionCard,
    working_session_seed,
)
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.crm.records import OpportunityRecord
from plugin.deals.stage_norms import StuckNotice
from plugin.deals.stuck_deals import StuckDeal, StuckDeals
from plugin.panel.stuck_ranking import stage_advance_cards
from plugin.panel.ranked_lists import context_fingerprint

log = logging.getLogger(__name__)

#: Said in the panel while the database is unreachable: with suggestions ranked from memory, and
#: without any.
FROM_MEMORY_NOTICE = ("Be Inspired can't reach its content store right now; these suggestions "
                      "may be out of date")
CATALOG_UNAVAILABLE_NOTICE = ("Be Inspired can't reach its content store right now; "
                              "suggestions will be back in a moment")


@dataclass(frozen=True)
class PanelView:
    opportunity: OpportunityRecord | None
    mapped: MappedContext
    suggestions: PanelSuggestions
    #: Said to the rep when the suggestions are less specific than usual (CRM unavailable).
    notice: str | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)
    #: The database was unreachable and no catalog was in memory: the panel says so, the JSON
    #: API answers 503.
    catalog_unavailable: bool = False
    #: The deal has stayed in its stage longer than usual (issue 15); None when not, or unknown.
    stuck: StuckNotice | None = None

    @property
    def stage_notice(self) -> str | None:
        """Said to the rep when the deal's stage is not mapped: which phase the suggestions
        assume, or that they assume none (``plugin.orgs.stage_phases``)."""
        return self.mapped.stage.notice() if self.mapped.stage is not None else None


@dataclass(frozen=True)
class PanelSearchView:
    """One search in the panel: its results, the context that broke ties, and a notice when the
    opportunity could not be read (the results are then ranked without it)."""

    results: SearchResults
    mapped: MappedContext
    notice: str | None = None


class PanelViews:
    """Builds panel views from what they use: the suggestions, the impression recorder, sessions
    (for unknown CRM values), each org's taxonomy and the day; and the panel's searches, with
    their rate limit."""

    def __init__(self, suggestions: RecommendationService, impressions: ImpressionRecorder,
                 sessions: sessionmaker[Session], taxonomy_for: Callable[[str], Taxonomy],
                 today: Callable[[], date], search_limit: SearchRateLimit | None = None, *,
                 unknown_in_background: bool = True, stuck_deals: StuckDeals | None = None):
        self._suggestions = suggestions
        self._impressions = impressions
        self._sessions = sessions
        self._taxonomy_for = taxonomy_for
        self._today = today
        self._search = PanelSearch(sessions, suggestions.labels, today)
        self._picks = ManagerPicks(sessions)
        self._search_limit = search_limit or SearchRateLimit(30)
        #: False: the previous path, unknown values counted in the request (a benchmark baseline).
        self._unknown_in_background = unknown_in_background
        self._stuck_deals = stuck_deals

    def view(
        self, source: OpportunitySource, opportunity_id: str, *, count_shown: bool = True,
        taxonomy: Taxonomy | None = None, viewer: str | None = None, partners_only: bool = False,
    ) -> PanelView:
        """Raises :class:`~plugin.crm.sources.OpportunityNotFound` for an unknown record;
        every other failure of the source ends in general suggestions and a notice. The record
        is mapped through the org's own taxonomy (its stage mapping and deal-size thresholds); a
        caller holding an orgs snapshot passes it, which saves a settings lookup.

        ``count_shown=False`` is for the workspace's preview: an enablement lead looking is not
        a rep being shown content, so it must not make a module look used. Otherwise each
        suggestion shown is recorded as an impression of the opportunity for ``viewer`` (the user
        the panel is shown to), and its card carries the impression's id for the panel's events."""
        taxonomy = taxonomy or self._taxonomy_for(source.org_id)
        try:
            record = source.fetch(opportunity_id)
        except SourceUnavailable as exc:
            log.warning("org %s: opportunity source unavailable: %s", source.org_id, exc.notice)
            mapped = map_context(taxonomy, stage=exc.stage)
            shown_to = _ShownTo(_record_key(opportunity_id), viewer) if count_shown else None
            return self._ranked_view(source.org_id, None, mapped, shown_to, exc.notice,
                                     partners_only=partners_only)
        mapped = context_from_record(record, taxonomy)
        if mapped.unknown:
            self._record_unknown(source.org_id, mapped)
        shown_to = _ShownTo(record.opportunity_id, viewer) if count_shown else None
        return self._ranked_view(source.org_id, record, mapped, shown_to, None,
                                 problems=record.problems, partners_only=partners_only,
                                 stuck=self._stuck(source.org_id, record))

    def _ranked_view(self, org_id: str, record: OpportunityRecord | None, mapped: MappedContext,
                     shown_to: "_ShownTo | None", notice: str | None,
                     problems: tuple[str, ...] = (), stuck: StuckDeal | None = None,
                     partners_only: bool = False) -> PanelView:
        """The view with its suggestions; while the database is unreachable, those ranked from
        memory or none, and a notice saying so in the rep's words."""
        try:
            suggestions = self._rank(org_id, mapped, shown_to, stuck, partners_only=partners_only)
        except CatalogUnavailable:
            return PanelView(record, mapped, PanelSuggestions((), ()),
                             notice=_joined(notice, CATALOG_UNAVAILABLE_NOTICE),
                             problems=problems, catalog_unavailable=True)
        if suggestions.from_memory:
            notice = _joined(notice, FROM_MEMORY_NOTICE)
        return PanelView(record, mapped, suggestions, notice=notice, problems=problems,
                         stuck=stuck.notice if stuck is not None else None)

    def search(
        self, source: OpportunitySource, opportunity_id: str, text: object, *,
        viewer: str | None = None, taxonomy: Taxonomy | None = None, partners_only: bool = False,
    ) -> PanelSearchView:
        """The org's published modules matching ``text``, the opportunity's context breaking
        ties; recorded as impressions of a search (``origin="search"``) for ``viewer``. Raises
        :class:`~plugin.panel.panel_search.SearchRefused` for text out of bounds and
        :class:`~plugin.panel.panel_search.SearchRateLimited`, both before any work;
        :class:`~plugin.crm.sources.OpportunityNotFound` for an unknown record."""
        words = search_words(text)
        self._search_limit.check(source.org_id, viewer or "")
        taxonomy = taxonomy or self._taxonomy_for(source.org_id)
        notice = None
        try:
            record = source.fetch(opportunity_id)
            mapped = context_from_record(record, taxonomy)
            record_key = record.opportunity_id
        except SourceUnavailable as exc:
            mapped, notice = map_context(taxonomy, stage=exc.stage), exc.notice
            record_key = _record_key(opportunity_id)
        results = self._search.search(source.org_id, words, mapped.context,
                                      partners_only=partners_only)
        if self._impressions.keep_impressions and results.cards:
            stamped = replace(results, cards=tuple(_stamped(c) for c in results.cards))
            shown = ShownPanel(
                org_id=source.org_id, view_id=secrets.token_hex(16), opportunity_id=record_key,
                user_id=viewer, context=mapped.context,
                suggestions=PanelSuggestions(client_facing=(), internal=()),
                shown_at=datetime.now(timezone.utc), search_results=stamped.cards,
                search_text=words,
            )
            try:
                self._impressions.record(shown)
                results = stamped
            except Exception:  # noqa: BLE001 - bookkeeping: without ids the cards ask for no feedback
                log.exception("could not queue the impressions of a search in org %s", source.org_id)
        return PanelSearchView(results, mapped, notice)

    def for_context(
        self, org_id: str, mapped: MappedContext, *, count_shown: bool = True,
        viewer: str | None = None, partners_only: bool = False, record_id: str | None = None,
    ) -> PanelSuggestions:
        """Suggestions for a context that names no record; recorded as impressions of no
        opportunity. With ``record_id`` (the deal an app token was issued for) a stuck deal's
        lists are reordered as its panel's are."""
        if mapped.unknown:
            self._record_unknown(org_id, mapped)
        return self._rank(org_id, mapped, _ShownTo(None, viewer) if count_shown else None,
                          stuck=self.stuck_for(org_id, record_id, mapped),
                          partners_only=partners_only)

    def stuck_for(self, org_id: str, record_id: str | None,
                  mapped: MappedContext) -> StuckDeal | None:
        """Whether the deal ``record_id`` names (an app token's record) is stuck in the stage
        ``mapped`` gives; None without a record id."""
        if record_id is None:
            return None
        record = OpportunityRecord(record_id, "", stage=mapped.context.stage,
                                   amount=mapped.context.amount)
        return self._stuck(org_id, record)

    def _rank(self, org_id: str, mapped: MappedContext,
              shown_to: "_ShownTo | None", stuck: StuckDeal | None = None,
              partners_only: bool = False) -> PanelSuggestions:
        today = self._today()
        seed = None
        if shown_to is not None:
            # A posted context without a record is its own working session: the same rep posting
            # the same context that day sees the same list (and it is remembered).
            seed = working_session_seed(org_id, shown_to.user_id,
                                        shown_to.opportunity_id or posted_context_key(mapped),
                                        today)
        suggestions = self._suggestions.recommend(
            org_id, mapped.context, today, explore=shown_to is not None, draw_seed=seed,
            partners_only=partners_only,
            viewer=shown_to.user_id if shown_to is not None else None,
        )
        if stuck is not None:
            suggestions = stage_advance_cards(suggestions, stuck.evidence,
                                              rng=np.random.default_rng(seed),
                                              explore=shown_to is not None)
        if shown_to is not None and shown_to.opportunity_id and shown_to.user_id:
            suggestions = self._with_picks(org_id, suggestions, shown_to, today, partners_only)
        if shown_to is not None:
            suggestions = self._record_shown(org_id, mapped, suggestions, shown_to)
        return suggestions

    def _with_picks(self, org_id: str, suggestions: PanelSuggestions, shown_to: "_ShownTo",
                    today: date, partners_only: bool) -> PanelSuggestions:
        """What the rep's manager recommended on this deal, first; never costs the panel."""
        try:
            picks = self._picks.cards(org_id, suggestions.revisions, shown_to.opportunity_id,
                                      shown_to.user_id, today, partners_only=partners_only)
        except Exception:  # noqa: BLE001 - the ranker's list still serves the rep
            log.exception("could not read the manager recommendations of org %s", org_id)
            return suggestions
        return first_in_lists(suggestions, picks)

    def _record_shown(self, org_id: str, mapped: MappedContext, suggestions: PanelSuggestions,
                      shown_to: "_ShownTo") -> PanelSuggestions:
        """Queue the view for the recorder, which writes its impressions and counts the modules
        in the background (``plugin.panel.impressions``): the rep never waits for it. Each card
        gets a random impression id, when impressions are kept, for the panel's events to name."""
        stamped = suggestions
        cards = len(suggestions.client_facing) + len(suggestions.internal)
        ids = new_impression_ids(1 + cards)  # one draw for the view's and its cards' ids
        if self._impressions.keep_impressions:
            stamped = replace(
                suggestions,
                client_facing=tuple(replace(card, impression_id=next(ids))
                                    for card in suggestions.client_facing),
                internal=tuple(replace(card, impression_id=next(ids))
                               for card in suggestions.internal),
            )
        shown = ShownPanel(
            org_id=org_id, view_id=next(ids), opportunity_id=shown_to.opportunity_id,
            user_id=shown_to.user_id, context=mapped.context, suggestions=stamped,
            shown_at=datetime.now(timezone.utc),
        )
        try:
            self._impressions.record(shown)
        except Exception:  # noqa: BLE001 - bookkeeping: without ids the cards ask for no feedback
            log.exception("could not queue the impressions of a panel view in org %s", org_id)
            return suggestions
        return stamped

    def _stuck(self, org_id: str, record: OpportunityRecord) -> StuckDeal | None:
        """Whether this deal is stuck (``plugin.deals.stuck_deals``: figures held in memory);
        never costs the rep a panel."""
        if self._stuck_deals is None or record.is_closed:
            return None
        try:
            return self._stuck_deals.stuck(org_id, record.opportunity_id, record.stage,
                                           record.amount)
        except Exception:  # noqa: BLE001 - a notice is a bonus; the suggestions still come
            log.exception("could not tell whether a deal of org %s is stuck", org_id)
            return None

    def _record_unknown(self, org_id: str, mapped: MappedContext) -> None:
        """Keep unmapped CRM values for admins; never let that bookkeeping cost the rep a panel.
        The recorder counts them with its next batch, so the request reads and writes nothing."""
        try:
            if self._unknown_in_background:
                self._impressions.count_unknown(org_id, mapped.unknown, datetime.now(timezone.utc))
                return
            with self._sessions.begin() as session:
                CatalogRepository(session, org_id).record_unknown_values(dict(mapped.unknown))
        except Exception:  # noqa: BLE001 - reporting is best effort by design
            log.exception("could not record unknown CRM values for org %s", org_id)


@dataclass(frozen=True)
class _ShownTo:
    opportunity_id: str | None
    user_id: str | None


def posted_context_key(mapped: MappedContext) -> str:
    """What stands for the record in a posted context's working session: every field of the
    context, fingerprinted (no deal text kept). No Salesforce Id has a colon, so it never
    names a record's session."""
    return "context:" + context_fingerprint(mapped.context).hex()


def _joined(first: str | None, second: str) -> str:
    return second if not first else f"{first}. {second}"


def _stamped(card: SuggestionCard) -> SuggestionCard:
    return replace(card, impression_id=new_impression_id())


def _record_key(opportunity_id: str) -> str | None:
    """The record's 18-character Id, when the panel could not read the record itself."""
    try:
        return to_18(opportunity_id, prefix="006")
    except InvalidSalesforceId:
        return None
