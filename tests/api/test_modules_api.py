"""``/api/v1/modules`` and ``/api/v1/audit``: writing, reading, history, optimistic concurrency,
and who may do what (workspace session + CSRF; never the panel's token; never another org)."""
from __future__ import annotations

import pytest

from content_catalog.database import upgrade
from content_catalog.editing import ModuleEditor
from content_catalog.modules import LIMITS, parse_module
from plugin.app import create_app
from plugin.orgs.connections import ConfiguredOrg, OrgConnections, SecretBox
from plugin.crm.salesforce.config import OrgConnection
from plugin.settings import Settings
from tests.api.editor_fixtures import (  # noqa: F401  (fixtures)
    OTHER_ORG,
    Workspace,
    editor_app,
    editor_database,
    module_payload,
    workspace,
)
from tests.plugin.crm.salesforce.sf_fakes import CANVAS_SECRET, INSTANCE, ORG_ID, VIEWER_ID

MODULES = "/api/v1/modules"
PANEL_FIELDS = {"module_id", "title", "summary", "kind", "kind_label", "audience", "audience_label",
                "author", "link", "version", "body_html", "placeholders"}  # fmt: skip


def fields_of(response) -> dict[str, dict]:
    body = response.get_json()
    assert response.status_code == 400, body
    assert body["error"]["code"] == "invalid_input"
    return {f["field"]: f for f in body["error"]["fields"]}


# -- create and read -------------------------------------------------------------------------------
def test_created_module_answers_201_with_its_location_etag_and_version_one(workspace):
    response = workspace.post(MODULES, json=module_payload())

    assert response.status_code == 201
    assert response.headers["Location"].endswith("/api/v1/modules/audit-readiness")
    assert response.headers["ETag"] == '"1"'
    body = response.get_json()
    assert (body["module_id"], body["version"], body["status"]) == ("audit-readiness", 1, "draft")
    assert body["tags"]["industry"] == ["Healthcare"] and body["tags"]["buyer_role"] == []


def test_read_module_keeps_the_panels_fields_and_adds_the_editors(workspace):
    workspace.create(body="Hello {{account.name}}, see **this**.")

    response = workspace.get(f"{MODULES}/audit-readiness")

    assert response.status_code == 200 and response.headers["ETag"] == '"1"'
    body = response.get_json()
    assert PANEL_FIELDS | {"body", "tags", "status", "review_by", "updated_at"} <= set(body)
    assert body["body"] == "Hello {{account.name}}, see **this**."
    assert "<strong>this</strong>" in body["body_html"]
    assert body["placeholders"] == ["account.name"]
    assert (body["review_by"], body["kind_label"], body["audience_label"]) == ("2027-06-30", "Case study", "Client-facing")


def test_author_defaults_to_the_signed_in_user_who_is_credited(workspace):
    payload = module_payload()
    del payload["author"]
    assert workspace.post(MODULES, json=payload).get_json()["author"] == "Demo enablement lead"


def test_tag_values_are_stored_in_the_taxonomys_spelling(workspace):
    created = workspace.create(tags={"industry": ["healthcare"], "challenge": ["Risk & compliance"]})
    assert created["tags"]["industry"] == ["Healthcare"] and created["tags"]["challenge"] == ["risk_compliance"]


def test_an_id_already_taken_is_a_conflict(workspace):
    workspace.create()
    response = workspace.post(MODULES, json=module_payload(title="Another"))
    assert response.status_code == 409
    assert response.get_json()["error"]["reason"] == "module_exists"


# -- validation: every 400 names the field, and the allowed values where there is a list -----------
@pytest.mark.parametrize(
    ("overrides", "field", "allowed_contains"),
    [
        ({"title": None}, "title", None),
        ({"title": "   "}, "title", None),
        ({"title": "x" * (LIMITS["title"] + 1)}, "title", None),
        ({"summary": "x" * (LIMITS["summary"] + 1)}, "summary", None),
        ({"body": "x" * (LIMITS["body"] + 1)}, "body", None),
        ({"author": "x" * (LIMITS["author"] + 1)}, "author", None),
        ({"title": 42}, "title", None),
        ({"id": "Not An Id"}, "id", None),
        ({"id": None}, "id", None),
        ({"kind": None}, "kind", "case_study"),
        ({"kind": "poem"}, "kind", "battle_card"),
        ({"audience": "everyone"}, "audience", "internal"),
        ({"status": "archived"}, "status", "retired"),
        ({"link": "javascript:alert(1)"}, "link", "https"),
        ({"link": "ftp://example.com/file"}, "link", "mailto"),
        ({"review_by": "30/06/2027"}, "review_by", None),
        ({"review_by": "2027-02-30"}, "review_by", None),
        ({"tags": {"industry": ["Space Mining"]}}, "tags.industry", "Healthcare"),
        ({"tags": {"buyer_role": ["CFO"]}}, "tags.buyer_role", "Economic Buyer"),
        ({"tags": {"journey_phase": ["closing"]}}, "tags.journey_phase", "buying"),
        ({"tags": {"favourite_colour": ["blue"]}}, "tags", "industry"),
        ({"tags": ["industry", "Banking"]}, "tags", None),
        ({"colour": "blue"}, "colour", "title"),
    ],
    ids=lambda v: str(v)[:40] if not isinstance(v, dict) else "-".join(v),
)
def test_invalid_module_is_refused_naming_the_field_and_the_allowed_values(workspace, overrides, field, allowed_contains):
    response = workspace.post(MODULES, json=module_payload(**overrides))

    error = fields_of(response)[field]
    assert error["message"]
    if allowed_contains is not None:
        assert allowed_contains in error["allowed"]


def test_every_problem_is_listed_at_once(workspace):
    payload = module_payload(title="", kind="poem", link="javascript:x", tags={"industry": ["Mars"]}, extra=1)
    assert set(fields_of(workspace.post(MODULES, json=payload))) == {"title", "kind", "link", "tags.industry", "extra"}


@pytest.mark.parametrize("send", [{"data": "not json", "content_type": "text/plain"}, {"json": ["a list"]}, {"data": "{", "content_type": "application/json"}])
def test_a_body_that_is_not_a_json_object_is_refused(workspace, send):
    response = workspace.post(MODULES, **send)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_input"


# -- update with optimistic concurrency ------------------------------------------------------------
def test_update_with_if_match_saves_a_new_version_and_answers_its_etag(workspace):
    workspace.create()
    response = workspace.put(f"{MODULES}/audit-readiness", json=module_payload(title="Audit readiness in 60 days"), if_match=1)

    assert response.status_code == 200 and response.headers["ETag"] == '"2"'
    assert response.get_json()["version"] == 2
    assert workspace.get(f"{MODULES}/audit-readiness").get_json()["title"] == "Audit readiness in 60 days"


def test_a_weak_etag_is_accepted_in_if_match(workspace):
    workspace.create()
    response = workspace.put(f"{MODULES}/audit-readiness", json=module_payload(title="Weak"), if_match='W/"1"')
    assert response.status_code == 200


@pytest.mark.parametrize("if_match", [None, "*"])
def test_a_change_without_a_version_is_refused_with_428(workspace, if_match):
    workspace.create()
    url = f"{MODULES}/audit-readiness"
    for response in (
        workspace.put(url, json=module_payload(title="Blind"), if_match=if_match),
        workspace.post(f"{url}/status", json={"status": "published"}, if_match=if_match),
        workspace.post(f"{url}/versions/1/restore", if_match=if_match),
    ):
        assert response.status_code == 428, response.get_json()
        assert response.get_json()["error"]["code"] == "precondition_required"
    assert workspace.get(url).get_json()["version"] == 1


@pytest.mark.parametrize("if_match", ["1", '"one"', '"1", "2"', '"0"'])
def test_an_if_match_that_is_not_one_of_our_etags_is_a_400(workspace, if_match):
    workspace.create()
    response = workspace.put(f"{MODULES}/audit-readiness", json=module_payload(title="?"), if_match=if_match)
    assert "If-Match" in fields_of(response)


def test_a_stale_save_is_refused_with_409_and_the_module_as_it_now_is(workspace):
    workspace.create()
    url = f"{MODULES}/audit-readiness"
    assert workspace.put(url, json=module_payload(title="First writer"), if_match=1).status_code == 200

    response = workspace.put(url, json=module_payload(title="Second writer"), if_match=1)

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert (error["code"], error["reason"], error["current_version"]) == ("conflict", "stale_version", 2)
    assert error["current"]["title"] == "First writer" and error["current"]["version"] == 2
    retry = workspace.put(url, json=module_payload(title="Second writer"), if_match=error["current_version"])
    assert retry.status_code == 200 and retry.headers["ETag"] == '"3"'


def test_update_keeps_the_status_when_it_is_left_out(workspace):
    workspace.create(status="published")
    payload = module_payload(title="Still published")
    assert "status" not in payload
    assert workspace.put(f"{MODULES}/audit-readiness", json=payload, if_match=1).get_json()["status"] == "published"


def test_update_cannot_change_the_id(workspace):
    workspace.create()
    response = workspace.put(f"{MODULES}/audit-readiness", json=module_payload("renamed"), if_match=1)
    assert fields_of(response)["id"]["allowed"] == ["audit-readiness"]


def test_what_get_returned_can_be_sent_back_with_a_change(workspace):
    workspace.create()
    read = workspace.get(f"{MODULES}/audit-readiness")
    body = {**read.get_json(), "summary": "Shorter."}
    response = workspace.put(f"{MODULES}/audit-readiness", json=body, if_match=read.headers["ETag"])
    assert response.status_code == 200 and response.get_json()["summary"] == "Shorter."


def test_saving_identical_content_makes_no_new_version(workspace):
    workspace.create()
    response = workspace.put(f"{MODULES}/audit-readiness", json=module_payload(status="draft"), if_match=1)
    assert response.status_code == 200 and response.headers["ETag"] == '"1"'


def test_an_invalid_update_lists_its_field_errors(workspace):
    workspace.create()
    response = workspace.put(f"{MODULES}/audit-readiness", json=module_payload(audience="all"), if_match=1)
    assert fields_of(response)["audience"]["allowed"] == ["client_facing", "internal"]


# -- life cycle ------------------------------------------------------------------------------------
def test_draft_is_published_then_retired_then_restored(workspace):
    workspace.create()
    url = f"{MODULES}/audit-readiness/status"
    published = workspace.post(url, json={"status": "published"}, if_match=1)
    assert (published.status_code, published.headers["ETag"], published.get_json()["status"]) == (200, '"2"', "published")
    retired = workspace.post(url, json={"status": "retired"}, if_match=2)
    assert retired.get_json()["status"] == "retired"
    restored = workspace.post(url, json={"status": "published"}, if_match=3)
    assert restored.get_json()["status"] == "published" and restored.get_json()["version"] == 4


def test_a_status_change_on_a_stale_version_is_a_409(workspace):
    workspace.create()
    workspace.post(f"{MODULES}/audit-readiness/status", json={"status": "published"}, if_match=1)
    response = workspace.post(f"{MODULES}/audit-readiness/status", json={"status": "retired"}, if_match=1)
    assert response.status_code == 409 and response.get_json()["error"]["current"]["status"] == "published"


def test_moving_to_the_status_a_module_already_has_is_a_409_naming_the_allowed_moves(workspace):
    workspace.create()
    response = workspace.post(f"{MODULES}/audit-readiness/status", json={"status": "draft"}, if_match=1)
    error = response.get_json()["error"]
    assert (response.status_code, error["reason"]) == (409, "invalid_transition")
    assert sorted(error["allowed"]) == ["published", "retired"]


@pytest.mark.parametrize(("body", "field"), [({"status": "archived"}, "status"), ({}, "status"), ({"status": "draft", "why": "x"}, "why")])
def test_an_invalid_status_change_is_a_400_with_the_allowed_values(workspace, body, field):
    workspace.create()
    response = workspace.post(f"{MODULES}/audit-readiness/status", json=body, if_match=1)
    assert field in fields_of(response)
    if field == "status":
        assert fields_of(response)["status"]["allowed"] == ["draft", "published", "retired"]


# -- history, diff, restore ------------------------------------------------------------------------
def edited_three_times(workspace: Workspace) -> str:
    workspace.create(body="Line one\nLine two")
    url = f"{MODULES}/audit-readiness"
    workspace.put(url, json=module_payload(body="Line one\nLine 2", tags={"industry": ["Healthcare", "Insurance"]}), if_match=1)
    workspace.post(f"{url}/status", json={"status": "published"}, if_match=2)
    return url


def test_history_lists_every_version_newest_first_with_who_and_status(workspace):
    url = edited_three_times(workspace)
    versions = workspace.get(f"{url}/versions").get_json()["versions"]
    assert [(v["version"], v["status"], v["actor"]) for v in versions] == [
        (3, "published", "Demo enablement lead"), (2, "draft", "Demo enablement lead"), (1, "draft", "Demo enablement lead"),
    ]  # fmt: skip
    one = workspace.get(f"{url}/versions/1").get_json()
    assert one["module"]["body"] == "Line one\nLine two" and "<p>Line one" in one["body_html"]


def test_diff_shows_changed_fields_with_unified_diff_lines(workspace):
    url = edited_three_times(workspace)
    body = workspace.get(f"{url}/diff?from=1&to=3").get_json()
    changes = {c["field"]: c for c in body["changes"]}
    assert (body["from"], body["to"], set(changes)) == (1, 3, {"body", "status", "tags"})
    assert "-Line two" in changes["body"]["diff"] and "+Line 2" in changes["body"]["diff"]
    assert (changes["status"]["before"], changes["status"]["after"], changes["status"]["diff"]) == ("draft", "published", [])
    assert "+industry: Healthcare, Insurance" in changes["tags"]["diff"]


def test_diff_defaults_to_the_latest_version_and_the_one_before(workspace):
    url = edited_three_times(workspace)
    body = workspace.get(f"{url}/diff").get_json()
    assert (body["from"], body["to"], [c["field"] for c in body["changes"]]) == (2, 3, ["status"])


@pytest.mark.parametrize(("query", "status"), [("?from=x", 400), ("?to=0", 400), ("?from=1&to=9", 404)])
def test_diff_of_versions_that_are_not_numbers_or_do_not_exist_is_refused(workspace, query, status):
    url = edited_three_times(workspace)
    assert workspace.get(f"{url}/diff{query}").status_code == status


def test_restoring_a_version_saves_its_content_as_a_new_version_keeping_the_status(workspace):
    url = edited_three_times(workspace)
    response = workspace.post(f"{url}/versions/1/restore", if_match=3)
    assert response.status_code == 200 and response.headers["ETag"] == '"4"'
    body = response.get_json()
    assert (body["body"], body["status"], body["tags"]["industry"]) == ("Line one\nLine two", "published", ["Healthcare"])
    audit = workspace.get("/api/v1/audit?module=audit-readiness&limit=1").get_json()["entries"]
    assert (audit[0]["action"], audit[0]["detail"]) == ("restored_version", "content of version 1")


def test_restoring_on_a_stale_version_or_a_missing_one_is_refused(workspace):
    url = edited_three_times(workspace)
    stale = workspace.post(f"{url}/versions/1/restore", if_match=2)
    assert stale.status_code == 409 and stale.get_json()["error"]["current_version"] == 3
    assert workspace.post(f"{url}/versions/9/restore", if_match=3).status_code == 404
    assert workspace.get(f"{url}/versions/9").status_code == 404


# -- preview ---------------------------------------------------------------------------------------
def test_preview_renders_sanitised_html_and_flags_unknown_placeholders(workspace):
    markdown = "# For {{account.name}}\n\n<script>alert(1)</script> [x](javascript:alert(1)) {{acount.name}} {{ 7*7 }}"
    body = workspace.post(f"{MODULES}/preview", json={"markdown": markdown}).get_json()
    assert "<h1>For {{account.name}}</h1>" in body["html"]
    assert "<script" not in body["html"] and "href" not in body["html"]  # shown as text, never run
    assert body["placeholders"] == ["account.name"]
    assert body["unknown_placeholders"] == ["acount.name"]


@pytest.mark.parametrize(("body", "field"), [({"markdown": 3}, "markdown"), ({}, "markdown"),
                                             ({"markdown": "x" * (LIMITS["body"] + 1)}, "markdown"), ({"markdown": "", "html": "x"}, "html")])  # fmt: skip
def test_preview_refuses_what_is_not_markdown_text(workspace, body, field):
    assert field in fields_of(workspace.post(f"{MODULES}/preview", json=body))


# -- search ----------------------------------------------------------------------------------------
@pytest.fixture
def catalog(workspace):
    workspace.create("hc-buying", title="Healthcare buying", status="published")
    workspace.create("bank-aware", title="Banking awareness", kind="value_message", body="Fraud and audit",
                     tags={"journey_phase": ["awareness"], "industry": ["Banking"]}, author="Sam Lee")
    workspace.create("generic", title="Generic refresher", kind="training_refresher", audience="internal", tags={}, review_by="2026-12-01")
    return workspace


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [m["module_id"] for m in response.get_json()["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["bank-aware", "generic", "hc-buying"]),
        ("?tag.industry=Healthcare", ["hc-buying"]),
        ("?tag.industry=healthcare&tag.industry=Banking", ["bank-aware", "hc-buying"]),
        ("?tag.industry=Healthcare&untagged=1", ["generic", "hc-buying"]),
        ("?tag.journey_phase=awareness", ["bank-aware"]),
        ("?status=published", ["hc-buying"]),
        ("?status=draft&kind=training_refresher", ["generic"]),
        ("?audience=internal", ["generic"]),
        ("?author=sam", ["bank-aware"]),
        ("?q=FRAUD", ["bank-aware"]),
        ("?q=fraud+audit", ["bank-aware"]),
        ("?review_before=2027-01-01", ["generic"]),
        ("?review_after=2027-01-01", ["bank-aware", "hc-buying"]),
        ("?sort=title&order=desc", ["hc-buying", "generic", "bank-aware"]),
        ("?sort=review_by", ["generic", "bank-aware", "hc-buying"]),
    ],
)
def test_search_filters_and_sorts_like_the_module_list(catalog, query, expected):
    assert ids(catalog.get(MODULES + query)) == expected


def test_search_pages_and_counts_the_total(catalog):
    body = catalog.get(f"{MODULES}?page_size=2&page=2").get_json()
    assert ([m["module_id"] for m in body["items"]], body["total"], body["pages"]) == (["hc-buying"], 3, 2)
    assert "body" not in body["items"][0]  # lists stay light; GET one module for its body


@pytest.mark.parametrize(
    ("query", "field", "allowed_contains"),
    [
        ("?tag.industry=Space+Mining", "tag.industry", "Healthcare"),
        ("?tag.colour=blue", "tag.colour", "tag.industry"),
        ("?status=archived", "status", "retired"),
        ("?kind=poem", "kind", "case_study"),
        ("?sort=score", "sort", "updated_at"),
        ("?order=up", "order", "desc"),
        ("?page=0", "page", None),
        ("?page_size=500", "page_size", None),
        ("?review_before=soon", "review_before", None),
        ("?review_after=2027-01-01&review_before=2026-01-01", "review_after", None),
        ("?colour=blue", "colour", "q"),
    ],
)
def test_invalid_search_parameters_are_refused_with_the_allowed_values(catalog, query, field, allowed_contains):
    error = fields_of(catalog.get(MODULES + query))[field]
    if allowed_contains:
        assert allowed_contains in error["allowed"]


# -- audit log -------------------------------------------------------------------------------------
def test_audit_log_says_who_did_what_to_which_module_newest_first(workspace):
    edited_three_times(workspace)
    workspace.create("second", title="Second")
    entries = workspace.get("/api/v1/audit").get_json()["entries"]
    assert [(e["module_id"], e["action"], e["version"]) for e in entries] == [
        ("second", "created", 1), ("audit-readiness", "published", 3),
        ("audit-readiness", "updated", 2), ("audit-readiness", "created", 1),
    ]  # fmt: skip
    assert {e["actor"] for e in entries} == {"Demo enablement lead"}
    assert entries[2]["detail"] == "changed body, tags"
    only = workspace.get("/api/v1/audit?module=second").get_json()["entries"]
    assert [e["module_id"] for e in only] == ["second"]


@pytest.mark.parametrize("limit", ["0", "501", "many"])
def test_audit_limit_must_be_a_sensible_number(workspace, limit):
    assert "limit" in fields_of(workspace.get(f"/api/v1/audit?limit={limit}"))


# -- CSRF: cookie-session writes need the page's token ---------------------------------------------
def test_writes_without_the_csrf_token_are_refused(workspace):
    workspace.create()
    url = f"{MODULES}/audit-readiness"
    for response in (
        workspace.post(MODULES, json=module_payload("no-token"), csrf=False),
        workspace.put(url, json=module_payload(title="No token"), if_match=1, csrf=False),
        workspace.post(f"{url}/status", json={"status": "published"}, if_match=1, csrf=False),
        workspace.post(f"{url}/versions/1/restore", if_match=1, csrf=False),
        workspace.post(f"{MODULES}/preview", json={"markdown": "x"}, csrf=False),
        workspace.post(MODULES, json=module_payload("bad-token"), csrf=False, headers={"X-CSRFToken": "forged"}),
    ):
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"
    assert workspace.get(url).get_json()["version"] == 1
    assert workspace.get(f"{MODULES}/no-token").status_code == 404


# -- the panel's app token can read published modules and nothing else ----------------------------
APP_SECRET = "test-app-secret-of-at-least-32-characters"


@pytest.fixture
def canvas_client(tmp_path):
    """A service outside demo mode with the Acme org configured (as the panel sees it inside
    Salesforce) and one draft and one published module; yields the client and a panel token."""
    settings = Settings(demo_mode=False, database_url=f"sqlite:///{tmp_path / 'canvas.sqlite3'}",
                        encryption_keys=SecretBox.new_key(), app_secret=APP_SECRET)
    app = create_app(settings)
    svc = app.extensions["be_inspired"]
    upgrade(svc.engine)
    OrgConnections(svc.sessions, SecretBox(settings.encryption_key_list)).save(
        ConfiguredOrg("Acme Corp", OrgConnection(org_id=ORG_ID, instance_url=INSTANCE, canvas_secret=CANVAS_SECRET))
    )
    with svc.sessions.begin() as session:
        editor = ModuleEditor(session, ORG_ID, "import")
        editor.create(parse_module(module_payload("published-one", status="published"), svc.taxonomy))
        editor.create(parse_module(module_payload("draft-one"), svc.taxonomy))
    yield app.test_client(), svc.app_tokens.issue(ORG_ID, VIEWER_ID, None)
    svc.engine.dispose()


def test_panel_token_reads_published_modules_only(canvas_client):
    client, token = canvas_client
    bearer = {"Authorization": f"Bearer {token}"}
    published = client.get(f"{MODULES}/published-one", headers=bearer)
    assert published.status_code == 200 and PANEL_FIELDS <= set(published.get_json())
    assert client.get(f"{MODULES}/draft-one", headers=bearer).status_code == 404


def test_panel_token_cannot_write_or_use_the_workspace_api(canvas_client):
    client, token = canvas_client
    bearer = {"Authorization": f"Bearer {token}", "If-Match": '"1"'}
    url = f"{MODULES}/published-one"
    for response in (
        client.post(MODULES, json=module_payload("sneaky"), headers=bearer),
        client.put(url, json=module_payload("published-one", title="Defaced"), headers=bearer),
        client.post(f"{url}/status", json={"status": "retired"}, headers=bearer),
        client.post(f"{url}/versions/1/restore", headers=bearer),
        client.post(f"{MODULES}/preview", json={"markdown": "x"}, headers=bearer),
        client.get(MODULES, headers=bearer),
        client.get(f"{url}/versions", headers=bearer),
        client.get(f"{url}/diff", headers=bearer),
        client.get("/api/v1/audit", headers=bearer),
    ):
        assert response.status_code == 403, response.get_json()
        assert response.get_json()["error"]["reason"] == "app_token_read_only"
    assert client.get(url, headers=bearer).get_json()["title"] == "Audit readiness in 90 days"


def test_without_a_workspace_session_the_workspace_api_is_closed(canvas_client):
    client, _ = canvas_client
    assert client.get(MODULES).status_code == 401
    assert client.get(f"{MODULES}/published-one").status_code == 401


def test_in_demo_mode_a_bearer_header_still_cannot_write(workspace):
    """Demo mode signs everyone in as the enablement lead, and CSRF checks skip Bearer requests:
    the token refusal is what stops a write here."""
    response = workspace.post(MODULES, json=module_payload(), csrf=False, headers={"Authorization": "Bearer anything"})
    assert response.status_code == 403
    assert workspace.get(f"{MODULES}/audit-readiness").status_code == 404


# -- another org's module is not found through any route -------------------------------------------
def test_another_orgs_module_is_not_found_through_any_route(workspace):
    url = f"{MODULES}/globex-only"
    for response in (
        workspace.get(url),
        workspace.put(url, json=module_payload("globex-only", title="Mine now"), if_match=1),
        workspace.post(f"{url}/status", json={"status": "retired"}, if_match=1),
        workspace.get(f"{url}/versions"),
        workspace.get(f"{url}/versions/1"),
        workspace.get(f"{url}/diff"),
        workspace.post(f"{url}/versions/1/restore", if_match=1),
    ):
        assert response.status_code == 404, response.get_json()
        assert response.get_json()["error"]["code"] == "not_found"
    assert ids(workspace.get(f"{MODULES}?q=globex")) == []
    assert workspace.get("/api/v1/audit?module=globex-only").get_json()["entries"] == []


def test_the_same_id_in_two_orgs_are_two_modules(workspace, editor_app):
    created = workspace.create("globex-only", title="Ours, same id")
    assert created["version"] == 1
    svc = editor_app.extensions["be_inspired"]
    with svc.sessions() as session:
        from content_catalog.repository import CatalogRepository

        assert CatalogRepository(session, OTHER_ORG).get("globex-only").title == "Globex's own module"
