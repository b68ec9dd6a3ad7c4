"""One catalog size of the ranking benchmark, run in this process, with same-run baselines.
Design: docs/design/recommender.md."""
from __future__ import annotations

import dataclasses

import gc
import os
import pickle
import platform
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from typing import Callable, Sequence

import numpy as np
import scipy
import sklearn

from recommender._previous.learning import LearnedRanker as PreviousLearnedRanker
from recommender._previous.ranker import TagTextRanker as PreviousRanker
from recommender.learning import LearnedRanker
from recommender.naive import NaiveRanker
from recommender.ranker import TagTextRanker
from recommender.simulation import DealSimulator
from recommender.synthetic import REFERENCE_DAY, synthetic_catalog, synthetic_contexts
from recommender.types import CLIENT_FACING, OpportunityContext, Recommendations

BENCHMARK_DAY = REFERENCE_DAY
#: The previous learned ranker scores the whole catalog for every logged context while fitting
#: and keeps every score: past this many (modules × views) it needs more memory than the
#: development machine has (100,000 × 2,000 took 14 GB), so it is not run.
PREVIOUS_LEARNED_LIMIT = 200_000_000


class RankersDisagree(RuntimeError):
    """Two rankers that must agree chose different modules: the figures are void."""


@dataclass(frozen=True)
class MachineFacts:
    python: str
    numpy: str
    scipy: str
    scikit_learn: str
    cpu_model: str
    cpu_count: int
    platform: str
    blas: str

    @classmethod
    def collect(cls) -> "MachineFacts":
        return cls(
            python=platform.python_version(),
            numpy=np.__version__,
            scipy=scipy.__version__,
            scikit_learn=sklearn.__version__,
            cpu_model=_cpu_model(),
            cpu_count=_usable_cpus(),
            platform=platform.platform(),
            blas=_blas(),
        )


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):  # what this process may run on, not what the host has
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 0


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _blas() -> str:
    """The BLAS libraries loaded (numpy and scipy each bring one) and the kernels OpenBLAS chose."""
    from threadpoolctl import threadpool_info  # a scikit-learn dependency

    found = sorted(
        f"{pool['internal_api']} {pool.get('version')} "
        f"({pool.get('architecture') or '?'}, {pool['num_threads']} threads)"
        for pool in threadpool_info()
        if pool.get("user_api") == "blas"
    )
    return ", ".join(dict.fromkeys(found)) or "none loaded"


@dataclass(frozen=True)
class Timings:
    """Wall-clock times of one call per context, in milliseconds."""

    samples_ms: tuple[float, ...]

    @property
    def median_ms(self) -> float:
        return float(np.median(self.samples_ms))

    @property
    def p95_ms(self) -> float:
        return float(np.percentile(self.samples_ms, 95))

    @property
    def p99_ms(self) -> float:
        return float(np.percentile(self.samples_ms, 99))

    @property
    def mean_ms(self) -> float:
        return float(np.mean(self.samples_ms))


@dataclass(frozen=True)
class RankingBenchmark:
    n_modules: int
    n_client_facing: int
    n_expired: int
    n_terms: int
    seed: int
    today: date
    vectorised: Timings
    naive: Timings
    vectorised_fit_s: float
    naive_fit_s: float
    #: numpy/scipy buffers held by the fitted TagTextRanker (module id strings not counted).
    fitted_bytes: int
    #: This process's peak resident set before the learned rankers (catalog, naive loop and
    #: both v1 implementations included); None off Unix.
    peak_rss_bytes: int | None
    #: Contexts on which v1 and the naive loop chose the same top ids, for both audiences.
    agreeing_contexts: int
    machine: MachineFacts
    previous: Timings | None = None
    previous_fit_s: float = 0.0
    #: Contexts on which v1 returned exactly the previous v1's suggestions.
    agreeing_previous: int = 0
    learned: Timings | None = None
    learned_fit_s: float = 0.0
    learned_impressions: int = 0
    previous_learned: Timings | None = None
    previous_learned_fit_s: float = 0.0
    #: Contexts on which both learned rankers showed the same modules, draws included.
    learned_agreeing_previous: int = 0

    @property
    def speedup(self) -> float:
        return self.naive.median_ms / self.vectorised.median_ms


def run_ranking_benchmark(
    n_modules: int = 10_000,
    n_contexts: int = 200,
    naive_contexts: int = 20,
    seed: int = 7,
    today: date = BENCHMARK_DAY,
    *,
    k_client_facing: int = 5,
    k_internal: int = 3,
    learned_views: int = 2000,
    previous: bool = True,
) -> RankingBenchmark:
    """Fit every ranker on one synthetic catalog and time ranking a context with each."""
    if min(n_modules, n_contexts, naive_contexts) < 1:
        raise ValueError("modules, contexts and naive contexts must each be at least 1")
    catalog = synthetic_catalog(n_modules, seed, today=today)
    contexts = synthetic_contexts(max(n_contexts, naive_contexts), seed)
    timed = contexts[:n_contexts]
    ks = dict(k_client_facing=k_client_facing, k_internal=k_internal)
    # Fitted and prepared, as served (plugin/ranking/served_models.py makes the postings and
    # the bounds' sketch off the request path): the fit time includes both.
    v1, v1_fit = _timed(lambda: TagTextRanker().fit(catalog).prepare())
    v1_ms, v1_ranked = _time_each(lambda c: v1.rank(c, today=today, **ks), timed, warm_up=3)
    naive, naive_fit = _timed(lambda: NaiveRanker().fit(catalog))
    naive_rank = _naive_rank(naive, catalog, today, k_client_facing, k_internal)
    naive_ms, naive_ranked = _time_each(naive_rank, contexts[:naive_contexts], warm_up=1)
    agreeing = _same_ids(contexts, v1_ranked, naive_ranked, "the naive loop")
    del naive
    before = before_fit = None
    agreeing_previous = 0
    if previous:
        old, before_fit = _timed(lambda: PreviousRanker().fit(catalog))
        before, old_ranked = _time_each(lambda c: old.rank(c, today=today, **ks), timed, warm_up=3)
        agreeing_previous = _identical(timed, v1_ranked, old_ranked, "the previous v1")
        del old
    gc.collect()
    peak = _peak_rss_bytes()
    learned = _learned(catalog, v1, timed, learned_views, seed, today, ks, previous)
    return RankingBenchmark(
        n_modules=n_modules,
        n_client_facing=sum(m.audience == CLIENT_FACING for m in catalog),
        n_expired=sum(bool(m.review_by and m.review_by < today) for m in catalog),
        n_terms=0 if v1.terms_ is None else len(v1.terms_),
        seed=seed,
        today=today,
        vectorised=v1_ms,
        naive=naive_ms,
        vectorised_fit_s=v1_fit,
        naive_fit_s=naive_fit,
        fitted_bytes=v1.fitted_bytes,
        peak_rss_bytes=peak,
        agreeing_contexts=agreeing,
        machine=MachineFacts.collect(),
        previous=before,
        previous_fit_s=before_fit or 0.0,
        agreeing_previous=agreeing_previous,
        **learned,
    )


def _learned(catalog, v1, contexts, views, seed, today, ks, previous) -> dict:
    """Both learned rankers fitted on ``views`` simulated panel views logged by v1, timed as
    the panel calls them: exploring, with a random generator (the same draws for both)."""
    if views <= 0:
        return {}
    simulator = DealSimulator(catalog, seed, today=today)
    logged = simulator.log_sessions(
        lambda c, r: v1.rank(c, today=today, **ks), simulator.contexts(views, 1),
        np.random.default_rng(seed), start=datetime.combine(today, clock_time()),
    )  # fmt: skip
    del simulator
    # Without sinking rejected modules: the previous ranker did not read "not helpful" votes, so
    # only then can the two lists be compared; the votes' multiplier is one more per-module
    # constant in the same arithmetic, so the timing is the same.
    now, fit_s = _timed(
        lambda: _prepared(LearnedRanker(v1, sink_rejected=False).fit(catalog, logged, today=today))
    )
    out = {"learned_fit_s": fit_s, "learned_impressions": len(logged)}
    draws = _draws(seed, len(contexts))
    out["learned"], ranked = _time_each(
        lambda c: now.rank(c, today=today, rng=next(draws), **ks), contexts, warm_up=0
    )
    if previous and len(catalog) * views <= PREVIOUS_LEARNED_LIMIT:
        del now
        gc.collect()
        old, out["previous_learned_fit_s"] = _timed(
            lambda: PreviousLearnedRanker(PreviousRanker()).fit(catalog, logged, today=today)
        )
        draws = _draws(seed, len(contexts))
        out["previous_learned"], old_ranked = _time_each(
            lambda c: old.rank(c, today=today, rng=next(draws), **ks), contexts, warm_up=0
        )
        out["learned_agreeing_previous"] = _same_ids(
            contexts, ranked, old_ranked, "the previous learned ranker"
        )
    return out


def _prepared(learned: LearnedRanker) -> LearnedRanker:
    """``learned`` with its own v1 part prepared, as the service prepares a fitted model."""
    learned.base_.prepare()
    return learned


def _draws(seed: int, n: int):
    """One generator per context, the same sequence for every ranker timed."""
    return iter([np.random.default_rng([seed, 2, i]) for i in range(n)])


def _naive_rank(naive: NaiveRanker, catalog, today, k_client_facing, k_internal):
    audiences = {m.module_id: m.audience for m in catalog}

    def rank(context: OpportunityContext) -> tuple[tuple[str, ...], tuple[str, ...]]:
        scores = naive.scores(context, today)
        best = sorted(scores, key=lambda m: (-scores[m], m))
        client = tuple(m for m in best if audiences[m] == CLIENT_FACING)[:k_client_facing]
        internal = tuple(m for m in best if audiences[m] != CLIENT_FACING)[:k_internal]
        return client, internal

    return rank


def _timed(make: Callable):
    start = time.perf_counter_ns()
    made = make()
    return made, (time.perf_counter_ns() - start) / 1e9


def _time_each(rank: Callable, contexts: Sequence[OpportunityContext], warm_up: int):
    """Time one call per context; the warm-up fills caches and lazy imports, and is not counted.

    The garbage collector stays on, as it is when the panel is served. Each result is kept
    pickled until every call is timed: kept as objects, the results of the calls before (a
    served request's are freed once rendered) filled the collector's young generations, and
    its generation-1 passes over them (1.4–2.7 ms at 100,000 modules) landed in the two
    slowest calls of 200, i.e. the p99.
    """
    for context in contexts[:warm_up]:
        rank(context)
    gc.collect()
    samples, kept = [], []
    for context in contexts:
        start = time.perf_counter_ns()
        result = rank(context)
        samples.append((time.perf_counter_ns() - start) / 1e6)
        kept.append(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        del result  # else alive while the next call is timed
    results = [pickle.loads(blob) for blob in kept]  # nosec B301 # why: loads only bytes this loop has just pickled
    return Timings(tuple(samples)), results


def _ids(found) -> tuple[tuple[str, ...], ...]:
    if isinstance(found, Recommendations):
        return tuple(s.module_id for s in found.client_facing), tuple(
            s.module_id for s in found.internal
        )
    return found


def _same_ids(contexts, fast, slow, name: str) -> int:
    for i, (a, b) in enumerate(zip(fast, slow)):
        if _ids(a) != _ids(b):
            raise RankersDisagree(
                f"context {i} ({contexts[i]!r}): chose {_ids(a)}, {name} {_ids(b)}"
            )
    return min(len(fast), len(slow))


def _identical(contexts, fast, slow, name: str) -> int:
    """The same suggestions, scores, breakdowns and reasons, but for the text reason (and the
    "any" one standing in for it): it names shared phrases now (issue 14), where the previous
    ranker named single words."""
    for i, (a, b) in enumerate(zip(fast, slow)):
        if _without_text_reasons(a) != _without_text_reasons(b):
            raise RankersDisagree(f"context {i} ({contexts[i]!r}): {a} differs from {name}'s {b}")
    return len(fast)


def _without_text_reasons(ranked) -> list:
    return [dataclasses.replace(s, reasons=tuple(r for r in s.reasons
                                                 if r.dimension not in ("text", "any")))
            for s in ranked]


def _peak_rss_bytes() -> int | None:
    try:
        import resource
    except ImportError:  # not on Unix
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB

