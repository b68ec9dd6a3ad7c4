"""What the connector does when one Salesforce call fails: retry, log in again, or open the breaker.

Shared by the panel's query and the deal-outcome sync; see docs/design/crm.md."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from plugin.crm.salesforce.client import SalesforceClient
from plugin.crm.salesforce.exceptions import (
    RequestLimitExceeded, SalesforceApiError, SalesforceUnreachable, SessionExpired,
)
from plugin.crm.salesforce.health import OrgHealth


@dataclass
class Attempts:
    """What one read has spent of its single retry and single new login."""

    retried: bool = False
    reauthenticated: bool = False


@dataclass
class CallPolicy:
    client: SalesforceClient
    health: OrgHealth
    sleep: Callable[[float], None]
    retry_backoff: float

    def call(
        self, request: Callable[[], dict[str, Any]], attempts: Attempts | None = None
    ) -> dict[str, Any]:
        """``request()``'s answer, under this policy (docs/design/crm.md)."""
        attempts = attempts if attempts is not None else Attempts()
        while True:
            try:
                return self._counted(request)
            except SalesforceUnreachable:
                if attempts.retried:
                    raise
                attempts.retried = True
                self.sleep(self.retry_backoff)
            except SessionExpired:
                if attempts.reauthenticated:
                    raise
                attempts.reauthenticated = True
                self.client.reauthenticate()
            except RequestLimitExceeded as exc:
                self.health.open_breaker(describe(exc))
                raise

    def _counted(self, request: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        before = self.client.api_calls
        try:
            return request()
        finally:
            if self.client.api_calls > before:
                self.health.count_call(self.client.api_usage)


def describe(exc: SalesforceApiError) -> str:
    """``"reason CODE"``, as admins read it in the org's events."""
    code = f" {exc.error_code}" if exc.error_code else ""
    return f"{exc.reason}{code}"
