"""``GET /api/v1/analytics/modules[/<module_key>]``: the content analytics figures as JSON."""
from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, request

from plugin.analytics.page_data import (
    CatalogAnalytics,
    ModuleAnalytics,
    SimulatedHistory,
    build_catalog_analytics,
    build_module_analytics,
    parse_analytics_query,
)
from plugin.analytics.module_figures import Activity, ContentStats, WeekStats
from plugin.errors import Forbidden
from plugin.web.identity import Role, current_user
from plugin.web.app_services import services
from recommender.evaluation import Interval, WinRateDifference

blueprint = Blueprint("analytics_api", __name__, url_prefix="/api/v1/analytics")


def _org_id() -> str:
    user = current_user()
    if user.role not in (Role.MANAGER, Role.ENABLEMENT, Role.ADMIN):
        raise Forbidden("Content analytics are for managers, enablement leads and admins.")
    return user.org_id


@blueprint.get("/modules")
def modules():
    org_id = _org_id()
    report = build_catalog_analytics(services().sessions, org_id,
                                     parse_analytics_query(request.args), **_org_inputs(org_id))
    return catalog_json(report)


@blueprint.get("/modules/<module_key>")
def module(module_key: str):
    org_id = _org_id()
    query = parse_analytics_query(request.args)
    return module_json(build_module_analytics(services().sessions, org_id, module_key, query,
                                              **_org_inputs(org_id)))


def catalog_json(report: CatalogAnalytics) -> dict[str, Any]:
    query = report.query
    return {
        **_window(report),
        "segment": query.segment,
        "value": query.value[0] if query.value else None,
        "totals": _activity(report.totals),
        "won_deals": report.won_deals,
        "lost_deals": report.lost_deals,
        "segments": [
            {"value": row.value, "label": row.label, **_activity(row.activity)}
            for row in report.segments
        ],
        "modules": [_stats(s, report.modules.get(s.module_id)) for s in report.stats],
        "never_opened": [s.module_id for s in report.never_opened],
        "often_not_helpful": [s.module_id for s in report.often_not_helpful],
        "weeks": [_week(w) for w in report.trend],
        **_simulated(report.simulated),
    }


def module_json(report: ModuleAnalytics) -> dict[str, Any]:
    return {
        **_window(report),
        "segment": report.query.segment,
        "module": _stats(report.stats, report.module) if report.stats else {
            "module_id": report.module.key, "title": report.module.title, "impressions": 0},
        "segments": [
            {"value": row.value, "label": row.label, **_stats(row.stats, None)}
            for row in report.segments
        ],
        "weeks": [_week(w) for w in report.trend],
        **_simulated(report.simulated),
    }


def _simulated(simulated: SimulatedHistory | None) -> dict[str, Any]:
    """Whether these figures hold the demo's simulated history, and how much of them."""
    if simulated is None:
        return {"simulated": False, "simulated_history": None}
    return {"simulated": True, "simulated_history": {
        "label": simulated.label, "weeks": simulated.weeks,
        "simulated_impressions": simulated.shown, "impressions": simulated.total}}


def _window(report: CatalogAnalytics | ModuleAnalytics) -> dict[str, Any]:
    return {
        "window_days": report.query.window_days,
        "since": report.window.since.isoformat(),
        "until": report.window.until.isoformat(),
        "rolled_up_until": (report.rolled_up_until.isoformat()
                            if report.rolled_up_until is not None else None),
    }


def _stats(stats: ContentStats, module) -> dict[str, Any]:
    named = {"module_id": stats.module_id, "title": module.title} if module is not None else {}
    return {
        **named,
        "impressions": stats.impressions,
        "panel_views": stats.views,
        "opens": stats.opens,
        "open_rate": _interval(stats.open_rate),
        "helpful_votes": stats.helpful_votes,
        "not_helpful_votes": stats.unhelpful_votes,
        "helpful_rate": _interval(stats.helpful_rate),
        "helpful_or_used": stats.helpful_or_used,
        "helpful_or_used_rate": _interval(stats.helpful_or_used_rate),
        "uses": stats.uses,
        "deals": _deals(stats),
    }


def _deals(stats: ContentStats) -> dict[str, Any]:
    feedback, rates = stats.feedback, stats.win_rates
    return {
        "used": {"won": feedback.won_deals_used, "lost": feedback.lost_deals_used,
                 "win_rate": _interval(rates.with_content)},
        "shown_not_used": {"won": feedback.won_deals_unused, "lost": feedback.lost_deals_unused,
                           "win_rate": _interval(rates.without_content)},
        **_difference(rates),
    }


def _difference(rates: WinRateDifference) -> dict[str, Any]:
    return {"win_rate_difference": _interval(rates.difference), "caution": rates.caution}


def _activity(activity: Activity) -> dict[str, Any]:
    return {
        "impressions": activity.impressions,
        "panel_views": activity.views,
        "opens": activity.opens,
        "open_rate": _interval(activity.open_rate),
        "helpful_votes": activity.helpful_votes,
        "votes": activity.votes,
        "helpful_rate": _interval(activity.helpful_rate),
        "helpful_or_used": activity.helpful_or_used,
        "helpful_or_used_rate": _interval(activity.helpful_or_used_rate),
    }


def _week(week: WeekStats) -> dict[str, Any]:
    return {"week": week.label, "starts": week.starts.isoformat(), **_activity(week.activity)}


def _interval(value: Interval) -> dict[str, float | None]:
    if math.isnan(value.estimate):
        return {"estimate": None, "low": None, "high": None}
    return {"estimate": value.estimate, "low": value.low, "high": value.high}


def _org_inputs(org_id: str) -> dict:
    svc = services()
    return {"taxonomy": svc.taxonomy_for(org_id), "today": svc.today()}
