"""Where the catalog has content and where it is thin: journey phase × buyer role.
Design: docs/design/content_catalog.md."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Mapping, TypeVar

from content_catalog.modules import ModuleInput
from content_catalog.taxonomy import Dimension, ModuleKind, ModuleStatus, Taxonomy

EMPTY, THIN, OK = "empty", "thin", "ok"
Module = TypeVar("Module", bound=ModuleInput)  # ContentModule in the service, inputs in tests


@dataclass(frozen=True)
class CoverageFilter:
    """The opportunity the map is drawn for, beyond its phase and role; None means "any"."""

    industry: str | None = None
    stage: str | None = None
    challenge: str | None = None
    kinds: tuple[ModuleKind, ...] = ()


@dataclass(frozen=True)
class CoverageCell:
    phase: str
    role: str
    count: int
    module_keys: tuple[str, ...]
    level: str  # "empty" | "thin" | "ok"
    #: Counted modules tagged for another stage or challenge than the filter's: they would be
    #: suggested, but ranked down.
    penalised: tuple[str, ...] = ()


@dataclass(frozen=True)
class CoverageMap:
    phases: tuple[str, ...]
    roles: tuple[str, ...]
    cells: Mapping[tuple[str, str], CoverageCell]
    thin_below: int

    def cell(self, phase: str, role: str) -> CoverageCell:
        return self.cells[(phase, role)]

    def rows(self) -> list[list[CoverageCell]]:
        """The cells row by row (phases) in column order (roles), as a table shows them."""
        return [[self.cells[(phase, role)] for role in self.roles] for phase in self.phases]


def coverage_map(
    modules: Iterable[ModuleInput],
    taxonomy: Taxonomy,
    filter: CoverageFilter = CoverageFilter(),  # noqa: A002 - the name the callers use
    *,
    today: date,
    thin_below: int = 2,
) -> CoverageMap:
    """Count, per journey phase and buyer role, the modules that would match (see module doc)."""
    if thin_below < 1:
        raise ValueError(f"thin_below must be at least 1 (got {thin_below})")
    industry = _canonical(taxonomy, Dimension.INDUSTRY, filter.industry)
    stage = _canonical(taxonomy, Dimension.DEAL_STAGE, filter.stage)
    challenge = _canonical(taxonomy, Dimension.CHALLENGE, filter.challenge)
    candidates = sorted(
        (
            m for m in modules
            if _suggestible(m, today)
            and (not filter.kinds or m.kind in filter.kinds)
            and _fits(m, Dimension.INDUSTRY, industry)
        ),
        key=lambda m: m.key,
    )  # fmt: skip
    penalised = {
        m.key for m in candidates
        if not _fits(m, Dimension.DEAL_STAGE, stage) or not _fits(m, Dimension.CHALLENGE, challenge)
    }  # fmt: skip
    phases = tuple(taxonomy.spec(Dimension.JOURNEY_PHASE).allowed)
    roles = tuple(taxonomy.spec(Dimension.BUYER_ROLE).allowed)
    cells = {}
    for phase in phases:
        in_phase = [m for m in candidates if _fits(m, Dimension.JOURNEY_PHASE, phase)]
        for role in roles:
            keys = tuple(m.key for m in in_phase if _fits(m, Dimension.BUYER_ROLE, role))
            level = EMPTY if not keys else THIN if len(keys) < thin_below else OK
            marked = tuple(key for key in keys if key in penalised)
            cells[(phase, role)] = CoverageCell(phase, role, len(keys), keys, level, marked)
    return CoverageMap(phases, roles, cells, thin_below)


def past_review(modules: Iterable[Module], today: date) -> list[Module]:
    """Published modules whose review-by date has passed (the panel no longer shows them),
    the longest overdue first."""
    overdue = [
        m for m in modules
        if m.status == ModuleStatus.PUBLISHED and m.review_by is not None and m.review_by < today
    ]  # fmt: skip
    return sorted(overdue, key=lambda m: (m.review_by, m.key))


def _suggestible(module: ModuleInput, today: date) -> bool:
    expired = module.review_by is not None and module.review_by < today
    return module.status == ModuleStatus.PUBLISHED and not expired


def _fits(module: ModuleInput, dimension: Dimension, value: str | None) -> bool:
    """Tagged with ``value`` or not tagged on the dimension ("any"); anything fits no value."""
    if value is None:
        return True
    tagged = module.tag_values(dimension)
    return not tagged or value in tagged


def _canonical(taxonomy: Taxonomy, dimension: Dimension, raw: str | None) -> str | None:
    """The taxonomy's spelling, as the panel maps CRM values; an unknown value is kept as given
    and then matches only untagged modules, as it does in the ranker."""
    if raw is None or not raw.strip():
        return None
    return taxonomy.spec(dimension).canonical(raw) or raw.strip()
