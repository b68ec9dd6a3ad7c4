"""The coverage map: which journey phase × buyer role cells the panel has content for."""
from __future__ import annotations

from dataclasses import dataclass

from flask import g, render_template, request, url_for

from content_catalog.coverage import CoverageCell, CoverageFilter
from content_catalog.taxonomy import Dimension, ModuleKind, ModuleStatus, Taxonomy
from plugin.analytics.coverage_report import (
    CoverageQuery,
    CoverageReport,
    build_coverage_report,
    parse_coverage_query,
)
from plugin.errors import InvalidInput
from plugin.web.app_services import services
from plugin.web.org_taxonomy import org_taxonomy
from plugin.web.workspace import NAVIGATION, NavItem, blueprint
from plugin.web.workspace.links import module_url, modules_list_url, modules_new_url

NAVIGATION.append(NavItem("workspace.coverage_map", "Coverage", "coverage"))

LEVEL_LABELS = {"empty": "Empty", "thin": "Thin", "ok": "Covered"}


@dataclass(frozen=True)
class CellLinks:
    detail: str
    modules: str
    new_module: str


@blueprint.get("/coverage")
def coverage_map():
    try:
        query, errors = parse_coverage_query(request.args, org_taxonomy()), []
    except InvalidInput as exc:  # a hand-edited URL: show the whole map and say what was ignored
        query, errors = CoverageQuery(CoverageFilter()), exc.errors
    report = build_coverage_report(services().sessions, g.user.org_id, query, org_taxonomy(),
                                   today=services().today())
    selected = _selected_cell(report)
    return render_template(
        "workspace/coverage.html",
        errors=errors,
        report=report,
        selected=selected,
        links=lambda cell: cell_links(report, cell),
        level_labels=LEVEL_LABELS,
        pickers=_pickers(report.taxonomy),
        module_url=module_url,
        spec=report.taxonomy.spec,
    ), (400 if errors else 200)


def cell_links(report: CoverageReport, cell: CoverageCell) -> CellLinks:
    """Where a cell leads: its modules (on this page, and in the module list) and a new module
    tagged for the cell and the chosen filters."""
    chosen = report.query.filter
    tags = {
        "tag.journey_phase": cell.phase,
        "tag.buyer_role": cell.role,
        "tag.industry": chosen.industry,
    }
    kinds = [kind.value for kind in chosen.kinds]
    # The list shows untagged ("any") modules too, as the map counts them. Stage and challenge
    # are left out: a module tagged for another stage still counts here (ranked down).
    listing = {**tags, "untagged": "1", "status": ModuleStatus.PUBLISHED.value, "kind": kinds}
    new = {**tags, "tag.deal_stage": chosen.stage, "tag.challenge": chosen.challenge}
    if len(kinds) == 1:
        new["kind"] = kinds[0]
    detail_args = {**_filter_args(report), "phase": cell.phase, "role": cell.role}
    return CellLinks(
        detail=_self_url(detail_args) + "#cell-detail",
        modules=modules_list_url(listing),
        new_module=modules_new_url(new),
    )


def _selected_cell(report: CoverageReport) -> CoverageCell | None:
    key = (request.args.get("phase", ""), request.args.get("role", ""))
    return report.map.cells.get(key)


def _filter_args(report: CoverageReport) -> dict[str, object]:
    chosen = report.query.filter
    args = {
        "industry": chosen.industry,
        "stage": chosen.stage,
        "challenge": chosen.challenge,
        "kind": [kind.value for kind in chosen.kinds],
    }
    return {name: value for name, value in args.items() if value}


def _self_url(args: dict[str, object]) -> str:
    return url_for("workspace.coverage_map", **args)


def _pickers(taxonomy: Taxonomy) -> dict[str, object]:
    """The filters' choices: the org's values, its own stages among them."""
    return {
        "industry": taxonomy.spec(Dimension.INDUSTRY).values,
        "stage": taxonomy.spec(Dimension.DEAL_STAGE).values,
        "challenge": taxonomy.spec(Dimension.CHALLENGE).values,
        "kind": [(kind.value, kind.label) for kind in ModuleKind],
    }
