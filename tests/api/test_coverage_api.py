"""``GET /api/v1/coverage``: the coverage map as JSON, scoped to the caller's org."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from content_catalog.repository import CatalogRepository, ensure_org
from content_catalog.suggestion_stats import SuggestionStats
from content_catalog.taxonomy import ModuleKind, ModuleStatus
from plugin.app import create_app
from plugin.crm.demo_org import DEMO_ORG_ID
from plugin.settings import Settings

URL = "/api/v1/coverage"
OTHER_ORG = "00D5e00000OTHERAAA"


@pytest.fixture
def add_modules(fresh_app, module_factory):
    """Stores modules in an org of the fresh app (the demo org unless told otherwise)."""
    svc = fresh_app.extensions["be_inspired"]

    def add(*modules, org_id: str = DEMO_ORG_ID):
        with svc.sessions.begin() as session:
            ensure_org(session, org_id, org_id)
            CatalogRepository(session, org_id).upsert_many(list(modules))

    return add


@pytest.fixture
def api(fresh_app):
    return fresh_app.test_client()


def cell(body, phase, role):
    return next(c for c in body["cells"] if (c["phase"], c["role"]) == (phase, role))


def test_an_empty_catalog_has_every_cell_empty(api):
    body = api.get(URL).json
    assert [p["value"] for p in body["phases"]] == [
        "awareness",
        "buying",
        "implementation_adoption",
    ]
    assert body["phases"][2]["label"] == "Implementation & adoption"
    assert len(body["cells"]) == 3 * len(body["roles"])
    assert {c["level"] for c in body["cells"]} == {"empty"}
    assert body["past_review"] == [] and body["never_suggested"] == []


def test_cells_count_exact_and_untagged_modules_and_mark_thin_ones(
    api, add_modules, module_factory
):
    add_modules(
        module_factory(
            "buying-economic", tags={"journey_phase": "buying", "buyer_role": "Economic Buyer"}
        ),
        module_factory("buying-any", tags={"journey_phase": "buying"}),
        module_factory(
            "draft-awareness", status=ModuleStatus.DRAFT, tags={"journey_phase": "awareness"}
        ),
    )
    body = api.get(URL).json

    assert cell(body, "buying", "Economic Buyer") | {"count": 2, "level": "ok"} == cell(
        body, "buying", "Economic Buyer"
    )
    assert cell(body, "buying", "Economic Buyer")["module_ids"] == ["buying-any", "buying-economic"]
    assert cell(body, "buying", "Technical Buyer")["level"] == "thin"
    assert cell(body, "awareness", "Economic Buyer")["level"] == "empty"  # drafts do not count


def test_filters_narrow_the_map_by_industry_and_kind(api, add_modules, module_factory):
    add_modules(
        module_factory("banking", tags={"industry": "Banking"}),
        module_factory("healthcare", tags={"industry": "Healthcare"}, kind=ModuleKind.BATTLE_CARD),
    )
    banking = api.get(URL, query_string={"industry": "banking"}).json
    assert banking["filter"]["industry"] == "Banking"  # the taxonomy's spelling
    assert cell(banking, "buying", "Evaluator")["module_ids"] == ["banking"]

    battle_cards = api.get(URL, query_string=[("kind", "battle_card"), ("kind", "playbook")]).json
    assert battle_cards["filter"]["kinds"] == ["battle_card", "playbook"]
    assert cell(battle_cards, "buying", "Evaluator")["module_ids"] == ["healthcare"]


def test_a_stage_conflict_still_counts_but_is_listed_as_penalised(api, add_modules, module_factory):
    add_modules(module_factory("late-stage", tags={"deal_stage": "Negotiation/Review"}))
    body = api.get(URL, query_string={"stage": "Prospecting"}).json
    assert cell(body, "awareness", "Influencer")["module_ids"] == ["late-stage"]
    assert cell(body, "awareness", "Influencer")["penalised"] == ["late-stage"]


def test_lists_modules_past_review_and_modules_never_suggested(
    fresh_app, api, add_modules, module_factory
):
    add_modules(
        module_factory("overdue", review_by=date(2026, 1, 31)),
        module_factory("shown"),
        module_factory("unseen", title="Nobody has seen me"),
        module_factory("draft", status=ModuleStatus.DRAFT),
    )
    svc = fresh_app.extensions["be_inspired"]
    with svc.sessions.begin() as session:
        SuggestionStats(session, DEMO_ORG_ID).record(["shown"], datetime.now(timezone.utc))

    body = api.get(URL).json
    assert [(m["module_id"], m["review_by"]) for m in body["past_review"]] == [
        ("overdue", "2026-01-31")
    ]
    assert [m["module_id"] for m in body["never_suggested"]] == ["unseen"]
    assert body["never_suggested"][0]["title"] == "Nobody has seen me"


def test_another_orgs_modules_are_never_counted(api, add_modules, module_factory):
    add_modules(module_factory("theirs", review_by=date(2020, 1, 1)), org_id=OTHER_ORG)
    add_modules(module_factory("their-current"), org_id=OTHER_ORG)
    body = api.get(URL).json
    assert {c["level"] for c in body["cells"]} == {"empty"}
    assert body["past_review"] == [] and body["never_suggested"] == []


@pytest.mark.parametrize(
    "query, field",
    [
        ({"industry": "Aerospace"}, "industry"),
        ({"stage": "Signed"}, "stage"),
        ({"kind": "poster"}, "kind"),
        ({"thin_below": "0"}, "thin_below"),
    ],
)
def test_an_unknown_filter_value_is_a_400_naming_the_allowed_values(api, query, field):
    response = api.get(URL, query_string=query)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "invalid_input"
    assert error["fields"][0]["field"] == field
    if field != "thin_below":
        assert error["fields"][0]["allowed"]


def test_the_demo_catalog_has_some_empty_or_thin_cells_to_show(client):
    """The demo org is what a newcomer sees first: the map must have something to point at."""
    body = client.get(URL).json
    assert {"ok"} < {c["level"] for c in body["cells"]}


def test_without_a_signed_in_user_the_coverage_is_refused(tmp_path):
    app = create_app(Settings(demo_mode=False, database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}"))
    response = app.test_client().get(URL)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorised"
