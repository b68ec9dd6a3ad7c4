"""Salesforce as an admin's connection test meets it, faked with ``responses``: the token endpoint
(client credentials), the Organization and OpportunityStage queries, the context query, and the
describe calls, each from the canned payloads in ``payloads/``.

``responses`` patches ``requests`` for the whole process, so the same fake also answers a server
thread (the browser tests).
"""
from __future__ import annotations

import copy
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

from tests.plugin.crm.salesforce.sf_fakes import INSTANCE, LIMIT_INFO, TOKEN_URL, load_json

API = f"{INSTANCE}/services/data/v59.0"
QUERY = re.compile(re.escape(f"{API}/query/") + r"\?q=.*")
DESCRIBE = re.compile(re.escape(f"{API}/sobjects/") + r"(\w+)/describe")
DESCRIBES = {
    "Opportunity": "describe_opportunity.json",
    "Account": "describe_account.json",
    "OpportunityContactRole": "describe_opportunity_contact_role.json",
}
#: The org's integration user's consumer secret, as the admin types it into the console.
CONSUMER_SECRET = "cc-consumer-secret-3f9a1c2e7b"
CONSUMER_KEY = "3MVG9-acme-consumer-key"


def query_of(call) -> str:
    return parse_qs(urlsplit(call.request.url).query)["q"][0]


class FakeOrg:
    """What the fake Salesforce answers; change the attributes to change the org."""

    def __init__(self) -> None:
        self.opportunity: dict[str, Any] = load_json("opportunity_full.json")
        self.stages: dict[str, Any] = load_json("opportunity_stages.json")
        self.hidden_fields: set[tuple[str, str]] = set()
        self.login_refused = False

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.POST, TOKEN_URL, callback=self._token)
        mock.add_callback(responses.GET, QUERY, callback=self._query)
        mock.add_callback(responses.GET, DESCRIBE, callback=self._describe)

    def opportunity_in_stage(self, stage: str, **fields: Any) -> None:
        record = self.opportunity["records"][0]
        record["StageName"] = stage
        record.update(fields)

    def _token(self, request):
        if self.login_refused:
            return 400, {}, '{"error": "invalid_client", "error_description": "invalid client credentials"}'
        return 200, {}, _json(load_json("oauth_token.json"))

    def _query(self, request):
        soql = parse_qs(urlsplit(request.url).query)["q"][0]
        if soql.startswith("SELECT Name FROM Organization"):
            body = load_json("organization.json")
        elif "FROM OpportunityStage" in soql:
            body = self.stages
        else:
            body = copy.deepcopy(self.opportunity)
        return 200, dict(LIMIT_INFO), _json(body)

    def _describe(self, request):
        sobject = DESCRIBE.search(request.url).group(1)
        if sobject not in DESCRIBES:
            return 404, {}, '[{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]'
        body = load_json(DESCRIBES[sobject])
        body["fields"] = [f for f in body["fields"] if (sobject, f["name"]) not in self.hidden_fields]
        return 200, dict(LIMIT_INFO), _json(body)


def _json(body: Any) -> str:
    return json.dumps(body)
