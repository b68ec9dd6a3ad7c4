"""Short-lived tokens that let the panel's later calls prove which Canvas request they came from."""
from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from itsdangerous import BadData, BadSignature, TimestampSigner, URLSafeTimedSerializer

from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18

DEFAULT_TTL = 600
MAX_TTL = 3600
MIN_SECRET_BYTES = 32
_SALT = "beinspired.app-token.v2"
_MAX_TOKEN_CHARS = 1024
#: payload (a leading "." when compressed) . timestamp . HMAC-SHA256, all base64url
_TOKEN = re.compile(r"^\.?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{4,8}\.[A-Za-z0-9_-]{43}$")
_CLOCK_SKEW = 30
#: The longest user's name a token carries (Salesforce's full names are at most 121 characters).
MAX_NAME_CHARS = 121


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
    #: The panel this token came with was shown without the opportunity's data (Salesforce
    #: failed), so nothing was cached for the token's later calls to read.
    opened_without_data: bool = False
    #: The user's full name from the signed request, so a personalised template can say who
    #: prepared it; None when Salesforce sent none.
    user_name: str | None = None
    #: The user is a partner user: the panel shows them only content marked for partners.
    partner: bool = False


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
        self.clock = clock
        # itsdangerous signs with the last key and verifies with any.
        self._serializer = URLSafeTimedSerializer(
            list(reversed(keys)), salt=_SALT, signer=_clocked_signer(clock),
            signer_kwargs={"digest_method": hashlib.sha256},
        )

    def issue(self, org_id: str, user_id: str, record_id: str | None,
              ttl: int = DEFAULT_TTL, *, user_name: str | None = None,
              opened_without_data: bool = False, partner: bool = False) -> str:
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
        name = " ".join((user_name or "").split())[:MAX_NAME_CHARS]
        if name:
            claims["nam"] = name
        if opened_without_data:
            claims["nod"] = True
        if partner:
            claims["ptn"] = True
        return self._serializer.dumps(claims)

    def verify(self, token: object, *, org_id: str | None = None,
               record_id: str | None = None) -> AppToken:
        """The token's claims, or an :class:`AppTokenError`. When ``org_id`` / ``record_id`` are
        given they must be the ones the token was issued for."""
        if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS or not _TOKEN.match(token):
            raise MalformedAppToken("not an app token")
        if not _canonical(token.rsplit(".", 1)[1]):
            raise MalformedAppToken("not an app token")  # one token, one spelling
        try:
            raw, signed_at = self._serializer.loads(token, return_timestamp=True)
        except BadSignature:
            raise TamperedAppToken("app token signature does not match") from None
        except BadData:
            raise MalformedAppToken("not an app token") from None
        claims = _claims(raw)
        now = int(self.clock())
        if claims.issued_at != int(signed_at.timestamp()) or claims.issued_at > now + _CLOCK_SKEW:
            raise MalformedAppToken("app token issued in the future")
        if claims.expires_at <= now:
            raise ExpiredAppToken("app token expired")
        if org_id is not None and _same_id(org_id, "00D", claims.org_id) is False:
            raise AppTokenMismatch("app token is for another org")
        if record_id is not None and _same_id(record_id, "006", claims.record_id) is False:
            raise AppTokenMismatch("app token is for another record")
        return claims


def _clocked_signer(clock: Callable[[], float]) -> type[TimestampSigner]:
    class ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:  # itsdangerous' documented hook for the time
            return int(clock())

    return ClockedSigner


def _canonical(signature: str) -> bool:
    """A 32-byte digest in base64url leaves 2 bits of its last character unused; only the
    spelling with them zero is the token."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return alphabet.index(signature[-1]) % 4 == 0


def bearer_token(authorization: str | None) -> str | None:
    """The token in an ``Authorization: Bearer <token>`` header value, else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _claims(data: object) -> AppToken:
    try:
        ints = [data["iat"], data["exp"]]
        if not all(type(v) is int for v in ints):
            raise ValueError("times must be integers")
        if type(data.get("nod", False)) is not bool or type(data.get("ptn", False)) is not bool:
            raise ValueError("nod and ptn must be booleans")
        rec = data["rec"]
        name = data.get("nam")
        if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME_CHARS):
            raise ValueError("the user's name must be short text")
        return AppToken(org_id=to_18(data["org"], prefix="00D"),
                        user_id=to_18(data["usr"], prefix="005"),
                        record_id=to_18(rec, prefix="006") if rec is not None else None,
                        issued_at=data["iat"], expires_at=data["exp"], user_name=name,
                        opened_without_data=data.get("nod", False),
                        partner=data.get("ptn", False))
    except (ValueError, KeyError, TypeError, AttributeError, InvalidSalesforceId):
        # Correctly signed but unreadable: only a bug (or a leaked secret) gets here.
        raise MalformedAppToken("app token claims are unreadable") from None


def _same_id(value: str, prefix: str, claimed: str | None) -> bool:
    try:
        return to_18(value, prefix=prefix) == claimed
    except InvalidSalesforceId:
        return False


__all__ = [
    "AppToken", "AppTokenError", "AppTokenMismatch", "AppTokenSigner", "ExpiredAppToken",
    "MalformedAppToken", "TamperedAppToken", "bearer_token",
]
