"""What the panel logged, as the learner reads it: impressions, events and deal outcomes turned
into :class:`recommender.feedback.Impression` (design: docs/design/ranking.md)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy.orm import Session

from content_catalog.events import EventKind, PanelEventLog, ShownWithEvents
from content_catalog.deal_outcomes import DealOutcome, DealOutcomes
from recommender.feedback import Impression
from recommender.types import OpportunityContext

USES = frozenset({EventKind.PERSONALISE, EventKind.COPY, EventKind.DOWNLOAD, EventKind.SHARE})
_VOTES = {EventKind.HELPFUL: True, EventKind.NOT_HELPFUL: False}


def logged_impressions(
    session: Session, org_id: str, since: datetime, until: datetime,
    *, module_key: str | None = None,
) -> list[Impression]:
    """The org's impressions shown in ``[since, until)`` (of one module, if given: only its rows
    are read), oldest first, with what reps did and how each deal closed."""
    shown = PanelEventLog(session, org_id).shown_with_events(since, until, module_key=module_key)
    opportunities = {s.impression.opportunity_id for s in shown if s.impression.opportunity_id}
    outcomes = DealOutcomes(session, org_id).by_opportunity(opportunities)
    return [learner_impression(s, outcomes) for s in shown]


def learner_impression(shown: ShownWithEvents, outcomes: Mapping[str, DealOutcome]) -> Impression:
    stored = shown.impression
    kinds = [event.kind for event in shown.events]
    votes = [_VOTES[kind] for kind in kinds if kind in _VOTES]
    used = any(kind in USES for kind in kinds)
    outcome = outcomes.get(stored.opportunity_id) if stored.opportunity_id else None
    return Impression(
        context=context_from_json(stored.context),
        module_id=stored.module_key,
        position=stored.position,
        score=stored.score,
        propensity=stored.propensity,
        model_version=stored.model_version,
        shown_at=stored.shown_at,
        opened=used or EventKind.OPEN in kinds,
        helpful=votes[-1] if votes else None,
        used=used,
        deal_won=outcome.won if outcome is not None else None,
        explored=stored.explored,
        audience=stored.audience,
        view_id=stored.view_id,
        opportunity_id=stored.opportunity_id,
    )


def context_from_json(values: Mapping[str, Any]) -> OpportunityContext:
    """The stored ``dataclasses.asdict`` of a context back into one; keys a later version of the
    context no longer has are ignored, so old impressions stay readable."""
    known = OpportunityContext.__dataclass_fields__
    fields = {key: value for key, value in values.items() if key in known}
    if "buyer_roles" in fields:
        fields["buyer_roles"] = tuple(fields["buyer_roles"] or ())
    return OpportunityContext(**fields)
