"""A catalog's tags, indexed for scoring one context against many modules.
Design: docs/design/recommender.md and docs/ranking.md (Speed)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from recommender.types import DIMENSIONS, OpportunityContext
from recommender.weights import ConflictPolicy, ScoringWeights

Tags = Mapping[str, Sequence[str]]
#: Dimensions whose tag sets are looked up together, as one code per module for the
#: combination a module has: two lookups per module bound the tag score instead of six.
_GROUPS = (("journey_phase", "industry", "deal_size"), ("buyer_role", "deal_stage", "challenge"))


@dataclass(frozen=True)
class DimensionTags:
    """One dimension: tag value → column, each distinct tag set, and each module's set."""

    #: Tag value → column, in order of first use over the catalog (module-id order).
    values: Mapping[str, int]
    #: (tag sets, values) membership; row 0 is the empty set, i.e. "any".
    tag_sets: np.ndarray
    #: (modules,) the row of ``tag_sets`` each module has.
    codes: np.ndarray

    def has(self, module: int, value: str) -> bool:
        column = self.values.get(value)
        return column is not None and bool(self.tag_sets[self.codes[module], column])

    def contribution(
        self, dim: str, wanted: Sequence[str], weights: ScoringWeights
    ) -> tuple[np.ndarray, np.ndarray]:
        """Contribution and conflict per tag set for a context wanting ``wanted``; the rules of
        :mod:`recommender.weights`, computed with the same float operations as the naive loop's
        restatement checks."""
        weight = weights.weight(dim)
        columns = [self.values[v] for v in wanted if v in self.values]
        sets = self.tag_sets
        none = np.zeros(len(sets), dtype=bool)
        is_any = none.copy()
        is_any[0] = True
        if dim == "buyer_role" and columns:
            primary = wanted[0] in self.values
            primary_match = sets[:, columns[0]] if primary else none
            others = columns[1:] if primary else columns
            other_match = sets[:, others].any(axis=1) if others else none
            matched = primary_match | other_match
            exact = np.where(
                primary_match,
                weight,
                np.where(other_match, weight * weights.secondary_role_factor, 0.0),
            )
        else:
            matched = sets[:, columns].any(axis=1) if columns else none
            exact = matched * weight
        contribution = exact + is_any * (weight * weights.any_factor)
        conflict = ~is_any & ~matched
        if weights.policy(dim) is not ConflictPolicy.EXCLUDE:
            contribution = contribution - conflict * (weight * weights.conflict_penalty)
        return contribution, conflict


def _index_dimensions(tags: Sequence[Tags]) -> dict[str, DimensionTags]:
    """Every dimension, one pass over the modules each: values numbered in order of first use."""
    return {dim: _index_dimension([module.get(dim) for module in tags]) for dim in DIMENSIONS}


def _index_dimension(tagged: Sequence[Sequence[str] | None]) -> DimensionTags:
    """One dimension from each module's values (None or empty: untagged, code 0)."""
    values: dict[str, int] = {}
    sets: dict[frozenset[int], int] = {frozenset(): 0}
    # The code of each tuple of values met before: most modules repeat another's, and a tuple
    # met before numbers nothing new (twice as fast at 100,000 modules, the same codes).
    seen: dict[tuple[str, ...] | None, int] = {None: 0, (): 0}

    def first_met(module: Sequence[str]) -> int:
        module = tuple(module)
        code = seen.get(module)
        if code is None:
            columns = frozenset(values.setdefault(v, len(values)) for v in module)
            code = seen[module] = sets.setdefault(columns, len(sets))
        return code

    codes = []
    for module in tagged:
        try:
            codes.append(seen[module])
        except (KeyError, TypeError):  # not met yet, or a list
            codes.append(first_met(module))
    return _dimension(values, sets, codes)


def _dimension(
    values: dict[str, int], sets: dict[frozenset[int], int], codes: list[int]
) -> DimensionTags:
    tag_sets = np.zeros((len(sets), max(len(values), 1)), dtype=bool)
    for columns, code in sets.items():
        tag_sets[code, list(columns)] = True
    small = np.int16 if len(sets) < 2**15 else np.int32
    return DimensionTags(values, tag_sets, np.array(codes, dtype=small))


#: Contribution tables kept per (dimension, wanted values): contexts repeat them constantly.
_CACHED_TABLES = 4096
#: Group tables kept (``CatalogTags.group_tables``): a few KB to a few hundred KB each.
_CACHED_GROUP_TABLES = 256


class CatalogTags:
    """Every dimension of a catalog, plus packed bit sets for the dimensions that exclude."""

    def __init__(self, dimensions: Mapping[str, DimensionTags], weights: ScoringWeights):
        self.dimensions = dict(dimensions)
        self.weights = weights
        #: dim → (values + 1, bytes) packed bits: row v = modules a context wanting value v may
        #: be shown (tagged with it, or untagged); the last row = untagged modules only.
        self.allowed = {
            dim: self._allowed_bits(self.dimensions[dim])
            for dim in DIMENSIONS
            if weights.policy(dim) is ConflictPolicy.EXCLUDE
        }
        self.groups = [self._group(dims) for dims in _GROUPS]
        self._tables: dict[tuple[str, tuple[str, ...]], tuple[np.ndarray, np.ndarray]] = {}
        #: (group, factors, its dimensions' tables' bytes) → ``group_tables``' table
        self._group_tables: dict[tuple, np.ndarray] = {}

    @classmethod
    def fit(cls, tags: Sequence[Tags], weights: ScoringWeights) -> "CatalogTags":
        return cls(_index_dimensions(tags), weights)

    def _group(self, dims: tuple[str, ...]) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
        """(dims, combination → each dim's tag set, module → combination) for one group."""
        codes = np.stack([self.dimensions[d].codes for d in dims], axis=1)
        radix = [len(self.dimensions[d].tag_sets) for d in dims]
        if len(codes) and np.prod(radix, dtype=float) < 2.0**62:
            # Each row as one number in mixed radix: sorting numbers orders the rows as sorting
            # them by columns does (np.unique(axis=0)), several times faster.
            key = np.zeros(len(codes), dtype=np.int64)
            for column, base in zip(codes.T, radix):
                key = key * base + column
            _, first, per_module = np.unique(key, return_index=True, return_inverse=True)
            return dims, codes[first], per_module.reshape(-1).astype(np.int32)
        combinations, per_module = np.unique(codes, axis=0, return_inverse=True)
        return dims, combinations, per_module.reshape(-1).astype(np.int32)

    @staticmethod
    def _allowed_bits(index: DimensionTags) -> np.ndarray:
        untagged = index.codes == 0
        rows = [index.tag_sets[index.codes, v] | untagged for v in range(len(index.values))]
        return np.packbits(np.vstack([*rows, untagged]), axis=1)

    def allowed_bits(self, context: OpportunityContext) -> np.ndarray | None:
        """Packed bits of the modules no exclusion rule removes for ``context``; None: all."""
        bits = None
        for dim, allowed in self.allowed.items():
            wanted = context.values(dim)
            if not wanted:
                continue
            values = self.dimensions[dim].values
            columns = [values[v] for v in wanted if v in values] or [len(values)]
            these = allowed[columns[0]]
            if len(columns) > 1:
                these = np.bitwise_or.reduce(allowed[columns])
            bits = these if bits is None else bits & these
        return bits

    def _table(self, dim: str, wanted: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        key = (dim, wanted)
        found = self._tables.get(key)
        if found is None:
            found = self.dimensions[dim].contribution(dim, wanted, self.weights)
            if len(self._tables) >= _CACHED_TABLES:
                self._tables.clear()
            self._tables[key] = found
        return found

    def contributions(self, context: OpportunityContext) -> dict[str, np.ndarray]:
        """dim → contribution per tag set, for the dimensions the context has values for."""
        return {
            dim: self._table(dim, context.values(dim))[0]
            for dim in DIMENSIONS
            if context.values(dim)
        }

    def tag_score_estimates(
        self,
        tables: Mapping[str, np.ndarray],
        rows: np.ndarray,
        factors: Mapping[str, float] | None = None,
    ) -> np.ndarray:
        """Each module's tag score (each dimension's part times its factor, default 1), in
        float32 and summed in another order than the exact score: within 1e-6 or so of it,
        for bounds only."""
        from recommender import kernels  # numba: imported by ``TagTextRanker.prepare``

        (first, first_table), (second, second_table) = self.group_lookups(tables, factors)
        total = np.empty(len(rows), dtype=np.float32)
        kernels.tag_estimates(np.ascontiguousarray(rows, dtype=np.intp), first, second,
                              first_table, second_table, total)  # fmt: skip
        return total

    def group_lookups(
        self, tables: Mapping[str, np.ndarray], factors: Mapping[str, float] | None = None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per group, (each module's combination, each combination's float32 estimate) as the
        compiled passes read them: a group the context wants nothing of has a table of zeros
        (adding 0.0 changes no float32 sum)."""
        return [
            (per_module,
             np.zeros(len(combinations), dtype=np.float32) if table is None else table)
            for (_, combinations, per_module), table in zip(self.groups,
                                                            self.group_tables(tables, factors))
        ]  # fmt: skip

    def group_tables(
        self, tables: Mapping[str, np.ndarray], factors: Mapping[str, float] | None = None
    ) -> list[np.ndarray | None]:
        """Per group, the float32 tag estimate of each of its combinations (None: the context
        wants none of the group's dimensions). Kept by content (the dimensions' tables and the
        factors): contexts repeat a group's values far more often than a whole context's, and a
        group's table costs a pass over each of its thousands of combinations."""
        weighed = None if factors is None else tuple(sorted(factors.items()))
        kept = self.__dict__.setdefault("_group_tables", {})  # a fit pickled before it
        out: list[np.ndarray | None] = []
        for n_group, (dims, combinations, _) in enumerate(self.groups):
            wanted = [n for n, d in enumerate(dims) if d in tables]
            if not wanted:
                out.append(None)
                continue
            key = (n_group, weighed, *((n, tables[dims[n]].tobytes()) for n in wanted))
            table = kept.get(key)
            if table is None:
                table = sum(
                    np.take(tables[dims[n]], combinations[:, n])
                    * (1.0 if factors is None else factors[dims[n]])
                    for n in wanted
                ).astype(np.float32)
                if len(kept) >= _CACHED_GROUP_TABLES:
                    kept.clear()
                kept[key] = table
            out.append(table)
        return out

    def module_contributions(
        self, tables: Mapping[str, np.ndarray], rows: np.ndarray | slice
    ) -> dict[str, np.ndarray]:
        """dim → contribution of each module in ``rows``."""
        if isinstance(rows, slice):
            return {dim: table[self.dimensions[dim].codes[rows]] for dim, table in tables.items()}
        return {
            dim: np.take(table, np.take(self.dimensions[dim].codes, rows))
            for dim, table in tables.items()
        }

    def excluded(self, context: OpportunityContext, rows: np.ndarray | slice) -> np.ndarray:
        """Which modules of ``rows`` an exclusion rule removes (the review date aside)."""
        out = np.zeros(len(self.dimensions[DIMENSIONS[0]].codes[rows]), dtype=bool)
        for dim in self.allowed:
            if context.values(dim):
                conflict = self._table(dim, context.values(dim))[1]
                out |= conflict[self.dimensions[dim].codes[rows]]
        return out

    @property
    def nbytes(self) -> int:
        dimensions = sum(d.codes.nbytes + d.tag_sets.nbytes for d in self.dimensions.values())
        groups = sum(c.nbytes + per_module.nbytes for _, c, per_module in self.groups)
        return dimensions + groups + sum(bits.nbytes for bits in self.allowed.values())
