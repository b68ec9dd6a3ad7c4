"""The one place that decides a deal stage's journey phase, for the panel and admin pages alike."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Literal

from content_catalog.taxonomy import DEFAULT_STAGE_PHASES, JourneyPhase, Taxonomy
from plugin.orgs.mapping import OrgMapping

if TYPE_CHECKING:
    from plugin.orgs.live import OrgsSnapshot

#: Where a phase came from: this org's mapping, the default stages, a won deal, or nowhere.
MappedBy = Literal["org", "default", "won"]
_DEFAULT_STAGES = frozenset(name.casefold() for name in DEFAULT_STAGE_PHASES)


@dataclass(frozen=True)
class StagePhase:
    phase: JourneyPhase | None
    mapped_by: MappedBy | None

    @property
    def unmapped(self) -> bool:
        return self.phase is None


def stage_phase(taxonomy: Taxonomy, stage: str | None, *, mapping: OrgMapping | None = None,
                is_won: bool | None = None) -> StagePhase:
    """``taxonomy`` is the org's (:meth:`OrgTaxonomies.for_org`, its mapping laid over the
    defaults); ``mapping``, when given, tells the org's own entries from the defaults."""
    phase = taxonomy.phase_for_stage(stage)
    if phase is not None:
        own = mapping is not None and stage is not None and mapping.phase_of(stage) is not None
        if own or stage is None or stage.strip().casefold() not in _DEFAULT_STAGES:
            return StagePhase(phase, "org")
        return StagePhase(phase, "default")
    if is_won:
        return StagePhase(JourneyPhase.IMPLEMENTATION_ADOPTION, "won")
    return StagePhase(None, None)


def org_taxonomy(base: Taxonomy, mapping: OrgMapping | None) -> Taxonomy:
    """``base`` with one org's stage → phase entries and deal-size thresholds."""
    return base if mapping is None else mapping.taxonomy(base)


class OrgTaxonomies:
    """Each org's taxonomy: the service's default one with the org's mapping, built once per
    snapshot of the configured orgs (``orgs_now``). The demo org too, once it is connected."""

    def __init__(self, base: Taxonomy, orgs_now: Callable[[], "OrgsSnapshot"]):
        self.base = base
        self._orgs_now = orgs_now

    def for_org(self, org_id: str) -> Taxonomy:
        return self._orgs_now().taxonomy(org_id, self.base)


__all__ = ["OrgTaxonomies", "StagePhase", "org_taxonomy", "stage_phase"]
