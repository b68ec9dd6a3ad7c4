"""Uploaded import files waiting for an enablement lead to confirm the dry run.
Design: docs/design/content.md."""
from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.tables.catalog_tables import StagedImportRow

DEFAULT_TTL_SECONDS = 30 * 60
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


class UploadGone(LookupError):
    """No such upload for this org and user: never made, already used, or expired."""


@dataclass(frozen=True)
class PendingUpload:
    token: str
    org_id: str
    user_id: str
    filename: str
    format: str  # "csv" | "json"
    data: bytes


class PendingImports:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ):
        self._sessions = sessions
        self.ttl_seconds = ttl_seconds
        self._clock = clock

    def save(self, *, org_id: str, user_id: str, filename: str, fmt: str, data: bytes) -> str:
        """Keep ``data`` and return the token that names it; sweeps out expired uploads first."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._sessions.begin() as session:
            session.execute(delete(StagedImportRow)
                            .where(StagedImportRow.saved_at < now - self.ttl_seconds))
            session.add(StagedImportRow(
                token_hash=_hash(token), org_id=org_id, user_id=user_id,
                filename=filename[:200], format=fmt, data=data, saved_at=now))
        return token

    def load(self, token: str, *, org_id: str, user_id: str) -> PendingUpload:
        """The upload, if it exists, is fresh and belongs to this org and user; else
        :class:`UploadGone`: the same answer either way, so another org's token tells nothing."""
        if not _TOKEN.match(token or ""):
            raise UploadGone(token)
        with self._sessions() as session:
            row = session.get(StagedImportRow, _hash(token))
        if row is None or (row.org_id, row.user_id) != (org_id, user_id) \
                or self._clock() - row.saved_at > self.ttl_seconds:
            raise UploadGone(token)
        return PendingUpload(token, org_id, user_id, row.filename, row.format, row.data)

    def discard(self, token: str) -> None:
        if _TOKEN.match(token or ""):
            with self._sessions.begin() as session:
                session.execute(delete(StagedImportRow)
                                .where(StagedImportRow.token_hash == _hash(token)))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()
