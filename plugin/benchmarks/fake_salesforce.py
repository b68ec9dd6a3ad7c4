"""Salesforce for the benchmarks, faked at the HTTP layer: its query endpoint answering after a
fixed delay with Salesforce-shaped records, and the Canvas signed requests its pages would POST.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
import threading
import time
from importlib.resources import files
from typing import Any, Sequence
from urllib.parse import parse_qs, urlsplit

from plugin.salesforce.ids import to_18

__all__ = ["INSTANCE", "FakeSalesforce", "salesforce_records", "signed_request"]

INSTANCE = "https://bench.my.salesforce.com"
VIEWER_ID = to_18("0055e00000BnCh1")
_RECORD_ID = re.compile(r"\bId\s*=\s*'([A-Za-z0-9]{15,18})'")


def salesforce_records(n: int) -> list[tuple[dict[str, Any], str]]:
    """``n`` query rows in Salesforce's shape, each with a fresh valid 18-character Id, paired
    with the demo opportunity it copies (the demo baseline opens that one)."""
    text = files("plugin.demo_org").joinpath("opportunities.json").read_text(encoding="utf-8")
    templates = json.loads(text)
    records = []
    for i in range(n):
        template = templates[i % len(templates)]
        record = copy.deepcopy(template)
        record["Id"] = to_18(f"0065e{i:010d}", prefix="006")
        record["attributes"]["url"] = f"/services/data/v59.0/sobjects/Opportunity/{record['Id']}"
        records.append((record, template["Id"]))
    return records


class FakeSalesforce:
    """The org's query endpoint: answers each SOQL query for a known record after ``delay_s``.

    ``responses`` patches ``requests`` for the whole process; nothing else passes through.
    """

    def __init__(self, records: Sequence[dict[str, Any]], delay_s: float):
        import responses  # a test dependency: imported only when the benchmark runs

        self._responses = responses
        self._records = {r["Id"]: r for r in records}
        self.delay_s = delay_s
        self.calls = 0
        self._lock = threading.Lock()
        self._mock = responses.RequestsMock(assert_all_requests_are_fired=False)

    def __enter__(self) -> "FakeSalesforce":
        self._mock.__enter__()
        query = re.compile(re.escape(INSTANCE) + r"/services/data/v[0-9.]+/query/?\?q=.*")
        self._mock.add_callback(self._responses.GET, query, callback=self._answer,
                                content_type="application/json")
        return self

    def __exit__(self, *exc: object) -> None:
        self._mock.__exit__(*exc)

    def _answer(self, request) -> tuple[int, dict[str, str], str]:
        with self._lock:
            self.calls += 1
        time.sleep(self.delay_s)
        soql = parse_qs(urlsplit(request.url).query).get("q", [""])[0]
        match = _RECORD_ID.search(soql)
        record = self._records.get(match.group(1)) if match else None
        rows = [record] if record else []
        body = {"totalSize": len(rows), "done": True, "records": rows}
        return 200, {"Sforce-Limit-Info": f"api-usage={self.calls}/15000"}, json.dumps(body)


def signed_request(org_id: str, record_id: str, canvas_secret: str) -> str:
    """A Canvas signed request as Salesforce makes one for ``record_id``'s page."""
    payload = {
        "algorithm": "HMACSHA256",
        "issuedAt": 1,
        "userId": VIEWER_ID,
        "client": {"instanceUrl": INSTANCE, "oauthToken": f"{org_id}!benchmark-viewer-token",
                   "targetOrigin": INSTANCE},
        "context": {
            "user": {"userId": VIEWER_ID, "userName": "rep@bench.example", "fullName": "Bench Rep"},
            "organization": {"organizationId": org_id},
            "environment": {"displayLocation": "PageLayout", "record": {"Id": record_id}},
        },
    }
    text = base64.b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")
    digest = hmac.new(canvas_secret.encode(), text.encode("ascii"), hashlib.sha256).digest()
    return f"{base64.b64encode(digest).decode('ascii')}.{text}"
