"""The ranking benchmark runs end to end on a tiny catalog and reports coherent figures.

No timing is asserted here: speed is judged by the printed benchmark (see BENCHMARKS.md).
"""
import pytest

from recommender.benchmark import (
    RankersDisagree,
    format_report,
    main,
    run_ranking_benchmark,
    synthetic_catalog,
    synthetic_contexts,
)
from recommender.naive import NaiveRanker
from recommender.types import CLIENT_FACING, DIMENSIONS


@pytest.fixture(scope="module")
def small_result():
    return run_ranking_benchmark(n_modules=300, n_contexts=5, naive_contexts=3, seed=3)


def test_small_benchmark_reports_consistent_figures(small_result):
    result = small_result
    assert len(result.vectorised.samples_ms) == 5
    assert len(result.naive.samples_ms) == 3
    for timings in (result.vectorised, result.naive):
        assert all(ms > 0 for ms in timings.samples_ms)
        assert min(timings.samples_ms) <= timings.median_ms <= timings.p95_ms
        assert timings.p95_ms <= max(timings.samples_ms)
    assert result.speedup == pytest.approx(result.naive.median_ms / result.vectorised.median_ms)
    assert result.vectorised_fit_s > 0 and result.naive_fit_s > 0
    assert result.fitted_bytes > 0
    assert result.peak_rss_bytes is None or result.peak_rss_bytes > result.fitted_bytes
    assert 0 < result.n_client_facing < result.n_modules == 300
    assert result.n_terms > 0


def test_both_rankers_agree_on_every_context_the_naive_loop_ranked(small_result):
    assert small_result.agreeing_contexts == 3


def test_report_puts_the_vectorised_median_beside_the_naive_one(small_result):
    report = format_report(small_result)
    assert f"vectorised median {small_result.vectorised.median_ms:.2f} ms" in report
    assert f"naive median {small_result.naive.median_ms:.2f} ms" in report
    assert "target < 5 ms:" in report
    assert "the target is for 10,000 modules" in report
    assert small_result.machine.numpy in report


def test_a_ranker_that_disagrees_with_the_naive_loop_voids_the_benchmark(monkeypatch):
    honest = NaiveRanker.scores

    def upside_down(self, context, today):
        return {module: -score for module, score in honest(self, context, today).items()}

    monkeypatch.setattr(NaiveRanker, "scores", upside_down)
    with pytest.raises(RankersDisagree):
        run_ranking_benchmark(n_modules=200, n_contexts=2, naive_contexts=2, seed=3)


def test_synthetic_data_is_repeatable_for_a_seed():
    assert synthetic_catalog(50, seed=11) == synthetic_catalog(50, seed=11)
    assert synthetic_catalog(50, seed=11) != synthetic_catalog(50, seed=12)
    assert synthetic_contexts(20, seed=11) == synthetic_contexts(20, seed=11)


def test_synthetic_catalog_looks_like_a_real_one():
    catalog = synthetic_catalog(2_000, seed=5)
    internal = sum(m.audience != CLIENT_FACING for m in catalog) / len(catalog)
    assert 0.2 < internal < 0.3
    assert all(80 <= len(m.text.split()) <= 203 for m in catalog)  # body plus the kind's words
    assert len({word for m in catalog for word in m.text.split()}) > 300
    for dim in DIMENSIONS:  # every dimension is tagged on some modules and left "any" on others
        tagged = sum(bool(m.tags.get(dim)) for m in catalog)
        assert 0 < tagged < len(catalog), dim
    assert len({m.module_id for m in catalog}) == len(catalog)


def test_synthetic_contexts_carry_a_description_and_mapped_values():
    contexts = synthetic_contexts(200, seed=5)
    assert all(30 <= len(c.text.split()) <= 80 for c in contexts)
    assert all(c.stage for c in contexts)
    assert sum(bool(c.buyer_roles) for c in contexts) > 100
    assert any(c.journey_phase is None for c in contexts)  # a custom stage nobody mapped


def test_main_prints_the_report(capsys):
    assert main(["--modules", "200", "--contexts", "3", "--naive-contexts", "2", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "vectorised median" in out and "speed-up" in out


def test_the_learned_ranker_is_timed_on_the_same_contexts_and_reported(small_result):
    learned = small_result.learned
    assert learned is not None and len(learned.samples_ms) == 5
    assert small_result.learned_impressions > 0 and small_result.learned_fit_s > 0
    report = format_report(small_result)
    assert f"learned median {learned.median_ms:.2f} ms" in report
    assert f"{small_result.learned_impressions:,} simulated impressions" in report


def test_the_learned_row_can_be_skipped():
    result = run_ranking_benchmark(n_modules=50, n_contexts=2, naive_contexts=1, learned_views=0)
    assert result.learned is None and "Learned ranker" not in format_report(result)


def test_the_previous_implementation_is_timed_beside_the_current_one(small_result):
    assert small_result.previous is not None and len(small_result.previous.samples_ms) == 5
    assert small_result.agreeing_previous == 5
    assert small_result.previous_learned is not None
    assert small_result.learned_agreeing_previous == 5
    report = format_report(small_result)
    assert "× the previous v1" in report and "faster than the previous learned ranker" in report


def test_a_ranker_that_differs_from_the_previous_one_voids_the_benchmark(monkeypatch):
    from recommender._previous.ranker import TagTextRanker as PreviousRanker

    honest = PreviousRanker.rank

    def reversed_lists(self, context, **kwargs):
        found = honest(self, context, **kwargs)
        return type(found)(found.client_facing[::-1], found.internal[::-1])

    monkeypatch.setattr(PreviousRanker, "rank", reversed_lists)
    with pytest.raises(RankersDisagree):
        run_ranking_benchmark(n_modules=300, n_contexts=3, naive_contexts=1, learned_views=0)


def test_sizes_run_in_fresh_processes_and_report_serving_memory(capsys):
    assert main(["--sizes", "300,500", "--contexts", "3", "--learned-views", "40"]) == 0
    out = capsys.readouterr().out
    assert "Ranking at scale" in out and "Serving memory" in out
    table = out[out.index("Ranking at scale"):]
    for size in ("300", "500"):
        assert f"{size}  v1 " in table and f"{size}  learned previous" in table
    assert "(no target at these sizes)" in table


def test_no_earlier_result_is_alive_while_a_call_is_timed(monkeypatch):
    """A served request's result is freed once rendered: the benchmark must not keep its own
    results as objects meanwhile, or the collector's passes over them are timed as ranking."""
    import weakref

    from recommender.ranker import TagTextRanker

    honest = TagTextRanker.rank
    earlier: list[weakref.ref] = []
    alive_at_call: list[int] = []

    def recording(self, context, **kwargs):
        alive_at_call.append(sum(ref() is not None for ref in earlier))
        found = honest(self, context, **kwargs)
        earlier.append(weakref.ref(found))
        return found

    monkeypatch.setattr(TagTextRanker, "rank", recording)
    result = run_ranking_benchmark(
        n_modules=200, n_contexts=4, naive_contexts=2, learned_views=0, previous=False
    )
    assert len(result.vectorised.samples_ms) == 4 and result.agreeing_contexts == 2
    assert len(alive_at_call) == 3 + 4  # the warm-up, then the timed calls
    assert alive_at_call == [0] * 7
