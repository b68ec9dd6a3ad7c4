"""``/api/v1/modules/<id>/personalised…`` on the demo org: the JSON, the files, the refusals, and
hostile CRM values (markup, template syntax, very long text) that must come out as plain text."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from html.parser import HTMLParser

import pytest

from content_catalog.placeholders import MAX_VALUE_CHARS
from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import ModuleKind, ModuleStatus
from plugin.app import create_app
from plugin.crm.demo_org import DEMO_ORG_ID, DemoOrg, load_demo_catalog
from plugin.content.docx_export import DOCX_MIMETYPE
from plugin.crm.sources import SourceUnavailable
from plugin.crm.salesforce.opportunity_json import parse_opportunity
from plugin.settings import Settings
from plugin.web.api.personalise import download_name

TEMPLATE = "bct-healthcare-cfo-compliance-roi"
HOSTILE_ID = "006Dn0000H0stIL"
SAFE_FILENAME = re.compile(r'^attachment; filename="[a-z0-9-]+-personalised\.(md|docx|pdf)"$')
HOSTILE_ACCOUNT = (
    "<script>alert(1)</script> {{opportunity.amount}} {{ 7*7 }} {% for x in y %} **Acme** [x](javascript:alert(1))"
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    database = tmp_path_factory.mktemp("personalise") / "demo.sqlite3"
    app = create_app(Settings(demo_mode=True, database_url=f"sqlite:///{database}"), today=lambda: date(2026, 6, 15))
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    yield app
    svc.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def st_aldric():
    (record,) = [o for o in DemoOrg().opportunities() if o.name.startswith("St. Aldric")]
    return record


@pytest.fixture
def add_module(app, module_factory):
    def add(key: str, **fields):
        with app.extensions["be_inspired"].sessions.begin() as session:
            CatalogRepository(session, DEMO_ORG_ID).upsert_many([module_factory(key, **fields)])
    return add


@pytest.fixture
def hostile_opportunity(app, monkeypatch):
    """The demo org answering for one more record, whose fields an attacker chose."""
    record = parse_opportunity({
        "Id": HOSTILE_ID,
        "Name": "Deal\x00 <img src=x onerror=alert(1)>\n# Injected heading",
        "Amount": 1234.5,
        "CloseDate": "2027-01-05",
        "StageName": "{{rep.name}}",
        "Customer_Challenge__c": "x" * 100_000,
        "Account": {"Name": HOSTILE_ACCOUNT, "Industry": None},
        "OpportunityContactRoles": {"records": [
            {"Role": "- Economic Buyer", "IsPrimary": True, "Contact": {"Name": "Eve ⟦rep name⟧ `rm -rf`"}},
        ]},
    })  # fmt: skip
    demo_org = app.extensions["be_inspired"].demo_org
    fetch = demo_org.fetch
    monkeypatch.setattr(demo_org, "fetch", lambda oid: record if oid == HOSTILE_ID else fetch(oid))
    return record


def personalised(client, module_id=TEMPLATE, opportunity_id=None, suffix="", **kwargs):
    query = f"?opportunity={opportunity_id}" if opportunity_id else ""
    return client.get(f"/api/v1/modules/{module_id}/personalised{suffix}{query}", **kwargs)


def post_docx(client, opportunity_id, module_id=TEMPLATE, **send):
    return client.post(f"/api/v1/modules/{module_id}/personalised.docx?opportunity={opportunity_id}", **send)


def document_text(docx: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        assert archive.testzip() is None
        xml = archive.read("word/document.xml").decode("utf-8")
    return "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))


class Tags(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


# -- the JSON ------------------------------------------------------------------------------------
def test_template_is_personalised_with_the_opportunitys_data(client, st_aldric):
    response = personalised(client, opportunity_id=st_aldric.opportunity_id)
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["module_id", "title", "opportunity_id", "markdown", "html", "missing", "notice"]
    assert body["module_id"] == TEMPLATE and body["opportunity_id"] == st_aldric.opportunity_id
    markdown = body["markdown"]
    assert markdown.startswith("## Business case: St. Aldric Health Partners - Compliance Operations Platform\n")
    assert "**Prepared for:** Dana Whitfield, Economic Buyer, St. Aldric Health Partners" in markdown
    assert "**Investment under review:** $640,000, decision targeted for 18 Dec 2026" in markdown
    assert "main concern is **Risk & compliance**" in markdown
    assert "{{" not in markdown and "None" not in markdown
    assert "<strong>Prepared for:</strong> Dana Whitfield" in body["html"]
    assert body["notice"] is None


def test_the_reps_own_name_comes_from_who_is_signed_in(client, st_aldric):
    body = personalised(client, opportunity_id=st_aldric.opportunity_id).get_json()
    assert body["missing"] == []  # the demo's identity is the person signed in
    assert "**Prepared by:** Demo enablement lead, Northwind Cloud" in body["markdown"]


def test_a_record_with_little_data_gets_gaps_never_none(client, app, monkeypatch):
    bare = parse_opportunity({"Id": HOSTILE_ID, "Name": "Bare deal"})
    demo_org = app.extensions["be_inspired"].demo_org
    monkeypatch.setattr(demo_org, "fetch", lambda oid: bare)
    body = personalised(client, opportunity_id=HOSTILE_ID).get_json()
    assert body["missing"] == ["buyer.name", "buyer.role", "account.name", "opportunity.amount",
                               "opportunity.close_date", "challenge"]  # fmt: skip
    assert "**Prepared for:** ⟦buyer name⟧, ⟦buyer role⟧, ⟦account name⟧" in body["markdown"]
    assert "Business case: Bare deal" in body["markdown"]
    assert "None" not in body["markdown"] and "None" not in body["html"]


def test_when_salesforce_cannot_answer_every_value_is_a_gap_and_the_rep_is_told(client, app, st_aldric, monkeypatch):
    def unavailable(_oid):
        raise SourceUnavailable("Salesforce is not answering right now.")

    monkeypatch.setattr(app.extensions["be_inspired"].demo_org, "fetch", unavailable)
    body = personalised(client, opportunity_id=st_aldric.opportunity_id).get_json()
    assert body["notice"] == "Salesforce is not answering right now."
    assert "⟦account name⟧" in body["markdown"] and len(body["missing"]) == 7  # all but the rep's name


def test_responses_carrying_customer_data_are_not_stored(client, st_aldric):
    for suffix in ("", ".md", ".docx", ".pdf"):
        response = personalised(client, opportunity_id=st_aldric.opportunity_id, suffix=suffix)
        assert response.headers["Cache-Control"] == "no-store"


# -- hostile values ------------------------------------------------------------------------------
def test_hostile_values_are_shown_as_text_and_never_run_or_evaluated(client, hostile_opportunity):
    body = personalised(client, opportunity_id=HOSTILE_ID).get_json()
    html = body["html"]
    tags = Tags(html).tags
    assert {tag for tag, _ in tags} <= {"h2", "h3", "p", "br", "strong", "em", "ul", "li", "table", "thead", "tbody", "tr",
                                        "th", "td"}  # fmt: skip
    assert not [attrs for _, attrs in tags if attrs]  # no href, no onerror, nothing
    assert HOSTILE_ACCOUNT.replace("<", "&lt;").replace(">", "&gt;") in html
    assert "&lt;img src=x onerror=alert(1)&gt; # Injected heading" in html
    assert "$1,234.50" in html and "49" not in html
    assert "<h1>" not in html and "<h2>Injected" not in html


def test_template_syntax_in_a_value_is_not_filled_in_on_a_second_pass(client, hostile_opportunity):
    body = personalised(client, opportunity_id=HOSTILE_ID).get_json()
    assert "{{opportunity.amount}}" in body["markdown"]  # the account name, kept literally
    assert body["missing"] == []
    assert body["markdown"].count("Demo enablement lead") == 1  # the template's own {{rep.name}}
    assert "⟦" not in body["markdown"]
    # The contact's name tried to pass for a gap; its brackets became ordinary ones.
    assert "Eve \\[rep name\\] \\`rm -rf\\`" in body["markdown"]
    assert "<li>" not in body["html"].split("<h3>")[0]  # "- Economic Buyer" did not start a list


def test_very_long_values_are_capped(client, hostile_opportunity):
    body = personalised(client, opportunity_id=HOSTILE_ID).get_json()
    assert "x" * (MAX_VALUE_CHARS - 1) + "…" in body["markdown"]
    assert "x" * MAX_VALUE_CHARS not in body["markdown"]


def test_hostile_values_reach_the_word_document_as_text(client, hostile_opportunity):
    response = personalised(client, opportunity_id=HOSTILE_ID, suffix=".docx")
    assert response.status_code == 200
    text = document_text(response.data)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{opportunity.amount}} {{ 7*7 }}" in text
    assert "**Acme** [x](javascript:alert(1))" in text
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        relationships = archive.read("word/_rels/document.xml.rels").decode()
    assert "javascript" not in relationships


# -- the files -----------------------------------------------------------------------------------
def test_word_document_is_a_valid_docx_with_the_account_name(client, st_aldric):
    response = personalised(client, opportunity_id=st_aldric.opportunity_id, suffix=".docx")
    assert response.status_code == 200
    assert response.mimetype == DOCX_MIMETYPE
    assert response.headers["Content-Disposition"] == f'attachment; filename="{TEMPLATE}-personalised.docx"'
    text = document_text(response.data)
    assert "Business case: St. Aldric Health Partners - Compliance Operations Platform" in text
    assert "Prepared for: Dana Whitfield, Economic Buyer, St. Aldric Health Partners" in text
    assert "Staff hours spent preparing audit evidence" in text  # the table's cells
    assert "Prepared by: Demo enablement lead" in text and "**" not in text and "<" not in text


def test_markdown_file_is_the_personalised_text(client, st_aldric):
    json_body = personalised(client, opportunity_id=st_aldric.opportunity_id).get_json()
    response = personalised(client, opportunity_id=st_aldric.opportunity_id, suffix=".md")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert SAFE_FILENAME.match(response.headers["Content-Disposition"])
    assert response.get_data(as_text=True) == json_body["markdown"]


@pytest.mark.parametrize("key, name", [
    ("bct-healthcare-cfo-compliance-roi", "bct-healthcare-cfo-compliance-roi-personalised.docx"),
    ('../../etc/passwd"; x=', "etc-passwd-x-personalised.docx"),
    ("Ünïcode name", "n-code-name-personalised.docx"),
    ("", "module-personalised.docx"),
])  # fmt: skip
def test_download_names_are_plain_ascii_from_the_module_id(key, name):
    assert download_name(key, "docx") == name


def test_edited_text_becomes_a_word_document_as_it_is(client, st_aldric):
    """What the rep typed is converted, never personalised again."""
    edited = "## For {{account.name}}\n\nDear Dana,\n\n- point one\n- **bold** point\n\nSigned ⟦rep name⟧"
    response = post_docx(client, st_aldric.opportunity_id, json={"markdown": edited})
    assert response.status_code == 200, response.get_json()
    assert SAFE_FILENAME.match(response.headers["Content-Disposition"])
    text = document_text(response.data)
    assert text == "For {{account.name}}Dear Dana,point onebold pointSigned ⟦rep name⟧"


@pytest.mark.parametrize("send", [
    {"data": {"markdown": "# hi"}},  # a form, as a cross-site page could post
    {"data": '{"markdown": "# hi"}', "content_type": "text/plain"},
    {"json": {"markdown": 42}},
    {"json": ["# hi"]},
    {"json": {"markdown": "x" * 200_001}},
])  # fmt: skip
def test_edited_text_must_be_json_with_a_markdown_string(client, st_aldric, send):
    response = post_docx(client, st_aldric.opportunity_id, **send)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] in ("invalid_input",)


def test_an_edited_text_of_more_blocks_than_a_document_holds_is_refused_quickly(client, st_aldric):
    many = "\n\n".join(f"p{i}" for i in range(1_501))  # 10 KB: small, but 1,501 paragraphs
    response = post_docx(client, st_aldric.opportunity_id, json={"markdown": many})
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == (
        "The text has more than 1,500 paragraphs, headings, list items or table cells; "
        "shorten it to download it.")


# -- refusals ------------------------------------------------------------------------------------
def test_unknown_or_unpublished_modules_are_not_personalised(client, add_module, st_aldric):
    add_module("draft-template", body="For {{account.name}}", status=ModuleStatus.DRAFT)
    add_module("retired-template", body="For {{account.name}}", status=ModuleStatus.RETIRED)
    for module_id in ("no-such-module", "draft-template", "retired-template", "x" * 300):
        for suffix in ("", ".md", ".docx", ".pdf"):
            response = personalised(client, module_id, st_aldric.opportunity_id, suffix)
            assert response.status_code == 404, (module_id, suffix)
            assert response.get_json()["error"] == {
                "code": "not_found", "message": "This content module is not available."}
        posted = post_docx(client, st_aldric.opportunity_id, module_id, json={"markdown": "x"})
        assert posted.status_code == 404


@pytest.mark.parametrize("opportunity_id", ["006000000000000AAA", "not-an-id", "<script>"])
def test_unknown_opportunity_is_a_json_404(client, opportunity_id):
    response = personalised(client, opportunity_id=opportunity_id)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_the_opportunity_must_be_named(client):
    response = personalised(client)
    assert response.status_code == 400
    assert "opportunity" in response.get_json()["error"]["message"]


# -- what the panel is told ----------------------------------------------------------------------
def test_module_json_lists_the_supported_placeholders_its_body_uses(client, add_module):
    add_module("mixed-template", body="{{ account.name }} {{Account.Name}} {{ 7*7 }} {{account.name}} {{rep.name}}")
    assert client.get("/api/v1/modules/mixed-template").get_json()["placeholders"] == ["account.name", "rep.name"]
    add_module("plain-case-study", body="No placeholders here.", kind=ModuleKind.CASE_STUDY)
    assert client.get("/api/v1/modules/plain-case-study").get_json()["placeholders"] == []


def test_module_page_offers_personalising_only_for_templates(client, add_module, st_aldric):
    add_module("plain-case-study", body="No placeholders here.")
    page = f"/panel/{st_aldric.opportunity_id}/modules"
    template = client.get(f"{page}/{TEMPLATE}").get_data(as_text=True)
    assert f'data-module-id="{TEMPLATE}" data-opportunity-id="{st_aldric.opportunity_id}"' in template
    assert "data-personalise " in template
    assert "/static/personalise.js" in template
    assert "data-personalise" not in client.get(f"{page}/plain-case-study").get_data(as_text=True)


# -- the preview of the rep's edits, and PDF -----------------------------------------------------
def post_edited(client, opportunity_id, path, module_id=TEMPLATE, **send):
    return client.post(f"/api/v1/modules/{module_id}/personalised{path}?opportunity={opportunity_id}", **send)


def pdf_text(pdf: bytes) -> str:
    """The text a PDF draws, read with fpdf2's own parser-free layout: its content streams."""
    import zlib
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    text = []
    for stream in streams:
        try:
            content = zlib.decompress(stream).decode("latin-1")
        except zlib.error:
            continue
        text += [t.replace("\\(", "(").replace("\\)", ")") for t in re.findall(r"\((.*?)(?<!\\)\) ?Tj", content)]
    return "".join(text)


def test_preview_of_edited_text_is_sanitised_html_with_the_gaps_left(client, st_aldric):
    edited = "## For ⟦buyer name⟧\n\n<script>x</script> **Signed** ⟦rep name⟧ and ⟦buyer name⟧"
    response = post_edited(client, st_aldric.opportunity_id, "/preview", json={"markdown": edited})
    assert response.status_code == 200
    body = response.get_json()
    assert "<h2>For ⟦buyer name⟧</h2>" in body["html"] and "<strong>Signed</strong>" in body["html"]
    assert "<script>" not in body["html"]
    assert body["gaps"] == ["buyer name", "rep name"]
    filled = post_edited(client, st_aldric.opportunity_id, "/preview", json={"markdown": "All filled"})
    assert filled.get_json()["gaps"] == []


def test_pdf_of_the_personalised_template_and_of_edited_text(client, st_aldric):
    response = personalised(client, opportunity_id=st_aldric.opportunity_id, suffix=".pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{TEMPLATE}-personalised.pdf"'
    assert response.data.startswith(b"%PDF-")
    assert "Business case: St. Aldric Health Partners" in pdf_text(response.data)

    edited = "# For {{account.name}}\n\nSigned \u201cJordan\u201d \u2014 \u27e6rep name\u27e7 \u4e2d"
    response = post_edited(client, st_aldric.opportunity_id, ".pdf", json={"markdown": edited})
    assert response.status_code == 200, response.get_json()
    text = pdf_text(response.data)
    # As typed, never personalised again; spelled in the PDF fonts' Latin-1.
    assert "For {{account.name}}" in text and 'Signed "Jordan" - [rep name] ?' in text


@pytest.mark.parametrize("markdown, message", [
    ("x" * 120_001, "longer than 120,000 characters"),
    ("- a\n" * 1_600, "more than 1,500 paragraphs"),
])
def test_pdf_work_is_bounded(client, st_aldric, markdown, message):
    response = post_edited(client, st_aldric.opportunity_id, ".pdf", json={"markdown": markdown})
    assert response.status_code == 400 and message in response.get_json()["error"]["message"]
