"""What a refit after a catalog edit costs from the previous fit, beside a fresh fit measured in
the same run, and what the fit handed back to the server costs to pickle. Run
``python -m recommender.benchmark_refit --modules 100000``. Design: docs/design/ranking.md."""
from __future__ import annotations

import argparse
import dataclasses
import os
import pickle
import sys
import time
from datetime import datetime
from typing import Callable, Sequence

import numpy as np

from recommender.feedback import Impression
from recommender.learning import LearnedRanker
from recommender.ranker import TagTextRanker
from recommender.synthetic import REFERENCE_DAY, synthetic_catalog, synthetic_contexts
from recommender.types import CandidateModule

#: The module every edit touches: one in the middle of the catalog's id order.
EDITED_AT = 0.5


@dataclasses.dataclass(frozen=True)
class Timed:
    cpu_s: float
    wall_s: float


def timed(work: Callable[[], object], repeat: int = 1) -> tuple[object, Timed]:
    """The result of the last run and the least CPU and wall time over ``repeat`` runs."""
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        result = work()
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return result, Timed(best_cpu, best_wall)


def edits(catalog: Sequence[CandidateModule]) -> dict[str, list[CandidateModule]]:
    """The catalog after each kind of edit: the benchmark's retag, title edits (words the
    catalog has, and a word it has not), one module published, and none."""
    at = int(len(catalog) * EDITED_AT)
    module = catalog[at]

    def replaced(**changes) -> list[CandidateModule]:
        edited = list(catalog)
        edited[at] = dataclasses.replace(module, **changes)
        return edited

    return {
        "nothing changed": list(catalog),
        "retagged": replaced(tags={"journey_phase": ("awareness",), "industry": ("Healthcare",)}),
        "title: known words": replaced(text="Renewal value playbook\n" + module.text),
        "title: a new word": replaced(text="Zebrafish renewal playbook\n" + module.text),
        "one module published": [*catalog, dataclasses.replace(
            module, module_id=module.module_id + "-new", text="Renewal playbook\n" + module.text)],
    }


def learned_model(catalog: Sequence[CandidateModule], seed: int) -> LearnedRanker:
    """A model with history (effects for half the catalog), loaded as the service loads it."""
    rng = np.random.default_rng(seed)
    contexts = synthetic_contexts(50, seed)
    known = catalog[: len(catalog) // 2]
    impressions = [
        Impression(contexts[i % 50], known[int(rng.integers(len(known)))].module_id,
                   int(rng.integers(1, 6)), 1.0, 1.0, "v1", datetime(2026, 1, 1),
                   helpful=bool(rng.random() < 0.2), used=bool(rng.random() < 0.05))
        for i in range(5000)
    ]
    model = LearnedRanker().fit(known, impressions, today=REFERENCE_DAY)
    return LearnedRanker.from_bytes(model.to_bytes())


def hand_back(ranker: TagTextRanker) -> dict[str, float]:
    """Pickling the fit to the server and back, as it was (the postings copy in the pickle)
    and as it is (left out, rebuilt on arrival; the refit state, which did not exist, is left
    out too)."""
    index = ranker.text_
    index.postings  # noqa: B018 - as a fit held a built copy before
    before_state = (ranker, index.postings)

    def before() -> object:
        return pickle.loads(  # nosec B301 # why: times the refit hand-back; loads only bytes it has just pickled
            pickle.dumps(before_state, protocol=pickle.HIGHEST_PROTOCOL))

    def after() -> object:
        return pickle.loads(  # nosec B301 # why: times the refit hand-back; loads only bytes it has just pickled
            pickle.dumps(ranker, protocol=pickle.HIGHEST_PROTOCOL))

    _, was = timed(before, 2)
    _, now = timed(after, 2)
    mib = 2.0**20
    return {
        "before_mib": len(pickle.dumps(before_state, protocol=pickle.HIGHEST_PROTOCOL)) / mib,
        "after_mib": len(pickle.dumps(ranker, protocol=pickle.HIGHEST_PROTOCOL)) / mib,
        "before_cpu": was.cpu_s, "before_wall": was.wall_s,
        "after_cpu": now.cpu_s, "after_wall": now.wall_s,
    }  # fmt: skip


def kept_bytes(ranker: TagTextRanker) -> tuple[int, int]:
    """(what the refit child keeps per org, beside the copy the server holds: the whole fit
    with its texts, roughly, and no postings, which it never makes; of it, the refit state:
    counts and first-seen keys)."""
    index = ranker.text_
    state = index.counts.nbytes + index.first_seen.nbytes
    postings = index.rows.data.nbytes + index.rows.indices.nbytes + (index.n_terms + 1) * 8
    texts = sum(len(t.encode()) + 49 for t in ranker.texts_)  # str objects, roughly
    return ranker.fitted_bytes - postings + texts, state


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--modules", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs")
    args = parser.parse_args(argv)

    load = os.getloadavg()
    print(f"refit benchmark: {args.modules:,} modules (recommender.synthetic, seed {args.seed}),"
          f" load average {load[0]:.1f}/{load[1]:.1f} on {os.cpu_count()} CPUs; best of"
          f" {args.repeat}; CPU = this process's, wall = elapsed")
    catalog = synthetic_catalog(args.modules, args.seed)
    model = learned_model(catalog, args.seed)
    previous = TagTextRanker().fit(catalog)
    adapted = model.with_catalog(catalog)
    rows = []
    for name, edited in edits(catalog).items():
        fresh, fresh_t = timed(lambda e=edited: TagTextRanker().fit(e), args.repeat)
        reused, reused_t = timed(lambda e=edited: TagTextRanker().fit(e, previous=previous),
                                 args.repeat)
        assert np.array_equal(fresh.text_.rows.data, reused.text_.rows.data)  # the same fit
        _, lfresh_t = timed(lambda e=edited: model.with_catalog(e), args.repeat)
        _, lreused_t = timed(lambda e=edited: model.with_catalog(e, previous=adapted),
                             args.repeat)
        rows.append((name, fresh_t, reused_t, lfresh_t, lreused_t))

    print("\n| edit | v1 fresh fit CPU / wall | v1 from previous CPU / wall | speed-up (CPU) "
          "| with_catalog fresh CPU / wall | with_catalog from previous CPU / wall "
          "| speed-up (CPU) |")
    print("|---|---|---|---|---|---|---|")
    for name, a, b, c, d in rows:
        print(f"| {name} | {a.cpu_s:.2f} s / {a.wall_s:.2f} s | {b.cpu_s:.2f} s / {b.wall_s:.2f}"
              f" s | {a.cpu_s / max(b.cpu_s, 1e-9):.1f}× | {c.cpu_s:.2f} s / {c.wall_s:.2f} s"
              f" | {d.cpu_s:.2f} s / {d.wall_s:.2f} s | {c.cpu_s / max(d.cpu_s, 1e-9):.1f}× |")

    back = hand_back(previous)
    print(f"\nhand-back of the v1 fit (dumps + loads in one process, best of 2): before"
          f" {back['before_mib']:.0f} MiB, {back['before_cpu']:.2f} s CPU /"
          f" {back['before_wall']:.2f} s wall; now {back['after_mib']:.0f} MiB,"
          f" {back['after_cpu']:.2f} s CPU / {back['after_wall']:.2f} s wall (postings rebuilt"
          f" on arrival)")
    whole, state = kept_bytes(previous)
    print(f"kept by the refit child per org: about {whole / 2**20:.0f} MiB (the fit with its"
          f" texts, no postings), of which refit state {state / 2**20:.0f} MiB")
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.1f}/{load[1]:.1f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
