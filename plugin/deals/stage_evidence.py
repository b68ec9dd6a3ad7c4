"""From an org's stage stays and the modules reps used on those deals: per stage, how many deals
moved on (the baseline) and, per module, how many of the deals it was used in moved on.
Pure: feeds ``recommender.stage_advance``. Design: docs/design/deals.md."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable, Mapping, Sequence

from content_catalog.opportunity_history import ModuleUse
from plugin.deals.stage_norms import StageNorms, StageStint
from recommender.stage_advance import StageAdvanceEvidence, StageBaseline

#: The rep events that count as using a module on a deal.
USE_KINDS = ("open", "personalise", "copy", "download", "share")


@dataclass(frozen=True)
class StageEvidence:
    """One stage of one org: its baseline and each used module's evidence."""

    baseline: StageBaseline
    modules: Mapping[str, StageAdvanceEvidence] = field(default_factory=dict)


def stage_evidence(stints: Sequence[StageStint], uses: Iterable[ModuleUse], *,
                   stage_order: Sequence[str], won_stages: Iterable[str],
                   lost_stages: Iterable[str] = (),
                   norms: StageNorms | None = None) -> dict[str, StageEvidence]:
    """Stage key (case-folded) → evidence. A stay counts once it is decided: it ended (moved on
    if forwards: to a later stage in ``stage_order`` or a won stage), or it is still open past
    its stage's 90th percentile (not moved on). Open stays younger than that are left out: they
    may still move. A move to a lost stage is never forwards, wherever the org's order puts it.
    A module counts for a stay when a rep used it during the stay."""
    order = {_key(s): n for n, s in enumerate(stage_order)}
    won = {_key(s) for s in won_stages}
    lost = {_key(s) for s in lost_stages} - won
    by_deal: dict[str, list[ModuleUse]] = defaultdict(list)
    for use in uses:
        by_deal[use.opportunity_id].append(use)
    deals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    modules: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for stint in stints:
        verdict = _moved_on(stint, order, won, lost, norms)
        if verdict is None:
            continue
        key = _key(stint.stage)
        deals[key][0] += 1
        deals[key][1] += verdict
        ends = stint.entered_at + timedelta(days=stint.days)
        used = {u.module_id for u in by_deal.get(stint.opportunity_id, ())
                if _during(u.at, stint.entered_at, ends)}
        for module in used:
            modules[key][module][0] += 1
            modules[key][module][1] += verdict
    return {key: StageEvidence(StageBaseline(total, moved),
                               {m: StageAdvanceEvidence(m, n, k)
                                for m, (n, k) in sorted(modules[key].items())})
            for key, (total, moved) in deals.items()}


def _moved_on(stint: StageStint, order: Mapping[str, int], won: set[str], lost: set[str],
              norms: StageNorms | None) -> int | None:
    """1 moved on, 0 did not, None not decided yet."""
    if not stint.moved:
        norm = norms.for_deal(stint.stage, stint.amount) if norms is not None else None
        horizon = norm.days(90) if norm is not None else None
        return 0 if horizon is not None and stint.days > horizon else None
    following = _key(stint.next_stage or "")
    if following in won:
        return 1
    if following in lost:
        return 0
    here, there = order.get(_key(stint.stage)), order.get(following)
    if here is None or there is None:
        return 0
    return int(there > here)


def _during(at: datetime, start: datetime, end: datetime) -> bool:
    return start <= at < end


def _key(stage: str) -> str:
    return stage.strip().casefold()


__all__ = ["StageEvidence", "USE_KINDS", "stage_evidence"]
