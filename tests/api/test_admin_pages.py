"""The admin console's pages: connect, edit (secrets kept), test, map fields and stages, frame
ancestors, remove; admins only, their own org only."""
from __future__ import annotations

import re

import pytest

from content_catalog.repository import CatalogRepository
from plugin.web.identity import Role
from tests.api.admin_fixtures import (  # noqa: F401  (fixtures)
    ACME,
    GLOBEX,
    acme_org,
    admin_app,
    admin_of,
    console,
    globex_org,
    salesforce,
    sign_in,
    store,
)
from tests.plugin.crm.salesforce.sf_fakes import CANVAS_SECRET, INSTANCE
from tests.plugin.crm.salesforce.sf_org_fakes import CONSUMER_KEY, CONSUMER_SECRET

PAGE = f"/admin/orgs/{ACME}"
FORM = {
    "org_id": ACME, "name": "Acme Corp", "auth_mode": "client_credentials", "instance_url": INSTANCE,
    "consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET, "canvas_secret": CANVAS_SECRET,
    "api_version": "59.0", "timeout": "3",
}  # fmt: skip


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def acme(console, store):
    store.save(acme_org())
    return console


def test_the_list_offers_to_connect_the_admins_org(console):
    page = text(console.get("/admin/orgs"))
    assert "Connect your org" in page and ACME in page
    form = text(console.get("/admin/orgs/new"))
    assert f'value="{ACME}"' in form and 'type="password"' in form


def test_connecting_through_the_form_shows_the_org_with_secrets_as_hints(console, store):
    created = console.form("/admin/orgs", FORM)
    assert created.status_code == 302 and created.headers["Location"].endswith(PAGE)
    page = text(console.get(PAGE))
    assert "Acme Corp" in page and f"set ••••{CONSUMER_SECRET[-4:]}" in page
    assert CONSUMER_SECRET not in page and CANVAS_SECRET not in page
    assert store.get(ACME).connection.credentials.consumer_secret == CONSUMER_SECRET


def test_a_bad_form_comes_back_with_its_errors_and_without_the_secrets(console, store):
    response = console.form("/admin/orgs", {**FORM, "instance_url": "http://acme.example", "timeout": "soon"})
    assert response.status_code == 400
    page = text(response)
    assert 'data-testid="form-errors"' in page and "My Domain URL" in page and "Timeout" in page
    assert CONSUMER_SECRET not in page and CANVAS_SECRET not in page
    assert store.get(ACME) is None


def test_the_edit_form_never_holds_a_secret_and_empty_secrets_are_kept(acme, store):
    form = text(acme.get(f"{PAGE}/edit"))
    assert CONSUMER_SECRET not in form and CANVAS_SECRET not in form
    assert "Leave empty to keep the stored value." in form
    saved = acme.form(f"{PAGE}/edit", {**FORM, "consumer_secret": "", "canvas_secret": "", "timeout": "7"})
    assert saved.status_code == 302
    org = store.get(ACME)
    assert org.connection.timeout == 7.0 and org.connection.credentials.consumer_secret == CONSUMER_SECRET
    assert org.connection.canvas_secret == CANVAS_SECRET


def test_testing_the_connection_shows_name_usage_and_missing_fields(acme, salesforce):
    acme.form(f"{PAGE}/fields", {"challenge_field": "Pain_Point__c", "industry_field": "", "extra_fields": "",
                                 "medium_from": "", "large_from": ""})
    page = text(acme.form(f"{PAGE}/test", {}))
    assert "Acme Corporation" in page and "18 of 15,000" in page
    assert re.search(r"<code>Opportunity\.Pain_Point__c</code>", page)


def test_a_canvas_only_org_explains_it_cannot_be_tested(console, store):
    store.save(acme_org(credentials=None))
    assert "Canvas-only" in text(console.form(f"{PAGE}/test", {}))


def test_the_field_mapping_page_saves_and_reports_bad_names(acme, store):
    saved = acme.form(f"{PAGE}/fields", {"challenge_field": "Customer_Challenge__c", "industry_field": "Account.Sector__c",
                                         "extra_fields": "Competitor__c\nAccount.Tier__c", "medium_from": "20,000",
                                         "large_from": "100000"})
    assert saved.status_code == 302
    org = store.get(ACME)
    assert org.connection.extra_fields == ("Competitor__c", "Account.Tier__c")
    assert org.mapping.deal_size_bands.medium_from == 20_000
    assert 'value="20000"' in text(acme.get(f"{PAGE}/fields"))
    refused = acme.form(f"{PAGE}/fields", {"challenge_field": "Pain Point", "industry_field": "", "extra_fields": "",
                                           "medium_from": "lots", "large_from": "5"})
    assert refused.status_code == 400 and "Pain Point" in text(refused)


def test_the_stage_page_highlights_unmapped_stages_and_saves_a_mapping(acme, salesforce, store):
    page = text(acme.get(f"{PAGE}/stages"))
    assert page.count("bi-stage_unmapped") == 2 and "2 stages map to no phase" in page
    form = {"stage": ["Prospecting", "Security_Review", "Pilot Running", "Custom Extra", ""],
            "phase": ["", "buying", "implementation_adoption", "awareness", ""]}
    assert acme.form(f"{PAGE}/stages", form).status_code == 302
    assert dict(store.get(ACME).mapping.stage_phases) == {
        "Security_Review": "buying", "Pilot Running": "implementation_adoption", "Custom Extra": "awareness"}
    assert "Every stage has a phase." in text(acme.get(f"{PAGE}/stages"))


def test_the_stage_page_shows_what_panels_assume_for_unmapped_stages_and_keeps_the_order(
    acme, salesforce, store, admin_app
):
    """The org's stage order (``SortOrder``) is kept when read, so its panels place an unmapped
    stage after the mapped one before it; the admin sees that assumption beside each."""
    page = text(acme.get(f"{PAGE}/stages"))
    assert page.count('data-testid="assumed-phase">panels assume Awareness meanwhile') == 2
    order = ("Prospecting", "Qualification", "Security_Review", "Pilot Running",
             "Proposal/Price Quote", "Closed Won", "Closed Lost")
    assert store.get(ACME).mapping.stage_order == order
    taxonomy = admin_app.extensions["be_inspired"].taxonomy_for(ACME)
    assert taxonomy.stage_order == order


def test_the_frame_ancestors_page_shows_the_derived_hosts_and_saves_extras(acme, store):
    page = text(acme.get(f"{PAGE}/frame-ancestors"))
    assert "https://acme.lightning.force.com" in page
    assert acme.form(f"{PAGE}/frame-ancestors", {"extra": "https://partner.example.com\n"}).status_code == 302
    assert store.get(ACME).extra_frame_ancestors == ("https://partner.example.com",)
    refused = acme.form(f"{PAGE}/frame-ancestors", {"extra": "ftp://x"})
    assert refused.status_code == 400 and "ftp://x" in text(refused)


def test_the_detail_page_lists_unknown_values(acme, admin_app):
    with admin_app.extensions["be_inspired"].sessions.begin() as session:
        CatalogRepository(session, ACME).record_unknown_values({"deal_stage": ("Legal Review",)})
    page = text(acme.get(PAGE))
    assert "Legal Review" in page and "1 unmapped stage(s) seen" in page


def test_removing_asks_first_then_removes(acme, store):
    assert "Remove the connection" in text(acme.get(f"{PAGE}/remove"))
    assert acme.form(f"{PAGE}/remove", {}).status_code == 302
    assert store.get(ACME) is None


def test_another_orgs_pages_are_not_found(acme, store):
    store.save(globex_org())
    for url in ("", "/edit", "/fields", "/stages", "/frame-ancestors", "/remove"):
        assert acme.get(f"/admin/orgs/{GLOBEX}{url}").status_code == 404, url
    assert acme.form(f"/admin/orgs/{GLOBEX}/remove", {}).status_code == 404
    assert store.get(GLOBEX) is not None


def test_forms_need_the_csrf_token(acme, store):
    assert acme.form(f"{PAGE}/remove", {}, csrf=False).status_code == 400
    assert store.get(ACME) is not None


@pytest.mark.parametrize("role", [Role.REP, Role.ENABLEMENT])
def test_only_admins_see_the_console(admin_app, sign_in, role):
    sign_in(admin_of(ACME, role))
    assert admin_app.test_client().get("/admin/orgs").status_code == 403
