"""The workspace's gap-finding pages at the HTTP level: coverage map, preview as a rep, import.

The browser tests (tests/web/test_workspace_gaps_in_browser.py) look at them; these pin the
behaviour: org scoping, CSRF on every POST, all-or-nothing imports, the same suggestions as the
rep's panel.
"""
from __future__ import annotations

import io
import re
from datetime import date
from html import unescape
from types import SimpleNamespace

import pytest

from content_catalog.import_export import export_modules
from content_catalog.repository import CatalogRepository, ensure_org
from content_catalog.taxonomy import ModuleStatus
from plugin.crm.demo_org import DEMO_ORG_ID
from plugin.web.identity import DEMO_USER_ID
from plugin.crm.salesforce.config import AuthMode
from plugin.web.workspace.import_page import pending

OTHER_ORG = "00D5e00000OTHERAAA"
HEADER = (
    "id,title,summary,body,link,kind,audience,author,status,review_by,tags.journey_phase,"
    "tags.buyer_role,tags.industry,tags.deal_stage,tags.challenge,tags.deal_size"
)


@pytest.fixture
def web(fresh_app):
    return fresh_app.test_client()


@pytest.fixture
def store(fresh_app, module_factory):
    svc = fresh_app.extensions["be_inspired"]

    def add(*modules, org_id: str = DEMO_ORG_ID):
        with svc.sessions.begin() as session:
            ensure_org(session, org_id, org_id)
            CatalogRepository(session, org_id).upsert_many(list(modules))

    return add


def catalog_keys(app, org_id: str = DEMO_ORG_ID) -> list[str]:
    svc = app.extensions["be_inspired"]
    with svc.sessions() as session:
        return [m.key for m in CatalogRepository(session, org_id).list()]


def csrf_token(client, path: str = "/workspace/import") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def text_of(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def csv_file(*rows: str) -> bytes:
    return ("\n".join((HEADER, *rows)) + "\n").encode("utf-8")


GOOD_ROW = (
    "roi-brief,ROI brief for CFOs,,Body,,value_message,client_facing,Ana,published,,"
    "buying,Economic Buyer,,,,"
)
BAD_ROW = (
    "bad-tags,Badly tagged,,Body,,case_study,client_facing,Ana,published,,buying,CFO,Aerospace,,,"
)


def upload(client, data: bytes, filename: str = "modules.csv", token: str | None = None):
    form = {"file": (io.BytesIO(data), filename)}
    if token is not False:
        form["csrf_token"] = token or csrf_token(client)
    return client.post("/workspace/import", data=form, content_type="multipart/form-data")


def plan_token(response) -> str:
    return re.search(
        r'action="/workspace/import/([A-Za-z0-9_-]+)"', response.get_data(as_text=True)
    )[1]


# -- navigation ---------------------------------------------------------------------------------
def test_the_workspace_navigation_offers_coverage_preview_and_import(web):
    html = web.get("/workspace/coverage").get_data(as_text=True)
    nav = re.findall(
        r'<a href="(/workspace/[^"]*)" class="slds-context-bar__label-action">'
        r'<span class="slds-truncate">([^<]+)<',
        html,
    )
    labels = [label for _, label in nav]
    assert labels[-3:] == ["Coverage", "Preview", "Import"]
    assert 'slds-is-active">\n          <a href="/workspace/coverage"' in html


# -- coverage -----------------------------------------------------------------------------------
def test_coverage_page_marks_empty_and_thin_cells_in_words_not_colour_alone(
    web, store, module_factory
):
    store(
        module_factory(
            "buying-economic", tags={"journey_phase": "buying", "buyer_role": "Economic Buyer"}
        )
    )
    html = web.get("/workspace/coverage").get_data(as_text=True)

    cell = re.search(
        r'<td class="bi-coverage__cell bi-coverage__cell_thin"[^>]*'
        r'data-phase="buying" data-role="Economic Buyer"[^>]*>(.*?)</td>',
        html,
        re.S,
    )
    assert cell and "Thin" in cell[1]
    empty = re.search(
        r'data-phase="awareness" data-role="Economic Buyer" data-level="empty" '
        r'data-count="0">(.*?)</td>',
        html,
        re.S,
    )
    assert empty and "Empty" in empty[1]
    assert 'data-testid="coverage-legend"' in html


def test_a_cells_new_module_link_pre_tags_the_cell_and_the_filters(web):
    html = unescape(
        web.get("/workspace/coverage?industry=Banking&stage=Prospecting").get_data(as_text=True)
    )
    cell = re.search(
        r'data-phase="awareness" data-role="Evaluator"'
        r'.*?href="([^"]+)" data-testid="new-module-for-cell"',
        html,
        re.S,
    )
    link = cell[1]
    assert link.startswith("/workspace/modules/new?")
    for param in (
        "tag.journey_phase=awareness",
        "tag.buyer_role=Evaluator",
        "tag.industry=Banking",
        "tag.deal_stage=Prospecting",
    ):
        assert param in link


def test_a_selected_cell_lists_its_modules_and_links_to_the_module_list(web, store, module_factory):
    store(
        module_factory(
            "exact",
            title="For economic buyers",
            tags={"journey_phase": "buying", "buyer_role": "Economic Buyer"},
        ),
        module_factory("generic", title="For anyone"),
    )
    response = web.get("/workspace/coverage?phase=buying&role=Economic+Buyer")
    detail = re.search(
        r'data-testid="cell-detail">(.*?)</article>', response.get_data(as_text=True), re.S
    )[1]
    assert "For economic buyers" in detail and "For anyone" in detail
    assert "any role" in detail and "tagged for this role" in detail
    listing = re.search(r'href="([^"]+)">Open in the module list', unescape(detail))[1]
    assert all(
        p in listing
        for p in (
            "tag.journey_phase=buying",
            "tag.buyer_role=Economic+Buyer",
            "untagged=1",
            "status=published",
        )
    )


def test_coverage_page_lists_overdue_and_never_suggested_modules_of_this_org_only(
    web, store, module_factory
):
    store(
        module_factory("overdue", title="Old pricing sheet", review_by=date(2026, 1, 1)),
        module_factory("fresh", title="Fresh story"),
    )
    store(
        module_factory("theirs", title="Another org's module", review_by=date(2020, 1, 1)),
        org_id=OTHER_ORG,
    )
    html = web.get("/workspace/coverage").get_data(as_text=True)

    overdue = re.search(r'data-testid="past-review">(.*?)</article>', html, re.S)[1]
    unseen = re.search(r'data-testid="never-suggested">(.*?)</article>', html, re.S)[1]
    assert "Old pricing sheet" in overdue and "326 days" in overdue
    assert "Fresh story" in unseen and "Old pricing sheet" not in unseen
    assert "Another org" not in html


def test_an_unknown_coverage_filter_is_a_400_page(web):
    response = web.get("/workspace/coverage?industry=Aerospace")
    assert response.status_code == 400
    assert "industry" in text_of(response)


# -- preview ------------------------------------------------------------------------------------
def panel_cards(html: str) -> list[str]:
    return re.findall(r'<li class="slds-item bi-suggestion" data-module-id="([^"]+)"', html)


def test_preview_of_a_demo_opportunity_shows_the_reps_panel_with_a_breakdown(
    demo_app, client, demo_opportunities
):
    opportunity = demo_opportunities[0].opportunity_id
    panel = client.get(f"/panel/{opportunity}").get_data(as_text=True)
    preview = client.get(f"/workspace/preview?source=demo&opportunity={opportunity}").get_data(
        as_text=True
    )

    assert panel_cards(preview) == panel_cards(panel)
    assert len(re.findall(r'data-testid="explained"', preview)) == len(panel_cards(panel))
    assert 'data-dimension="journey_phase" data-match="exact"' in preview
    assert "the full weight" in preview


def test_preview_is_not_counted_as_a_suggestion(demo_app, client, demo_opportunities):
    from content_catalog.suggestion_stats import SuggestionStats

    svc = demo_app.extensions["be_inspired"]
    svc.impressions.flush()  # panel views of earlier tests, still queued, are counted now
    with svc.sessions() as session:
        before = SuggestionStats(session, DEMO_ORG_ID).counts()
    client.get(f"/workspace/preview?source=demo&opportunity={demo_opportunities[3].opportunity_id}")
    svc.impressions.flush()
    with svc.sessions() as session:
        assert SuggestionStats(session, DEMO_ORG_ID).counts() == before


def test_preview_of_a_hand_entered_context_matches_the_api(client):
    shared = {
        "stage": "Proposal/Price Quote",
        "industry": "Healthcare",
        "challenge": "risk_compliance",
        "description": "Audit preparation costs are out of control",
    }
    form = {"primary_role": "Economic Buyer", "other_roles": "Evaluator", "amount": "185,000"}
    query = {"source": "context", "preview": "1", **shared, **form}
    preview = client.get("/workspace/preview", query_string=query).get_data(as_text=True)
    body = {**shared, "buyer_roles": ["Economic Buyer", "Evaluator"], "amount": 185000}
    api = client.post("/api/v1/recommendations", json=body).json

    assert panel_cards(preview) == [s["module_id"] for s in api["client_facing"] + api["internal"]]
    assert "Buying phase · Healthcare · Economic Buyer" in preview
    assert "Mid-size deal" in preview


@pytest.mark.parametrize(
    "query, field", [("industry=Aerospace", "industry"), ("amount=lots", "amount")]
)
def test_preview_refuses_values_the_pickers_do_not_offer(client, query, field):
    response = client.get(f"/workspace/preview?source=context&preview=1&{query}")
    assert response.status_code == 400
    errors = re.search(
        r'data-testid="preview-errors">(.*?)</div>\s*</div>', response.get_data(as_text=True), re.S
    )[1]
    assert f"<strong>{field}</strong>" in errors


def test_preview_without_a_salesforce_connection_explains_why(client):
    text = text_of(client.get("/workspace/preview?source=salesforce"))
    assert "no Salesforce connection" in text


def test_preview_of_an_unknown_demo_opportunity_says_so(client):
    response = client.get("/workspace/preview?source=demo&opportunity=006000000000000AAA")
    assert response.status_code == 400
    assert "is not an opportunity in this org" in text_of(response)


# -- import -------------------------------------------------------------------------------------
def test_import_upload_needs_a_csrf_token(fresh_app, web):
    response = upload(web, csv_file(GOOD_ROW), token=False)
    assert response.status_code == 400
    assert "out of date or was not sent from Be Inspired" in text_of(response)
    assert catalog_keys(fresh_app) == []


def test_import_confirm_and_cancel_need_a_csrf_token(fresh_app, web):
    token = plan_token(upload(web, csv_file(GOOD_ROW)))
    assert web.post(f"/workspace/import/{token}").status_code == 400
    assert web.post(f"/workspace/import/{token}/cancel").status_code == 400
    assert catalog_keys(fresh_app) == []


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row(fresh_app, web):
    response = upload(web, csv_file(GOOD_ROW, BAD_ROW))
    assert response.status_code == 400
    html = unescape(response.get_data(as_text=True))
    rows = re.findall(r'<tr data-row="(\d+)">(.*?)</tr>', html, re.S)
    assert {row for row, _ in rows} == {"2"}
    cells = [re.sub(r"<[^>]+>", " ", cells) for _, cells in rows]
    assert any(
        "3" in c and "tags.buyer_role" in c and "CFO" in c and "Economic Buyer" in c for c in cells
    )
    assert any("tags.industry" in c and "Aerospace" in c for c in cells)
    assert "Nothing was imported" in html
    assert catalog_keys(fresh_app) == []


def test_a_valid_file_shows_the_plan_and_imports_only_when_confirmed(
    fresh_app, web, store, module_factory
):
    tags = {"journey_phase": "buying", "buyer_role": "Economic Buyer"}
    store(
        module_factory(
            "roi-brief", title="Old title", kind="value_message", author="Ana", tags=tags
        )
    )
    new_row = "renewal-story,Renewal story,,Body,,case_study,client_facing,Ana,draft,,,,,,,"
    plan = upload(web, csv_file(GOOD_ROW, new_row))
    text = text_of(plan)
    assert plan.status_code == 200
    assert re.search(r"1\s+to create", text) and re.search(r"1\s+to update", text)
    assert "renewal-story" in text and "title" in text  # the changed field is named
    assert catalog_keys(fresh_app) == ["roi-brief"]

    token = plan_token(plan)
    confirmed = web.post(f"/workspace/import/{token}", data={"csrf_token": csrf_token(web)})
    assert confirmed.status_code == 303
    assert catalog_keys(fresh_app) == ["renewal-story", "roi-brief"]
    page = text_of(web.get(confirmed.headers["Location"]))
    assert "1 created, 1 updated, 0 unchanged" in page
    assert "2 modules" in page

    again = web.post(f"/workspace/import/{token}", data={"csrf_token": csrf_token(web)})
    assert "expired or was already imported" in text_of(web.get(again.headers["Location"]))


def test_a_cancelled_plan_cannot_be_imported(fresh_app, web):
    token = plan_token(upload(web, csv_file(GOOD_ROW)))
    web.post(f"/workspace/import/{token}/cancel", data={"csrf_token": csrf_token(web)})
    web.post(f"/workspace/import/{token}", data={"csrf_token": csrf_token(web)})
    assert catalog_keys(fresh_app) == []


def test_an_upload_of_another_org_cannot_be_confirmed(fresh_app, web, store):
    store(org_id=OTHER_ORG)
    with fresh_app.app_context():
        token = pending().save(
            org_id=OTHER_ORG,
            user_id=DEMO_USER_ID,
            filename="x.csv",
            fmt="csv",
            data=csv_file(GOOD_ROW),
        )
    response = web.post(f"/workspace/import/{token}", data={"csrf_token": csrf_token(web)})
    assert "expired or was already imported" in text_of(web.get(response.headers["Location"]))
    assert catalog_keys(fresh_app) == [] and catalog_keys(fresh_app, OTHER_ORG) == []


def test_a_json_file_is_read_as_json(fresh_app, web, module_factory):
    data = export_modules([module_factory("from-json", status=ModuleStatus.DRAFT)], "json")
    plan = upload(web, data, filename="catalog.json")
    assert plan.status_code == 200 and "from-json" in text_of(plan)


@pytest.mark.parametrize("data", [b'[{"title": "lone \\ud800 surrogate"}]', b"[" * 1000 + b"]" * 1000])
def test_a_json_file_that_is_not_strict_json_is_a_400_page_saying_why(fresh_app, web, data):
    response = upload(web, data, filename="catalog.json")
    assert response.status_code == 400
    assert "lone surrogate" in text_of(response) or "nested more than 32" in text_of(response)
    assert catalog_keys(fresh_app) == []


def test_an_unreadable_file_is_explained(web):
    response = upload(web, b"title;kind\nA;case_study\n", filename="semicolons.csv")
    assert response.status_code == 400
    assert "semicolons" in text_of(response) and "must use commas" in text_of(response)


def test_a_file_over_the_request_limit_is_refused(web):
    response = upload(web, b"x" * 70_000)
    assert response.status_code == 413


def test_export_downloads_the_orgs_catalog_in_the_import_format(
    fresh_app, web, store, module_factory
):
    store(module_factory("ours"))
    store(module_factory("theirs"), org_id=OTHER_ORG)
    csv = web.get("/workspace/import/export.csv")
    assert csv.headers["Content-Disposition"].startswith(
        'attachment; filename="be-inspired-catalog-'
    )
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset, not two
    body = csv.get_data(as_text=True)
    assert "ours" in body and "theirs" not in body
    assert web.get("/workspace/import/export.json").json[0]["id"] == "ours"
    assert web.get("/workspace/import/export.xml").status_code == 404


class FakeOrgs:
    """What ``services().orgs.current()`` answers for an org connected to Salesforce."""

    def __init__(self, auth_mode, source):
        self._org = SimpleNamespace(connection=SimpleNamespace(auth_mode=auth_mode))
        self.connector = SimpleNamespace(source=lambda org_id: source)

    def org(self, org_id):
        return self._org

    def taxonomy(self, org_id, base):  # the demo org, not connected here: the defaults
        return base

    def demo_connection(self):
        return None


def test_preview_reads_a_live_opportunity_when_the_org_has_an_integration_user(
    demo_app, client, demo_opportunities, monkeypatch
):
    svc = demo_app.extensions["be_inspired"]
    monkeypatch.setattr(svc.orgs, "current", lambda: FakeOrgs(AuthMode.JWT_BEARER, svc.demo_org))
    opportunity = demo_opportunities[0].opportunity_id
    form = client.get("/workspace/preview?source=salesforce").get_data(as_text=True)
    assert 'name="opportunity_id"' in form

    preview = client.get(f"/workspace/preview?source=salesforce&opportunity_id={opportunity[:15]}")
    panel = client.get(f"/panel/{opportunity}").get_data(as_text=True)
    assert panel_cards(preview.get_data(as_text=True)) == panel_cards(panel)

    bad = client.get("/workspace/preview?source=salesforce&opportunity_id=001000000000000")
    assert bad.status_code == 400 and "opportunity_id" in text_of(bad)


def test_preview_explains_that_a_canvas_org_cannot_be_read_from_the_workspace(
    demo_app, client, monkeypatch
):
    svc = demo_app.extensions["be_inspired"]
    monkeypatch.setattr(svc.orgs, "current", lambda: FakeOrgs(AuthMode.CANVAS, None))
    text = text_of(client.get("/workspace/preview?source=salesforce"))
    assert "each rep's own session" in text


def test_csv_export_of_a_value_csv_cannot_hold_explains_instead_of_failing(client, monkeypatch):
    from content_catalog.import_export import UnexportableValue

    def refuse(_modules, _fmt):
        raise UnexportableValue("module x: tag industry 'a|b' contains '|'")

    monkeypatch.setattr("plugin.web.workspace.import_page.export_modules", refuse)
    response = client.get("/workspace/import/export.csv")
    assert response.status_code == 303
    page = client.get(response.location).get_data(as_text=True)
    assert "Could not export as CSV" in page
    assert "tag industry" in page
