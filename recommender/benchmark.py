"""How fast the rankers rank, at 10,000 to 1,000,000 modules, beside baselines from the same run.
Run ``python -m recommender.benchmark`` or ``beinspired benchmark`` (design:
docs/design/recommender.md)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
from datetime import date
from typing import Sequence

from recommender.benchmark_memory import ServingMemory, measure_serving_memory
from recommender.benchmark_run import (
    BENCHMARK_DAY,
    MachineFacts,
    RankersDisagree,
    RankingBenchmark,
    Timings,
    run_ranking_benchmark,
)
from recommender.synthetic import synthetic_catalog, synthetic_contexts

__all__ = [
    "BENCHMARK_DAY",
    "MachineFacts",
    "RankingBenchmark",
    "RankersDisagree",
    "Timings",
    "format_report",
    "format_sizes_report",
    "main",
    "run_ranking_benchmark",
    "synthetic_catalog",
    "synthetic_contexts",
]

#: The first issue's target: this many modules ranked for one context under this median time.
TARGET_MODULES = 10_000
TARGET_MEDIAN_MS = 5.0
#: "Fast under real load": modules → (v1 p99, learned p99) in ms; fit and memory at 100,000.
TARGET_P99_MS = {100_000: (2.0, 3.0), 1_000_000: (20.0, 20.0)}
TARGET_FIT_S = {100_000: 10.0}
TARGET_SERVING_BYTES = {100_000: 1 << 30}


def naive_contexts_for(n_modules: int) -> int:
    """How many contexts the naive loop ranks: it costs ~5 µs per module per context."""
    return 20 if n_modules <= 10_000 else 5 if n_modules <= 100_000 else 2


# -- one size -------------------------------------------------------------------------------------
def format_report(result: RankingBenchmark) -> str:
    m, v, n = result.machine, result.vectorised, result.naive
    rss = "n/a" if result.peak_rss_bytes is None else f"{result.peak_rss_bytes / 2**20:,.0f} MiB"
    verdict = "met" if v.median_ms < TARGET_MEDIAN_MS else "NOT met"
    if result.n_modules != TARGET_MODULES:
        verdict += f" (the target is for {TARGET_MODULES:,} modules)"
    rows = [
        ("vectorised", v, result.vectorised_fit_s),
        ("previous", result.previous, result.previous_fit_s),
        ("naive", n, result.naive_fit_s),
    ]
    lines = [
        f"Ranking benchmark: {result.n_modules:,} modules, one context per call "
        f"(seed {result.seed}, today {result.today.isoformat()})",
        f"Machine: {m.cpu_model}, {m.cpu_count} CPUs, {m.platform}",
        f"         Python {m.python}, numpy {m.numpy}, scipy {m.scipy}, "
        f"scikit-learn {m.scikit_learn}",
        f"         BLAS {m.blas}",
        f"Catalog: {result.n_client_facing:,} client-facing, "
        f"{result.n_modules - result.n_client_facing:,} internal, "
        f"{result.n_expired:,} past review, {result.n_terms:,} distinct terms",
        f"Fit: vectorised {result.vectorised_fit_s:.2f} s, naive {result.naive_fit_s:.2f} s; "
        f"fitted arrays {result.fitted_bytes / 2**20:.1f} MiB; process peak RSS {rss}",
        "",
        _header(),
        *(_row(name, t, fit) for name, t, fit in rows if t is not None),
        "",
        f"vectorised median {v.median_ms:.2f} ms (p95 {v.p95_ms:.2f} ms, p99 {v.p99_ms:.2f} ms) | "
        f"naive median {n.median_ms:.2f} ms | speed-up {result.speedup:.1f}×"
        + (f" | {result.previous.median_ms / v.median_ms:.1f}× the previous v1"
           if result.previous else "")  # fmt: skip
        + f" | target < {TARGET_MEDIAN_MS:g} ms: {verdict}",
        f"Both rankers chose the same top ids on all {result.agreeing_contexts} "
        "contexts the naive loop ranked"
        + (f"; v1 returned exactly the previous v1's suggestions on all {result.agreeing_previous}."
           if result.previous else "."),
        *_learned_lines(result),
    ]
    return "\n".join(lines)


def _learned_lines(result: RankingBenchmark) -> list[str]:
    learned, before = result.learned, result.previous_learned
    if learned is None:
        return []
    lines = [
        "",
        f"Learned ranker (fitted in {result.learned_fit_s:.2f} s on "
        f"{result.learned_impressions:,} simulated impressions; exploring, as served):",
        _row("learned", learned, result.learned_fit_s),
    ]
    if before is not None:
        lines.append(_row("previous", before, result.previous_learned_fit_s))
    versus = ""
    if before is not None:
        versus = (
            f" | {before.median_ms / learned.median_ms:.1f}× faster than the previous learned "
            f"ranker, same modules on all {result.learned_agreeing_previous} contexts"
        )
    lines.append(
        f"learned median {learned.median_ms:.2f} ms (p95 {learned.p95_ms:.2f} ms, p99 "
        f"{learned.p99_ms:.2f} ms) | "
        f"{learned.median_ms / result.vectorised.median_ms:.1f}× v1's median{versus}"
    )
    return lines


def _header() -> str:
    return (
        f"{'ranker':<11}{'contexts':>9}{'median ms':>11}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'mean ms':>9}{'fit s':>8}"
    )


def _row(name: str, t: Timings, fit_s: float) -> str:
    figures = f"{t.median_ms:>11.2f}{t.p95_ms:>9.2f}{t.p99_ms:>9.2f}{t.mean_ms:>9.2f}{fit_s:>8.2f}"
    return f"{name:<11}{len(t.samples_ms):>9}{figures}"


# -- several sizes, each in its own process --------------------------------------------------------
def format_sizes_report(
    results: Sequence[RankingBenchmark], memory: Sequence[ServingMemory]
) -> str:
    m = results[0].machine
    lines = [
        f"Ranking at scale (seed {results[0].seed}, today {results[0].today.isoformat()}); "
        "each size in a fresh process, baselines timed in the same process",
        f"Machine: {m.cpu_model}, {m.cpu_count} CPUs; Python {m.python}, numpy {m.numpy}, "
        f"scipy {m.scipy}, scikit-learn {m.scikit_learn}; BLAS {m.blas}",
        "",
        f"{'modules':>9}  {'ranker':<17}{'contexts':>9}{'median ms':>11}{'p95 ms':>9}"
        f"{'p99 ms':>9}{'fit s':>8}{'× naive':>9}{'× previous':>12}",
    ]
    for r in results:
        rows = [
            ("v1", r.vectorised, r.vectorised_fit_s, r.previous),
            ("v1 previous", r.previous, r.previous_fit_s, None),
            ("naive loop", r.naive, r.naive_fit_s, None),
            ("learned", r.learned, r.learned_fit_s, r.previous_learned),
            ("learned previous", r.previous_learned, r.previous_learned_fit_s, None),
        ]
        for name, t, fit_s, before in rows:
            if t is None:
                continue
            vs_naive = f"{r.naive.median_ms / t.median_ms:.1f}×" if name != "naive loop" else ""
            vs_before = f"{before.median_ms / t.median_ms:.1f}×" if before is not None else ""
            lines.append(
                f"{r.n_modules:>9,}  {name:<17}{len(t.samples_ms):>9}{t.median_ms:>11.2f}"
                f"{t.p95_ms:>9.2f}{t.p99_ms:>9.2f}{fit_s:>8.2f}{vs_naive:>9}{vs_before:>12}"
            )
        if r.learned is not None and r.previous_learned is None:
            lines.append(f"{'':>11}(previous learned ranker not run: it holds a score per module "
                         f"per logged context while fitting, {r.n_modules:,} × views)")  # fmt: skip
    lines += [
        "",
        "Rankings: at every size v1 returned exactly the previous v1's suggestions, the naive "
        "loop's top ids, and the learned ranker the previous one's modules (where run).",
        "",
        *_memory_lines(memory),
        "",
        "Targets:",
        *_verdicts(results, memory),
    ]
    return "\n".join(lines)


def _memory_lines(memory: Sequence[ServingMemory]) -> list[str]:
    if not memory:
        return []
    lines = ["Serving memory (fresh process: v1 and the learned ranker laid over one catalog):",
             f"{'modules':>9}{'interpreter MiB':>17}{'serving MiB':>13}{'per catalog MiB':>17}"
             f"{'bytes/module':>14}{'fitted arrays MiB':>19}{'peak MiB':>10}"]  # fmt: skip
    for s in memory:
        lines.append(
            f"{s.n_modules:>9,}{s.baseline_bytes / 2**20:>17.0f}{s.serving_bytes / 2**20:>13.0f}"
            f"{s.per_catalog_bytes / 2**20:>17.0f}{s.per_catalog_bytes / s.n_modules:>14.0f}"
            f"{s.fitted_bytes / 2**20:>19.1f}{s.peak_bytes / 2**20:>10.0f}"
        )
    return lines


def _verdicts(results, memory) -> list[str]:
    out = []
    for r in results:
        size = f"{r.n_modules:,} modules"
        v1_limit, learned_limit = TARGET_P99_MS.get(r.n_modules, (None, None))
        if v1_limit is not None:
            checks = (("v1", r.vectorised, v1_limit), ("learned", r.learned, learned_limit))
            for name, t, limit in checks:
                if t is not None:
                    out.append(_verdict(f"{size}, {name} p99", t.p99_ms, limit, "ms"))
        if r.n_modules in TARGET_FIT_S:
            for name, fit_s in (("v1 fit", r.vectorised_fit_s), ("learned fit", r.learned_fit_s)):
                out.append(_verdict(f"{size}, {name}", fit_s, TARGET_FIT_S[r.n_modules], "s"))
    for s in memory:
        if s.n_modules in TARGET_SERVING_BYTES:
            out.append(_verdict(f"{s.n_modules:,} modules, serving RSS", s.serving_bytes / 2**20,
                                TARGET_SERVING_BYTES[s.n_modules] / 2**20, "MiB"))  # fmt: skip
    return out or ["  (no target at these sizes)"]


def _verdict(what: str, value: float, limit: float, unit: str) -> str:
    verdict = "met" if value <= limit else "NOT met"
    return f"  {what}: {value:.2f} {unit} (target ≤ {limit:g} {unit}): {verdict}"


def _run_in_fresh_process(argv: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "recommender.benchmark", *argv, "--json"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(done.stdout)


def _from_json(data: dict) -> RankingBenchmark:
    timings = {
        k: Timings(tuple(v["samples_ms"])) if isinstance(v, dict) and "samples_ms" in v else v
        for k, v in data.items()
    }
    timings["today"] = date.fromisoformat(data["today"])
    timings["machine"] = MachineFacts(**data["machine"])
    return RankingBenchmark(**timings)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m recommender.benchmark", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument("--modules", type=int, default=TARGET_MODULES, help="catalog size")
    parser.add_argument("--sizes", help="comma-separated catalog sizes, each in a fresh process, "
                        "with the serving memory of each (e.g. 10000,100000,1000000)")  # fmt: skip
    parser.add_argument("--contexts", type=int, default=200, help="contexts to time rankers on")
    parser.add_argument(
        "--naive-contexts", type=int, help="contexts for the loop (default by size)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--learned-views", type=int, default=2000,
                        help="simulated views the learned rankers are fitted on (0: skip them)")
    parser.add_argument("--no-previous", action="store_true", help="skip the previous rankers")
    parser.add_argument("--serving-memory", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serving_memory:
        found = measure_serving_memory(args.modules, args.seed, args.learned_views, BENCHMARK_DAY)
        print(json.dumps(dataclasses.asdict(found)))
        return 0
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
        common = ["--contexts", str(args.contexts), "--seed", str(args.seed),
                  "--learned-views", str(args.learned_views)]  # fmt: skip
        common += ["--no-previous"] if args.no_previous else []
        results, memory = [], []
        for n in sizes:
            naive = args.naive_contexts or naive_contexts_for(n)
            results.append(_from_json(_run_in_fresh_process(
                ["--modules", str(n), "--naive-contexts", str(naive), *common])))  # fmt: skip
            print(format_report(results[-1]) + "\n", flush=True)
            if args.learned_views > 0 and n <= max(TARGET_SERVING_BYTES):
                memory.append(ServingMemory(**_run_in_fresh_process(
                    ["--serving-memory", "--modules", str(n), *common])))  # fmt: skip
        print(format_sizes_report(results, memory))
        return 0
    result = run_ranking_benchmark(
        args.modules, args.contexts, args.naive_contexts or naive_contexts_for(args.modules),
        args.seed, learned_views=args.learned_views, previous=not args.no_previous,
    )  # fmt: skip
    if args.json:
        print(json.dumps(dataclasses.asdict(result), default=str))
    else:
        print(format_report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
