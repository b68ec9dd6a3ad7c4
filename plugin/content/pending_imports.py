"""Uploaded import files waiting for an enablement lead to confirm the dry run.
Design: docs/design/content.md."""
from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.import_export import DEFAULT_MAX_BYTES, read_csv, read_json, run_import
from content_catalog.repository import UpsertResult
from content_catalog.tables.catalog_tables import StagedImportRow
from content_catalog.taxonomy import Taxonomy

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


@dataclass(frozen=True)
class AppliedImport:
    filename: str
    result: UpsertResult


READERS = {"csv": read_csv, "json": read_json}


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

    def apply(self, token: str, *, org_id: str, user_id: str, actor: str,
              taxonomy: Taxonomy) -> AppliedImport:
        """Import the upload and delete it, in one transaction: all of it and the upload gone,
        or nothing (:class:`UploadGone`, or ``ImportRejected`` when the taxonomy changed since the
        dry run). The row is locked first (PostgreSQL), so two confirmations import it once."""
        if not _TOKEN.match(token or ""):
            raise UploadGone(token)
        with self._sessions.begin() as session:
            row = session.scalars(select(StagedImportRow)
                                  .where(StagedImportRow.token_hash == _hash(token))
                                  .with_for_update()).one_or_none()
            if row is None or (row.org_id, row.user_id) != (org_id, user_id) \
                    or self._clock() - row.saved_at > self.ttl_seconds:
                raise UploadGone(token)
            rows = READERS[row.format](row.data, max_bytes=max(DEFAULT_MAX_BYTES, len(row.data)))
            result = run_import(session, org_id, rows, taxonomy, actor=actor)
            filename = row.filename
            session.delete(row)
        return AppliedImport(filename, result)

    def discard(self, token: str) -> None:
        if _TOKEN.match(token or ""):
            with self._sessions.begin() as session:
                session.execute(delete(StagedImportRow)
                                .where(StagedImportRow.token_hash == _hash(token)))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()
