"""The body of ``POST /api/v1/recommendations``, parsed strictly at the edge."""
from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from content_catalog.modules import FieldError
from content_catalog.taxonomy import Dimension, JourneyPhase, Taxonomy
from plugin.ranking.context_mapping import MappedContext, map_context
from plugin.errors import InvalidInput

Short = Field(default=None, max_length=255)


class ContextRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    stage: str | None = Short
    journey_phase: JourneyPhase | None = None
    industry: str | None = Short
    buyer_roles: list[str] = Field(default_factory=list, max_length=25)
    challenge: str | None = Short
    amount: float | None = Field(default=None, ge=0)
    description: str = Field(default="", max_length=32_000)
    next_step: str = Field(default="", max_length=2_000)
    #: Refuse values the taxonomy does not know instead of keeping them as unmatched.
    strict: bool = False

    @field_validator("buyer_roles")
    @classmethod
    def _roles_are_short(cls, roles: list[str]) -> list[str]:
        if any(len(r) > 255 for r in roles):
            raise ValueError("each role must be at most 255 characters")
        return roles

    @field_validator("amount", mode="before")
    @classmethod
    def _not_a_boolean(cls, amount: Any) -> Any:
        if isinstance(amount, bool):  # pydantic would take true as 1.0
            raise ValueError("must be a number, not true or false")
        return amount

    @field_validator("amount")
    @classmethod
    def _finite(cls, amount: float | None) -> float | None:
        if amount is not None and not math.isfinite(amount):
            raise ValueError("must be a finite number")
        return amount


def parse_context_request(body: Any, taxonomy: Taxonomy) -> MappedContext:
    if not isinstance(body, dict):
        raise InvalidInput("The body must be a JSON object describing the opportunity.")
    try:
        request = ContextRequest.model_validate(body)
    except ValidationError as exc:
        raise InvalidInput("The opportunity context is malformed.", errors=_field_errors(exc)) from None
    mapped = map_context(
        taxonomy,
        stage=request.stage,
        industry=request.industry,
        buyer_roles=request.buyer_roles,
        challenge=request.challenge,
        amount=request.amount,
        text="\n".join(t for t in (request.description, request.next_step) if t),
        journey_phase=request.journey_phase,
    )
    if request.strict and mapped.unknown:
        errors = [
            FieldError(_FIELD_OF[dim], "is not a known value", list(values), taxonomy.spec(dim).allowed)
            for dim, values in mapped.unknown.items()
        ]
        raise InvalidInput("Some values are not in the taxonomy.", errors=errors)
    return mapped


_FIELD_OF = {
    Dimension.DEAL_STAGE.value: "stage",
    Dimension.INDUSTRY.value: "industry",
    Dimension.BUYER_ROLE.value: "buyer_roles",
    Dimension.CHALLENGE.value: "challenge",
}

_ALLOWED_FIELDS = list(ContextRequest.model_fields)


def _field_errors(exc: ValidationError) -> list[FieldError]:
    errors = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(p) for p in error["loc"]) or "body"
        allowed = None
        if error["type"] == "extra_forbidden":
            allowed = _ALLOWED_FIELDS
            message = "is not a known field"
        elif error["type"] == "enum":
            allowed = [p.value for p in JourneyPhase]
            message = "is not an allowed value"
        else:
            message = error["msg"]
        value = error.get("input")
        shown = value if isinstance(value, (str, int, float, bool)) and len(str(value)) <= 200 else None
        errors.append(FieldError(field, message, shown, allowed))
    return errors
