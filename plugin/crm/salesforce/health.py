"""Per-org state that outlives a request: circuit breaker, API usage, what admins should hear."""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Protocol

from plugin.crm.salesforce.breakers import BreakerStore, InProcessBreakers
from plugin.crm.salesforce.client import ApiUsage
from plugin.crm.salesforce.soql import OptionalPart
from plugin.telemetry import metrics

log = logging.getLogger(__name__)

#: Salesforce sends no Retry-After with REQUEST_LIMIT_EXCEEDED; 15 minutes is our guess.
DEFAULT_BREAKER_SECONDS = 15 * 60
#: How long a part of the query that failed stays left out before we try it again.
DEFAULT_DEGRADATION_SECONDS = 60 * 60
_EVENTS_KEPT = 50


@dataclass(frozen=True)
class OrgEvent:
    at: float
    kind: str  # "limit_exceeded", "degraded", "fields_missing", "unavailable", "auth_failed"
    message: str


@dataclass(frozen=True)
class OrgStatus:
    """What an admin page shows about one org's connection."""

    org_id: str
    api_usage: ApiUsage | None
    api_calls: int
    breaker_open_until: float | None
    degraded_parts: tuple[str, ...]
    recent_events: tuple[OrgEvent, ...]


class HealthListener(Protocol):
    """Told about what admins must learn even when they look later or from another process."""

    def on_event(self, org_id: str, event: OrgEvent) -> None: ...

    def on_usage(self, org_id: str, usage: ApiUsage, api_calls: int) -> None: ...


class OrgHealth:
    def __init__(self, org_id: str, *, clock: Callable[[], float] = time.time,
                 breaker_seconds: float = DEFAULT_BREAKER_SECONDS,
                 degradation_seconds: float = DEFAULT_DEGRADATION_SECONDS,
                 listener: HealthListener | None = None,
                 breakers: BreakerStore | None = None):
        self.org_id = org_id
        self._breakers = breakers if breakers is not None else InProcessBreakers(clock)
        self.listener = listener
        self.clock = clock
        self.breaker_seconds = breaker_seconds
        self.degradation_seconds = degradation_seconds
        self._lock = threading.Lock()
        self._degraded: dict[OptionalPart, tuple[str, float]] = {}
        self._events: deque[OrgEvent] = deque(maxlen=_EVENTS_KEPT)
        self._missing_noted: dict[tuple[str, ...], float] = {}
        self.api_usage: ApiUsage | None = None
        self.api_calls = 0

    # Circuit breaker -----------------------------------------------------------------------
    def breaker_open(self) -> bool:
        return self._breakers.open_until(self.org_id) is not None

    def open_breaker(self, reason: str) -> None:
        self._breakers.open(self.org_id, self.clock() + self.breaker_seconds)
        self.record("limit_exceeded", reason)

    # Degraded query ------------------------------------------------------------------------
    def degraded_parts(self) -> dict[OptionalPart, str]:
        """Parts to leave out of the query now, with the reason each was left out."""
        now = self.clock()
        with self._lock:
            self._degraded = {p: v for p, v in self._degraded.items() if v[1] > now}
            return {part: reason for part, (reason, _) in self._degraded.items()}

    def degrade(self, part: OptionalPart, reason: str, *, detail: str = "") -> None:
        """Leave ``part`` out for a while; ``reason`` is short (an error code), ``detail`` is
        Salesforce's message for the admin."""
        with self._lock:
            self._degraded[part] = (reason, self.clock() + self.degradation_seconds)
        self.record("degraded", f"{part.value} left out: {reason} {detail}".strip())

    def note_missing(self, fields: tuple[str, ...]) -> None:
        """Tell admins that the server answered without these selected fields (no error, the
        keys are simply absent: field-level security on some servers). Once per set of fields
        per degradation period, not on every view."""
        now = self.clock()
        with self._lock:
            if self._missing_noted.get(fields, 0.0) > now:
                return
            self._missing_noted[fields] = now + self.degradation_seconds
        self.record("fields_missing", "left out of Salesforce's answer (check the fields' "
                    f"visibility for the reading user): {', '.join(fields)}"[:1000])

    # Accounting ----------------------------------------------------------------------------
    def count_call(self, usage: ApiUsage | None) -> None:
        metrics.count_salesforce_call(self.org_id)
        with self._lock:
            self.api_calls += 1
            calls = self.api_calls
            if usage is not None:
                self.api_usage = usage
        if usage is not None and self.listener is not None:
            self._tell(self.listener.on_usage, usage, calls)

    def record(self, kind: str, message: str) -> None:
        event = OrgEvent(at=self.clock(), kind=kind, message=message)
        metrics.count_salesforce_error(self.org_id, kind)
        with self._lock:
            self._events.append(event)
        log.warning("Salesforce org %s: %s: %s", self.org_id, kind, message)
        if self.listener is not None:
            self._tell(self.listener.on_event, event)

    def _tell(self, method: Callable[..., None], *args: object) -> None:
        """Listeners report; they must never cost the rep a panel."""
        try:
            method(self.org_id, *args)
        except Exception:  # noqa: BLE001 - by design, see above
            log.exception("health listener failed for org %s", self.org_id)

    def status(self) -> OrgStatus:
        parts = self.degraded_parts()
        open_until = self._breakers.open_until(self.org_id)
        with self._lock:
            return OrgStatus(
                org_id=self.org_id,
                api_usage=self.api_usage,
                api_calls=self.api_calls,
                breaker_open_until=open_until,
                degraded_parts=tuple(sorted(f"{p.value}: {r}" for p, r in parts.items())),
                recent_events=tuple(self._events),
            )


__all__ = ["HealthListener", "OrgEvent", "OrgHealth", "OrgStatus"]
