"""Opportunity contexts already fetched, so opening the same record again costs no API call."""
from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Protocol

import redis

from plugin.telemetry import metrics

log = logging.getLogger(__name__)

DEFAULT_TTL = 300.0
DEFAULT_STALE_TTL = 24 * 3600.0
_FORMAT = 1


@dataclass(frozen=True)
class CacheKey:
    """Ids are validated Salesforce Ids (alphanumeric), so they are safe inside a key.

    ``viewer`` is set for Canvas sessions: each user's field-level access may differ, so one
    user's copy is never served to another.
    """

    org_id: str
    opportunity_id: str
    viewer: str | None = None

    def __str__(self) -> str:
        base = f"{self.org_id}:{self.opportunity_id}"
        return f"{base}:{self.viewer}" if self.viewer else base


@dataclass(frozen=True)
class CachedContext:
    record: dict[str, Any]
    degradations: tuple[str, ...]
    fetched_at: float
    stale: bool


class ContextCache(Protocol):
    def get(self, key: CacheKey) -> CachedContext | None:
        """The entry, fresh or stale, or None."""
        ...

    def put(self, key: CacheKey, record: dict[str, Any],
            degradations: tuple[str, ...] = ()) -> None:
        ...

    def delete(self, key: CacheKey) -> None:
        ...

    def reachable(self) -> bool:
        """False while a shared store is down: a miss then says nothing about the session."""
        ...


def _dump(record: dict[str, Any], degradations: tuple[str, ...], fetched_at: float) -> str:
    return json.dumps({"v": _FORMAT, "fetched_at": fetched_at, "record": record,
                       "degradations": list(degradations)}, separators=(",", ":"))


def _counted(entry: CachedContext | None) -> CachedContext | None:
    metrics.count_cache_lookup("miss" if entry is None else "stale" if entry.stale else "hit")
    return entry


def _load(text: str | bytes, now: float, ttl: float) -> CachedContext | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("v") != _FORMAT:
        return None
    record, degradations = data.get("record"), data.get("degradations")
    fetched_at = data.get("fetched_at")
    if not isinstance(record, dict) or not isinstance(degradations, list) \
            or not all(isinstance(d, str) for d in degradations) \
            or not isinstance(fetched_at, (int, float)) or not math.isfinite(fetched_at):
        return None
    return CachedContext(record=record, degradations=tuple(degradations),
                         fetched_at=float(fetched_at), stale=now - fetched_at >= ttl)


class InProcessContextCache:
    """A bounded, thread-safe dictionary; least recently used entries go first."""

    def __init__(self, *, ttl: float = DEFAULT_TTL, stale_ttl: float = DEFAULT_STALE_TTL,
                 max_entries: int = 10_000, clock: Callable[[], float] = time.time):
        self.ttl, self.stale_ttl, self.max_entries, self.clock = ttl, stale_ttl, max_entries, clock
        self._entries: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> CachedContext | None:
        now = self.clock()
        with self._lock:
            text = self._entries.get(str(key))
            if text is None:
                return _counted(None)
            entry = _load(text, now, self.ttl)
            if entry is None or now - entry.fetched_at >= self.ttl + self.stale_ttl:
                del self._entries[str(key)]
                return _counted(None)
            self._entries.move_to_end(str(key))
            return _counted(entry)

    def put(self, key: CacheKey, record: dict[str, Any],
            degradations: tuple[str, ...] = ()) -> None:
        text = _dump(record, degradations, self.clock())
        with self._lock:
            self._entries[str(key)] = text
            self._entries.move_to_end(str(key))
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def delete(self, key: CacheKey) -> None:
        with self._lock:
            self._entries.pop(str(key), None)

    def reachable(self) -> bool:
        return True


class RedisContextCache:
    """Shared between worker processes; Redis expires an entry when its stale copy runs out.
    While Redis is unreachable, entries are kept in this process (``fallback``), so a panel's
    later calls served by the same process still find their context."""

    def __init__(self, client: redis.Redis, *, ttl: float = DEFAULT_TTL,
                 stale_ttl: float = DEFAULT_STALE_TTL, prefix: str = "beinspired:sf-context:",
                 clock: Callable[[], float] = time.time, fallback_entries: int = 1000):
        self.client, self.prefix, self.clock = client, prefix, clock
        self.ttl, self.stale_ttl = ttl, stale_ttl
        self.fallback = InProcessContextCache(ttl=ttl, stale_ttl=stale_ttl,
                                              max_entries=fallback_entries, clock=clock)
        self._reachable = True

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "RedisContextCache":
        # A slow Redis must not hold the panel up longer than Salesforce itself would.
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return cls(client, **kwargs)

    def _name(self, key: CacheKey) -> str:
        return f"{self.prefix}{key}"

    def get(self, key: CacheKey) -> CachedContext | None:
        try:
            text = self.client.get(self._name(key))
            self._reachable = True
        except redis.RedisError as exc:
            self._reachable = False
            log.warning("context cache unavailable, reading this process's copies: %s", exc)
            return self.fallback.get(key)
        if text is None:
            # Stored while Redis was down, perhaps: this process kept it.
            return self.fallback.get(key)
        return _counted(_load(text, self.clock(), self.ttl))

    def put(self, key: CacheKey, record: dict[str, Any],
            degradations: tuple[str, ...] = ()) -> None:
        text = _dump(record, degradations, self.clock())
        try:
            self.client.set(self._name(key), text, ex=max(1, math.ceil(self.ttl + self.stale_ttl)))
            self._reachable = True
        except redis.RedisError as exc:
            self._reachable = False
            log.warning("context cache unavailable, kept in this process: %s", exc)
            self.fallback.put(key, record, degradations)

    def delete(self, key: CacheKey) -> None:
        self.fallback.delete(key)
        try:
            self.client.delete(self._name(key))
        except redis.RedisError as exc:
            self._reachable = False
            log.warning("context cache unavailable, not deleted: %s", exc)

    def reachable(self) -> bool:
        return self._reachable


def context_cache(redis_url: str | None = None, **kwargs: Any) -> ContextCache:
    """Redis when a URL is configured (``Settings.redis_url``), else in-process."""
    if redis_url:
        return RedisContextCache.from_url(redis_url, **kwargs)
    return InProcessContextCache(**kwargs)


__all__ = [
    "CacheKey", "CachedContext", "ContextCache", "InProcessContextCache", "RedisContextCache",
    "context_cache",
]
