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
    # The rep's own name is the signed-in person's (the demo's identity): no gap is left.
    assert "**Prepared by:** Demo enablement lead, Northwind Cloud" in personalised
    preview = panel.get_by_test_id("personalised-preview")
    expect(preview.locator("mark.bi-gap")).to_have_count(0)
    expect(panel.get_by_test_id("personalise-missing")).to_be_hidden()
    expect(panel.locator("#bi-template-body")).to_be_hidden()  # the raw template made way
    screenshot(page)

    edited = personalised.replace("Demo enablement lead", "Jordan Rivera")
    text.fill(edited)
    expect(preview).to_contain_text("Prepared by: Jordan Rivera, Northwind Cloud")  # the edits
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

    with page.expect_download() as pdf:
        panel.get_by_test_id("download-pdf").click()
    assert pdf.value.suggested_filename == f"{module_id}-personalised.pdf"
    assert saved(pdf.value, tmp_path).read_bytes().startswith(b"%PDF-")
    expect(panel.get_by_test_id("personalise-status")).to_have_text("Downloaded as a PDF.")
    screenshot(page, suffix="-downloaded")
    assert tab.console_errors == []


def test_gap_notice_goes_and_the_preview_follows_as_the_rep_fills_the_gaps(
    open_tab, opportunity_named, screenshot
):
    opportunity = opportunity_named("Tidewater Shipping Co.")  # no primary contact, no challenge
    tab = open_tab(1440, 900)
    page = tab.open(f"/panel/{opportunity.opportunity_id}/modules/bct-healthcare-cfo-compliance-roi")
    page.get_by_test_id("personalise").click()
    text = page.get_by_test_id("personalised-text")
    expect(text).to_have_value(re.compile("Tidewater Shipping"))
    notice = page.get_by_test_id("personalise-missing")
    expect(notice).to_have_text(
        "Not in Salesforce for this opportunity: buyer name, buyer role, challenge. "
        "Fill in the highlighted gaps before you send it.")
    preview = page.get_by_test_id("personalised-preview")
    expect(preview.locator("mark.bi-gap")).to_have_count(3)

    text.fill(text.input_value().replace("⟦buyer name⟧", "Mara Quint").replace("⟦buyer role⟧", "CFO"))
    expect(notice).to_have_text(
        "Not in Salesforce for this opportunity: challenge. Fill in the highlighted gaps before you send it.")
    expect(preview).to_contain_text("Prepared for: Mara Quint, CFO, Tidewater Shipping Co.")
    text.fill(text.input_value().replace("⟦challenge⟧", "port congestion"))
    expect(notice).to_be_hidden()
    expect(preview.locator("mark.bi-gap")).to_have_count(0)
    expect(preview).to_contain_text("main concern is port congestion")
    expect(page.get_by_test_id("preview-stale")).to_be_hidden()
    screenshot(page)
    assert tab.console_errors == []


def test_personalised_template_fits_the_narrowest_panel(open_tab, opportunity_named, screenshot):
    opportunity = opportunity_named("St. Aldric Health Partners")
    tab = open_tab(320, 800)
    page = tab.open(f"/panel/{opportunity.opportunity_id}")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=tab.base_url)
    page.locator(TEMPLATES).first.locator(".bi-suggestion__title a").click()
    page.get_by_test_id("personalise").click()
    expect(page.get_by_test_id("personalised-text")).to_be_visible()

    width = page.evaluate("document.scrollingElement.clientWidth")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    for action in ("copy-personalised", "download-md", "download-docx", "download-pdf"):
        box = page.get_by_test_id(action).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, action
    screenshot(page)

    # Halfway down the long text, the actions are still in sight, and "Copied" appears right
    # under the button that was clicked, not below the preview.
    page.get_by_test_id("personalised-preview").scroll_into_view_if_needed()
    copy = page.get_by_test_id("copy-personalised")
    copy.click()
    status = page.get_by_test_id("personalise-status")
    expect(status).to_have_text("Copied to the clipboard.")
    copy_box, status_box = copy.bounding_box(), status.bounding_box()
    assert page.evaluate("window.scrollY") > 300  # the rep had scrolled
    assert 0 <= status_box["y"] and status_box["y"] + status_box["height"] <= 800
    assert 0 <= status_box["y"] - (copy_box["y"] + copy_box["height"]) < 80
    screenshot(page, suffix="-copied", full_page=False)
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
    # The rep's own name, from the signed request's context.user.fullName, via the app token.
    expect(panel.get_by_test_id("personalised-text")).to_have_value(re.compile(r"Prepared by:\*\* Robin Rep"))
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
