"""Uploaded import files waiting for an enablement lead to confirm the dry run.

The workspace shows what an upload would change and imports only when asked again. Between the
two requests the file stays on the server, not in the page: a random token names it, it is bound
to the org and user that uploaded it, and it is deleted once imported, cancelled, or older than
the time limit. Confirming re-reads the very same bytes, so what is imported is what was planned.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

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


def default_directory() -> Path:
    """A folder of this process's user under the system's temporary folder."""
    return Path(tempfile.gettempdir()) / f"be-inspired-imports-{os.getuid()}"


class PendingImports:
    def __init__(
        self,
        directory: Path,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ):
        self.directory = directory
        self.ttl_seconds = ttl_seconds
        self._clock = clock

    def save(self, *, org_id: str, user_id: str, filename: str, fmt: str, data: bytes) -> str:
        """Keep ``data`` and return the token that names it; sweeps out expired uploads first."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._sweep()
        token = secrets.token_urlsafe(32)
        meta = {
            "org_id": org_id,
            "user_id": user_id,
            "filename": filename[:200],
            "format": fmt,
            "saved_at": self._clock(),
        }
        _write_private(self._path(token, "data"), data)
        _write_private(self._path(token, "json"), json.dumps(meta).encode("utf-8"))
        return token

    def load(self, token: str, *, org_id: str, user_id: str) -> PendingUpload:
        """The upload, if it exists, is fresh and belongs to this org and user; else
        :class:`UploadGone`: the same answer either way, so another org's token tells nothing."""
        if not _TOKEN.match(token or ""):
            raise UploadGone(token)
        try:
            meta = json.loads(self._path(token, "json").read_text(encoding="utf-8"))
            data = self._path(token, "data").read_bytes()
        except (OSError, ValueError):
            raise UploadGone(token) from None
        if (meta.get("org_id"), meta.get("user_id")) != (org_id, user_id) or self._expired(meta):
            raise UploadGone(token)
        return PendingUpload(token, org_id, user_id, meta["filename"], meta["format"], data)

    def discard(self, token: str) -> None:
        if _TOKEN.match(token or ""):
            for suffix in ("json", "data"):
                self._path(token, suffix).unlink(missing_ok=True)

    def _expired(self, meta: dict) -> bool:
        return self._clock() - float(meta.get("saved_at", 0)) > self.ttl_seconds

    def _sweep(self) -> None:
        for path in self.directory.glob("*.json"):
            try:
                meta = json.loads(path.read_text(encoding="utf-8"))
            except OSError:
                continue  # another worker swept it first
            except ValueError:
                meta = {}  # half-written or damaged: old enough to go
            if self._expired(meta):
                self.discard(path.stem)

    def _path(self, token: str, suffix: str) -> Path:
        return self.directory / f"{token}.{suffix}"


def _write_private(path: Path, data: bytes) -> None:
    """Readable by this user only, and complete before it appears under its name."""
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(partial, path)
