"""The one place that decides a deal stage's journey phase, for the panel and admin pages alike."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Literal, Sequence

from content_catalog.taxonomy import DEFAULT_STAGE_PHASES, JourneyPhase, Taxonomy
from plugin.orgs.mapping import OrgMapping

if TYPE_CHECKING:
    from plugin.orgs.live import OrgsSnapshot

#: Where a phase came from: this org's mapping, the default stages, a won deal, an assumption
#: from the mapped stages around an unmapped one, or nowhere.
MappedBy = Literal["org", "default", "won", "assumed"]
_DEFAULT_STAGES = frozenset(name.casefold() for name in DEFAULT_STAGE_PHASES)
_PHASE_WORDS = {
    JourneyPhase.AWARENESS: "awareness",
    JourneyPhase.BUYING: "buying",
    JourneyPhase.IMPLEMENTATION_ADOPTION: "implementation & adoption",
}


@dataclass(frozen=True)
class StagePhase:
    """A stage's phase and where it came from. For an unmapped stage ``phase`` is what ranking
    uses: assumed from its mapped neighbours (``after`` and ``before`` name them), or None."""

    phase: JourneyPhase | None
    mapped_by: MappedBy | None
    stage: str | None = None
    #: The nearest mapped stages before and after an assumed one in the org's order.
    after: str | None = None
    before: str | None = None

    @property
    def unmapped(self) -> bool:
        """No one mapped the stage (its phase is assumed or unknown)."""
        return self.mapped_by in (None, "assumed")

    @property
    def mapped_phase(self) -> JourneyPhase | None:
        """The phase someone decided (a mapping or a won deal); None when only assumed."""
        return None if self.unmapped else self.phase

    def notice(self) -> str | None:
        """What the rep reads when the stage is unmapped (None when it is not): which phase the
        suggestions assume and why, or that they assume none."""
        if not self.unmapped or not self.stage:
            return None
        head = f"This deal's stage “{self.stage}” isn't set up in Be Inspired yet, so these suggestions"
        if self.phase is None:
            return (f"{head} don't assume where the deal is in the customer's journey. "
                    "Your Be Inspired admin can map the stage.")
        words = _PHASE_WORDS[self.phase]
        if self.after and self.before:
            where = f"sits between {self.after} and {self.before}"
        elif self.after:
            where = f"comes after {self.after}"
        else:
            where = f"comes before {self.before}"
        return f"{head} assume it {where} ({words})."


def stage_phase(taxonomy: Taxonomy, stage: str | None, *, mapping: OrgMapping | None = None,
                is_won: bool | None = None, order: Sequence[str] | None = None) -> StagePhase:
    """``taxonomy`` is the org's (:meth:`OrgTaxonomies.for_org`, its mapping laid over the
    defaults); ``mapping``, when given, tells the org's own entries from the defaults.
    ``order``: the org's stages in pipeline order (default: the taxonomy's, when it knows it)."""
    phase = taxonomy.phase_for_stage(stage)
    if phase is not None:
        own = mapping is not None and stage is not None and mapping.phase_of(stage) is not None
        if own or stage is None or stage.strip().casefold() not in _DEFAULT_STAGES:
            return StagePhase(phase, "org", stage)
        return StagePhase(phase, "default", stage)
    if is_won:
        return StagePhase(JourneyPhase.IMPLEMENTATION_ADOPTION, "won", stage)
    return _assumed(taxonomy, stage, taxonomy.stage_order if order is None else order)


def _assumed(taxonomy: Taxonomy, stage: str | None, order: Sequence[str]) -> StagePhase:
    """An unmapped stage's phase from its place in ``order``: the deal has passed the mapped
    stage before it, so it is in that stage's phase (the one after it, when none comes before).
    Never a phase nothing supports: a stage missing from the order has none."""
    folded = [name.strip().casefold() for name in order]
    if not stage or stage.strip().casefold() not in folded:
        return StagePhase(None, None, stage)
    at = folded.index(stage.strip().casefold())
    after = next((name for name in reversed(order[:at]) if taxonomy.phase_for_stage(name)), None)
    before = next((name for name in order[at + 1:] if taxonomy.phase_for_stage(name)), None)
    neighbour = after or before
    if neighbour is None:
        return StagePhase(None, None, stage)
    return StagePhase(taxonomy.phase_for_stage(neighbour), "assumed", stage, after, before)


def org_taxonomy(base: Taxonomy, mapping: OrgMapping | None) -> Taxonomy:
    """``base`` with one org's stage → phase entries and deal-size thresholds."""
    return base if mapping is None else mapping.taxonomy(base)


class OrgTaxonomies:
    """Each org's taxonomy: the service's default one with the org's mapping, built once per
    snapshot of the configured orgs (``orgs_now``). The demo org is connected too; its mapping
    starts from the defaults in the order of its bundled stages (``demo_stage_order``)."""

    def __init__(self, base: Taxonomy, orgs_now: Callable[[], "OrgsSnapshot"],
                 demo_org_id: str | None = None, demo_stage_order: Sequence[str] = ()):
        self.base = base
        self._orgs_now = orgs_now
        self._demo_org_id = demo_org_id
        self._demo = base.with_stage_order(demo_stage_order) if demo_stage_order else base

    def for_org(self, org_id: str) -> Taxonomy:
        if self._demo_org_id is not None and org_id == self._demo_org_id:
            return self._orgs_now().taxonomy(org_id, self._demo)
        return self._orgs_now().taxonomy(org_id, self.base)


__all__ = ["OrgTaxonomies", "StagePhase", "org_taxonomy", "stage_phase"]
