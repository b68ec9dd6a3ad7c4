"""The served OpenAPI document is the contract: schemathesis generates requests from it (seeded,
bounded) and sends them to the app as an admin's API token, and the panel's operations also as
the demo panel; no answer may be a 5xx, each must be documented (status, content type, body
schema), and every JSON body must be strict JSON."""
from __future__ import annotations

import json
from importlib.resources import files

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from plugin.access.api_tokens import ApiTokens
from plugin.access.role_mappings import Role
from plugin.app import create_app
from plugin.crm.demo_org import DEMO_ORG_ID, load_demo_catalog
from plugin.settings import Settings

#: Requests per operation and caller: enough to reach every documented refusal of each, few
#: enough that the whole run takes a few minutes on two shared cores.
EXAMPLES = 20


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The demo app on a database of its own (the run writes modules, tokens and mappings), and
    the Authorization header of an admin's API token."""
    path = tmp_path_factory.mktemp("contract") / "contract.sqlite3"
    app = create_app(Settings(demo_mode=True, database_url=f"sqlite:///{path}"))
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    issued = ApiTokens(svc.sessions).create(DEMO_ORG_ID, "contract", Role.ADMIN, created_by="test")
    yield app, {"Authorization": f"Bearer {issued.secret}"}
    svc.engine.dispose()


@pytest.fixture(scope="module")
def api_schema(served):
    """The document as the app serves it, not the file: what a client reads is the contract."""
    app, _ = served
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.yaml", app)


def operations() -> list[tuple[str, str, str]]:
    """(caller, METHOD, path): every documented operation as the admin's API token, and the
    panel's (those under the document's default security: app token or none) as the demo panel."""
    document = yaml.safe_load(files("plugin").joinpath("openapi.yaml").read_text(encoding="utf-8"))
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                found.append(("admin", method.upper(), path))
                if "security" not in operation:
                    found.append(("panel", method.upper(), path))
    return found


@schemathesis.check
def strict_json_body(ctx, response, case):
    """A JSON body that JSON.parse accepts: no NaN or Infinity."""
    if "json" in response.headers.get("content-type", [""])[0] and response.content:
        def refuse(name):
            raise AssertionError(f"{name} in the body of {case.method} {case.path}")
        json.loads(response.content, parse_constant=refuse)
    return None


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, strict_json_body]


@pytest.mark.parametrize(("caller", "method", "path"), operations(), ids=[" ".join(o) for o in operations()])
def test_every_operation_answers_as_documented(api_schema, served, caller, method, path):
    _, admin = served
    headers = admin if caller == "admin" else {}  # the demo panel: the demo org, no token
    operation = api_schema[path][method]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE))

    @given(cases)
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def answers_as_documented(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_as_documented()


def test_every_operation_that_reads_the_database_documents_503_with_retry_after():
    """While the database is unreachable every operation but the document itself answers 503
    with Retry-After (plugin/web/error_responses.py); the document says so."""
    document = yaml.safe_load(files("plugin").joinpath("openapi.yaml").read_text(encoding="utf-8"))
    unavailable = document["components"]["responses"]["ServiceUnavailable"]
    assert "Retry-After" in unavailable["headers"]
    undocumented = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items() if path != "/openapi.yaml"
        for method, operation in item.items() if method in {"get", "post", "put", "patch", "delete"}
        if operation["responses"].get("503") != {"$ref": "#/components/responses/ServiceUnavailable"}
    ]
    assert undocumented == []
