"""``POST /api/v1/events``: the panel's batches of what reps did with its suggestions."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, g, request
from pydantic import (
    AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
)

from content_catalog.events import EventKind
from content_catalog.modules import FieldError
from plugin.errors import InvalidInput
from plugin.panel.feedback_events import EventReport, Reporter, record_panel_events
from plugin.web.app_services import services
from plugin.web.json_body import json_body
from plugin.web.request_org import current_org

log = logging.getLogger(__name__)

blueprint = Blueprint("events_api", __name__, url_prefix="/api/v1")

MAX_EVENTS = 100
MAX_REASON = 500
HEX_ID = r"^[0-9a-f]{32}$"
#: How far a browser's clock may be from ours, and how old a batch kept offline may be.
CLOCK_SKEW = timedelta(days=1)
OLDEST = timedelta(days=30)


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    event_id: str = Field(pattern=HEX_ID)
    impression_id: str = Field(pattern=HEX_ID)
    kind: EventKind
    reason: str | None = Field(default=None, max_length=MAX_REASON)
    at: AwareDatetime | None = None

    @field_validator("reason")
    @classmethod
    def _only_a_vote_says_why(cls, reason: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if reason is not None and kind is not None and not kind.takes_reason:
            raise ValueError("only a helpful or not_helpful vote may give a reason")
        return reason.strip() if reason is not None else None

    @field_validator("at")
    @classmethod
    def _plausible(cls, at: datetime | None) -> datetime | None:
        if at is None:
            return None
        now = datetime.now(timezone.utc)
        if not now - OLDEST <= at <= now + CLOCK_SKEW:
            raise ValueError("must be within the last 30 days, by a clock no more than a day off")
        return at.astimezone(timezone.utc)


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    events: list[EventIn] = Field(min_length=1, max_length=MAX_EVENTS)


@blueprint.post("/events")
def record_events():
    org = current_org()
    batch = _parse_batch()
    reporter = Reporter(
        org_id=org.org_id, user_id=org.viewer, has_token=org.token is not None,
        token_record_id=org.token.record_id if org.token is not None else None,
    )
    reports = [
        EventReport(e.event_id, e.impression_id, e.kind, e.reason, e.at) for e in batch.events
    ]
    svc = services()
    receipt = record_panel_events(svc.recording_sessions, svc.impressions, reporter, reports)
    log.info("events from panel view %s: %d accepted, %d duplicates, %d rejected",
             g.request_id, receipt.accepted, receipt.duplicates, len(receipt.rejected))
    return {
        "accepted": receipt.accepted,
        "duplicates": receipt.duplicates,
        "rejected": [
            {"event_id": r.event_id, "impression_id": r.impression_id, "reason": r.reason}
            for r in receipt.rejected
        ],
    }, 202


def _parse_batch() -> EventBatch:
    json_body("Send the events as JSON: {\"events\": [...]}.")  # strictness first, then the shape
    try:
        return EventBatch.model_validate_json(request.get_data())
    except ValidationError as exc:
        raise InvalidInput("The batch of events is malformed.", errors=_field_errors(exc)) from None


_ALLOWED = {"": list(EventBatch.model_fields), "events": list(EventIn.model_fields)}


def _field_errors(exc: ValidationError) -> list[FieldError]:
    errors = []
    for error in exc.errors(include_url=False):
        loc = [str(p) for p in error["loc"]]
        field, value, allowed = ".".join(loc) or "body", error.get("input"), None
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message, allowed = "is not a known field", _ALLOWED["events" if len(loc) > 1 else ""]
        elif error["type"] == "enum":
            message, allowed = "is not an allowed value", [k.value for k in EventKind]
        elif error["type"] == "string_pattern_mismatch":
            message = "must be 32 lowercase hexadecimal digits"
        elif error["type"] == "json_invalid":
            field, value = "body", None
        errors.append(FieldError(field, message, _shown(value), allowed))
    return errors


def _shown(value: Any) -> Any:
    """Echo short scalars only: an error must not repeat a whole body back."""
    if isinstance(value, (str, int, float, bool)) and len(str(value)) <= 200:
        return value
    return None
