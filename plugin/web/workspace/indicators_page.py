"""``/workspace/indicators``: leading indicators per rep, team and region, week by week, with the
deals behind each figure. Managers see their own team; enablement leads and admins see everyone."""
from __future__ import annotations

import math

from flask import g, render_template, request, url_for

from plugin.analytics.indicator_data import DEFAULT_WEEKS, WINDOW_WEEKS, load_indicator_data
from plugin.analytics.leading_indicators import (
    DEFAULT_PREP_DAYS, INDICATORS, VALUE_ANALYSIS_KIND, Indicators, ScopeIndicators,
    indicators_for, rep_lines, scopes,
)
from plugin.analytics.svg_charts import Series, TrendChart, trend_chart_svg
from plugin.errors import InvalidInput, NotFound
from plugin.web.app_services import services
from plugin.web.identity import Role
from plugin.web.org_taxonomy import org_taxonomy
from plugin.web.workspace import MANAGER_AREAS, NAVIGATION, NavItem, blueprint
from recommender.evaluation import Interval

NAVIGATION.append(NavItem("workspace.indicators_overview", "Leading indicators", "indicators"))
MANAGER_AREAS.add("indicators")

TITLES = {"value_analysis": "Value analysis before the proposal",
          "preparation": "Prepared for meetings",
          "suggestions": "Suggestions used"}
PREP_DAYS_AT_MOST = 14


@blueprint.get("/indicators")
def indicators_overview():
    view = _view()
    selected = _selected(view, request.args.get("scope"))
    return render_template(
        "workspace/indicators.html", **view, selected=selected,
        chart=_chart(selected), titles=TITLES, interval=interval_text,
        kind_label=VALUE_ANALYSIS_KIND.replace("_", " "),
        window_weeks=WINDOW_WEEKS)


@blueprint.get("/indicators/deals")
def indicators_deals():
    view = _view()
    selected = _selected(view, request.args.get("scope"))
    indicator = request.args.get("indicator", "")
    if indicator not in INDICATORS:
        raise InvalidInput(f"indicator must be one of {', '.join(INDICATORS)}.")
    figure = selected.indicators.figure(indicator)
    names = _deal_names()
    return render_template(
        "workspace/indicator_deals.html", **view, selected=selected, indicator=indicator,
        figure=figure, title=TITLES[indicator], names=names, interval=interval_text)


def _view() -> dict:
    weeks = _int_arg("weeks", DEFAULT_WEEKS, allowed=WINDOW_WEEKS)
    prep_days = _int_arg("prep_days", DEFAULT_PREP_DAYS, allowed=range(1, PREP_DAYS_AT_MOST + 1))
    svc = services()
    org_id = g.user.org_id
    demo = svc.demo_org if svc.demo_org is not None and svc.demo_org.org_id == org_id else None
    stages = ([s.value for s in demo.stages()] if demo is not None
              else list(org_taxonomy().stage_phases))
    owners = ({r.opportunity_id: r.owner_id for r in demo.opportunities() if r.owner_id}
              if demo is not None else {})
    with svc.sessions() as session:
        data = load_indicator_data(session, org_id, today=svc.today(), weeks=weeks,
                                   stage_order=stages, known_owners=owners, prep_days=prep_days,
                                   stage_phases=org_taxonomy().stage_phases)
    manager = g.user.role is Role.MANAGER
    visible = data.people.team(g.user.user_id) if manager else None
    found = scopes(data.people, data.inputs, visible=visible)
    active = frozenset(rep_lines(data.inputs))
    members = active & visible if visible is not None else active
    whole = ScopeIndicators("org", "", "Your team" if manager else "Everyone", frozenset(members),
                            indicators_for(members, data.inputs))
    return dict(scopes=[whole, *found], whole=whole, inputs=data.inputs, weeks=weeks,
                prep_days=prep_days, manager=manager, people=data.people)


def _selected(view: dict, wanted: str | None) -> ScopeIndicators:
    if not wanted:
        return view["whole"]
    for scope in view["scopes"]:
        if f"{scope.kind}:{scope.key}" == wanted[:120]:
            return scope
    raise NotFound("There is no such rep, team or region among the ones you may see.")


def _int_arg(name: str, default: int, *, allowed) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) not in allowed:
        raise InvalidInput(f"{name} must be one of {min(allowed)}–{max(allowed)}"
                           if isinstance(allowed, range) else
                           f"{name} must be one of {', '.join(map(str, allowed))}.")
    return int(raw)


def _deal_names() -> dict[str, str]:
    demo = services().demo_org
    if demo is None or demo.org_id != g.user.org_id:
        return {}
    return {r.opportunity_id: r.name for r in demo.opportunities()}


def _chart(scope: ScopeIndicators):
    weeks = scope.indicators.weeks
    labels = [f"{week.day} {week.strftime('%b')}" for week, *_ in weeks]
    lines = [Series(TITLES[name], [_rate(f.interval) for f in column],
                    [None if math.isnan(f.interval.estimate) else f.interval for f in column])
             for name, column in zip(INDICATORS, zip(*(figures for _, *figures in weeks)))]
    chart = TrendChart(
        title=f"{scope.label}: leading indicators per week",
        description=("Bars: meetings per week. Lines: the share of closed deals with a value "
                     "analysis before the proposal, of meetings prepared for, and of suggestions "
                     "used, with 95% intervals. The table below has the same figures."),
        labels=labels, bars=Series("Meetings", [f[1].denominator for _, *f in weeks]),
        lines=lines)
    return trend_chart_svg(chart, "indicators-trend")


def _rate(value: Interval) -> float | None:
    return None if math.isnan(value.estimate) else value.estimate


def interval_text(value: Interval) -> str:
    if math.isnan(value.estimate):
        return "—"
    return f"{value.estimate:.0%} ({value.low:.0%}–{value.high:.0%})"


def indicators_url(**changes) -> str:
    args = {k: v for k, v in request.args.items() if k in ("weeks", "prep_days", "scope")}
    args.update({k: v for k, v in changes.items()})
    return url_for("workspace.indicators_overview", **{k: v for k, v in args.items() if v})


@blueprint.app_template_global()
def indicator_deals_url(scope: ScopeIndicators, indicator: str) -> str:
    args = {k: v for k, v in request.args.items() if k in ("weeks", "prep_days")}
    if scope.kind != "org":
        args["scope"] = f"{scope.kind}:{scope.key}"
    return url_for("workspace.indicators_deals", indicator=indicator, **args)


blueprint.add_app_template_global(indicators_url, "indicators_url")

__all__ = ["Indicators", "indicators_deals", "indicators_overview"]
