"""TextIndex gives scikit-learn's TfidfVectorizer numbers bit for bit, fitted in one pass; its
text bounds never fall below a similarity; its phrases are the regexes' pairs."""
import pickle
import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from recommender import kernels
from recommender.synthetic import synthetic_catalog, synthetic_contexts
from recommender.text_index import (
    GENERIC_TERMS,
    SKETCH_BUCKETS,
    TextIndex,
    build_vectorizer,
    shared_phrases,
    text_phrases,
)

#: Words, stop words, digits, underscores, accents, non-Latin letters, punctuation and spacing:
#: whatever decides where the tokenizer cuts.
PIECES = ["audit", "Audit", "the", "and", "a", "x", "roi", "60", "2026", "e-mail", "co_op", "Ünïcode",
          "straße", "日本語", "naïve", "ROI!", "ab", "q3", "  ", "\n", "\t", ",", ".", "'s", "’", "—"]  # fmt: skip
texts = st.lists(st.sampled_from(PIECES), max_size=12).map(" ".join) | st.text(max_size=40)


@settings(max_examples=300, deadline=None, database=None)
@given(catalog=st.lists(texts, min_size=1, max_size=8), query=texts)
def test_catalog_rows_and_queries_are_the_vectorizers_floats(catalog, query):
    vectorizer = build_vectorizer()
    try:
        expected = vectorizer.fit_transform(catalog).tocsr()
    except ValueError:  # no word that is not a stop word
        assert TextIndex.fit(iter(catalog)) is None
        return
    expected.sort_indices()
    index = TextIndex.fit(iter(catalog))
    assert list(index.terms) == list(vectorizer.get_feature_names_out())
    np.testing.assert_array_equal(index.idf, vectorizer.idf_)
    np.testing.assert_array_equal(index.rows.indptr, expected.indptr)
    np.testing.assert_array_equal(index.rows.indices, expected.indices)
    np.testing.assert_array_equal(index.rows.data, expected.data)

    transformed = vectorizer.transform([query])
    found = index.query(query)
    if transformed.nnz == 0:
        assert found is None
        return
    np.testing.assert_array_equal(found.terms, transformed.indices)
    np.testing.assert_array_equal(found.weights, transformed.data)
    columns = expected.tocsc()[:, transformed.indices]  # the previous ranker's product
    np.testing.assert_array_equal(index.similarity(found), columns @ transformed.data)
    rows = np.arange(0, len(catalog), 2)
    np.testing.assert_array_equal(index.similarity(found, rows), (columns @ transformed.data)[rows])


def test_a_few_rows_are_scored_as_scipys_product_of_those_rows_float_for_float():
    catalog = synthetic_catalog(3_000, seed=11)
    index = TextIndex.fit(m.text for m in catalog)
    wide = TextIndex(_with_int64_indices(index.rows), index.terms, index.idf)
    picks = np.random.default_rng(11)
    for context in synthetic_contexts(20, seed=11):
        query = index.query(context.text)
        rows = np.sort(picks.choice(len(catalog), 40, replace=False))  # fewer than the postings
        expected = index.rows[rows] @ index.dense(query)
        np.testing.assert_array_equal(index.similarity(query, rows), expected)
        np.testing.assert_array_equal(wide.similarity(query, rows), expected)


def test_many_rows_and_rows_without_terms_are_scored_as_scipys_product():
    """The compiled loop touches rows in chunks before scoring them: past one chunk, and with
    rows that hold no term (a text of stop words), the floats are still scipy's."""
    catalog = [m.text for m in synthetic_catalog(2_000, seed=17)]
    catalog[::97] = ["the and of it"] * len(catalog[::97])
    index = TextIndex.fit(catalog)
    assert (np.diff(index.rows.indptr) == 0).sum() >= 20
    picks = np.random.default_rng(17)
    for context in synthetic_contexts(10, seed=17):
        query = index.query(context.text)
        rows = np.sort(picks.choice(len(catalog), 700, replace=False))
        rows[-1] = len(catalog) - 1  # the last row too (no stored entry after it)
        out = np.empty(rows.size)
        kernels.row_cosines(index.rows.indptr, index.rows.indices, index.rows.data,
                            index.dense(query), rows.astype(np.intp), out)  # fmt: skip
        np.testing.assert_array_equal(out, index.rows[rows] @ index.dense(query))


def _with_int64_indices(rows: sparse.csr_matrix) -> sparse.csr_matrix:
    """The same matrix with the index dtype scipy moves to past 2³¹ stored entries."""
    wide = sparse.csr_matrix(rows.shape)
    wide.data, wide.indices, wide.indptr = (
        rows.data, rows.indices.astype(np.int64), rows.indptr.astype(np.int64))
    return wide


def test_each_query_gets_its_own_bounds_when_queries_alternate():
    catalog = synthetic_catalog(500, seed=13)
    index = TextIndex.fit(m.text for m in catalog)
    rows = np.arange(len(catalog))
    queries = [index.query(c.text) for c in synthetic_contexts(6, seed=13)]
    alone = [TextIndex.fit(m.text for m in catalog).similarity_bounds(q, rows) for q in queries]
    for _ in range(2):
        for query, expected in zip(queries, alone):
            np.testing.assert_array_equal(index.similarity_bounds(query, rows), expected)


def test_a_catalog_of_stop_words_has_no_text_index():
    assert TextIndex.fit(["the and of", "", "a"]) is None


@settings(max_examples=300, deadline=None, database=None)
@given(catalog=st.lists(texts, min_size=1, max_size=8), query=texts)
def test_text_bounds_are_never_below_the_similarity(catalog, query):
    index = TextIndex.fit(iter(catalog))
    found = None if index is None else index.query(query)
    if found is None:
        return
    rows = np.arange(len(catalog))
    bounds = index.similarity_bounds(found, rows)
    assert (bounds >= index.similarity(found, rows)).all() and (bounds <= 1.0 + 1e-9).all()


def test_text_bounds_hold_and_prune_on_a_catalog_whose_texts_share_most_words():
    catalog = synthetic_catalog(3_000, seed=3)
    index = TextIndex.fit(m.text for m in catalog)
    rows = np.arange(len(catalog))
    tight = []
    for context in synthetic_contexts(40, seed=3):
        query = index.query(context.text)
        similarity, bounds = index.similarity(query, rows), index.similarity_bounds(query, rows)
        assert (bounds >= similarity).all()
        tight.append(np.median(bounds))
    # A cosine is at most 1; the sketch bounds the typical module well below that (the best
    # cosines on this catalog are ~0.5), which is what lets a ranker skip it.
    assert np.median(tight) < 0.6


def test_the_sketch_read_bucket_by_bucket_gives_the_bound_read_module_by_module():
    """Thousands of rows a few apart are read bucket by bucket, a few rows far apart module by
    module: the same bounds either way but for the float32 sum's order (within its error
    bound), each above the similarity."""
    catalog = synthetic_catalog(3_000, seed=11)
    index = TextIndex.fit(m.text for m in catalog)
    sketch, every = index.sketch, np.arange(len(catalog))
    few = every[::500]
    for context in synthetic_contexts(20, seed=11):
        query = index.query(context.text)
        weights, buckets = sketch.query_weights(query)
        assert sketch._streams(every, len(buckets)) and not sketch._streams(few, len(buckets))
        assert not sketch._streams(every[:3], 1)  # one bucket, but each row's byte a line apart
        streamed = sketch.bounds(query, every)
        fetched = np.empty(len(every))
        kernels.sketch_bounds(sketch.levels, weights, every, 1.0 + 2.0**-16, 1.0 + 1e-9, fetched)
        np.testing.assert_allclose(streamed, fetched, rtol=2 * 64 * 2.0**-24, atol=0)  # each sum's
        assert (streamed >= index.similarity(query, every)).all()
        np.testing.assert_array_equal(sketch.bounds(query, few), fetched[few])
        np.testing.assert_array_equal(sketch.by_bucket, sketch.levels.T)


def test_a_text_bounds_itself_closely():
    index = TextIndex.fit(["audit trail for regulated banks", "cloud migration playbook", "roi"])
    query = index.query("audit trail for regulated banks")
    assert index.similarity_bounds(query, np.array([0]))[0] >= index.similarity(query)[0]
    assert index.similarity_bounds(query, np.array([0]))[0] <= 1.0 + 1e-9


def test_a_served_copy_rebuilds_the_sketch_and_counts_its_bytes():
    index = TextIndex.fit(m.text for m in synthetic_catalog(500, seed=5))
    index.sketch  # noqa: B018 - made, as a served index has it
    copy = pickle.loads(pickle.dumps(index))

    np.testing.assert_array_equal(copy.sketch.levels, index.sketch.levels)
    np.testing.assert_array_equal(copy.sketch.by_bucket, index.sketch.by_bucket)
    assert copy.sketch.levels.shape == (500, SKETCH_BUCKETS)
    assert copy.sketch.by_bucket.shape == (SKETCH_BUCKETS, 500)
    assert index.__getstate__()["_sketch"] is None  # rebuilt on arrival, not piped
    assert index.nbytes >= index.sketch.nbytes + index.rows.data.nbytes


def _phrases_by_regex(text: str) -> set[tuple[str, str]]:
    """The phrase rule restated with the vectorizer's own token and stop-word definitions."""
    stop = build_vectorizer().get_stop_words()

    def usable(word: str) -> bool:
        return word not in stop and not word.isdigit() and "_" not in word

    found = set()
    for clause in re.split(r"[^\w\s]+", text.lower()):
        words = re.findall(r"\w\w+", clause)
        found.update((a, b) for a, b in zip(words, words[1:]) if usable(a) and usable(b)
                     and not (a in GENERIC_TERMS and b in GENERIC_TERMS))
    return found


ascii_texts = st.lists(
    st.sampled_from([*PIECES[:20], "spare", "parts", "x1", "a", "\x1c", "\x0b", "-", "vendor",
                     "security", "2", "__", "account", "transfers"]),
    max_size=30,
).map(" ".join) | st.text(alphabet=st.characters(max_codepoint=127))


@settings(max_examples=500, deadline=None, database=None)
@given(text=ascii_texts | texts)
def test_phrases_are_the_pairs_the_regexes_find(text):
    assert text_phrases(text) == _phrases_by_regex(text)


@settings(max_examples=300, deadline=None, database=None)
@given(first=ascii_texts | texts, second=ascii_texts | texts)
def test_shared_phrases_are_the_phrases_both_texts_have(first, second):
    for other in (second, f"{second} {first}", f"{first}; {second}"):  # some sharing many
        assert shared_phrases(other, frozenset(text_phrases(first))) == (
            text_phrases(first) & text_phrases(other))
