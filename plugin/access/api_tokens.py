"""Personal API tokens: how automation (catalog imports, CI) calls the API without a browser."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.tables.access_tables import ApiTokenRow
from content_catalog.repository import ensure_org
from plugin.access.role_mappings import Role, User
from plugin.access.user_sessions import token_hash, utc

TOKEN_PREFIX = "bip_"
#: How much of the token lists show: "bip_" and 8 random characters (the other 35 stay secret).
VISIBLE_CHARS = len(TOKEN_PREFIX) + 8
_TOKEN = re.compile(r"^bip_[A-Za-z0-9_-]{43}$")
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")
#: How stale ``last_used_at`` may get before a request writes it again.
TOUCH_EVERY = timedelta(minutes=5)
#: The largest id the ``api_tokens`` key holds on every backend (PostgreSQL's integer).
MAX_TOKEN_ID = 2**31 - 1


def _now() -> datetime:
    return datetime.now(timezone.utc)


def looks_like_api_token(value: str | None) -> bool:
    """True for anything claiming to be one of ours (``bip_…``), valid or not."""
    return bool(value) and value.startswith(TOKEN_PREFIX)


class InvalidTokenRequest(ValueError):
    def __init__(self, field: str, reason: str):
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class ApiToken:
    id: int
    org_id: str
    name: str
    role: Role
    prefix: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None

    def active_at(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def as_user(self) -> User:
        """Who the token acts as: named after the token, so the audit log says which one."""
        name = f"API token {self.name} ({self.prefix}…)"
        return User(self.org_id, f"token:{self.id}", name, self.role)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str = field(repr=False)


class ApiTokens:
    def __init__(self, sessions: sessionmaker[Session], *, clock: Callable[[], datetime] = _now):
        self._sessions = sessions
        self.clock = clock

    def create(self, org_id: str, name: str, role: Role, created_by: str, *,
               expires_at: datetime | None = None) -> IssuedToken:
        name = name.strip() if isinstance(name, str) else ""
        if not _NAME.match(name):
            raise InvalidTokenRequest("name", "must be 1 to 100 characters, no control characters")
        now = self.clock()
        if expires_at is not None and utc(expires_at) <= now:
            raise InvalidTokenRequest("expires_at", "must be in the future")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._sessions.begin() as session:
            ensure_org(session, org_id, org_id)
            row = ApiTokenRow(
                org_id=org_id, name=name, role=Role(role).value, token_hash=token_hash(secret),
                prefix=secret[:VISIBLE_CHARS], created_at=now, created_by=created_by[:200],
                expires_at=utc(expires_at) if expires_at else None,
            )  # fmt: skip
            session.add(row)
            session.flush()
            return IssuedToken(_token(row), secret)

    def list(self, org_id: str) -> list[ApiToken]:
        with self._sessions() as session:
            rows = session.scalars(
                select(ApiTokenRow).where(ApiTokenRow.org_id == org_id).order_by(ApiTokenRow.pk))
            return [_token(row) for row in rows]

    def revoke(self, org_id: str, token_id: int) -> ApiToken | None:
        """Revokes one of the org's tokens (again is harmless); None when the org has no such
        token, which is also the answer for another org's token."""
        if not 0 < token_id <= MAX_TOKEN_ID:  # beyond any id the database can hold
            return None
        with self._sessions.begin() as session:
            row = session.get(ApiTokenRow, token_id)
            if row is None or row.org_id != org_id:
                return None
            if row.revoked_at is None:
                row.revoked_at = self.clock()
            session.flush()
            return _token(row)

    def authenticate(self, secret: str | None) -> ApiToken | None:
        """The active token with this secret, or None."""
        if not secret or not _TOKEN.match(secret):
            return None
        now = self.clock()
        with self._sessions.begin() as session:
            row = session.scalars(
                select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash(secret))).first()
            if row is None:
                return None
            token = _token(row)
            if not token.active_at(now):
                return None
            if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
                row.last_used_at = now
            return token


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.pk, org_id=row.org_id, name=row.name, role=Role(row.role), prefix=row.prefix,
        created_at=utc(row.created_at), created_by=row.created_by,
        last_used_at=utc(row.last_used_at) if row.last_used_at else None,
        revoked_at=utc(row.revoked_at) if row.revoked_at else None,
        expires_at=utc(row.expires_at) if row.expires_at else None,
    )  # fmt: skip


__all__ = [
    "ApiToken", "ApiTokens", "InvalidTokenRequest", "IssuedToken", "TOKEN_PREFIX",
    "looks_like_api_token",
]  # fmt: skip
