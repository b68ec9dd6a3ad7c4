"""An org's own stages in the workspace: a stage Acme's admin mapped ("Technical Win") is a value
Acme's leads can tag modules with (editor, modules API, import), filter by and find on the
coverage map; Globex, which has no such stage, is offered nothing of it and is refused it with
the field named, and nothing is written."""
from __future__ import annotations

import html
import io
import json
import re
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest

from content_catalog.repository import CatalogRepository, ModuleNotFound
from content_catalog.taxonomy import JourneyPhase
from plugin.orgs.connections import OrgConnections, SecretBox
from plugin.access.role_mappings import Role
from plugin.services import Services
from tests.api.editor_fixtures import module_payload
from tests.plugin.access.access_fixtures import OTHER_ORG, api_token, bearer, make_app, person, signed_in
from tests.plugin.crm.salesforce.sf_fakes import ORG_ID

ACME, GLOBEX = ORG_ID, OTHER_ORG
STAGE = "Technical Win"
MODULES = "/api/v1/modules"
#: A module tagged for the custom stage, as the editor's form posts it.
FORM = {
    "id": "poc-checklist", "title": "Proof-of-concept checklist", "summary": "", "body": "Steps",
    "link": "", "kind": "playbook", "audience": "internal", "author": "Ana", "review_by": "",
    "tag.journey_phase": "buying", "tag.deal_stage": STAGE,
}  # fmt: skip
HEADER = (
    "id,title,summary,body,link,kind,audience,author,status,review_by,tags.journey_phase,"
    "tags.buyer_role,tags.industry,tags.deal_stage,tags.challenge,tags.deal_size"
)
ROW = (
    "poc-checklist,Proof-of-concept checklist,,Steps,,playbook,internal,Ana,published,,buying,,,"
    f"{STAGE},,"
)


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path / "org-taxonomy.sqlite3")
    map_stage(app, ACME, STAGE, JourneyPhase.BUYING)
    yield app
    app.extensions["be_inspired"].engine.dispose()


def map_stage(app, org_id: str, stage: str, phase: JourneyPhase | None) -> None:
    """What the admin console's stage mapping saves."""
    svc = app.extensions["be_inspired"]
    store = OrgConnections(svc.sessions, SecretBox(svc.settings.encryption_key_list))
    org = store.get(org_id)
    store.save(replace(org, mapping=org.mapping.with_stage(stage, phase)))


@pytest.fixture
def acme(app):
    return signed_in(app, person(Role.ENABLEMENT, ACME))


@pytest.fixture
def globex(app):
    return signed_in(app, person(Role.ENABLEMENT, GLOBEX))


def stored(app, org_id: str, key: str = "poc-checklist"):
    with app.extensions["be_inspired"].sessions() as session:
        try:
            return CatalogRepository(session, org_id).get(key)
        except ModuleNotFound:
            return None


def keys(app, org_id: str) -> list[str]:
    with app.extensions["be_inspired"].sessions() as session:
        return [m.key for m in CatalogRepository(session, org_id).list()]


def page_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def stage_options(page: str, name: str) -> list[str]:
    """The values of the checkboxes or options called ``name`` on a page."""
    boxes = re.findall(rf'<input type="checkbox" name="{re.escape(name)}"[^>]*value="([^"]*)"',
                       page)
    select = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    options = re.findall(r'<option value="([^"]*)"', select.group(1)) if select else []
    return boxes + options


# -- the editor ------------------------------------------------------------------------------------
def test_the_editors_stage_picker_offers_the_orgs_own_stage_and_only_to_that_org(acme, globex):
    def stages(browser, url: str = "/workspace/modules/new") -> list[str]:
        return stage_options(page_of(browser.client.get(url)), "tag.deal_stage")

    assert STAGE in stages(acme) and STAGE in stages(acme, "/workspace/modules")
    assert "Prospecting" in stages(globex) and STAGE not in stages(globex)


def test_a_lead_creates_and_edits_a_module_tagged_with_the_orgs_own_stage(app, acme):
    created = acme.send("POST", "/workspace/modules", data=FORM)
    assert created.status_code == 302, page_of(created)
    assert stored(app, ACME).tag_values("deal_stage") == (STAGE,)

    form = page_of(acme.client.get("/workspace/modules/poc-checklist/edit"))
    assert re.search(rf'name="tag.deal_stage"[^>]*value="{STAGE}" checked', form)
    edited = acme.send("POST", "/workspace/modules/poc-checklist/edit",
                       data={**FORM, "title": "PoC checklist", "base_version": "1",
                             "tag.deal_stage": [STAGE.lower(), "Prospecting"]})
    assert edited.status_code == 302, page_of(edited)
    module = stored(app, ACME)
    assert module.title == "PoC checklist"
    assert module.tag_values("deal_stage") == (STAGE, "Prospecting")


def test_another_org_is_refused_the_stage_with_the_field_named_and_nothing_saved(app, globex):
    refused = globex.send("POST", "/workspace/modules", data=FORM)
    page = page_of(refused)
    assert refused.status_code == 400
    assert "is not an allowed value" in page and STAGE in page and "Allowed: Prospecting" in page
    assert keys(app, GLOBEX) == []


def test_a_stored_stage_the_org_unmapped_stays_checked_and_is_named_when_saved(app, acme):
    acme.send("POST", "/workspace/modules", data=FORM)
    map_stage(app, ACME, STAGE, None)

    form = page_of(acme.client.get("/workspace/modules/poc-checklist/edit"))
    assert re.search(rf'name="tag.deal_stage"[^>]*value="{STAGE}" checked', form)
    assert "not a value of this org: uncheck it to save" in form
    kept = acme.send("POST", "/workspace/modules/poc-checklist/edit",
                     data={**FORM, "title": "Renamed", "base_version": "1"})
    assert kept.status_code == 400 and "is not an allowed value" in page_of(kept)
    assert stored(app, ACME).title == "Proof-of-concept checklist"  # nothing half-saved
    unchecked = {**FORM, "title": "Renamed", "base_version": "1", "tag.deal_stage": []}
    saved = acme.send("POST", "/workspace/modules/poc-checklist/edit", data=unchecked)
    assert saved.status_code == 302
    assert stored(app, ACME).tag_values("deal_stage") == ()


# -- the modules API -------------------------------------------------------------------------------
def test_the_modules_api_accepts_the_orgs_own_stage_and_searches_by_it(app):
    headers = bearer(api_token(app, Role.ENABLEMENT, org_id=ACME))
    client = app.test_client()
    payload = module_payload("poc-checklist", tags={"deal_stage": [STAGE.upper()]})
    created = client.post(MODULES, json=payload, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["tags"]["deal_stage"] == [STAGE]  # the org's spelling

    changed = client.put(f"{MODULES}/poc-checklist", json={**payload, "title": "PoC"},
                         headers={**headers, "If-Match": created.headers["ETag"]})
    assert changed.status_code == 200 and changed.get_json()["tags"]["deal_stage"] == [STAGE]
    found = client.get(MODULES, query_string={"tag.deal_stage": STAGE}, headers=headers).get_json()
    assert [m["module_id"] for m in found["items"]] == ["poc-checklist"]


def test_the_modules_api_refuses_the_stage_to_another_org_naming_the_field(app):
    headers = bearer(api_token(app, Role.ENABLEMENT, org_id=GLOBEX))
    client = app.test_client()
    payload = module_payload("poc", tags={"deal_stage": [STAGE]})
    refused = client.post(MODULES, json=payload, headers=headers)
    assert refused.status_code == 400
    [error] = refused.get_json()["error"]["fields"]
    assert (error["field"], error["value"]) == ("tags.deal_stage", STAGE)
    assert "Prospecting" in error["allowed"] and STAGE not in error["allowed"]
    assert keys(app, GLOBEX) == []
    search = client.get(MODULES, query_string={"tag.deal_stage": STAGE}, headers=headers)
    assert search.status_code == 400
    assert search.get_json()["error"]["fields"][0]["field"] == "tag.deal_stage"


def test_the_taxonomy_endpoint_answers_the_callers_org_and_the_defaults_to_anyone_else(app):
    client = app.test_client()

    def stages(headers=None) -> list[str]:
        answer = client.get("/api/v1/taxonomy", headers=headers or {}).get_json()
        return [v["value"] for v in answer["dimensions"]["deal_stage"]["values"]]

    assert STAGE in stages(bearer(api_token(app, Role.REP, org_id=ACME)))
    assert STAGE not in stages(bearer(api_token(app, Role.REP, org_id=GLOBEX)))
    assert STAGE not in stages() and "Prospecting" in stages()


# -- import ----------------------------------------------------------------------------------------
def upload(browser, data: bytes):
    return browser.send("POST", "/workspace/import", content_type="multipart/form-data",
                        data={"file": (io.BytesIO(data), "modules.csv")})


def test_an_import_tags_modules_with_the_orgs_own_stage(app, acme):
    plan = upload(acme, f"{HEADER}\n{ROW}\n".encode())
    assert plan.status_code == 200, page_of(plan)
    token = re.search(r'action="/workspace/import/([A-Za-z0-9_-]+)"', page_of(plan))[1]
    confirmed = acme.send("POST", f"/workspace/import/{token}")
    assert confirmed.status_code == 303
    job_id = parse_qs(urlsplit(confirmed.headers["Location"]).query)["job"][0]
    assert app.extensions["be_inspired"].jobs.wait(job_id).state == "done"
    assert stored(app, ACME).tag_values("deal_stage") == (STAGE,)


def test_another_orgs_import_with_the_stage_names_the_row_and_imports_nothing(app, globex):
    refused = upload(globex, f"{HEADER}\n{ROW}\n".encode())
    page = re.sub(r"<[^>]+>", " ", page_of(refused))
    assert refused.status_code == 400
    assert "tags.deal_stage" in page and STAGE in page and "Nothing was imported" in page
    assert keys(app, GLOBEX) == []


# -- coverage --------------------------------------------------------------------------------------
def test_coverage_offers_the_orgs_stage_and_counts_modules_tagged_for_it(app, acme, globex):
    acme.send("POST", "/workspace/modules", data=FORM)
    acme.send("POST", "/workspace/modules/poc-checklist/status",
              data={"status": "published", "base_version": "1"})
    assert stored(app, ACME).status.value == "published"

    assert STAGE in stage_options(page_of(acme.client.get("/workspace/coverage")), "stage")
    assert STAGE not in stage_options(page_of(globex.client.get("/workspace/coverage")), "stage")
    page = acme.client.get("/workspace/coverage", query_string={"stage": STAGE.lower()})
    assert page.status_code == 200
    assert re.search(rf'<option value="{STAGE}" selected', page_of(page))

    answer = acme.client.get("/api/v1/coverage", query_string={"stage": STAGE}).get_json()
    assert answer["filter"]["stage"] == STAGE
    cells = [c for c in answer["cells"] if "poc-checklist" in c["module_ids"]]
    assert {c["phase"] for c in cells} == {"buying"} and not any(c["penalised"] for c in cells)
    other = acme.client.get("/api/v1/coverage", query_string={"stage": "Prospecting"}).get_json()
    # Another stage: still counted, ranked down.
    assert any("poc-checklist" in c["penalised"] for c in other["cells"])


def test_another_orgs_coverage_refuses_the_stage_naming_the_filter(globex):
    page = globex.client.get("/workspace/coverage", query_string={"stage": STAGE})
    assert page.status_code == 400 and STAGE in page_of(page)
    answer = globex.client.get("/api/v1/coverage", query_string={"stage": STAGE})
    assert answer.status_code == 400
    assert answer.get_json()["error"]["fields"][0]["field"] == "stage"


# -- cost ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url", ["/workspace/modules", "/workspace/modules/new", "/workspace/coverage"]
)
def test_a_page_looks_the_orgs_taxonomy_up_once(acme, monkeypatch, url):
    asked: list[str] = []
    original = Services.taxonomy_for
    def counted(self, org_id: str):
        asked.append(org_id)
        return original(self, org_id)

    monkeypatch.setattr(Services, "taxonomy_for", counted)
    assert acme.client.get(url).status_code == 200
    assert asked == [ACME]


def test_a_json_error_never_leaks_the_other_orgs_stage_list(app):
    """Globex's refusal lists Globex's values: Acme's own stage is not among them."""
    headers = bearer(api_token(app, Role.ENABLEMENT, org_id=GLOBEX))
    payload = module_payload("x", tags={"deal_stage": ["Nope"]})
    refused = app.test_client().post(MODULES, json=payload, headers=headers)
    assert STAGE not in json.dumps(refused.get_json())


# -- preview ---------------------------------------------------------------------------------------
def test_preview_offers_the_orgs_stage_and_places_a_context_in_it_by_its_phase(acme, globex):
    assert STAGE in stage_options(page_of(acme.client.get("/workspace/preview")), "stage")
    assert STAGE not in stage_options(page_of(globex.client.get("/workspace/preview")), "stage")
    query = {"source": "context", "preview": "1", "stage": STAGE}
    shown = acme.client.get("/workspace/preview", query_string=query)
    assert shown.status_code == 200 and "buying phase" in page_of(shown)
    refused = globex.client.get("/workspace/preview", query_string=query)
    assert refused.status_code == 400 and STAGE in page_of(refused)
