"""One panel view: fetch the opportunity, map it, rank the catalog, and degrade gracefully.

Shared by the panel page and the JSON API so that both always show the same suggestions.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

from content_catalog.repository import CatalogRepository
from content_catalog.suggestion_stats import SuggestionStats
from content_catalog.taxonomy import Taxonomy
from plugin.context_mapping import MappedContext, context_from_record, map_context
from plugin.opportunity_sources import OpportunitySource, SourceUnavailable
from plugin.recommendations import PanelSuggestions
from plugin.salesforce.records import OpportunityRecord
from plugin.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PanelView:
    opportunity: OpportunityRecord | None
    mapped: MappedContext
    suggestions: PanelSuggestions
    #: Said to the rep when the suggestions are less specific than usual (CRM unavailable).
    notice: str | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)


def build_panel_view(
    services: Services, source: OpportunitySource, opportunity_id: str, *, count_shown: bool = True,
    taxonomy: Taxonomy | None = None,
) -> PanelView:
    """Raises :class:`~plugin.opportunity_sources.OpportunityNotFound` for an unknown record;
    every other failure of the source ends in general suggestions and a notice. The record is
    mapped through the org's own taxonomy (its stage mapping and deal-size thresholds); a caller
    holding an orgs snapshot passes it, which saves a settings lookup.

    ``count_shown=False`` is for the workspace's preview: an enablement lead looking is not a
    rep being shown content, so it must not make a module look used."""
    taxonomy = taxonomy or services.taxonomy_for(source.org_id)
    try:
        record = source.fetch(opportunity_id)
    except SourceUnavailable as exc:
        log.warning("org %s: opportunity source unavailable: %s", source.org_id, exc.notice)
        mapped = map_context(taxonomy, stage=exc.stage)
        suggestions = _rank(services, source.org_id, mapped, count_shown)
        return PanelView(None, mapped, suggestions, notice=exc.notice)
    mapped = context_from_record(record, taxonomy)
    if mapped.unknown:
        _record_unknown(services, source.org_id, mapped)
    suggestions = _rank(services, source.org_id, mapped, count_shown)
    return PanelView(record, mapped, suggestions, problems=record.problems)


def recommend_for_context(
    services: Services, org_id: str, mapped: MappedContext, *, count_shown: bool = True
) -> PanelSuggestions:
    if mapped.unknown:
        _record_unknown(services, org_id, mapped)
    return _rank(services, org_id, mapped, count_shown)


def _rank(
    services: Services, org_id: str, mapped: MappedContext, count_shown: bool
) -> PanelSuggestions:
    suggestions = services.recommendations.recommend(org_id, mapped.context, services.today())
    if count_shown:
        _count_shown(services, org_id, suggestions)
    return suggestions


def _count_shown(services: Services, org_id: str, suggestions: PanelSuggestions) -> None:
    """Count what was shown, so the workspace can list modules no rep ever sees. One upsert
    statement; like every piece of bookkeeping here, it never costs the rep a panel."""
    keys = [card.module_id for card in suggestions.client_facing + suggestions.internal]
    try:
        with services.sessions.begin() as session:
            SuggestionStats(session, org_id).record(keys, datetime.now(timezone.utc))
    except Exception:  # noqa: BLE001 - counting is best effort by design
        log.exception("could not count the suggestions shown in org %s", org_id)


def _record_unknown(services: Services, org_id: str, mapped: MappedContext) -> None:
    """Keep unmapped CRM values for admins; never let that bookkeeping cost the rep a panel."""
    try:
        with services.sessions.begin() as session:
            CatalogRepository(session, org_id).record_unknown_values(dict(mapped.unknown))
    except Exception:  # noqa: BLE001 - reporting is best effort by design
        log.exception("could not record unknown CRM values for org %s", org_id)
