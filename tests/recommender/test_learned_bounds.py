"""The rankers' bounds: the compiled passes over a context's eligible modules give numpy's floats,
and each tighter bound (the sketch's, then the exact text's) still bounds the exact score."""
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


def numpy_estimates(tags, tables, rows, factors=None):
    """CatalogTags.tag_score_estimates as numpy computed it before it was compiled."""
    total = np.zeros(len(rows), dtype=np.float32)
    for (_, _, per_module), table in zip(tags.groups, tags.group_tables(tables, factors)):
        if table is not None:
            total += np.take(table, np.take(per_module, rows))
    return total


def test_v1s_tag_estimates_are_numpys_floats(history):
    v1, today = history.v1, history.today
    for context in contexts(history):
        tables = v1.tags_.contributions(context)
        for rows in v1.eligible_by_audience(context, today):
            got = v1.tags_.tag_score_estimates(tables, rows)
            expected = numpy_estimates(v1.tags_, tables, rows)
            assert got.dtype == expected.dtype == np.float32
            np.testing.assert_array_equal(got, expected)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


def numpy_view(ranker, context, today):
    """ContextView.of's arrays as numpy computed them before they were compiled: the
    specification, pass by pass."""
    base, bounds = ranker.base_, ranker._bounds
    query = base.query_vector(context.text)
    tables = base.tags_.contributions(context)
    rows = base.eligible_modules(context, today)
    phase = ranker._phase(context)
    partial = numpy_estimates(base.tags_, tables, rows, bounds.factors)
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
            np.testing.assert_array_equal(np.signbit(mine), np.signbit(expected), err_msg=name)


def test_each_lists_modules_come_from_the_compiled_pass_as_numpy_selects_them(history):
    ranker, today = history.learner, history.today
    for context in contexts(history):
        view = ContextView.of(ranker, context, today)
        np.testing.assert_array_equal(view.internal, ~view.client)
        for mask in (view.client, view.internal):
            positions = np.flatnonzero(mask)
            made = view.subset(mask)
            for mine, expected in zip(made, (positions, view.rows[positions],
                                             view.upper[positions])):  # fmt: skip
                assert mine.dtype == expected.dtype
                np.testing.assert_array_equal(mine, expected)
        assert view.subset(view.client).rows.size + view.subset(view.internal).rows.size == (
            view.rows.size)


def test_each_tighter_bound_still_bounds_the_exact_score(history):
    ranker, today = history.learner, history.today
    for context in contexts(history):
        view = ContextView.of(ranker, context, today)
        everywhere = np.arange(view.rows.size)
        exact = view.exact(view.rows).final
        sketched = view.tighter(everywhere)
        text_exact = view.tightest(everywhere)
        assert (exact <= text_exact).all()
        assert (text_exact <= sketched).all()
        assert (exact <= view.upper).all()
        # the view keeps the tightest bound it made: asked again, the sketch is not read
        np.testing.assert_array_equal(view.tighter(everywhere), text_exact)


def test_the_exact_text_is_much_tighter_than_the_sketch_where_texts_are_shared(history):
    """Why the stage exists: on most modules the sketch lets through, the exact text takes
    several points off the bound (a bound equal to the sketch's would spare nothing)."""
    ranker, today = history.learner, history.today
    gaps = []
    for context in history.simulator.contexts(20, 6):
        view = ContextView.of(ranker, context, today)
        if view.query is None:
            continue
        everywhere = np.arange(view.rows.size)
        gaps.append(view.tighter(everywhere) - view.tightest(everywhere))
    gaps = np.concatenate(gaps)
    assert np.median(gaps) > 1.0, np.median(gaps)


def test_a_groups_table_is_kept_by_content_and_never_mixed_up(history):
    """Group tables are kept by their dimensions' tables and the factors: a context repeating a
    group's values reuses the table, other values or other factors never do."""
    ranker = history.learner
    tags, factors = ranker.base_.tags_, ranker._bounds.factors
    tags.__dict__.pop("_group_tables", None)
    for context in contexts(history):
        tables = tags.contributions(context)
        plain, weighed = tags.group_tables(tables), tags.group_tables(tables, factors)
        again = tags.group_tables(dict(tables))
        for dims_group, mine, other, same in zip(tags.groups, plain, weighed, again):
            dims, combinations, _ = dims_group
            wanted = [n for n, d in enumerate(dims) if d in tables]
            if not wanted:
                assert mine is other is same is None
                continue
            assert same is mine
            for table, scale in ((mine, lambda d: 1.0), (other, factors.get)):
                expected = sum(np.take(tables[dims[n]], combinations[:, n]) * scale(dims[n])
                               for n in wanted).astype(np.float32)  # fmt: skip
                np.testing.assert_array_equal(table, expected)
    assert 0 < len(tags._group_tables) < 4 * len(contexts(history))
