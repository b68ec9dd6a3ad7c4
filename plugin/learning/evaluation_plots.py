"""The evaluation report's figures as PNG bytes (matplotlib, Agg: no display needed).

Every whisker is the 95 % interval the tables give; nothing here computes a figure of its own.
"""
from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first

from plugin.learning.evaluation_report import EvaluationReport  # noqa: E402
from recommender.evaluation import Interval  # noqa: E402

CANDIDATE, V1, LOGGED, TRUTH = "#0b5cab", "#a0a0a0", "#2e844a", "#ba0517"
_ESTIMATORS = ("ips", "snips", "dr")


def report_plots(report: EvaluationReport) -> dict[str, bytes]:
    """file name → PNG bytes, in the order the report shows them."""
    plots = {
        "ranking-metrics.png": _ranking_metrics(report),
        "policy-values.png": _policy_values(report),
        "position-bias.png": _position_bias(report),
        "simulated-checks.png": _simulated_checks(report),
    }
    if report.simulated.cold_start is not None:
        plots["new-module.png"] = _new_module(report)
    return plots


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()


def _whiskers(intervals: list[Interval]) -> list[list[float]]:
    """matplotlib's yerr: distances below and above each estimate (0 where unknown)."""
    def gap(a: float, b: float) -> float:
        return 0.0 if math.isnan(a) or math.isnan(b) else max(0.0, a - b)
    return [
        [gap(i.estimate, i.low) for i in intervals],
        [gap(i.high, i.estimate) for i in intervals],
    ]


def _ranking_metrics(report: EvaluationReport) -> bytes:
    logged = report.logged
    names = ("NDCG@5", "recall@10", "catalog coverage")
    figure, axes = plt.subplots(figsize=(7, 3.6))
    for offset, (label, metrics, colour) in enumerate(
        (("candidate (learned)", logged.candidate, CANDIDATE), ("v1 (tags only)", logged.v1, V1))
    ):
        values = [metrics.ndcg_at_5, metrics.recall_at_10, metrics.coverage]
        axes.bar(
            [n + (offset - 0.5) * 0.38 for n in range(3)], [v.estimate for v in values], 0.38,
            yerr=_whiskers(values), capsize=4, color=colour, label=label,
        )
    axes.set_xticks(range(3), names)
    axes.set_ylim(0, 1.05)
    axes.set_title(f"Offline metrics on the {logged.test_views} later views (95 % bootstrap)")
    axes.legend(loc="lower right", fontsize=8)
    return _png(figure)


def _policy_values(report: EvaluationReport) -> bytes:
    values = report.logged.values
    figure, panels = plt.subplots(1, len(values), figsize=(8, 3.6))
    for axes, value in zip(panels, values):
        rows: list[tuple[str, Interval, str]] = [("logged (observed)", value.logged, LOGGED)]
        for name, estimates, colour in (("v1", value.v1, V1), ("candidate", value.candidate,
                                                               CANDIDATE)):
            rows += [
                (f"{name} {e.upper()}", getattr(estimates, e), colour)
                for e in _ESTIMATORS if getattr(estimates, e) is not None
            ]
        for n, (label, interval, colour) in enumerate(rows):
            axes.errorbar(
                interval.estimate, n, xerr=_whiskers([interval]),
                fmt="o", color=colour, capsize=4,
            )
        axes.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
        axes.invert_yaxis()
        axes.set_title(f"{value.reward.replace('_', ' ')} per view", fontsize=10)
        axes.grid(axis="x", alpha=0.3)
    return _png(figure)


def _position_bias(report: EvaluationReport) -> bytes:
    figure, axes = plt.subplots(figsize=(7, 3.6))
    for audience, marker in (("client_facing", "o"), ("internal", "s")):
        rates = [p for p in report.logged.positions if p.audience == audience]
        if not rates:
            continue
        label = audience.replace("_", "-")
        for attribute, colour in (("opened", CANDIDATE), ("rewarded", LOGGED)):
            intervals = [getattr(p, attribute) for p in rates]
            axes.errorbar(
                [p.position + (0.08 if audience == "internal" else 0) for p in rates],
                [i.estimate for i in intervals], yerr=_whiskers(intervals), fmt=f"{marker}-",
                color=colour, alpha=1.0 if audience == "client_facing" else 0.55, capsize=3,
                label=f"{label}: {'opened' if attribute == 'opened' else 'helpful or used'}",
            )
    positions = sorted({p.position for p in report.logged.positions})
    axes.set_xticks(positions)
    axes.set_xlabel("position in the list")
    axes.set_ylabel("share of impressions")
    axes.set_ylim(bottom=0)
    axes.set_title("Rates by position (raw: position bias mixed with relevance)", fontsize=10)
    axes.legend(fontsize=7, loc="upper right")
    theta = report.logged.examination[: max(positions)]
    right = axes.twinx()
    right.plot(range(1, len(theta) + 1), theta, "k--", linewidth=1)
    right.set_ylim(0, 1.05)
    right.set_ylabel("examination θ (dashed, right axis)", fontsize=8)
    return _png(figure)


def _simulated_checks(report: EvaluationReport) -> bytes:
    simulated = report.simulated
    figure, (left, right) = plt.subplots(1, 2, figsize=(8, 3.4))
    gain = simulated.gain
    left.bar(["v1 (tags only)", "learned"], [gain.v1, gain.learned], color=[V1, CANDIDATE])
    left.errorbar(1, gain.learned, yerr=_whiskers([
        Interval(gain.learned, gain.v1 + gain.gain.low, gain.v1 + gain.gain.high)
    ]), color="black", capsize=5)
    left.set_title(f"(a) true helpful-or-used per view\n{gain.contexts} simulated contexts",
                   fontsize=9)
    estimates = simulated.estimates
    intervals = [getattr(estimates.estimates, e) for e in _ESTIMATORS]
    right.errorbar(range(3), [i.estimate for i in intervals], yerr=_whiskers(intervals), fmt="o",
                   color=CANDIDATE, capsize=5, label="estimate, 95 % CI")
    right.axhline(estimates.truth, color=TRUTH, linestyle="--", label="simulator's truth")
    right.set_xticks(range(3), [e.upper() for e in _ESTIMATORS])
    right.set_xlim(-0.5, 2.5)
    right.set_title("(b) off-policy estimates vs truth", fontsize=9)
    right.legend(fontsize=7)
    return _png(figure)


def _new_module(report: EvaluationReport) -> bytes:
    cold = report.simulated.cold_start
    figure, axes = plt.subplots(figsize=(7, 3.4))
    axes.plot(
        [p.impressions for p in cold.curve], [p.share_in_top_three for p in cold.curve], "o-",
        color=CANDIDATE, label="learned, refitted after each batch",
    )
    axes.axhline(cold.v1_share, color=V1, linestyle="--", label="v1 (tags only)")
    axes.axhline(0.5, color="black", linewidth=0.6, linestyle=":")
    axes.set_xlabel("impressions of the new module")
    axes.set_ylabel(f"share of its {cold.contexts} contexts\nwith it in the top 3")
    axes.set_ylim(-0.03, 1.03)
    axes.set_title("(c) a strong new module: how soon it reaches the top 3")
    axes.legend(fontsize=8, loc="lower right")
    return _png(figure)
