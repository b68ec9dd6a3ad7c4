"""Marking a module "for partners" in the editor's form and in the modules API: stored, shown,
and a value that is not a yes or no refused (400, nothing saved)."""
from __future__ import annotations

from tests.api.editor_fixtures import (  # noqa: F401  (fixtures)
    editor_app, editor_database, module_payload, workspace,
)


def form_fields(key: str, **overrides):
    payload = module_payload(key, **overrides)
    data = {k: v for k, v in payload.items() if k not in ("tags", "status") and v is not None}
    for dimension, values in payload["tags"].items():
        data[f"tag.{dimension}"] = values
    return data


def test_the_editor_checkbox_marks_a_module_for_partners(workspace):
    created = workspace.form("/workspace/modules", {**form_fields("kit"), "for_partners": "true"})
    assert created.status_code == 302
    assert workspace.get("/api/v1/modules/kit").get_json()["for_partners"] is True
    page = workspace.get("/workspace/modules/kit").get_data(as_text=True)
    assert "Yes: partner reps see it" in page
    edit = workspace.get("/workspace/modules/kit/edit").get_data(as_text=True)
    assert 'name="for_partners" id="f-for-partners" value="true" checked' in edit


def test_an_unchecked_box_saves_not_for_partners_and_a_forged_value_is_refused(workspace):
    assert workspace.form("/workspace/modules", form_fields("direct")).status_code == 302
    assert workspace.get("/api/v1/modules/direct").get_json()["for_partners"] is False
    forged = workspace.form("/workspace/modules", {**form_fields("forged"), "for_partners": "yes"})
    assert forged.status_code == 400
    assert workspace.get("/api/v1/modules/forged").status_code == 404


def test_the_api_takes_a_json_boolean_only(workspace):
    made = workspace.post("/api/v1/modules", json=module_payload("api-kit", for_partners=True))
    assert made.status_code == 201 and made.get_json()["for_partners"] is True
    refused = workspace.post("/api/v1/modules", json=module_payload("api-bad", for_partners="true"))
    assert refused.status_code == 400
    fields = {f["field"] for f in refused.get_json()["error"]["fields"]}
    assert fields == {"for_partners"}
