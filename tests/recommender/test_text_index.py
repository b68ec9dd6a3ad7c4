"""TextIndex gives scikit-learn's TfidfVectorizer numbers bit for bit, fitted in one pass."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.text_index import TextIndex, build_vectorizer

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


def test_a_catalog_of_stop_words_has_no_text_index():
    assert TextIndex.fit(["the and of", "", "a"]) is None
