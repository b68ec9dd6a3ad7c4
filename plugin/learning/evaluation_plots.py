"""The evaluation report's figures as SVG, drawn by the same chart modules as the workspace pages
(``plugin.analytics.svg_*``): one chart stack. Every whisker is the 95 % interval the report's
tables give; nothing here computes a figure of its own.
"""
from __future__ import annotations

from markupsafe import Markup

from plugin.analytics.svg_charts import Series, TrendChart, trend_chart_svg
from plugin.analytics.svg_interval_chart import (
    IntervalChart,
    IntervalRow,
    ReferenceLine,
    interval_chart_svg,
)
from plugin.analytics.svg_panels import Panel, panels_svg
from plugin.learning.evaluation_report import EvaluationReport, PolicyValues

#: The report's own font: a written .svg file is opened alone, with no page to inherit one from.
REPORT_FONT = 'system-ui, -apple-system, "Segoe UI", sans-serif'
#: Styles (colour and marker) of the policies, the same in every figure.
CANDIDATE, V1, LOGGED = 0, 1, 2
ESTIMATORS = ("ips", "snips", "dr")
WIDE, HALF = 720, 460
SAME_FIGURES = "The table above has the same figures."


def report_plots(report: EvaluationReport) -> dict[str, Markup]:
    """file name → SVG, in the order the report shows them."""
    plots = {
        "ranking-metrics.svg": _ranking_metrics(report),
        "policy-values.svg": _policy_values(report),
        "position-bias.svg": _position_bias(report),
        "simulated-checks.svg": _simulated_checks(report),
    }
    if report.simulated.cold_start is not None:
        plots["new-module.svg"] = _new_module(report)
    return plots


def _ranking_metrics(report: EvaluationReport) -> Markup:
    logged = report.logged
    rows = [
        IntervalRow(f"{name} {metric}", getattr(metrics, attribute), style)
        for metric, attribute in (("NDCG@5", "ndcg_at_5"), ("recall@10", "recall_at_10"),
                                  ("coverage", "coverage"))
        for name, metrics, style in (("candidate", logged.candidate, CANDIDATE),
                                     ("v1", logged.v1, V1))
    ]
    chart = IntervalChart(
        title=f"Offline metrics on the {logged.test_views} later views",
        description="NDCG@5, recall@10 and catalog coverage of the candidate (learned) and of "
        f"v1 (tags only), each with its 95 % bootstrap interval over views. {SAME_FIGURES}",
        rows=rows, axis_title="metric, from 0 to 1", span=(0.0, 1.0),
    )
    return interval_chart_svg(chart, "ranking-metrics", WIDE, 250, font_family=REPORT_FONT)


def _policy_values(report: EvaluationReport) -> Markup:
    charts = [(_policy_value_chart(value), f"policy-values-{value.reward}")
              for value in report.logged.values]
    panels = [Panel(chart.title, interval_chart_svg(chart, chart_id, HALF, 250))
              for chart, chart_id in charts]
    return panels_svg(
        "Suggestions per view: observed under the logging policy, estimated for v1 and the "
        "candidate",
        "One panel per reward; each row an observed value or an IPS, SNIPS or DR estimate with "
        f"its 95 % interval. {SAME_FIGURES}",
        "policy-values", panels, panel_width=HALF, panel_height=250, columns=2,
        font_family=REPORT_FONT,
    )


def _policy_value_chart(value: PolicyValues) -> IntervalChart:
    reward = value.reward.replace("_", "-")
    rows = [IntervalRow("logged (observed)", value.logged, LOGGED)]
    for name, estimates, style in (("v1", value.v1, V1), ("candidate", value.candidate,
                                                           CANDIDATE)):
        rows += [IntervalRow(f"{name} {e.upper()}", getattr(estimates, e), style)
                 for e in ESTIMATORS if getattr(estimates, e) is not None]
    return IntervalChart(
        title=f"{reward.capitalize()} suggestions per view",
        description=f"{reward.capitalize()} suggestions per view: what the logging policy "
        "earned, and the IPS, SNIPS and DR estimates for v1 and the candidate, with 95 % "
        "intervals.",
        rows=rows, axis_title=f"{reward} per view",
    )


def _position_bias(report: EvaluationReport) -> Markup:
    logged, theta = report.logged, report.logged.examination
    panels = []
    for audience in ("client_facing", "internal"):
        rates = [p for p in logged.positions if p.audience == audience]
        if not rates:
            continue
        name = audience.replace("_", "-")
        chart = TrendChart(
            title=f"{name.capitalize()} list: rates by position",
            description=f"Bars: impressions at each position of the {name} list. Lines: the "
            "share opened and the share helpful or used, with 95 % Wilson intervals, and the "
            "examination curve θ measured on exploratory picks. Raw rates mix position bias "
            f"with relevance. {SAME_FIGURES}",
            labels=[str(p.position) for p in rates],
            bars=Series("Impressions", [p.impressions for p in rates]),
            lines=[
                Series("Opened", [p.opened.estimate for p in rates], [p.opened for p in rates]),
                Series("Helpful or used", [p.rewarded.estimate for p in rates],
                       [p.rewarded for p in rates]),
                Series("Examination θ", [theta[p.position - 1] if p.position <= len(theta)
                                         else None for p in rates]),
            ],
            x_title="position in the list",
        )
        panels.append(Panel(chart.title, trend_chart_svg(chart, f"position-bias-{audience}",
                                                         WIDE, 280)))
    return panels_svg(
        "Rates by position, and the examination curve θ",
        "One panel per list: impressions, open and helpful-or-used rates by position with 95 % "
        f"intervals, and θ. {SAME_FIGURES}",
        "position-bias", panels, panel_width=WIDE, panel_height=280, font_family=REPORT_FONT,
    )


def _simulated_checks(report: EvaluationReport) -> Markup:
    simulated = report.simulated
    gain, truth = simulated.gain, simulated.estimates.truth
    found = simulated.estimates.estimates
    learned_vs_v1 = IntervalChart(
        title="(a) Learned minus v1, true helpful-or-used per view",
        description=f"The learned ranker's gain over v1 (tags only) on {gain.contexts} simulated "
        f"contexts, with its paired 95 % interval (v1 {gain.v1:.3f}, learned "
        f"{gain.learned:.3f}); the dashed line is no gain.",
        rows=[IntervalRow("learned − v1", gain.gain, CANDIDATE)],
        axis_title="gain in helpful-or-used per view", reference=ReferenceLine(0.0, "no gain"),
    )
    estimates_vs_truth = IntervalChart(
        title="(b) Off-policy estimates vs the simulator's truth",
        description="IPS, SNIPS and DR estimates of a candidate with 95 % intervals; the "
        f"dashed line is its true value, {truth:.3f}.",
        rows=[IntervalRow(e.upper(), getattr(found, e), CANDIDATE)
              for e in ESTIMATORS if getattr(found, e) is not None],
        axis_title="helpful-or-used per view", reference=ReferenceLine(truth, f"truth {truth:.3f}"),
    )
    return panels_svg(
        "The simulator's checks on this catalog",
        f"(a) the learned ranker's true gain over v1; (b) estimates against the truth. "
        f"{SAME_FIGURES}",
        "simulated-checks",
        [Panel(learned_vs_v1.title, interval_chart_svg(learned_vs_v1, "simulated-gain", HALF, 200)),
         Panel(estimates_vs_truth.title,
               interval_chart_svg(estimates_vs_truth, "simulated-estimates", HALF, 200))],
        panel_width=HALF, panel_height=200, columns=2, font_family=REPORT_FONT,
    )


def _new_module(report: EvaluationReport) -> Markup:
    cold, batch = report.simulated.cold_start, report.simulated.scale.cold_start_batch
    chart = TrendChart(
        title=f"(c) A strong new module: share of its {cold.contexts} contexts with it in the "
        "top 3",
        description="After each refit: bars, the new module's impressions so far; lines, the "
        "share of the contexts where it is truly the best that have it in the top 3, for the "
        f"learned ranker and for v1 (tags only). {SAME_FIGURES}",
        labels=[str(n * batch) for n in range(len(cold.curve))],
        bars=Series("Impressions of it", [p.impressions for p in cold.curve]),
        lines=[Series("Learned", [p.share_in_top_three for p in cold.curve]),
               Series("v1 (tags only)", [cold.v1_share] * len(cold.curve))],
        x_title=f"simulated views it may be shown for (refitted after each {batch})",
        rate_title="Share in the top 3",
    )
    return trend_chart_svg(chart, "new-module", WIDE, 280, font_family=REPORT_FONT)
