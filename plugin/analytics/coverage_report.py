"""Where an org's catalog is thin, as the workspace page and ``GET /api/v1/coverage`` show it.
Design: docs/design/analytics.md."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping, Sequence

from sqlalchemy.orm import Session, sessionmaker

from content_catalog.coverage import CoverageFilter, CoverageMap, coverage_map, past_review
from content_catalog.modules import ContentModule, FieldError
from content_catalog.repository import CatalogRepository
from content_catalog.suggestion_stats import SuggestionStats
from content_catalog.taxonomy import Dimension, ModuleKind, Taxonomy
from plugin.analytics.page_data import simulated_weeks
from plugin.errors import InvalidInput

DEFAULT_THIN_BELOW = 2
MAX_THIN_BELOW = 50

#: Query parameter → the dimension whose values it takes.
FILTER_PARAMS = {
    "industry": Dimension.INDUSTRY,
    "stage": Dimension.DEAL_STAGE,
    "challenge": Dimension.CHALLENGE,
}


@dataclass(frozen=True)
class CoverageQuery:
    filter: CoverageFilter
    thin_below: int = DEFAULT_THIN_BELOW


@dataclass(frozen=True)
class CoverageReport:
    query: CoverageQuery
    map: CoverageMap
    #: The org's published modules by key: what the cells' keys refer to.
    modules: Mapping[str, ContentModule]
    #: Published, but their review-by date has passed: the panel no longer shows them.
    past_review: tuple[ContentModule, ...]
    #: Published and current, yet no panel has suggested them since counting began.
    never_suggested: tuple[ContentModule, ...]
    today: date
    #: The org's taxonomy the map was drawn with: its phases, roles and the pickers' values.
    taxonomy: Taxonomy
    #: The weeks of the demo's simulated history behind "never suggested"; None: none simulated.
    simulated_weeks: int | None = None


def parse_coverage_query(args: Mapping[str, str], taxonomy: Taxonomy) -> CoverageQuery:
    """From request args (a ``MultiDict``: ``kind`` may repeat). Empty values mean "any"."""
    errors: list[FieldError] = []
    values: dict[str, str | None] = {}
    for param, dimension in FILTER_PARAMS.items():
        raw = (args.get(param) or "").strip()
        canonical = taxonomy.spec(dimension).canonical(raw) if raw else None
        if raw and canonical is None:
            allowed = taxonomy.spec(dimension).allowed
            errors.append(FieldError(param, "is not a known value", raw[:200], allowed))
        values[param] = canonical
    kinds = _kinds(_all(args, "kind"), errors)
    thin_below = _thin_below(args.get("thin_below"), errors)
    if errors:
        raise InvalidInput("The coverage filter has values it does not know.", errors=errors)
    return CoverageQuery(CoverageFilter(kinds=kinds, **values), thin_below)


def build_coverage_report(
    sessions: sessionmaker[Session], org_id: str, query: CoverageQuery, taxonomy: Taxonomy, *,
    today: date,
) -> CoverageReport:
    """``taxonomy`` is the org's, the one ``query`` was parsed with."""
    with sessions() as session:
        published = CatalogRepository(session, org_id).published()
        current = [m for m in published if not m.is_expired(today)]
        unseen = set(SuggestionStats(session, org_id).never_suggested(m.key for m in current))
        simulated = simulated_weeks(session, org_id)
    coverage = coverage_map(
        published, taxonomy, query.filter, today=today, thin_below=query.thin_below
    )
    return CoverageReport(
        query=query,
        map=coverage,
        modules={m.key: m for m in published},
        past_review=tuple(past_review(published, today)),
        never_suggested=tuple(m for m in current if m.key in unseen),
        today=today,
        taxonomy=taxonomy,
        simulated_weeks=simulated,
    )


def _all(args, name: str) -> list[str]:
    getlist = getattr(args, "getlist", None)
    values = getlist(name) if getlist else [args.get(name)]
    return [v.strip() for v in values if v and v.strip()]


def _kinds(raw: Sequence[str], errors: list[FieldError]) -> tuple[ModuleKind, ...]:
    kinds = []
    for value in raw:
        try:
            kinds.append(ModuleKind(value))
        except ValueError:
            allowed = [k.value for k in ModuleKind]
            errors.append(FieldError("kind", "is not a known kind", value[:200], allowed))
    return tuple(dict.fromkeys(kinds))


def _thin_below(raw: str | None, errors: list[FieldError]) -> int:
    if raw is None or not raw.strip():
        return DEFAULT_THIN_BELOW
    if raw.strip().isdigit() and 1 <= int(raw) <= MAX_THIN_BELOW:
        return int(raw)
    message = f"must be a whole number from 1 to {MAX_THIN_BELOW}"
    errors.append(FieldError("thin_below", message, raw[:20]))
    return DEFAULT_THIN_BELOW
