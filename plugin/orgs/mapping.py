"""How one org's own values map onto the taxonomy: its stages' phases and its deal-size amounts."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Mapping

from content_catalog.modules import FieldError
from content_catalog.taxonomy import DealSizeBands, JourneyPhase, Taxonomy

#: Salesforce picklist values are at most 255 characters.
MAX_STAGE_LENGTH = 255
MAX_MAPPED_STAGES = 200
#: More stages than an org's pipeline has are not kept.
MAX_ORDERED_STAGES = 500
#: Larger thresholds are typing mistakes, not deals.
MAX_AMOUNT = 1e15


class MappingInvalid(ValueError):
    """The mapping an admin sent cannot be stored; ``errors`` name each field."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field} {e.message}" for e in errors))


@dataclass(frozen=True)
class OrgMapping:
    """An org's stage → phase entries (added to or overriding the defaults), in the order the
    admin gave them, and its deal-size thresholds (None: the taxonomy's defaults)."""

    stage_phases: tuple[tuple[str, JourneyPhase], ...] = ()
    deal_size_bands: DealSizeBands | None = None
    #: The org's stages in pipeline order as last read from Salesforce (``SortOrder``), so an
    #: unmapped stage's phase can be assumed from its neighbours; empty until read.
    stage_order: tuple[str, ...] = ()

    def phase_of(self, stage: str) -> JourneyPhase | None:
        folded = stage.strip().casefold()
        return next((phase for name, phase in self.stage_phases if name.casefold() == folded), None)

    def with_stage(self, stage: str, phase: JourneyPhase | None) -> "OrgMapping":
        """A copy with ``stage`` mapped to ``phase``; None removes the org's own entry (the
        default mapping, if any, applies again)."""
        errors: list[FieldError] = []
        name = _stage_name(stage, "stage", errors)
        if name is None:
            raise MappingInvalid(errors)
        kept = tuple((n, p) for n, p in self.stage_phases if n.casefold() != name.casefold())
        return replace(self, stage_phases=kept + (((name, phase),) if phase else ()))

    def taxonomy(self, base: Taxonomy) -> Taxonomy:
        """``base`` with this org's stages and thresholds."""
        taxonomy = base.with_stage_phases(dict(self.stage_phases)) if self.stage_phases else base
        if self.stage_order:
            taxonomy = taxonomy.with_stage_order(self.stage_order)
        if self.deal_size_bands is not None:
            taxonomy = replace(taxonomy, deal_size_bands=self.deal_size_bands)
        return taxonomy

    # Stored in the org's settings JSON ---------------------------------------------------------
    def to_settings(self) -> dict[str, Any]:
        bands = self.deal_size_bands
        return {
            "stage_phases": [[name, phase.value] for name, phase in self.stage_phases],
            "deal_size_bands": None if bands is None else
            {"medium_from": bands.medium_from, "large_from": bands.large_from},
            "stage_order": list(self.stage_order),
        }

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> "OrgMapping":
        """What :meth:`to_settings` wrote (absent keys: nothing mapped yet)."""
        pairs = settings.get("stage_phases") or []
        order = settings.get("stage_order") or []
        return cls(
            stage_phases=parse_stage_phases(dict(pairs)),
            deal_size_bands=parse_bands(settings.get("deal_size_bands")),
            stage_order=tuple(
                name for name in order[:MAX_ORDERED_STAGES] if isinstance(name, str)
            ) if isinstance(order, list) else (),
        )


def parse_stage_phases(raw: object) -> tuple[tuple[str, JourneyPhase], ...]:
    """``{"Stage": "phase", ...}`` from an admin, or :class:`MappingInvalid`. A null phase
    leaves the stage out."""
    if not isinstance(raw, Mapping):
        raise MappingInvalid([FieldError("stage_phases", "must be an object of stage → phase")])
    errors: list[FieldError] = []
    if len(raw) > MAX_MAPPED_STAGES:
        errors.append(FieldError("stage_phases", f"maps at most {MAX_MAPPED_STAGES} stages"))
    mapped: dict[str, tuple[str, JourneyPhase]] = {}
    for stage, phase in raw.items():
        name = _stage_name(stage, "stage_phases", errors)
        if phase is None or name is None:
            continue
        if phase not in tuple(JourneyPhase):  # StrEnum members equal their values
            errors.append(FieldError(f"stage_phases.{name[:60]}", "is not a journey phase",
                                     str(phase)[:60], [p.value for p in JourneyPhase]))
            continue
        if name.casefold() in mapped:
            errors.append(FieldError(f"stage_phases.{name[:60]}", "is mapped twice (stages compare "
                                     "without regard to case)", name))
        mapped[name.casefold()] = (name, JourneyPhase(phase))
    if errors:
        raise MappingInvalid(errors)
    return tuple(mapped.values())


def parse_bands(raw: object) -> DealSizeBands | None:
    """``{"medium_from": 50000, "large_from": 250000}`` or None, else :class:`MappingInvalid`."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise MappingInvalid([FieldError("deal_size_bands",
                                         "must be an object with medium_from and large_from")])
    errors: list[FieldError] = []
    values = {name: _amount(raw.get(name), f"deal_size_bands.{name}", errors)
              for name in ("medium_from", "large_from")}
    unknown = set(raw) - set(values)
    if unknown:
        errors.append(FieldError("deal_size_bands", "has fields it does not know",
                                 sorted(map(str, unknown))[:5], list(values)))
    medium, large = values["medium_from"], values["large_from"]
    if medium is not None and large is not None and not medium < large:
        errors.append(FieldError("deal_size_bands.large_from",
                                 "must be more than the mid-size threshold", large))
    if errors:
        raise MappingInvalid(errors)
    return DealSizeBands(medium_from=medium, large_from=large)  # type: ignore[arg-type]


def _stage_name(raw: object, where: str, errors: list[FieldError]) -> str | None:
    name = raw.strip() if isinstance(raw, str) else ""
    if not name or len(name) > MAX_STAGE_LENGTH or any(ord(c) < 32 for c in name):
        message = f"must be a stage of 1 to {MAX_STAGE_LENGTH} printable characters"
        errors.append(FieldError(where, message, str(raw)[:60]))
        return None
    return name


def _amount(raw: object, where: str, errors: list[FieldError]) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        errors.append(FieldError(where, "must be a number", None if raw is None else str(raw)[:30]))
        return None
    value = float(raw)
    if not math.isfinite(value) or value <= 0 or value > MAX_AMOUNT:
        errors.append(FieldError(where, "must be an amount above 0", raw))
        return None
    return value


__all__ = [
    "MappingInvalid", "OrgMapping", "parse_bands", "parse_stage_phases",
]
