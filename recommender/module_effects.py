"""What each module did beyond the learned ranker's generic prediction: Gamma-Poisson multipliers.
Design: docs/learning.md (How the learner works, step 4)."""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy.stats import gamma


@dataclasses.dataclass(frozen=True)
class ModuleEffects:
    """Per-module evidence beyond the generic model, aligned with a catalog's module order."""

    #: Posterior mean multiplier on the generic prediction.
    module: np.ndarray
    #: (modules, phases + 1): a further multiplier per journey phase (last column: none/unknown).
    phase: np.ndarray
    #: log2(upper posterior quantile / mean): how much better the module might plausibly be.
    optimism: np.ndarray
    #: Expected examinations Σ θ over the module's impressions.
    exposure: np.ndarray
    #: (modules, phases + 1), at most 1: how much less often reps approve of the module in a
    #: phase than of content on average, when they say anything at all (:func:`rejection`).
    rejection: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.rejection is None:  # no votes read (a model stored before votes counted)
            object.__setattr__(self, "rejection", np.ones_like(self.phase))


def estimate_effects(
    n_modules: int,
    n_phases: int,
    rows: np.ndarray,
    phases: np.ndarray,
    exam: np.ndarray,
    expected: np.ndarray,
    reward: np.ndarray,
    *,
    prior_strength: float,
    optimism: float,
    rejected: np.ndarray | None = None,
    vote_strength: float = 3.0,
) -> ModuleEffects:
    """Multipliers from impressions of modules ``rows`` in phase columns ``phases``
    (``n_phases`` columns, the last for none/unknown), with their examination, expected and
    actual rewards, and which of them a rep marked not helpful without using (``rejected``)."""
    n, s = n_modules, prior_strength
    got, due = np.bincount(rows, reward, n), np.bincount(rows, expected, n)
    module = (got + s) / (due + s)
    cell = rows * n_phases + phases
    cell_got = np.bincount(cell, reward, n * n_phases).reshape(n, n_phases)
    cell_due = np.bincount(cell, expected, n * n_phases).reshape(n, n_phases)
    phase = (cell_got + s) / (cell_due * module[:, None] + s)
    upper = gamma.ppf(optimism, got + s, scale=1.0 / (due + s))
    refused = None
    if rejected is not None:
        refused = rejection(n, n_phases, rows, phases, reward > 0, np.asarray(rejected, bool),
                            strength=vote_strength)
    return ModuleEffects(module, phase, np.log2(upper / module), np.bincount(rows, exam, n),
                         refused)


def rejection(
    n_modules: int,
    n_phases: int,
    rows: np.ndarray,
    phases: np.ndarray,
    approved: np.ndarray,
    rejected: np.ndarray,
    *,
    strength: float,
) -> np.ndarray:
    """(modules, phases + 1) multipliers in (0, 1]: a module's share of approvals (helpful or
    used) among the impressions reps judged (approved or marked not helpful), relative to the
    share over all content, where it is lower.

    The reward alone cannot say "no": most impressions are silently ignored, so a module reps
    explicitly reject looks only a little worse than one nobody looked at. The share is shrunk
    twice, with ``strength`` judged impressions of prior evidence each time: the module's towards
    the overall share, then each phase's towards the module's, so a single vote moves little
    and ten "not helpful" votes in one phase sink the module there, and less elsewhere."""
    n, v = n_modules, strength
    judged = approved | rejected
    overall = (approved.sum() + 1.0) / (judged.sum() + 2.0)
    yes, seen = np.bincount(rows, approved, n), np.bincount(rows, judged, n)
    module = (yes + v * overall) / (seen + v)
    cell = rows * n_phases + phases
    cell_yes = np.bincount(cell, approved, n * n_phases).reshape(n, n_phases)
    cell_seen = np.bincount(cell, judged, n * n_phases).reshape(n, n_phases)
    share = (cell_yes + v * module[:, None]) / (cell_seen + v)
    return np.minimum(share / overall, 1.0)


def effects_for_catalog(
    effects: ModuleEffects,
    known_ids: np.ndarray,
    ids: np.ndarray,
    *,
    prior_strength: float,
    optimism: float,
) -> ModuleEffects:
    """``effects`` (aligned with ``known_ids``) laid out for the catalog ``ids``: known modules
    keep theirs, others get what a module without evidence gets in :func:`estimate_effects`."""
    old = {m: n for n, m in enumerate(known_ids)}
    rows = np.array([old.get(m, -1) for m in ids], dtype=np.int64)
    seen = rows >= 0
    s = prior_strength
    unseen_optimism = float(np.log2(gamma.ppf(optimism, s, scale=1.0 / s)))

    def laid_out(values: np.ndarray, default: float) -> np.ndarray:
        out = np.full((len(ids), *values.shape[1:]), default, dtype=float)
        out[seen] = values[rows[seen]]
        return out

    return ModuleEffects(
        module=laid_out(effects.module, 1.0),
        phase=laid_out(effects.phase, 1.0),
        optimism=laid_out(effects.optimism, unseen_optimism),
        exposure=laid_out(effects.exposure, 0.0),
        rejection=laid_out(effects.rejection, 1.0),
    )
