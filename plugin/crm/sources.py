"""Where an opportunity's data comes from. The panel asks an :class:`OpportunitySource` and does
not know whether the answer came from the bundled demo org or a live Salesforce org."""
from __future__ import annotations

from typing import Protocol

from plugin.crm.records import OpportunityRecord


class OpportunityNotFound(LookupError):
    def __init__(self, opportunity_id: str):
        self.opportunity_id = opportunity_id
        super().__init__(f"no opportunity {opportunity_id}")


class SourceUnavailable(RuntimeError):
    """The CRM could not answer; ``notice`` is what the rep is told, ``stage`` what is still known."""

    def __init__(self, notice: str, *, stage: str | None = None):
        self.notice = notice
        self.stage = stage
        super().__init__(notice)


class OpportunitySource(Protocol):
    org_id: str

    def fetch(self, opportunity_id: str) -> OpportunityRecord:
        """The opportunity, or :class:`OpportunityNotFound` / :class:`SourceUnavailable`."""
        ...
