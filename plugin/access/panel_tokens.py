"""Short-lived tokens that let the panel's later calls prove which Canvas request they came from.

The page holds the token in memory and sends ``Authorization: Bearer <token>``; no cookie is
needed (third-party cookies are blocked inside Salesforce's iframe in several browsers).

Format: ``<payload>.<signature>``, both unpadded base64url. ``payload`` is compact JSON
(org, user, record, issued, expires); ``signature`` is HMAC-SHA256 with the app secret over a
purpose label plus the payload text, so a signature made for anything else never verifies here.
Tokens are signed, not encrypted: they carry Ids only, never a Salesforce token. Built on the
standard library (``hmac``) rather than itsdangerous: the format is twenty lines and a new
dependency would buy nothing.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18

DEFAULT_TTL = 600
MAX_TTL = 3600
MIN_SECRET_BYTES = 32
_PURPOSE = b"beinspired.app-token.v1."
_MAX_TOKEN_CHARS = 1024
_TOKEN = re.compile(r"^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$")
_CLOCK_SKEW = 30


class AppTokenError(Exception):
    http_status = 401

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class MalformedAppToken(AppTokenError):
    """Not a token of ours at all."""


class TamperedAppToken(AppTokenError):
    """Well-formed, but the signature does not match (altered, or another secret)."""


class ExpiredAppToken(AppTokenError):
    pass


class AppTokenMismatch(AppTokenError):
    """A valid token used for another org or record than the one it was issued for."""

    http_status = 403


@dataclass(frozen=True)
class AppToken:
    org_id: str
    user_id: str
    record_id: str | None
    issued_at: int
    expires_at: int


class AppTokenSigner:
    """Issues and verifies tokens. ``secrets[0]`` signs; any of ``secrets`` verifies, so the
    secret can be rotated without logging every open panel out."""

    def __init__(self, secrets: str | bytes | Sequence[str | bytes], *,
                 clock: Callable[[], float] = time.time):
        if isinstance(secrets, (str, bytes)):
            secrets = [secrets]
        keys = [s.encode("utf-8") if isinstance(s, str) else bytes(s) for s in secrets]
        if not keys or any(len(k) < MIN_SECRET_BYTES for k in keys):
            raise ValueError(f"app token secrets must be at least {MIN_SECRET_BYTES} bytes")
        self._keys = keys
        self.clock = clock

    def issue(self, org_id: str, user_id: str, record_id: str | None,
              ttl: int = DEFAULT_TTL) -> str:
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 < ttl <= MAX_TTL:
            raise ValueError(f"ttl must be 1..{MAX_TTL} seconds")
        now = int(self.clock())
        claims = {
            "org": to_18(org_id, prefix="00D"),
            "usr": to_18(user_id, prefix="005"),
            "rec": to_18(record_id, prefix="006") if record_id is not None else None,
            "iat": now,
            "exp": now + ttl,
        }
        payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode("utf-8"))
        return f"{payload}.{_b64(self._sign(self._keys[0], payload))}"

    def verify(self, token: object, *, org_id: str | None = None,
               record_id: str | None = None) -> AppToken:
        """The token's claims, or an :class:`AppTokenError`. When ``org_id`` / ``record_id`` are
        given they must be the ones the token was issued for."""
        if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS:
            raise MalformedAppToken("not an app token")
        match = _TOKEN.match(token)
        if not match:
            raise MalformedAppToken("not an app token")
        payload, signature = match.group(1), _unb64(match.group(2))
        if _b64(signature) != match.group(2):
            raise MalformedAppToken("not an app token")  # non-canonical Base64: one token, one text
        if not any(hmac.compare_digest(self._sign(k, payload), signature) for k in self._keys):
            raise TamperedAppToken("app token signature does not match")
        claims = _claims(_unb64(payload))
        now = int(self.clock())
        if claims.expires_at <= now:
            raise ExpiredAppToken("app token expired")
        if claims.issued_at > now + _CLOCK_SKEW:
            raise MalformedAppToken("app token issued in the future")
        if org_id is not None and _same_id(org_id, "00D", claims.org_id) is False:
            raise AppTokenMismatch("app token is for another org")
        if record_id is not None and _same_id(record_id, "006", claims.record_id) is False:
            raise AppTokenMismatch("app token is for another record")
        return claims

    @staticmethod
    def _sign(key: bytes, payload: str) -> bytes:
        return hmac.new(key, _PURPOSE + payload.encode("ascii"), hashlib.sha256).digest()


def bearer_token(authorization: str | None) -> str | None:
    """The token in an ``Authorization: Bearer <token>`` header value, else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _claims(raw: bytes) -> AppToken:
    try:
        data = json.loads(raw.decode("utf-8"))
        ints = [data["iat"], data["exp"]]
        if not all(type(v) is int for v in ints):
            raise ValueError("times must be integers")
        rec = data["rec"]
        return AppToken(org_id=to_18(data["org"], prefix="00D"),
                        user_id=to_18(data["usr"], prefix="005"),
                        record_id=to_18(rec, prefix="006") if rec is not None else None,
                        issued_at=data["iat"], expires_at=data["exp"])
    except (ValueError, KeyError, TypeError, InvalidSalesforceId):
        # Correctly signed but unreadable: only a bug (or a leaked secret) gets here.
        raise MalformedAppToken("app token claims are unreadable") from None


def _same_id(value: str, prefix: str, claimed: str | None) -> bool:
    try:
        return to_18(value, prefix=prefix) == claimed
    except InvalidSalesforceId:
        return False


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise MalformedAppToken("not an app token") from None


__all__ = [
    "AppToken", "AppTokenError", "AppTokenMismatch", "AppTokenSigner", "ExpiredAppToken",
    "MalformedAppToken", "TamperedAppToken", "bearer_token",
]
