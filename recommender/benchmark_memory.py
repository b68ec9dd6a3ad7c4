"""Resident memory of a process serving one catalog, measured in a fresh interpreter.
Design: docs/design/recommender.md."""
from __future__ import annotations

import gc
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time

import numpy as np

from recommender.heap import give_back_freed_heap
from recommender.learning import LearnedRanker
from recommender.ranker import TagTextRanker
from recommender.simulation import DealSimulator
from recommender.synthetic import synthetic_catalog


@dataclass(frozen=True)
class ServingMemory:
    n_modules: int
    #: The interpreter with numpy, scipy and scikit-learn loaded, before any catalog.
    baseline_bytes: int
    #: Serving one catalog: v1 and the learned ranker laid over it.
    serving_bytes: int
    #: The most this process held at once, while generating, simulating and fitting.
    peak_bytes: int
    #: Arrays the two rankers keep (module id strings and Python objects not counted).
    fitted_bytes: int

    @property
    def per_catalog_bytes(self) -> int:
        return self.serving_bytes - self.baseline_bytes


def measure_serving_memory(n_modules: int, seed: int, views: int, today: date) -> ServingMemory:
    baseline = _status_bytes("VmRSS")
    catalog = synthetic_catalog(n_modules, seed, today=today)
    v1 = TagTextRanker().fit(catalog)
    simulator = DealSimulator(catalog, seed, today=today)
    logged = simulator.log_sessions(
        lambda c, r: v1.rank(c, today=today), simulator.contexts(views, 1),
        np.random.default_rng(seed), start=datetime.combine(today, clock_time()),
    )  # fmt: skip
    stored = LearnedRanker(v1).fit(catalog, logged, today=today).to_bytes()
    del simulator, logged
    gc.collect()
    learned = LearnedRanker.from_bytes(stored, catalog)  # as plugin/served_models.py loads it
    learned.base_.prepare()  # and prepares it: postings and the bounds' sketch
    del catalog, stored
    gc.collect()
    give_back_freed_heap()
    fitted = v1.fitted_bytes + learned.base_.fitted_bytes + _learned_bytes(learned)
    return ServingMemory(
        n_modules, baseline, _status_bytes("VmRSS"), _status_bytes("VmHWM"), fitted
    )


def _learned_bytes(learned: LearnedRanker) -> int:
    effects = learned.effects_
    arrays = [effects.module, effects.phase, effects.optimism, effects.exposure,
              learned.kind_onehot_, learned.published_, learned._bounds.constant,
              learned._bounds.fixed, learned._bounds.maybe_new]  # fmt: skip
    return sum(a.nbytes for a in arrays)


def _status_bytes(field: str) -> int:
    """A field of /proc/self/status (Linux), in bytes."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


