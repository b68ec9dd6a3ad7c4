"""Where each org's API-limit circuit breaker is kept: in this process, or shared in Redis."""
from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any, Callable, Protocol

import redis

log = logging.getLogger(__name__)


class BreakerStore(Protocol):
    def open_until(self, org_id: str) -> float | None:
        """When the org's breaker closes again (epoch seconds), or None when it is closed."""
        ...

    def open(self, org_id: str, until: float) -> None:
        ...


class InProcessBreakers:
    def __init__(self, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def open_until(self, org_id: str) -> float | None:
        with self._lock:
            until = self._until.get(org_id)
            if until is not None and self._clock() >= until:
                del self._until[org_id]
                return None
            return until

    def open(self, org_id: str, until: float) -> None:
        with self._lock:
            self._until[org_id] = until


class RedisBreakers:
    """One key per open breaker, expiring when the breaker closes."""

    def __init__(self, client: redis.Redis, *, prefix: str = "beinspired:sf-breaker:",
                 clock: Callable[[], float] = time.time):
        self.client, self.prefix, self._clock = client, prefix, clock

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "RedisBreakers":
        return cls(redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5),
                   **kwargs)

    def open_until(self, org_id: str) -> float | None:
        try:
            value = self.client.get(self.prefix + org_id)
        except redis.RedisError as exc:
            log.warning("breaker store unavailable, taking org %s's breaker as closed: %s",
                        org_id, exc)
            return None
        try:
            until = float(value) if value is not None else None
        except ValueError:
            return None
        return until if until is not None and until > self._clock() else None

    def open(self, org_id: str, until: float) -> None:
        seconds = max(1, math.ceil(until - self._clock()))
        try:
            self.client.set(self.prefix + org_id, repr(until), ex=seconds)
        except redis.RedisError as exc:
            log.warning("breaker store unavailable, org %s's breaker not shared: %s", org_id, exc)


def breaker_store(redis_url: str | None = None) -> BreakerStore:
    """Redis when a URL is configured (``Settings.redis_url``), else this process."""
    return RedisBreakers.from_url(redis_url) if redis_url else InProcessBreakers()


__all__ = ["BreakerStore", "InProcessBreakers", "RedisBreakers", "breaker_store"]
