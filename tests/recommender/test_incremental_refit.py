"""A refit from the previous fit (``previous=``) is the fresh fit, float for float: the TF-IDF a
few edits leave (tokenising only the changed texts), v1's rankings, scores and reasons, and the
learned ranker laid over the edited catalog."""
import dataclasses
import pickle
import random
from datetime import datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender import TagTextRanker
from recommender.feedback import Impression
from recommender.learning import LearnedRanker
from recommender.synthetic import REFERENCE_DAY, synthetic_catalog, synthetic_contexts
from recommender.text_index import TextIndex
from recommender.types import CLIENT_FACING, INTERNAL

TODAY = REFERENCE_DAY
#: Pieces that decide where the tokenizer cuts (as in test_text_index), plus words the synthetic
#: catalog uses everywhere ("value", "risk") and words no module has.
PIECES = ["audit", "Audit", "the", "and", "a", "roi", "60", "e-mail", "co_op", "Ünïcode", "straße",
          "naïve", "ROI!", "q3", "\n", ",", "value", "risk", "pricing", "zebrafish", "quokka"]  # fmt: skip
texts = st.lists(st.sampled_from(PIECES), max_size=10).map(" ".join)


def assert_same_index(got: TextIndex | None, expected: TextIndex | None) -> None:
    if expected is None:
        assert got is None
        return
    assert list(got.terms) == list(expected.terms)
    np.testing.assert_array_equal(got.idf, expected.idf)
    for part in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(got.rows, part), getattr(expected.rows, part))
    np.testing.assert_array_equal(got.counts, expected.counts)
    np.testing.assert_array_equal(got.first_seen, expected.first_seen)


@settings(max_examples=300, deadline=None, database=None)
@given(
    before=st.lists(texts, min_size=1, max_size=8),
    edits=st.lists(st.tuples(st.sampled_from(["change", "add", "remove", "prefix"]),
                             st.integers(0, 20), texts), max_size=4),
)
def test_an_updated_index_is_the_fresh_fit_of_the_edited_texts(before, edits):
    fitted = TextIndex.fit(before)
    if fitted is None:
        return
    after, rows = list(before), list(range(len(before)))
    for op, at, text in edits:
        if op == "add":
            at %= len(after) + 1
            after.insert(at, text)
            rows.insert(at, -1)
            continue
        if not after:
            continue
        at %= len(after)
        if op == "remove":
            del after[at], rows[at]
        elif op == "change":
            after[at] = text
        else:  # a new title above the same text
            after[at] = text + "\n" + after[at]
    assert_same_index(fitted.updated(before, after, np.array(rows)), TextIndex.fit(after))


def test_rows_whose_terms_were_first_seen_in_another_order_are_summed_in_the_new_order():
    """The same words in another order change no document frequency, but the order the
    vectorizer sums the other rows' squares in: for these rows, another last bit."""
    others = ["renewal security migration onboarding pricing roi compliance renewal pricing "
              "compliance security security", "onboarding renewal migration renewal renewal value"]
    before = ["audit value pricing compliance roi", *others]
    after = ["roi compliance pricing value audit", *others]
    fresh = TextIndex.fit(after)
    assert not np.array_equal(fresh.rows.data, TextIndex.fit(before).rows.data)
    assert_same_index(TextIndex.fit(before).updated(before, after, np.arange(3)), fresh)


def test_an_index_without_any_change_is_kept_as_it_is():
    before = [c.text for c in synthetic_catalog(50, 2)]
    fitted = TextIndex.fit(before)
    assert fitted.updated(before, list(before), np.arange(50)) is fitted


def test_the_handed_back_copy_has_no_postings_copy_nor_refit_state_and_answers_the_same():
    catalog = [c.text for c in synthetic_catalog(200, 4)]
    fitted = TextIndex.fit(catalog)
    fitted.postings  # noqa: B018 - made, as a served index has it
    copy = pickle.loads(pickle.dumps(fitted))
    assert copy.counts is None and copy.first_seen is None
    left_out = len(pickle.dumps(vars(fitted))) - len(pickle.dumps(fitted))
    postings = fitted.postings.data.nbytes + fitted.postings.indices.nbytes
    assert left_out >= postings + fitted.counts.nbytes
    query = fitted.query("pricing risk value audit")
    np.testing.assert_array_equal(copy.similarity(query), fitted.similarity(query))
    np.testing.assert_array_equal(copy.postings.indices, fitted.postings.indices)
    # A copy without refit state refits from scratch: still the fresh fit.
    edited = [catalog[0] + " zebrafish", *catalog[1:]]
    assert_same_index(copy.updated(catalog, edited, np.arange(200)), TextIndex.fit(edited))


def _edited(catalog, rng: random.Random):
    """A few edits of the kinds enablement leads make, in one revision."""
    catalog = list(catalog)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(catalog))
        module = catalog[at]
        kind = rng.choice(["tags", "title", "text", "audience", "review", "partners", "published",
                           "kind", "add", "remove"])  # fmt: skip
        if kind == "tags":
            module = dataclasses.replace(module, tags={"industry": ("Healthcare",),
                                                       "journey_phase": ("awareness",)})
        elif kind == "title":
            title = rng.choice(["Renewal playbook", "Zebrafish pricing", "value risk"])
            module = dataclasses.replace(module, text=title + "\n" + module.text)
        elif kind == "text":
            module = dataclasses.replace(module, text=rng.choice(catalog).text)
        elif kind == "audience":
            module = dataclasses.replace(
                module, audience=INTERNAL if module.audience == CLIENT_FACING else CLIENT_FACING)
        elif kind == "review":
            module = dataclasses.replace(module, review_by=TODAY - timedelta(days=1))
        elif kind == "partners":
            module = dataclasses.replace(module, for_partners=not module.for_partners)
        elif kind == "published":
            module = dataclasses.replace(module, published_on=TODAY - timedelta(days=3))
        elif kind == "kind":
            module = dataclasses.replace(module, kind="case study")
        elif kind == "add":
            module = dataclasses.replace(module, module_id=f"{module.module_id}-{rng.randrange(10**6)}",
                                         text="quokka " + module.text)
            catalog.append(module)
            continue
        else:
            del catalog[at]
            continue
        catalog[at] = module
    return catalog


def _same_v1(got: TagTextRanker, expected: TagTextRanker, contexts) -> None:
    assert_same_index(got.text_, expected.text_)
    np.testing.assert_array_equal(got.module_ids_, expected.module_ids_)
    for context in contexts:
        assert got.rank(context, today=TODAY) == expected.rank(context, today=TODAY)
        assert got.rank(context, today=TODAY, partners_only=True) == expected.rank(
            context, today=TODAY, partners_only=True)
        mine, theirs = got.score_catalog(context, TODAY), expected.score_catalog(context, TODAY)
        np.testing.assert_array_equal(mine.total, theirs.total)
        np.testing.assert_array_equal(mine.excluded, theirs.excluded)


def test_v1_refitted_from_the_previous_fit_ranks_as_a_fresh_fit():
    catalog = synthetic_catalog(400, 7)
    contexts = synthetic_contexts(15, 7)
    rng = random.Random(7)
    previous = TagTextRanker().fit(catalog)
    for _ in range(12):  # each refit starts from the one before, as the refit child does
        catalog = _edited(catalog, rng)
        refitted = TagTextRanker().fit(catalog, previous=previous)
        _same_v1(refitted, TagTextRanker().fit(catalog), contexts)
        previous = refitted


def test_a_tag_edit_keeps_the_text_index_itself():
    catalog = synthetic_catalog(100, 8)
    previous = TagTextRanker().fit(catalog)
    catalog[3] = dataclasses.replace(catalog[3], tags={"industry": ("Healthcare",)})
    assert TagTextRanker().fit(catalog, previous=previous).text_ is previous.text_


def _impressions(catalog, n: int, seed: int) -> list[Impression]:
    rng = np.random.default_rng(seed)
    contexts = synthetic_contexts(20, seed)
    return [
        Impression(contexts[i % 20], catalog[int(rng.integers(len(catalog)))].module_id,
                   int(rng.integers(1, 6)), 1.0, 1.0, "v1", datetime(2026, 1, 1),
                   helpful=bool(rng.random() < 0.3), used=bool(rng.random() < 0.1))
        for i in range(n)
    ]


def test_the_learned_ranker_laid_over_an_edited_catalog_from_the_previous_is_the_fresh_one():
    catalog = synthetic_catalog(300, 9)
    model = LearnedRanker().fit(catalog[:200], _impressions(catalog[:200], 1500, 9), today=TODAY)
    model = LearnedRanker.from_bytes(model.to_bytes())  # as the service loads it
    contexts = synthetic_contexts(12, 9)
    rng = random.Random(9)
    previous = model.with_catalog(catalog)
    for _ in range(6):
        catalog = _edited(catalog, rng)
        refitted = model.with_catalog(catalog, previous=previous)
        fresh = model.with_catalog(catalog)
        _same_v1(refitted.base_, fresh.base_, contexts)
        np.testing.assert_array_equal(refitted.kind_onehot_, fresh.kind_onehot_)
        np.testing.assert_array_equal(refitted.published_, fresh.published_)
        for context in contexts:
            for seed in (None, 1):
                def ranked(ranker):
                    gen = None if seed is None else np.random.default_rng(seed)
                    return ranker.rank(context, today=TODAY, rng=gen)
                assert ranked(refitted) == ranked(fresh)
        # From a v1 fit of the same catalog (the refit child's last fit of the org) too.
        from_v1 = model.with_catalog(catalog, previous=TagTextRanker().fit(catalog))
        _same_v1(from_v1.base_, fresh.base_, contexts[:3])
        previous = refitted


def test_the_tag_index_groups_modules_as_sorting_their_code_rows_does():
    """Every refit indexes the tags afresh; its combinations of tag sets are numbered as
    ``np.unique(axis=0)`` numbers them, by a faster route."""
    for n, seed in ((0, 1), (1, 1), (7, 2), (3000, 3)):
        tags = TagTextRanker().fit(synthetic_catalog(n, seed)).tags_
        for dims, combinations, per_module in tags.groups:
            codes = np.stack([tags.dimensions[d].codes for d in dims], axis=1)
            expected, inverse = np.unique(codes, axis=0, return_inverse=True)
            np.testing.assert_array_equal(combinations, expected)
            np.testing.assert_array_equal(per_module, inverse.reshape(-1))
