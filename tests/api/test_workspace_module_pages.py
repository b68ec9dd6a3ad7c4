"""The workspace's module pages through the test client: list and filters, the form and its
errors, the conflict page, life cycle, history, diff, restore and the audit log."""
from __future__ import annotations

import html
import re

import pytest

from tests.api.editor_fixtures import (  # noqa: F401  (fixtures)
    Workspace,
    editor_app,
    editor_database,
    module_payload,
    workspace,
)

PAGES = "/workspace/modules"


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def checked(page: str, name: str) -> list[str]:
    """Values of the checked checkboxes called ``name``."""
    inputs = re.findall(rf'<input type="checkbox" name="{re.escape(name)}"[^>]*>', page)
    return [re.search(r'value="([^"]*)"', i).group(1) for i in inputs if " checked" in i]


def input_value(page: str, field: str) -> str:
    match = re.search(rf'<input[^>]* id="f-{field}" name="{field}" value="([^"]*)"', page)
    return html.unescape(match.group(1))


def textarea(page: str, field: str) -> str:
    return html.unescape(re.search(rf'<textarea[^>]* id="f-{field}"[^>]*>(.*?)</textarea>', page, re.S).group(1))


def form_fields(key: str = "audit-readiness", **overrides):
    """The editor's form as a browser posts it (tags as repeated ``tag.<dimension>`` fields)."""
    payload = module_payload(key, **overrides)
    data = {k: v for k, v in payload.items() if k not in ("tags", "status") and v is not None}
    for dimension, values in payload["tags"].items():
        data[f"tag.{dimension}"] = values
    return data


# -- navigation and the list -----------------------------------------------------------------------
def test_the_workspace_opens_on_the_module_list_with_modules_first_in_the_navigation(workspace):
    response = workspace.get("/workspace/")
    assert response.status_code == 302 and response.location.endswith(PAGES)
    page = text_of(workspace.get(PAGES))
    labels = re.findall(r'<a href="[^"]+" class="slds-context-bar__label-action"><span class="slds-truncate">([^<]+)</span>', page)
    assert labels[0] == "Modules" and "Audit log" in labels


def test_the_list_filters_by_tag_parameters_and_keeps_them_in_its_links(workspace):
    for n in range(3):
        workspace.create(f"hc-{n}", title=f"Healthcare {n}")
    workspace.create("bank", title="Banking", tags={"industry": ["Banking"]})

    page = text_of(workspace.get(f"{PAGES}?tag.industry=Healthcare&tag.journey_phase=buying&page_size=2"))

    assert "3 modules · page 1 of 2" in page
    assert "Healthcare 0" in page and "Banking" not in re.search(r'data-testid="modules-table".*?</table>', page, re.S).group(0)
    next_link = re.search(r'href="([^"]+)" rel="next"', page).group(1)
    assert "tag.industry=Healthcare" in next_link and "tag.journey_phase=buying" in next_link and "page=2" in next_link
    assert checked(page, "tag.industry") == ["Healthcare"] and checked(page, "tag.journey_phase") == ["buying"]


def test_a_bad_filter_is_a_400_page_naming_the_allowed_values(workspace):
    response = workspace.get(f"{PAGES}?tag.industry=Space+Mining&sort=score")
    page = text_of(response)
    assert response.status_code == 400
    assert "tag.industry" in page and "Healthcare" in page and "updated_at" in page


# -- create ----------------------------------------------------------------------------------------
def test_a_new_module_is_pretagged_from_the_link_that_opened_it(workspace):
    page = text_of(workspace.get(f"{PAGES}/new?tag.journey_phase=buying&tag.buyer_role=Economic%20Buyer&tag.industry=healthcare&tag.industry=Atlantis&kind=case_study"))
    assert checked(page, "tag.journey_phase") == ["buying"]
    assert checked(page, "tag.buyer_role") == ["Economic Buyer"]
    assert checked(page, "tag.industry") == ["Healthcare"]  # canonical spelling; Atlantis left out
    assert input_value(page, "author") == "Demo enablement lead"
    assert '<option value="case_study" selected>' in page


def test_an_invalid_form_shows_each_fields_error_and_keeps_what_was_typed(workspace):
    data = form_fields(id="Bad Id", title="", kind="poem", link="javascript:alert(1)", review_by="tomorrow",
                       body="My **draft** body\r\nsecond line")  # fmt: skip
    data["tag.industry"] = ["Healthcare", "Atlantis"]
    response = workspace.form(PAGES, data)

    page = text_of(response)
    assert response.status_code == 400
    for field in ("f-id", "f-title", "f-kind", "f-link", "f-review_by", "f-tags-industry"):
        assert f'data-testid="error-{field}"' in page, field
    assert "Allowed: case_study, value_message" in page
    assert "Allowed: Agriculture" in page  # the industries
    assert input_value(page, "id") == "Bad Id" and input_value(page, "link") == "javascript:alert(1)"
    assert textarea(page, "body") == "My **draft** body\nsecond line"
    assert checked(page, "tag.industry") == ["Healthcare"]


def test_a_valid_form_creates_a_draft_and_opens_it(workspace):
    response = workspace.form(PAGES, form_fields(body="Line one\r\nLine two"))
    assert response.status_code == 302 and response.location.endswith(f"{PAGES}/audit-readiness")
    page = text_of(workspace.get(response.location))
    assert "Created “Audit readiness in 90 days” as a draft" in page
    assert 'data-testid="status-badge">Draft<' in page
    body = workspace.get("/api/v1/modules/audit-readiness").get_json()["body"]
    assert body == "Line one\nLine two"  # CRLF from the browser stored as LF


def test_an_id_already_taken_is_shown_on_the_id_field(workspace):
    workspace.create()
    response = workspace.form(PAGES, form_fields())
    assert response.status_code == 409 and 'data-testid="error-f-id"' in text_of(response)


def test_form_posts_without_the_csrf_token_are_refused(workspace):
    response = workspace.form(PAGES, form_fields(), csrf=False)
    assert response.status_code == 400 and "out of date" in text_of(response)
    assert workspace.get("/api/v1/modules/audit-readiness").status_code == 404


# -- edit and the conflict page --------------------------------------------------------------------
def test_the_edit_form_carries_the_version_it_was_based_on(workspace):
    workspace.create()
    page = text_of(workspace.get(f"{PAGES}/audit-readiness/edit"))
    assert re.search(r'name="base_version" value="1"', page)
    assert input_value(page, "title") == "Audit readiness in 90 days"


def test_saving_an_unchanged_form_makes_no_new_version(workspace):
    workspace.create(body="Line one\nLine two")
    response = workspace.form(f"{PAGES}/audit-readiness/edit", {**form_fields(body="Line one\r\nLine two"), "base_version": "1"})
    assert "Nothing had changed" in text_of(workspace.get(response.location))
    assert workspace.get("/api/v1/modules/audit-readiness").get_json()["version"] == 1


def test_a_stale_save_shows_both_versions_with_yours_reapplied_and_nothing_lost(workspace):
    workspace.create(body="Original body")
    url = f"{PAGES}/audit-readiness/edit"
    assert workspace.form(url, {**form_fields(title="Their new title", body="Original body"), "base_version": "1"}).status_code == 302

    response = workspace.form(url, {**form_fields(body="My careful rewrite"), "base_version": "1"})

    page = text_of(response)
    assert response.status_code == 409
    assert 'data-testid="conflict"' in page and "it is now version 2" in page
    theirs = re.search(r'data-testid="theirs".*?</section>', page, re.S).group(0)
    assert "Their new title" in theirs and "Original body" in theirs
    assert textarea(page, "body") == "My careful rewrite"  # yours, kept
    assert input_value(page, "title") == "Their new title"  # theirs, since you did not touch it
    assert re.search(r'name="base_version" value="2"', page)
    assert 'data-testid="mark-body"' in page and 'data-testid="mark-title"' in page

    saved = workspace.form(url, {**form_fields(title="Their new title", body="My careful rewrite"), "base_version": "2"})
    assert saved.status_code == 302
    module = workspace.get("/api/v1/modules/audit-readiness").get_json()
    assert (module["title"], module["body"], module["version"]) == ("Their new title", "My careful rewrite", 3)


def test_both_changing_a_field_is_pointed_out_and_yours_is_kept(workspace):
    workspace.create(body="Original")
    url = f"{PAGES}/audit-readiness/edit"
    workspace.form(url, {**form_fields(body="Theirs"), "base_version": "1"})
    page = text_of(workspace.form(url, {**form_fields(body="Yours"), "base_version": "1"}))
    assert re.search(r'data-testid="both-changed">body<', page)
    assert textarea(page, "body") == "Yours"


# -- life cycle ------------------------------------------------------------------------------------
def post_status(workspace: Workspace, status: str, base: int):
    return workspace.form(f"{PAGES}/audit-readiness/status", {"status": status, "base_version": str(base)})


def test_life_cycle_buttons_publish_retire_and_restore(workspace):
    workspace.create()
    page = text_of(workspace.get(f"{PAGES}/audit-readiness"))
    assert 'data-testid="to-published"' in page and 'data-testid="to-retired"' in page

    assert "Published (version 2)" in text_of(workspace.get(post_status(workspace, "published", 1).location))
    retired = text_of(workspace.get(post_status(workspace, "retired", 2).location))
    assert 'data-testid="status-badge">Retired<' in retired
    assert "Restore and publish" in retired and "Restore as draft" in retired
    post_status(workspace, "published", 3)
    assert workspace.get("/api/v1/modules/audit-readiness").get_json()["status"] == "published"


def test_a_status_button_on_a_stale_page_changes_nothing_and_says_why(workspace):
    workspace.create()
    post_status(workspace, "published", 1)
    page = text_of(workspace.get(post_status(workspace, "retired", 1).location))
    assert "it is now version 2. Its status was not changed." in page
    assert workspace.get("/api/v1/modules/audit-readiness").get_json()["status"] == "published"


# -- history, diff, restore, audit -----------------------------------------------------------------
@pytest.fixture
def edited(workspace):
    workspace.create(body="Line one\nLine two")
    url = f"{PAGES}/audit-readiness/edit"
    workspace.form(url, {**form_fields(body="Line one\nLine 2", tags={"industry": ["Healthcare", "Insurance"]}), "base_version": "1"})
    post_status(workspace, "published", 2)
    return workspace


def test_history_lists_versions_with_who_what_and_status(edited):
    page = text_of(edited.get(f"{PAGES}/audit-readiness/history"))
    rows = re.findall(r'<tr data-version="(\d+)">(.*?)</tr>', page, re.S)
    assert [n for n, _ in rows] == ["3", "2", "1"]
    assert "Demo enablement lead" in rows[0][1] and "Published" in rows[0][1]
    assert "changed body, tags" in rows[1][1]
    assert 'data-testid="restore-1"' in page and 'data-testid="restore-3"' not in page


def test_diff_page_colours_the_lines_and_shows_tags_before_and_after(edited):
    page = edited.get(f"{PAGES}/audit-readiness/diff?from=1&to=3").get_data(as_text=True)
    assert '<span class="bi-diff__line bi-diff__line_del">-Line two</span>' in page
    assert '<span class="bi-diff__line bi-diff__line_add">+Line 2</span>' in page
    tags = re.search(r'data-testid="tag-diff".*?</table>', page, re.S).group(0)
    assert '<span class="slds-badge bi-diff-add">Insurance</span>' in tags
    assert "draft" in page and "published" in page


def test_restore_from_the_history_saves_the_old_content_as_a_new_version(edited):
    response = edited.form(f"{PAGES}/audit-readiness/versions/1/restore", {"base_version": "3"})
    assert "Restored the content of version 1 as version 4" in text_of(edited.get(response.location))
    module = edited.get("/api/v1/modules/audit-readiness").get_json()
    assert (module["body"], module["status"]) == ("Line one\nLine two", "published")
    stale = edited.form(f"{PAGES}/audit-readiness/versions/2/restore", {"base_version": "3"})
    assert "Nothing was restored" in text_of(edited.get(stale.location))


def test_an_old_version_can_be_read_as_it_was(edited):
    page = text_of(edited.get(f"{PAGES}/audit-readiness/versions/1"))
    assert "Line two" in page and "the current version is 3" in page
    assert edited.get(f"{PAGES}/audit-readiness/versions/7").status_code == 404


def test_the_audit_log_page_lists_changes_and_filters_by_module(edited):
    edited.create("other", title="Other")
    page = text_of(edited.get("/workspace/audit"))
    assert page.count("Demo enablement lead") >= 4 and "other" in page and "draft → published" in page
    only = text_of(edited.get("/workspace/audit?module=other"))
    rows = re.findall(r"<tr>\s*<td class=\"bi-nowrap\">", only)
    assert len(rows) == 1 and "Created" in only


# -- another org -----------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", ["", "/edit", "/history", "/diff", "/versions/1"])
def test_another_orgs_module_pages_are_not_found(workspace, suffix):
    assert workspace.get(f"{PAGES}/globex-only{suffix}").status_code == 404


def test_another_orgs_module_cannot_be_changed_from_a_form(workspace):
    for url, data in (
        (f"{PAGES}/globex-only/edit", {**form_fields("globex-only"), "base_version": "1"}),
        (f"{PAGES}/globex-only/status", {"status": "retired", "base_version": "1"}),
        (f"{PAGES}/globex-only/versions/1/restore", {"base_version": "1"}),
    ):
        assert workspace.form(url, data).status_code == 404
