"""Salesforce as the deal-outcome sync meets it, faked at HTTP with ``responses``: the token
endpoint (client credentials), and the query endpoint answering, call after call, what a test
queued: pages of Opportunity rows in Salesforce's query shape (``totalSize``, ``done``,
``records``, ``nextRecordsUrl``), error bodies (``[{"errorCode": ..., "message": ...}]``) or a
timeout. Plus the services of a deployment serving Acme on the test's database.

Imported by name (``from tests.plugin.learning.outcome_fakes import …``), like ``access_fixtures``.
"""
from __future__ import annotations

import json
import re
from collections import deque
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses
from sqlalchemy import Engine

from plugin.orgs.connections import ConfiguredOrg, SecretBox
from plugin.crm.salesforce.config import ClientCredentials, OrgConnection
from plugin.crm.salesforce.ids import to_18
from plugin.services import Services, build_services
from plugin.settings import Settings
from tests.plugin.crm.salesforce.sf_fakes import (
    INSTANCE, LIMIT_INFO, ORG_ID, TOKEN_URL, load_json,
)
from tests.plugin.crm.salesforce.sf_org_fakes import CONSUMER_KEY, CONSUMER_SECRET

API = f"{INSTANCE}/services/data/v59.0"
QUERY = re.compile(re.escape(f"{API}/query/") + r"\?q=.*")
LOCATOR = re.compile(re.escape(f"{API}/query/") + r"01g[A-Za-z0-9]+-[0-9]+$")
#: Salesforce's own timestamp format.
MODIFIED = "2026-11-20T10:15:00.000+0000"


def opportunity_id(n: int) -> str:
    return to_18(f"0065e00000Op{n:03d}")


def deal(n: int, *, closed: bool = True, won: bool = True, amount: Any = 125000.0,
         close_date: Any = "2026-10-30", stage: Any = None,
         modified: Any = MODIFIED, **raw: Any) -> dict[str, Any]:
    """One row of the sync's query answer; ``raw`` sets any field as sent (hostile values)."""
    record_id = opportunity_id(n)
    row = {
        "attributes": {"type": "Opportunity",
                       "url": f"/services/data/v59.0/sobjects/Opportunity/{record_id}"},
        "Id": record_id, "IsClosed": closed, "IsWon": won and closed, "Amount": amount,
        "CloseDate": close_date,
        "StageName": stage or ("Negotiation" if not closed
                               else "Closed Won" if won else "Closed Lost"),
        "LastModifiedDate": modified,
    }
    row.update(raw)
    return row


class FakeSalesforce:
    """Answers each query call with the next queued answer; once none is left, the last one
    again (a failure on every retry)."""

    def __init__(self, mock: responses.RequestsMock):
        self.calls: list[str] = []
        self.logins = 0
        self._answers: deque[Any] = deque()
        self._last: Any = None
        mock.add_callback(responses.POST, TOKEN_URL, callback=self._token)
        mock.add_callback(responses.GET, QUERY, callback=self._answer)
        mock.add_callback(responses.GET, LOCATOR, callback=self._answer)

    @property
    def soql(self) -> list[str]:
        return [parse_qs(urlsplit(url).query)["q"][0] for url in self.calls if "?q=" in url]

    def pages(self, rows: list[Any], per_page: int = 2000,
              only: int | None = None) -> "FakeSalesforce":
        """Queue ``rows`` as one query's answer, ``per_page`` rows a page; only the first
        ``only`` pages when given (queue what the next page's call meets after them)."""
        chunks = [rows[i:i + per_page] for i in range(0, len(rows), per_page)] or [[]]
        for index, chunk in enumerate(chunks[:only]):
            last = index == len(chunks) - 1
            body: dict[str, Any] = {"totalSize": len(rows), "done": last, "records": chunk}
            if not last:
                body["nextRecordsUrl"] = (f"/services/data/v59.0/query/01gD0000002HU6KIAW-"
                                          f"{(index + 1) * per_page}")
            self.answer(200, body)
        return self

    def answer(self, status: int, body: Any) -> "FakeSalesforce":
        self._answers.append((status, body))
        return self

    def error(self, status: int, payload: str) -> "FakeSalesforce":
        """An error body from the connector tests' canned payloads."""
        return self.answer(status, load_json(payload))

    def timeout(self) -> "FakeSalesforce":
        self._answers.append(requests.exceptions.ReadTimeout("read timed out"))
        return self

    def _token(self, request):
        self.logins += 1
        return 200, {}, json.dumps(load_json("oauth_token.json"))

    def _answer(self, request):
        self.calls.append(request.url)
        if self._answers:
            self._last = self._answers.popleft()
        elif self._last is None:
            raise AssertionError(f"unexpected Salesforce call {request.url}")
        answer = self._last
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return status, dict(LIMIT_INFO), json.dumps(body)


def acme_org() -> ConfiguredOrg:
    return ConfiguredOrg("Acme Corp", OrgConnection(
        ORG_ID, INSTANCE, ClientCredentials(CONSUMER_KEY, CONSUMER_SECRET)))


def services_on(engine: Engine, *orgs: ConfiguredOrg, demo_mode: bool = False) -> Services:
    """The services of a deployment on ``engine`` (either backend) serving ``orgs``."""
    key = SecretBox.new_key()
    services = build_services(Settings(database_url="sqlite://", encryption_keys=key,
                                       demo_mode=demo_mode), engine=engine)
    store = services.org_connections()
    for org in orgs:
        store.save(org)
    return services
