"""Server-side sessions of people signed in with Salesforce."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.tables.access_tables import UserSessionRow
from plugin.access.role_mappings import Role, User

#: How stale ``last_seen`` may get before a request writes it again.
TOUCH_EVERY = timedelta(seconds=60)
_MAX_TOKEN_CHARS = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def utc(moment: datetime) -> datetime:
    """SQLite hands timezone-aware columns back naive; they were stored as UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class SignedInSession:
    user: User
    created_at: datetime
    expires_at: datetime
    last_seen: datetime


class UserSessions:
    def __init__(self, sessions: sessionmaker[Session], *, max_seconds: int, idle_seconds: int,
                 clock: Callable[[], datetime] = _now):
        self._sessions = sessions
        self.max_age = timedelta(seconds=max_seconds)
        self.idle = timedelta(seconds=idle_seconds)
        self.clock = clock

    def start(self, user: User) -> str:
        """A new session for ``user``; returns the token for the cookie (shown nowhere else).

        Also drops sessions that have run out, so the table does not grow without bound."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self._sessions.begin() as session:
            self._purge(session, now)
            session.add(UserSessionRow(
                id=token_hash(token), org_id=user.org_id, user_id=user.user_id,
                name=user.name[:200],
                role=user.role.value, created_at=now, expires_at=now + self.max_age, last_seen=now,
            ))  # fmt: skip
        return token

    def find(self, token: str | None) -> SignedInSession | None:
        """The live session for ``token``, or None (unknown, ended, expired or idle too long)."""
        if not token or len(token) > _MAX_TOKEN_CHARS:
            return None
        now = self.clock()
        with self._sessions.begin() as session:
            row = session.get(UserSessionRow, token_hash(token))
            if row is None:
                return None
            if now >= utc(row.expires_at) or now - utc(row.last_seen) >= self.idle:
                session.delete(row)
                return None
            if now - utc(row.last_seen) >= TOUCH_EVERY:
                row.last_seen = now
            return SignedInSession(
                User(row.org_id, row.user_id, row.name, Role(row.role)),
                utc(row.created_at), utc(row.expires_at), utc(row.last_seen),
            )

    def end(self, token: str | None) -> bool:
        if not token or len(token) > _MAX_TOKEN_CHARS:
            return False
        with self._sessions.begin() as session:
            result = session.execute(
                delete(UserSessionRow).where(UserSessionRow.id == token_hash(token)))
        return result.rowcount > 0

    def end_all(self, org_id: str, user_id: str | None = None) -> int:
        """End every session of an org (or of one person in it), e.g. after a role change."""
        query = delete(UserSessionRow).where(UserSessionRow.org_id == org_id)
        if user_id is not None:
            query = query.where(UserSessionRow.user_id == user_id)
        with self._sessions.begin() as session:
            return session.execute(query).rowcount

    def _purge(self, session: Session, now: datetime) -> None:
        session.execute(delete(UserSessionRow).where(or_(
            UserSessionRow.expires_at <= now, UserSessionRow.last_seen <= now - self.idle,
        )))  # fmt: skip


__all__ = ["SignedInSession", "UserSessions", "token_hash"]
