"""Content analytics pages: which modules reps open, find helpful and use, and how deals closed."""
from __future__ import annotations

import math

from flask import g, render_template, request, url_for

from plugin.analytics.page_data import (
    SEGMENT_LABELS,
    UNSET,
    WINDOWS,
    AnalyticsQuery,
    build_catalog_analytics,
    build_module_analytics,
    parse_analytics_query,
)
from plugin.analytics.module_figures import (
    ASSOCIATION_CAUTION,
    NEVER_OPENED_MIN_IMPRESSIONS,
    NOT_HELPFUL_MIN_VOTES,
    NOT_HELPFUL_THRESHOLD,
    WeekStats,
)
from plugin.web.app_services import services
from plugin.web.org_taxonomy import org_taxonomy
from plugin.analytics.svg_charts import Series, TrendChart, trend_chart_svg
from plugin.web.workspace import NAVIGATION, NavItem, blueprint
from plugin.web.workspace.links import module_url
from recommender.evaluation import Interval

NAVIGATION.append(NavItem("workspace.analytics_overview", "Analytics", "analytics"))


@blueprint.get("/analytics")
def analytics_overview():
    query = parse_analytics_query(request.args)
    report = build_catalog_analytics(services().sessions, g.user.org_id, query,
                                     taxonomy=org_taxonomy(), today=services().today())
    return render_template(
        "workspace/analytics.html",
        report=report,
        chart=trend_chart(report.trend, "All modules", "org-trend"),
        **_shared(query),
    )


@blueprint.get("/analytics/<module_key>")
def analytics_module(module_key: str):
    query = parse_analytics_query(request.args)
    report = build_module_analytics(services().sessions, g.user.org_id, module_key, query,
                                    taxonomy=org_taxonomy(), today=services().today())
    return render_template(
        "workspace/analytics_module.html",
        report=report,
        chart=trend_chart(report.trend, report.module.title, "module-trend"),
        module_url=module_url,
        **_shared(query),
    )


def _shared(query: AnalyticsQuery) -> dict[str, object]:
    return dict(
        query=query,
        windows=WINDOWS,
        segment_labels=SEGMENT_LABELS,
        unset=UNSET,
        caution=ASSOCIATION_CAUTION,
        rules={
            "never_opened": NEVER_OPENED_MIN_IMPRESSIONS,
            "min_votes": NOT_HELPFUL_MIN_VOTES,
            "threshold": NOT_HELPFUL_THRESHOLD,
        },
        percent=percent,
        interval=interval_text,
        points=points_text,
        analytics_url=analytics_url,
    )


def analytics_url(endpoint: str = "workspace.analytics_overview", query: AnalyticsQuery | None
                  = None, **changes) -> str:
    args = query.args(**changes) if query is not None else changes
    return url_for(endpoint, **args)


def trend_chart(weeks, subject: str, chart_id: str):
    labels = [_short_week(week) for week in weeks]
    chart = TrendChart(
        title=f"{subject}: impressions and rates per week",
        description=(
            f"Bars: impressions per ISO week, {weeks[0].label} to {weeks[-1].label}. Lines: open "
            "rate and helpful-or-used rate, as shares of that week's impressions. The table "
            "below the chart has the same figures."
        ),
        labels=labels,
        bars=Series("Impressions", [w.activity.impressions for w in weeks]),
        lines=[
            Series("Open rate", [_rate(w.activity.open_rate) for w in weeks]),
            Series("Helpful or used", [_rate(w.activity.helpful_or_used_rate) for w in weeks]),
        ],
    )
    return trend_chart_svg(chart, chart_id)


def _short_week(week: WeekStats) -> str:
    return f"{week.starts.day} {week.starts.strftime('%b')}"


def _rate(value: Interval) -> float | None:
    return None if math.isnan(value.estimate) else value.estimate


def percent(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.0%}"


def interval_text(value: Interval) -> str:
    """"42% (31–54%)", or a dash when there is nothing to divide by."""
    if math.isnan(value.estimate):
        return "—"
    return f"{value.estimate:.0%} ({value.low:.0%}–{value.high:.0%})"


def points_text(value: Interval) -> str:
    """A difference of two rates in percentage points, with its interval: "+12 pts (−5 to +30)"."""
    if math.isnan(value.estimate):
        return "—"
    return (f"{_signed(value.estimate)} pts ({_signed(value.low)} to {_signed(value.high)})")


def _signed(fraction: float) -> str:
    points = round(fraction * 100)
    return "0" if points == 0 else f"{points:+d}".replace("-", "−")
