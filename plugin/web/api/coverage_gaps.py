"""``GET /api/v1/coverage``: the workspace's coverage map as JSON, for enablement leads' tools."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from content_catalog.modules import ContentModule
from content_catalog.taxonomy import Dimension, Taxonomy
from plugin.analytics.coverage_report import CoverageReport, build_coverage_report, parse_coverage_query
from plugin.errors import Forbidden
from plugin.web.identity import Role, current_user
from plugin.web.app_services import services
from plugin.web.org_taxonomy import org_taxonomy

blueprint = Blueprint("coverage_api", __name__, url_prefix="/api/v1")


@blueprint.get("/coverage")
def coverage():
    user = current_user()
    if user.role not in (Role.ENABLEMENT, Role.ADMIN):
        raise Forbidden("The coverage map is for enablement leads and admins.")
    taxonomy = org_taxonomy()
    query = parse_coverage_query(request.args, taxonomy)
    return coverage_json(build_coverage_report(services().sessions, user.org_id, query, taxonomy,
                                               today=services().today()))


def coverage_json(report: CoverageReport) -> dict[str, Any]:
    coverage, taxonomy, chosen = report.map, report.taxonomy, report.query.filter
    return {
        "today": report.today.isoformat(),
        "filter": {
            "industry": chosen.industry,
            "stage": chosen.stage,
            "challenge": chosen.challenge,
            "kinds": [kind.value for kind in chosen.kinds],
        },
        "thin_below": coverage.thin_below,
        "phases": [_labelled(taxonomy, Dimension.JOURNEY_PHASE, p) for p in coverage.phases],
        "roles": [_labelled(taxonomy, Dimension.BUYER_ROLE, r) for r in coverage.roles],
        "cells": [
            {
                "phase": cell.phase,
                "role": cell.role,
                "count": cell.count,
                "level": cell.level,
                "module_ids": list(cell.module_keys),
                "penalised": list(cell.penalised),
            }
            for row in coverage.rows()
            for cell in row
        ],
        "past_review": [_module_json(m) for m in report.past_review],
        "never_suggested": [_module_json(m) for m in report.never_suggested],
        "simulated": report.simulated_weeks is not None,
        "simulated_weeks": report.simulated_weeks,
    }


def _labelled(taxonomy: Taxonomy, dimension: Dimension, value: str) -> dict[str, str]:
    return {"value": value, "label": taxonomy.spec(dimension).label_of(value)}


def _module_json(module: ContentModule) -> dict[str, Any]:
    return {
        "module_id": module.key,
        "title": module.title,
        "kind": module.kind.value,
        "audience": module.audience.value,
        "author": module.author,
        "review_by": module.review_by.isoformat() if module.review_by else None,
    }
