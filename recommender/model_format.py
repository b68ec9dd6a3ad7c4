"""How a learned ranker is stored: numpy arrays and a JSON header in a zip; loading runs no code.
Design: docs/design/recommender.md and docs/learning.md (Using it in the service)."""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import zipfile
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.weights import ConflictPolicy, ScoringWeights

if TYPE_CHECKING:
    from recommender.learning import LearnedRanker

MAGIC = b"BI-LRNK\x00"
FORMAT = "be-inspired/learned-ranker"
VERSION = 1
HEADER = "header.json"
#: Larger payloads, once unpacked, are refused before anything is read (a zip can claim much).
MAX_UNPACKED_BYTES = 1 << 30


class UntrustedModel(ValueError):
    """``from_bytes`` was handed something that is not a learned ranker this format wrote."""


def dump(ranker: "LearnedRanker") -> bytes:
    arrays = {"examination": np.asarray(ranker.examination_, dtype=np.float64)}
    if ranker.coef_ is not None:
        arrays["coef"] = np.asarray(ranker.coef_, dtype=np.float64)
    if ranker.has_history_:
        effects = ranker.effects_
        arrays["effect_module_ids"] = np.array([str(m) for m in ranker.effect_module_ids_])
        for name in ("module", "phase", "optimism", "exposure", "rejection"):
            arrays[f"effect_{name}"] = np.asarray(getattr(effects, name), dtype=np.float64)
    base = ranker.base_ if hasattr(ranker, "base_") else ranker.base
    header = {
        "format": FORMAT,
        "version": VERSION,
        "params": {k: v for k, v in ranker.get_params(deep=False).items() if k != "base"},
        "weights": _weights_to_json(base.weights) if base is not None else None,
        "labels": {d: dict(v) for d, v in base.labels.items()} if base is not None else {},
        "model_version": ranker.model_version_,
        "has_history": bool(ranker.has_history_),
        "n_impressions": int(ranker.n_impressions_),
        "kinds": list(ranker.kinds_),
        "phases": list(ranker.phases_),
        "reference_rate": float(ranker.reference_rate_) if ranker.has_history_ else None,
        "intercept": float(ranker.intercept_),
        "arrays": {name: _describe(a) for name, a in arrays.items()},
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(HEADER, json.dumps(header, sort_keys=True, allow_nan=False))
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            archive.writestr(f"{name}.npy", buffer.getvalue())
    return seal(out.getvalue())


def seal(archive: bytes) -> bytes:
    """``archive`` behind the magic bytes and its checksum: what ``load`` reads."""
    return MAGIC + hashlib.sha256(archive).digest() + archive


def load(data: bytes, cls: type["LearnedRanker"]) -> "LearnedRanker":
    try:
        return _load(data, cls)
    except UntrustedModel:
        raise
    except Exception as error:  # noqa: BLE001 - any surprise in an untrusted payload is a refusal
        raise UntrustedModel(f"not a stored learned ranker: {error}") from error


def _load(data: bytes, cls: type["LearnedRanker"]) -> "LearnedRanker":
    data = bytes(data)
    if not data.startswith(MAGIC):
        raise UntrustedModel("not a stored learned ranker (unknown leading bytes: a pickle, say)")
    checksum, body = data[len(MAGIC) : len(MAGIC) + 32], data[len(MAGIC) + 32 :]
    if hashlib.sha256(body).digest() != checksum:
        raise UntrustedModel("the stored learned ranker is damaged or truncated (checksum differs)")
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        entries = {info.filename: info for info in archive.infolist()}
        if HEADER not in entries or sum(i.file_size for i in entries.values()) > MAX_UNPACKED_BYTES:
            raise UntrustedModel("not a stored learned ranker (no header, or too large)")
        header = json.loads(archive.read(HEADER), parse_constant=_no_constant)
        _check_format(header)
        declared = header["arrays"]
        if set(entries) != {HEADER, *(f"{name}.npy" for name in declared)}:
            raise UntrustedModel("the payload's files do not match its header")
        arrays = {name: _read_array(archive, name, declared[name]) for name in declared}
    return _restore(cls, header, arrays)


def _check_format(header: Any) -> None:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise UntrustedModel("not a stored learned ranker (unknown format)")
    version = header.get("version")
    if type(version) is not int or version != VERSION:
        raise UntrustedModel(
            f"learned ranker format version {version!r} is not one this code reads ({VERSION})"
        )


def _read_array(archive: zipfile.ZipFile, name: str, declared: Any) -> np.ndarray:
    array = np.load(io.BytesIO(archive.read(f"{name}.npy")), allow_pickle=False)
    if not isinstance(declared, dict) or _describe(array) != declared:
        raise UntrustedModel(f"array {name!r} is not what the header says (altered or corrupt)")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise UntrustedModel(f"array {name!r} holds values that are not finite")
    return array


def _restore(cls: type["LearnedRanker"], header: dict, arrays: dict) -> "LearnedRanker":
    from recommender.module_effects import ModuleEffects
    from recommender.ranker import TagTextRanker

    weights = _weights_from_json(header["weights"]) if header["weights"] is not None else None
    labels = {
        str(d): {str(k): str(v) for k, v in values.items()}
        for d, values in header["labels"].items()
    }
    base = None if weights is None else TagTextRanker(weights, labels)
    ranker = cls(base, **header["params"])
    ranker._check_params()
    ranker.model_version_ = str(header["model_version"])
    ranker.has_history_ = header["has_history"] is True
    ranker.n_impressions_ = int(header["n_impressions"])
    ranker.kinds_ = tuple(str(k) for k in header["kinds"])
    ranker.phases_ = tuple(str(p) for p in header["phases"])
    ranker.examination_ = _shaped(arrays["examination"], (None,))
    ranker.model_, ranker.coef_, ranker.intercept_ = None, None, float(header["intercept"])
    if "coef" in arrays:
        n = len(ranker.kinds_) + 9  # six dimensions, text, total, audience, kinds
        ranker.coef_ = _shaped(arrays["coef"], (n,))
    if ranker.has_history_:
        ids = _shaped(arrays["effect_module_ids"], (None,))
        n, phases = len(ids), len(ranker.phases_) + 1
        ranker.reference_rate_ = float(header["reference_rate"])
        ranker.effect_module_ids_ = np.array([str(m) for m in ids], dtype=object)
        ranker.effects_ = ModuleEffects(
            module=_shaped(arrays["effect_module"], (n,)),
            phase=_shaped(arrays["effect_phase"], (n, phases)),
            optimism=_shaped(arrays["effect_optimism"], (n,)),
            exposure=_shaped(arrays["effect_exposure"], (n,)),
            # Models stored before votes counted have none: no module is sunk by them.
            rejection=_shaped(arrays["effect_rejection"], (n, phases))
            if "effect_rejection" in arrays else None,
        )
    return ranker


def _shaped(array: np.ndarray, shape: tuple[int | None, ...]) -> np.ndarray:
    wrong = any(s is not None and s != a for s, a in zip(shape, array.shape))
    if array.ndim != len(shape) or wrong:
        raise UntrustedModel(f"an array has shape {array.shape}, expected {shape}")
    return array


def _describe(array: np.ndarray) -> dict:
    digest = hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()
    return {"dtype": array.dtype.str, "shape": list(array.shape), "sha256": digest}


def _no_constant(name: str) -> float:
    raise UntrustedModel(f"the header holds {name}, which no stored model has")


def _weights_to_json(weights: ScoringWeights) -> dict:
    fields = dataclasses.asdict(weights)
    fields["dimension_weights"] = dict(weights.dimension_weights)
    fields["conflict_policies"] = {d: str(p) for d, p in weights.conflict_policies.items()}
    return fields


def _weights_from_json(fields: dict) -> ScoringWeights:
    if set(fields) != {f.name for f in dataclasses.fields(ScoringWeights)}:
        raise UntrustedModel("the stored scoring weights have unknown or missing fields")
    weights = ScoringWeights(
        **{
            **fields,
            "dimension_weights": {str(d): float(w) for d, w in fields["dimension_weights"].items()},
            "conflict_policies": {
                str(d): ConflictPolicy(p) for d, p in fields["conflict_policies"].items()
            },
        }
    )
    numbers = [*weights.dimension_weights.values(), weights.any_factor, weights.text_weight]
    if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in numbers):
        raise UntrustedModel("the stored scoring weights are not finite numbers")
    return weights
