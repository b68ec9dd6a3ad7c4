"""Personalising a template in the panel, in a real browser: the demo's module page, and the
Canvas panel, whose downloads must go through its in-memory token and never through a URL.

What only a browser can check: the script builds the editor under the strict CSP, the gaps are
highlighted, the clipboard gets the edited text, and the downloads arrive as files.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Download, FrameLocator, Page, Request, expect

from tests.plugin.crm.salesforce.sf_fakes import load_json, sign_canvas
from tests.web.canvas_fixtures import canvas_host_page

pytestmark = pytest.mark.browser

TEMPLATES = "li.bi-suggestion[data-module-id^='bct-']"


def saved(download: Download, folder: Path) -> Path:
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def word_text(path: Path) -> str:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    return "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))


def open_first_template(panel: FrameLocator) -> str:
    card = panel.locator(TEMPLATES).first
    expect(card).to_be_visible()
    module_id = card.get_attribute("data-module-id")
    title = card.locator(".bi-suggestion__title a")
    expected_title = title.inner_text().strip()
    title.click()
    expect(panel.get_by_test_id("module-title")).to_have_text(expected_title)
    return module_id


def test_rep_personalises_a_business_case_edits_copies_and_downloads_it(
    open_tab, opportunity_named, screenshot, tmp_path
):
    opportunity = opportunity_named("St. Aldric Health Partners")
    tab = open_tab(1440, 900)
    page: Page = tab.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=tab.base_url)
    tab.open(f"/demo/{opportunity.opportunity_id}")
    panel = page.frame_locator("[data-testid=panel-frame]")
    module_id = open_first_template(panel)

    panel.get_by_test_id("personalise").click()

    text = panel.get_by_test_id("personalised-text")
    expect(text).to_have_value(re.compile(r"St\. Aldric Health Partners"))
    personalised = text.input_value()
    assert "$640,000" in personalised and "18 Dec 2026" in personalised and "Dana Whitfield" in personalised
    assert "{{" not in personalised and "None" not in personalised
    preview = panel.get_by_test_id("personalised-preview")
    expect(preview.locator("mark.bi-gap")).to_have_text(["⟦rep name⟧"])  # the one value Salesforce lacks
    expect(panel.get_by_test_id("personalise-missing")).to_contain_text("rep name")
    expect(panel.locator("#bi-template-body")).to_be_hidden()  # the raw template made way
    screenshot(page)

    edited = personalised.replace("⟦rep name⟧", "Jordan Rivera")
    text.fill(edited)
    panel.get_by_test_id("copy-personalised").click()
    expect(panel.get_by_test_id("personalise-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == edited

    with page.expect_download() as word:
        panel.get_by_test_id("download-docx").click()
    assert word.value.suggested_filename == f"{module_id}-personalised.docx"
    document = word_text(saved(word.value, tmp_path))
    assert "St. Aldric Health Partners" in document and "Prepared by: Jordan Rivera, Northwind Cloud" in document

    with page.expect_download() as markdown:
        panel.get_by_test_id("download-md").click()
    assert markdown.value.suggested_filename == f"{module_id}-personalised.md"
    assert saved(markdown.value, tmp_path).read_text(encoding="utf-8") == edited
    screenshot(page, suffix="-downloaded")
    assert tab.console_errors == []


def test_personalised_template_fits_the_narrowest_panel(open_tab, opportunity_named, screenshot):
    opportunity = opportunity_named("St. Aldric Health Partners")
    tab = open_tab(320, 800)
    page = tab.open(f"/panel/{opportunity.opportunity_id}")
    page.locator(TEMPLATES).first.locator(".bi-suggestion__title a").click()
    page.get_by_test_id("personalise").click()
    expect(page.get_by_test_id("personalised-text")).to_be_visible()

    width = page.evaluate("document.scrollingElement.clientWidth")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    for action in ("copy-personalised", "download-md", "download-docx"):
        box = page.get_by_test_id(action).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, action
    screenshot(page)
    assert tab.console_errors == []


def test_canvas_panel_personalises_and_downloads_with_its_token_never_in_a_url(
    chromium_profile, host_site, canvas_app, salesforce, screenshot, tmp_path
):
    app = canvas_app(extra_frame_ancestors=(host_site.origin,))
    page = chromium_profile().new_page()
    requests: list[Request] = []
    console_errors: list[str] = []
    page.on("request", lambda r: requests.append(r))
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    host_site.pages["/opportunity"] = canvas_host_page(app.url, sign_canvas(load_json("canvas_request.json")))
    page.goto(host_site.origin + "/opportunity")
    panel = page.frame_locator("[data-testid=canvas-frame]")
    module_id = open_first_template(panel)

    panel.get_by_test_id("personalise").click()
    expect(panel.get_by_test_id("personalised-text")).to_have_value(re.compile("Acme Corp"))
    with page.expect_download() as word:
        panel.get_by_test_id("download-docx").click()
    assert word.value.suggested_filename == f"{module_id}-personalised.docx"
    assert "Acme Corp" in word_text(saved(word.value, tmp_path))
    screenshot(page)

    calls = [r for r in requests if "/personalised" in r.url]
    assert [(r.method, r.url.split("/api/v1/")[1].split("?")[0]) for r in calls] == [
        ("GET", f"modules/{module_id}/personalised"),
        ("POST", f"modules/{module_id}/personalised.docx"),
    ]
    for call in calls:
        headers = call.all_headers()
        assert headers["authorization"].startswith("Bearer ") and "cookie" not in headers
        token = headers["authorization"].removeprefix("Bearer ")
        assert token not in call.url
    assert [e.status for e in app.requests_to(f"/api/v1/modules/{module_id}/personalised")] == [200, 200]
    assert console_errors == []
