"""Hostile input on every route that reads a body: deep nesting, lone surrogates, NaN and
Infinity, booleans for numbers; and requests made to amplify the error. Each gets a specific, short
400 in strict JSON and changes nothing."""
from __future__ import annotations

import json

import pytest

from plugin.crm.demo_org import DemoOrg

from tests.api.admin_fixtures import (  # noqa: F401  (fixtures)
    ACME,
    acme_org,
    admin_app,
    admin_of,
    console,
    sign_in,
    store,
)
from tests.api.editor_fixtures import (  # noqa: F401  (fixtures)
    editor_app,
    editor_database,
    module_payload,
    workspace,
)

OPPORTUNITY = DemoOrg().opportunities()[0].opportunity_id
DEEP = "[" * 1000 + "]" * 1000
DEEPER_THAN_ALLOWED = '{"title": ' + "[" * 33 + '"x"' + "]" * 33 + "}"  # 34 levels
LONE_SURROGATE_TITLE = '{"title": "lone \\ud800 surrogate"}'

#: (method, url, a body that would otherwise be accepted or refused on its merits)
DEMO_ROUTES = [
    ("POST", "/api/v1/recommendations"),
    ("POST", "/api/v1/modules"),
    ("PUT", "/api/v1/modules/existing"),
    ("POST", "/api/v1/modules/existing/status"),
    ("POST", "/api/v1/modules/preview"),
    ("POST", f"/api/v1/modules/existing/personalised.docx?opportunity={OPPORTUNITY}"),
    ("POST", f"/api/v1/modules/existing/personalised.pdf?opportunity={OPPORTUNITY}"),
    ("POST", f"/api/v1/modules/existing/personalised/preview?opportunity={OPPORTUNITY}"),
    ("POST", "/api/v1/tokens"),
    ("PUT", "/api/v1/role-mappings/user/0055e000001AbCdAAC"),
    ("POST", "/api/v1/events"),
]
ADMIN_ROUTES = [
    ("POST", "/api/v1/admin/orgs"),
    ("PATCH", f"/api/v1/admin/orgs/{ACME}"),
    ("PUT", f"/api/v1/admin/orgs/{ACME}/fields"),
    ("PUT", f"/api/v1/admin/orgs/{ACME}/stages"),
    ("PUT", f"/api/v1/admin/orgs/{ACME}/frame-ancestors"),
]


def strict_json(response) -> dict:
    """The body parsed as JSON.parse would: NaN and Infinity are not JSON."""
    def refuse(name):
        raise AssertionError(f"{name} in a response body: {response.get_data(as_text=True)[:300]}")
    return json.loads(response.get_data(as_text=True), parse_constant=refuse)


def refused(response, *words: str) -> dict:
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    error = strict_json(response)["error"]
    for word in words:
        assert word in error["message"], error
    return error


@pytest.fixture
def admin_workspace(workspace):
    """The demo's admin (who may also write modules and issue tokens), with one module."""
    workspace.create("existing", status="published")
    page = workspace.get("/demo/identity").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert workspace.client.post("/demo/identity", data={"role": "admin", "csrf_token": csrf}).status_code == 303
    return workspace


@pytest.fixture
def acme(console, store):
    store.save(acme_org())
    return console


def send(client, method, url, text, headers=None):
    headers = {"Content-Type": "application/json", "If-Match": '"1"', **(headers or {})}
    return client.write(method, url, data=text, headers=headers)


@pytest.mark.parametrize(("method", "url"), DEMO_ROUTES)
def test_deeply_nested_json_is_refused_as_such(admin_workspace, method, url):
    refused(send(admin_workspace, method, url, DEEP), "nested more than 32 levels")
    refused(send(admin_workspace, method, url, DEEPER_THAN_ALLOWED), "nested more than 32 levels")


@pytest.mark.parametrize(("method", "url"), DEMO_ROUTES)
def test_a_lone_surrogate_is_refused_naming_the_field(admin_workspace, method, url):
    error = refused(send(admin_workspace, method, url, LONE_SURROGATE_TITLE), "title", "lone surrogate")
    assert error["fields"] == [{"field": "title", "message": "contains a lone surrogate (\\ud800), which is not Unicode text"}]


def test_a_lone_surrogate_deep_inside_or_in_a_key_is_named_by_its_path(admin_workspace):
    in_a_tag = json.dumps(module_payload("x", tags={"industry": ["ok", "bad \ud800"]}))
    error = refused(send(admin_workspace, "POST", "/api/v1/modules", in_a_tag))
    assert error["fields"][0]["field"] == "tags.industry[1]"
    in_a_key = '{"\\udfff": 1}'
    error = refused(send(admin_workspace, "POST", "/api/v1/modules", in_a_key), "key")
    assert error["fields"][0]["field"] == "\\udfff"
    assert admin_workspace.get("/api/v1/modules/x").status_code == 404  # nothing was saved


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_refused_as_such_and_the_error_is_strict_json(admin_workspace, constant):
    response = send(admin_workspace, "POST", "/api/v1/recommendations", f'{{"amount": {constant}}}')
    error = refused(response)
    assert "greater than or equal" not in error["message"]
    assert ("not a JSON number" in error["message"]) or ("too large to hold" in error["message"])


def test_a_boolean_is_not_an_amount(admin_workspace):
    error = refused(send(admin_workspace, "POST", "/api/v1/recommendations", '{"amount": true}'))
    assert [f["field"] for f in error["fields"]] == ["amount"]
    assert send(admin_workspace, "POST", "/api/v1/recommendations", '{"amount": 12000}').status_code == 200
    assert send(admin_workspace, "POST", "/api/v1/recommendations", '{"amount": 12000.5}').status_code == 200


@pytest.mark.parametrize(("method", "url"), ADMIN_ROUTES)
def test_admin_routes_refuse_deep_nesting_and_lone_surrogates(acme, method, url):
    for text, words in ((DEEP, ("nested",)), ('{"name": "\\ud800"}', ("name", "lone surrogate"))):
        response = acme.send(method, url, data=text, headers={"Content-Type": "application/json"})
        refused(response, *words)
    assert acme.get(f"/api/v1/admin/orgs/{ACME}").get_json()["name"] == "Acme Corp"


def test_responses_never_hold_nan(admin_app):
    """The JSON provider refuses to write what JSON.parse cannot read."""
    with admin_app.app_context(), pytest.raises(ValueError):
        admin_app.json.dumps({"value": float("nan")})


def test_an_error_lists_at_most_twenty_problems_and_says_how_many_more(admin_workspace):
    query = "&".join(f"kind=bad{i}" for i in range(20_000))  # 229 KB of invalid values
    response = admin_workspace.get(f"/api/v1/modules?{query}")
    error = refused(response, "and 19980 more")
    assert len(error["fields"]) == 20 and error["more_fields"] == 19_980
    assert len(response.get_data()) < 20_000


def test_a_form_field_cannot_carry_a_lone_surrogate(admin_workspace):
    """A form is bytes: a surrogate's UTF-8 form (ED A0 80) is not UTF-8, so werkzeug keeps it
    percent-escaped, and nothing unencodable reaches the catalog or the database."""
    fields = {"id": "form-made", "title": "lone %ED%A0%80 surrogate", "summary": "s", "body": "b",
              "kind": "case_study", "audience": "client_facing", "author": "a", "status": "draft",
              "csrf_token": admin_workspace.token}
    body = "&".join(f"{name}={value}" for name, value in fields.items())
    response = admin_workspace.client.post("/workspace/modules", data=body,
                                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    saved = admin_workspace.get("/api/v1/modules/form-made")
    assert strict_json(saved)["title"] == "lone %ED%A0%80 surrogate"
