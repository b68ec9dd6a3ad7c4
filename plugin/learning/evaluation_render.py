"""The evaluation report as one self-contained HTML page (its SVG plots inline), and the few
lines ``beinspired evaluate`` prints. Every figure comes from the computed report."""
from __future__ import annotations

import math
from typing import Mapping

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from plugin.analytics.svg_interval_chart import interval_text
from plugin.learning.evaluation_report import EvaluationReport
from recommender.evaluation import ASSOCIATION_CAUTION, Interval, OffPolicyEstimates
from recommender.simulated_evaluation import COLD_START_GOAL, ColdStart

_environment = Environment(
    loader=PackageLoader("plugin", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def number(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def interval(value: Interval | None, digits: int = 3) -> str:
    """"0.512 [0.480, 0.545]": the estimate and its 95 % interval, as the plots' tooltips."""
    return "n/a" if value is None else interval_text(value, digits)


def percent(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:+.0%}"


_environment.filters.update(number=number, interval=interval, percent=percent)


def render_report(report: EvaluationReport, plots: Mapping[str, Markup]) -> str:
    """The page, each plot inlined exactly as its .svg file is written."""
    return _environment.get_template("evaluation/report.html").render(
        report=report, logged=report.logged, simulated=report.simulated, plots=plots,
        caution=ASSOCIATION_CAUTION, estimators=("ips", "snips", "dr"),
    )


def _estimates(found: OffPolicyEstimates) -> str:
    return ", ".join(
        f"{name.upper()} {interval(getattr(found, name))}"
        for name in ("ips", "snips", "dr") if getattr(found, name) is not None
    )


def cold_start_words(cold: ColdStart) -> str:
    """When the learner put a strong new module in the top 3 of the contexts it is best for."""
    last = cold.curve[-1]

    def when(share: float) -> str:
        at = cold.reached_at(share)
        return (f"after {at} impressions of it" if at is not None
                else f"not within {last.impressions} impressions")

    best = max(p.share_in_top_three for p in cold.curve)
    return (f"in the top 3 for half of its {cold.contexts} contexts {when(0.5)}, for "
            f"{COLD_START_GOAL:.0%} {when(COLD_START_GOAL)} (best {best:.0%}; v1: "
            f"{cold.v1_share:.0%}; {len(cold.curve)} refits measured)")


def summary_lines(report: EvaluationReport) -> list[str]:
    """What the command prints: the headline figures, each as the report states it."""
    logged, simulated = report.logged, report.simulated
    lines = [
        f"Org {logged.org_id}: {logged.views} panel views ({logged.impressions} impressions) "
        f"from {logged.since:%Y-%m-%d} to {logged.until:%Y-%m-%d}; candidate fitted on "
        f"{logged.train_views} views, evaluated on the {logged.test_views} from "
        f"{logged.split_at:%Y-%m-%d %H:%M}.",
    ]
    if logged.simulated_label:
        lines.insert(0, logged.simulated_label + ".")
    for name, metrics in (("candidate", logged.candidate), ("v1", logged.v1)):
        lines.append(
            f"  {name:9} NDCG@5 {interval(metrics.ndcg_at_5)}, recall@10 "
            f"{interval(metrics.recall_at_10)}, coverage {interval(metrics.coverage)} "
            f"({metrics.lists} lists)"
        )
    for value in logged.values:
        reward = value.reward.replace("_", "-")
        lines.append(f"  {reward} per view: logged {interval(value.logged)}")
        lines.append(f"    candidate: {_estimates(value.candidate)}")
        lines.append(f"    v1:        {_estimates(value.v1)}")
    deals = logged.deals
    lines.append(
        f"  closed deals: won {interval(deals.with_content)} with content used, "
        f"{interval(deals.without_content)} without; difference {interval(deals.difference)} "
        f"(an association, not an effect)"
    )
    gain = simulated.gain
    lines.append(
        f"Simulated on this catalog (seed {simulated.seed}): learned {number(gain.learned)} vs "
        f"v1 {number(gain.v1)} helpful-or-used per view, gain {interval(gain.gain)} "
        f"({percent(gain.relative)})"
    )
    lines.append(
        f"  estimates of a candidate, truth {number(simulated.estimates.truth)}: "
        f"{_estimates(simulated.estimates.estimates)}"
    )
    cold = simulated.cold_start
    if cold is None:
        lines.append("  new module: no context where it is truly the best and v1 undersells it")
    else:
        lines.append(f"  new strong module: {cold_start_words(cold)}")
    return lines
