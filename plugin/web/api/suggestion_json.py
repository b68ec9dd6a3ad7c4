"""JSON shapes of the API (documented in ``plugin/openapi.yaml``)."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from plugin.ranking.context_mapping import MappedContext
from plugin.panel.suggestions import PanelSuggestions, SuggestionCard
from plugin.crm.records import OpportunityRecord
from plugin.deals.stage_norms import StuckNotice


def card_json(card: SuggestionCard) -> dict[str, Any]:
    return {
        "module_id": card.module_id,
        "title": card.title,
        "summary": card.summary,
        "kind": card.kind,
        "kind_label": card.kind_label,
        "audience": card.audience,
        "author": card.author,
        "link": card.link,
        "rank": card.rank,
        "score": card.score,
        "reasons": list(card.reasons),
        "reason_text": card.reason_text,
        "score_breakdown": card.breakdown,
        #: What the panel's events name (POST /api/v1/events); null when the view was not recorded.
        "impression_id": card.impression_id,
        #: A manager's recommendation (first in its list): who, their note, and its id for
        #: POST /api/v1/manager-recommendations/<id>/dismissal; null on the ranker's cards.
        "recommended_by": card.recommended_by,
        "note": card.note or None,
        "recommendation_id": card.recommendation_id,
    }


def recommendations_json(
    mapped: MappedContext,
    suggestions: PanelSuggestions,
    *,
    opportunity: OpportunityRecord | None = None,
    notice: str | None = None,
    stuck: StuckNotice | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if opportunity is not None:
        body["opportunity"] = {
            "id": opportunity.opportunity_id,
            "name": opportunity.name,
            "account_name": opportunity.account_name,
            "stage": opportunity.stage,
            "amount": opportunity.amount,
            "close_date": opportunity.close_date.isoformat() if opportunity.close_date else None,
        }
    body["context"] = asdict(mapped.context)
    body["unknown_values"] = {dim: list(values) for dim, values in mapped.unknown.items()}
    body["notice"] = notice
    body["stuck"] = stuck_json(stuck) if stuck is not None else None
    body["client_facing"] = [card_json(c) for c in suggestions.client_facing]
    body["internal"] = [card_json(c) for c in suggestions.internal]
    return body


def stuck_json(stuck: StuckNotice) -> dict[str, Any]:
    """The panel's stuck-deal notice: the days in the stage against this org's usual figure."""
    return {
        "stage": stuck.stage,
        "days_in_stage": stuck.days,
        "usual_days": stuck.usual_days,
        "most_days": stuck.most_days,
        "percentile": stuck.percentile,
        "deals": stuck.deals,
        "size_band": stuck.band.label() if stuck.band is not None else None,
        "text": stuck.text(),
        "detail": stuck.detail(),
    }
