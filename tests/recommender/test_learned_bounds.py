"""The learned ranker's bounds: the compiled pass over a context's eligible modules gives numpy's
floats."""
from dataclasses import replace

import numpy as np
from recommender.learned_scoring import ContextView


def contexts(history, n: int = 25):
    """Simulated opportunities, and some that want nothing of one group of dimensions (the
    compiled pass reads a table of zeros for it) or have no text (no text bound at all)."""
    drawn = history.simulator.contexts(n, 5)
    return [
        *drawn,
        *(replace(c, journey_phase=None, industry=None, deal_size=None) for c in drawn[:5]),
        *(replace(c, buyer_roles=(), stage=None, challenge=None) for c in drawn[5:10]),
        replace(drawn[10], buyer_roles=(), stage=None, challenge=None, journey_phase=None,
                industry=None, deal_size=None),
        *(replace(c, text="") for c in drawn[11:14]),
    ]  # fmt: skip


def numpy_view(ranker, context, today):
    """ContextView.of's arrays as numpy computed them before they were compiled: the
    specification, pass by pass."""
    base, bounds = ranker.base_, ranker._bounds
    query = base.query_vector(context.text)
    tables = base.tags_.contributions(context)
    rows = base.eligible_modules(context, today)
    phase = ranker._phase(context)
    partial = base.tags_.tag_score_estimates(tables, rows, bounds.factors)
    partial += np.take(bounds.constant[phase], rows)
    low, high = base.text_bound() if query is not None else (0.0, 0.0)
    text_most = max(bounds.text_factor * low, bounds.text_factor * high)
    upper = np.maximum(partial + (text_most + bounds.margin), bounds.floored_score)
    kept = np.take(bounds.kept(ranker, phase), rows)
    return rows, partial, upper, kept, base.client_facing_[rows]


def test_the_compiled_pass_over_eligible_modules_gives_numpys_floats(history):
    ranker, today = history.learner, history.today
    assert not ranker._bounds.kept(ranker, 1).all()  # some module is sunk: ``kept`` is read
    for context in contexts(history):
        view = ContextView.of(ranker, context, today)
        got = (view.rows, view.partial, view.upper, view.kept, view.client)
        for name, mine, expected in zip(("rows", "partial", "upper", "kept", "client"), got,
                                        numpy_view(ranker, context, today)):  # fmt: skip
            assert mine.dtype == expected.dtype, name
            np.testing.assert_array_equal(mine, expected, err_msg=name)
