"""A stored learned ranker is data: it round-trips exactly and loading never runs code."""
from __future__ import annotations

import io
import json
import pickle
import zipfile

import numpy as np
import pytest

from recommender.learning import LearnedRanker, UntrustedModel
from recommender.model_format import MAGIC, seal
from recommender.ranker import NotFittedError
from recommender.synthetic import REFERENCE_DAY as TODAY
from recommender.synthetic import synthetic_catalog, synthetic_contexts

#: Set by ``_ran`` if anything in a payload ever gets executed.
EXECUTED: list[str] = []


def _ran(marker: str) -> None:
    EXECUTED.append(marker)


class RunsCodeWhenUnpickled:
    def __reduce__(self):
        return (_ran, ("unpickled",))


def rewritten(payload: bytes, change, extra: dict | None = None) -> bytes:
    """The payload with its files passed through ``change(name, data)`` and ``extra`` files
    added, sealed again with a valid checksum: what someone who knows the format could forge."""
    out = io.BytesIO()
    archive = payload[len(MAGIC) + 32 :]
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            target.writestr(name, change(name, source.read(name)))
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return seal(out.getvalue())


def with_header(payload: bytes, **changes) -> bytes:
    def change(name, data):
        if name != "header.json":
            return data
        return json.dumps({**json.loads(data), **changes}).encode()

    return rewritten(payload, change)


@pytest.fixture(scope="module")
def stored(history) -> bytes:
    return history.learner.to_bytes()


def test_a_stored_model_laid_over_its_catalog_ranks_exactly_as_the_original(history, stored):
    loaded = LearnedRanker.from_bytes(stored, history.catalog)
    assert loaded.model_version_ == history.learner.model_version_
    np.testing.assert_array_equal(loaded.coef_, history.learner.coef_)
    for n, context in enumerate(history.simulator.contexts(30, 8)):
        assert loaded.rank(context, today=TODAY) == history.learner.rank(context, today=TODAY)
        same_draws = [np.random.default_rng(n) for _ in range(2)]
        assert loaded.rank(context, today=TODAY, rng=same_draws[0]) == history.learner.rank(
            context, today=TODAY, rng=same_draws[1]
        )


def test_a_loaded_model_asks_for_a_catalog_before_ranking(history, stored):
    loaded = LearnedRanker.from_bytes(stored)
    context = history.simulator.contexts(1, 9)[0]
    with pytest.raises(NotFittedError, match="with_catalog"):
        loaded.rank(context, today=TODAY)
    laid_over = loaded.with_catalog(history.catalog)
    assert laid_over.rank(context, today=TODAY) == history.learner.rank(context, today=TODAY)


def test_a_model_without_history_round_trips_and_serves_v1():
    catalog = synthetic_catalog(60, 4)
    model = LearnedRanker().fit(catalog, [], today=TODAY)
    loaded = LearnedRanker.from_bytes(model.to_bytes(), catalog)
    for context in synthetic_contexts(10, 4):
        assert loaded.rank(context, today=TODAY) == model.rank(context, today=TODAY)


def test_a_pickle_is_refused_without_running_anything():
    EXECUTED.clear()
    for payload in (pickle.dumps(RunsCodeWhenUnpickled()), pickle.dumps({"not": "a model"})):
        with pytest.raises(UntrustedModel, match="pickle"):
            LearnedRanker.from_bytes(payload)
    assert EXECUTED == []


def test_a_pickled_array_smuggled_into_a_payload_is_refused_without_running_anything(stored):
    EXECUTED.clear()
    smuggled = io.BytesIO()
    np.save(smuggled, np.array([RunsCodeWhenUnpickled()], dtype=object), allow_pickle=True)

    def change(name, data):
        return smuggled.getvalue() if name == "examination.npy" else data

    with pytest.raises(UntrustedModel):
        LearnedRanker.from_bytes(rewritten(stored, change))
    assert EXECUTED == []


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.999])
def test_a_truncated_payload_is_refused(stored, cut):
    with pytest.raises(UntrustedModel):
        LearnedRanker.from_bytes(stored[: int(len(stored) * cut)])


def test_a_damaged_payload_is_refused_whichever_byte_changed(stored):
    for at in range(0, len(stored), max(1, len(stored) // 200)):
        damaged = bytearray(stored)
        damaged[at] ^= 0x01
        with pytest.raises(UntrustedModel):
            LearnedRanker.from_bytes(bytes(damaged))


def test_an_altered_array_is_refused_even_with_a_valid_zip(stored):
    def change(name, data):
        if name != "effect_module.npy":
            return data
        array = np.load(io.BytesIO(data))
        out = io.BytesIO()
        np.save(out, array * 2.0)  # e.g. someone doubling every module's effect
        return out.getvalue()

    with pytest.raises(UntrustedModel, match="effect_module"):
        LearnedRanker.from_bytes(rewritten(stored, change))


@pytest.mark.parametrize("version", [2, 0, "1", 1.0, True, None])
def test_an_unknown_format_version_is_refused_with_a_clear_message(stored, version):
    with pytest.raises(UntrustedModel, match="version"):
        LearnedRanker.from_bytes(with_header(stored, version=version))


def test_another_format_and_an_extra_file_are_refused(stored):
    with pytest.raises(UntrustedModel, match="format"):
        LearnedRanker.from_bytes(with_header(stored, format="something-else"))
    smuggled = {"payload.pkl": pickle.dumps(RunsCodeWhenUnpickled())}
    with pytest.raises(UntrustedModel, match="do not match"):
        LearnedRanker.from_bytes(rewritten(stored, lambda name, data: data, smuggled))
    assert EXECUTED == []


def test_a_forged_payload_that_follows_the_format_loads(history, stored):
    # The checks above refuse what differs from the format, not what is re-sealed as it says.
    same = rewritten(stored, lambda name, data: data)
    loaded = LearnedRanker.from_bytes(same, history.catalog)
    context = history.simulator.contexts(1, 10)[0]
    assert loaded.rank(context, today=TODAY) == history.learner.rank(context, today=TODAY)


def test_the_payload_is_small_beside_the_catalog(history, stored):
    # Only learned parameters: a few numbers per module, no texts and no TF-IDF matrix.
    assert len(stored) < 64 * len(history.catalog) + 16_384


def test_a_model_stored_before_votes_counted_loads_and_sinks_nothing(history, stored):
    """Models stored before "not helpful" votes had a multiplier have no such array, nor the
    parameters that go with it: they load, and no module is sunk by votes."""
    new_params = {"vote_strength", "sink_rejected", "sink_below"}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(stored[len(MAGIC) + 32 :])) as source, \
            zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            if name == "effect_rejection.npy":
                continue
            data = source.read(name)
            if name == "header.json":
                header = json.loads(data)
                del header["arrays"]["effect_rejection"]
                header["params"] = {k: v for k, v in header["params"].items()
                                    if k not in new_params}
                data = json.dumps(header).encode()
            target.writestr(name, data)
    loaded = LearnedRanker.from_bytes(seal(out.getvalue()), history.catalog)
    assert (loaded.effects_.rejection == 1.0).all()
    context = history.simulator.contexts(1, 9)[0]
    assert loaded.rank(context, today=TODAY).client_facing
