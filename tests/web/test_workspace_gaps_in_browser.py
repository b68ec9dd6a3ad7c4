"""Finding and filling gaps in the catalog, as an enablement lead does it, in a real browser.

Import a file (refused whole for one bad row, then accepted once fixed), fill an empty cell of the
coverage map through the module editor, and preview an opportunity as a rep would see it. These
tests write to the catalog, so they run on a server of their own instead of the shared one.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import serve_demo_app

pytestmark = pytest.mark.browser

HEADER = (
    "id,title,summary,body,link,kind,audience,author,status,review_by,tags.journey_phase,"
    "tags.buyer_role,tags.industry,tags.deal_stage,tags.challenge,tags.deal_size"
)
ROWS = [
    "gap-roi-primer,ROI primer for first meetings,Why change now,Body,,value_message,client_facing,"
    "Ana Ruiz,published,,awareness,Economic Buyer,,,,",
    "gap-adoption-kit,Adoption kit for evaluators,First 90 days,Body,,playbook,internal,Ana Ruiz,"
    "published,,implementation_adoption,{role},,,,",
]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[str]:
    """The app in demo mode on a database of these tests' own (overrides the shared server)."""
    with serve_demo_app(tmp_path_factory.mktemp("gaps"), name="gaps-server") as url:
        yield url


def unexpected(console_errors: list[str]) -> list[str]:
    """Console errors other than the browser's note that a refused form answered 400."""
    return [e for e in console_errors if "responded with a status of 400" not in e]


def module_count(page: Page) -> int:
    return int(re.match(r"\d+", page.get_by_test_id("module-count").inner_text())[0])


def write_csv(path: Path, role: str) -> Path:
    path.write_text(
        "\n".join([HEADER, ROWS[0], ROWS[1].format(role=role)]) + "\n", encoding="utf-8"
    )
    return path


def upload(page: Page, file: Path) -> None:
    page.locator("#import-file").set_input_files(str(file))
    with page.expect_navigation():
        page.get_by_test_id("upload").click()


# -- import -------------------------------------------------------------------------------------
def test_a_file_with_a_bad_row_imports_nothing_and_the_fixed_file_imports(
    open_tab, tmp_path, screenshot
):
    tab = open_tab()
    page = tab.open("/workspace/import")
    before = module_count(page)

    upload(page, write_csv(tmp_path / "modules.csv", role="Chief Buyer"))
    problems = page.get_by_test_id("problem-table")
    expect(problems).to_be_visible()
    row = problems.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("tags.buyer_role")
    expect(row).to_contain_text("Chief Buyer")
    expect(row).to_contain_text("Economic Buyer")  # the allowed values
    assert [c.strip() for c in row.locator("td").all_inner_texts()[:2]] == [
        "2",
        "3",
    ]  # row 2, line 3
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported: 1 problem in 1 row")
    assert module_count(page) == before
    screenshot(page, suffix="-1-problems")

    upload(page, write_csv(tmp_path / "modules-fixed.csv", role="Evaluator"))
    expect(page.get_by_test_id("plan-create")).to_have_text("2")
    expect(page.get_by_test_id("plan-create-list")).to_contain_text("gap-adoption-kit")
    screenshot(page, suffix="-2-plan")
    with page.expect_navigation():
        page.get_by_test_id("confirm-import").click()

    expect(page.locator(".bi-flash")).to_contain_text("2 created, 0 updated, 0 unchanged")
    assert module_count(page) == before + 2
    screenshot(page, suffix="-3-imported")
    with page.expect_navigation():
        page.get_by_test_id("module-count").click()
    expect(page).to_have_url(re.compile(r"/workspace/modules$"))
    page.goto(page.url + "?q=gap-")
    expect(page.get_by_test_id("modules-table")).to_contain_text("ROI primer for first meetings")
    expect(page.get_by_test_id("modules-table")).to_contain_text("Adoption kit for evaluators")
    assert not unexpected(tab.console_errors), tab.console_errors


# -- coverage -----------------------------------------------------------------------------------
def test_an_empty_coverage_cell_is_filled_through_the_editor(open_tab, screenshot):
    tab = open_tab()
    page = tab.open("/workspace/coverage")
    empty = page.locator("[data-testid=coverage-cell][data-level=empty]").first
    expect(empty).to_contain_text("Empty")
    phase, role = empty.get_attribute("data-phase"), empty.get_attribute("data-role")
    screenshot(page, suffix="-1-map")

    with page.expect_navigation():
        empty.get_by_test_id("new-module-for-cell").click()
    expect(page).to_have_url(re.compile(r"/workspace/modules/new\?"))
    expect(
        page.get_by_test_id("picker-journey_phase").locator(f"input[value='{phase}']")
    ).to_be_checked()
    expect(
        page.get_by_test_id("picker-buyer_role").locator(f"input[value='{role}']")
    ).to_be_checked()
    page.locator("#f-id").fill("gap-filler")
    page.locator("#f-title").fill(f"Filling the gap: {role} in {phase}")
    page.locator("#f-kind").select_option("value_message")
    page.locator("#f-body").fill("What this buyer needs to hear at this point in the journey.")
    screenshot(page, suffix="-2-editor")
    with page.expect_navigation():
        page.get_by_test_id("save").click()
    with page.expect_navigation():
        page.get_by_test_id("to-published").click()
    expect(page.locator(".bi-flash")).to_be_visible()

    page = tab.open("/workspace/coverage")
    cell = page.locator(f"[data-testid=coverage-cell][data-phase='{phase}'][data-role='{role}']")
    expect(cell).not_to_have_attribute("data-level", "empty")
    expect(cell).to_have_attribute("data-count", "1")
    with page.expect_navigation():
        cell.locator(".bi-coverage__count").click()
    expect(page.get_by_test_id("cell-detail")).to_contain_text("Filling the gap")
    screenshot(page, suffix="-3-filled")
    assert not tab.console_errors, tab.console_errors


# -- preview ------------------------------------------------------------------------------------
def test_preview_shows_the_panels_suggestions_with_a_score_breakdown(
    open_tab, opportunity_named, screenshot
):
    opportunity = opportunity_named("St. Aldric Health Partners")
    tab = open_tab()
    page = tab.open(f"/demo/{opportunity.opportunity_id}")
    panel = page.frame_locator("[data-testid=panel-frame]")
    expect(panel.locator("li.bi-suggestion").first).to_be_visible()
    shown = [li.get_attribute("data-module-id") for li in panel.locator("li.bi-suggestion").all()]

    page = tab.open("/workspace/preview")
    with page.expect_navigation():
        page.locator("#preview-opportunity").select_option(
            opportunity.opportunity_id
        )  # no button press
    preview = page.get_by_test_id("preview-panel")
    expect(preview.locator("li.bi-suggestion").first).to_be_visible()
    assert [
        li.get_attribute("data-module-id") for li in preview.locator("li.bi-suggestion").all()
    ] == shown
    expect(preview.get_by_test_id("context")).to_have_text(
        "Buying phase · Healthcare · Economic Buyer"
    )

    explained = page.get_by_test_id("explained")
    expect(explained).to_have_count(len(shown))
    first = explained.first
    expect(first.locator("tr[data-dimension=journey_phase]")).to_contain_text("Exact")
    expect(first.locator("tr[data-dimension=text]")).to_contain_text("cosine similarity")
    expect(first.get_by_test_id("score")).to_have_text(re.compile(r"Score \d+\.\d\d"))
    panel_box = preview.bounding_box()
    assert 300 <= panel_box["width"] <= 400, panel_box  # the width Lightning gives the panel
    screenshot(page)
    assert not tab.console_errors, tab.console_errors


def test_preview_of_a_hand_entered_context(open_tab, screenshot):
    tab = open_tab()
    page = tab.open("/workspace/preview?source=context")
    page.locator("#preview-stage").select_option("Closed Won")
    page.locator("#preview-industry").select_option("Banking")
    page.locator("#preview-primary_role").select_option("Technical Buyer")
    page.locator(
        "label.slds-checkbox__label", has_text="Business User"
    ).click()  # SLDS hides the box
    expect(page.get_by_label("Business User")).to_be_checked()
    page.locator("#preview-amount").fill("80000")
    page.locator("#preview-description").fill("Rollout to 40 branches, adoption worries")
    with page.expect_navigation():
        page.get_by_role("button", name="Preview").click()

    preview = page.get_by_test_id("preview-panel")
    expect(preview.get_by_test_id("context")).to_have_text(
        "Implementation & adoption phase · Banking · Technical Buyer"
    )
    expect(
        page.get_by_test_id("explained").first.locator("tr[data-dimension=deal_size]")
    ).to_contain_text("Mid-size deal")
    expect(page.locator("#preview-industry")).to_have_value(
        "Banking"
    )  # the form keeps what was entered
    screenshot(page)
    assert not tab.console_errors, tab.console_errors
