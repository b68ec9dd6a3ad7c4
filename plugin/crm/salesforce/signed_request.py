"""Verifying a Canvas signed request: who is looking at which record, proven by Salesforce."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from plugin.crm.salesforce.config import normalise_https_url
from plugin.crm.salesforce.exceptions import SalesforceConfigError
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18

MAX_SIGNED_REQUEST_BYTES = 64 * 1024
ALGORITHM = "HMACSHA256"
_BASE64 = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")


class CanvasRequestError(Exception):
    """Base class. ``reason`` is short and safe to log; ``http_status`` is what to answer."""

    http_status = 400

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class MalformedSignedRequest(CanvasRequestError):
    """Not ``<signature>.<payload>``, bad Base64, or not a JSON object."""


class SignedRequestTooLarge(MalformedSignedRequest):
    http_status = 413


class UnsupportedAlgorithm(CanvasRequestError):
    """``algorithm`` is not HMACSHA256."""


class InvalidCanvasContext(CanvasRequestError):
    """Signed and well-formed, but a field we need is missing or not what Salesforce sends."""


class ForeignInstance(InvalidCanvasContext):
    """Signed by the org, but ``client.instanceUrl`` is not the org's own instance: we would send
    the viewer's token (and our requests) to a host the org's admin never configured."""

    http_status = 403


class UnknownOrg(CanvasRequestError):
    http_status = 401


class BadSignature(CanvasRequestError):
    http_status = 401


@dataclass(frozen=True)
class CanvasRequest:
    """The parts of a verified signed request the panel uses."""

    org_id: str
    user_id: str
    user_name: str
    full_name: str | None
    profile_id: str | None
    instance_url: str
    oauth_token: str = field(repr=False)
    #: The Opportunity the panel sits on, or None when it is not on an Opportunity page.
    record_id: str | None
    display_location: str | None
    #: ``context.user.userType`` as Salesforce sent it ("STANDARD", "POWER_PARTNER", ...).
    user_type: str | None = None


def verify_signed_request(signed_request: object,
                          secret_for_org: Callable[[str], str | None]) -> CanvasRequest:
    """The :class:`CanvasRequest` in ``signed_request``, or a :class:`CanvasRequestError`.

    ``secret_for_org(org_id)`` returns the consumer secret of a configured org (18-character
    Id), or None for an org we do not serve.
    """
    if not isinstance(signed_request, str):
        raise MalformedSignedRequest("signed request must be text")
    if len(signed_request) > MAX_SIGNED_REQUEST_BYTES:
        raise SignedRequestTooLarge("signed request is too large")
    signature_part, dot, payload_part = signed_request.partition(".")
    if not dot or not signature_part or not payload_part:
        raise MalformedSignedRequest("signed request is not <signature>.<payload>")
    signature = _b64decode(signature_part, "signature")
    payload = _strict_json(_b64decode(payload_part, "payload"))
    if payload.get("algorithm") != ALGORITHM:
        raise UnsupportedAlgorithm("algorithm must be HMACSHA256")
    context = _object(payload, "context")
    try:
        org_id = to_18(_object(context, "organization").get("organizationId"), prefix="00D")
    except InvalidSalesforceId:
        raise InvalidCanvasContext("context.organization.organizationId is not an org Id") from None
    secret = secret_for_org(org_id)
    if not secret:
        raise UnknownOrg("this org is not configured")
    key, message = secret.encode("utf-8"), payload_part.encode("ascii")
    expected = hmac.new(key, message, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise BadSignature("signature does not match")
    return _canvas_request(org_id, payload, context)


def _canvas_request(org_id: str, payload: dict[str, Any], context: dict[str, Any]) -> CanvasRequest:
    client, user = _object(payload, "client"), _object(context, "user")
    environment = context.get("environment")
    environment = environment if isinstance(environment, dict) else {}
    try:
        user_id = to_18(user.get("userId"), prefix="005")
        profile = user.get("profileId")
        profile_id = to_18(profile, prefix="00e") if profile is not None else None
    except InvalidSalesforceId as exc:
        raise InvalidCanvasContext(f"user Id or profile Id {exc.reason}") from None
    try:
        instance_url = normalise_https_url(client.get("instanceUrl"))
    except SalesforceConfigError:
        raise InvalidCanvasContext("client.instanceUrl must be an https origin") from None
    return CanvasRequest(
        org_id=org_id,
        user_id=user_id,
        user_name=_text(user, "userName", required=True),
        full_name=_text(user, "fullName"),
        profile_id=profile_id,
        instance_url=instance_url,
        oauth_token=_text(client, "oauthToken", required=True),
        record_id=_record_id(environment),
        display_location=_text(environment, "displayLocation"),
        user_type=_text(user, "userType"),
    )


def _record_id(environment: Mapping[str, Any]) -> str | None:
    """``environment.record.Id`` (page layouts, Visualforce), else ``parameters.recordId`` (an Aura
    wrapper on a Lightning page). Anything that is not an Opportunity Id means "no record"."""
    record, parameters = environment.get("record"), environment.get("parameters")
    candidates = [
        record.get("Id") if isinstance(record, dict) else None,
        parameters.get("recordId") if isinstance(parameters, dict) else None,
    ]
    for candidate in candidates:
        if candidate:
            try:
                return to_18(candidate, prefix="006")
            except InvalidSalesforceId:
                return None
    return None


def _b64decode(text: str, what: str) -> bytes:
    if not _BASE64.match(text):
        raise MalformedSignedRequest(f"{what} is not Base64")
    unpadded = text.rstrip("=").replace("-", "+").replace("_", "/")
    if len(unpadded) % 4 == 1:
        raise MalformedSignedRequest(f"{what} is not Base64")
    try:
        return base64.b64decode(unpadded + "=" * (-len(unpadded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedSignedRequest(f"{what} is not Base64") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError("duplicate key")
        result[key] = value
    return result


def _strict_json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant,
                           object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedSignedRequest("payload is not strict JSON") from None
    if not isinstance(value, dict):
        raise MalformedSignedRequest("payload is not a JSON object")
    return value


def _object(parent: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = parent.get(name)
    if not isinstance(value, dict):
        raise InvalidCanvasContext(f"{name} is missing")
    return value


def _text(parent: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = parent.get(name)
    if isinstance(value, str) and value.strip():
        return value
    if required or value is not None and not isinstance(value, str):
        raise InvalidCanvasContext(f"{name} is missing or not text")
    return None


__all__ = [
    "BadSignature", "CanvasRequest", "CanvasRequestError", "ForeignInstance", "InvalidCanvasContext",
    "MalformedSignedRequest", "SignedRequestTooLarge", "UnknownOrg", "UnsupportedAlgorithm",
    "verify_signed_request",
]
