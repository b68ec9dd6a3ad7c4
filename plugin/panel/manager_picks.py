"""The modules a rep's manager recommended on this deal, as the first cards of the panel's lists:
held per org in memory and read again only when the org's recommendations or catalog moved."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Callable

from sqlalchemy.orm import Session

from content_catalog.manager_recommendations import ManagerRecommendation, ManagerRecommendations
from content_catalog.modules import ContentModule
from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import ModuleStatus
from plugin.panel.suggestions import PanelSuggestions, SuggestionCard

#: Recommended cards one view shows at most (newest first).
PICKS_PER_VIEW = 3


@dataclass(frozen=True)
class _Pick:
    recommendation: ManagerRecommendation
    module: ContentModule


class ManagerPicks:
    """Thread-safe; one per app. ``revisions`` is (catalog revision, recommendation revision)
    as the view's one statement read them (``PanelSuggestions.revisions``)."""

    def __init__(self, sessions: Callable[[], Session]):
        self._sessions = sessions
        self._held: dict[str, tuple[tuple[int, int], dict[tuple[str, str], list[_Pick]]]] = {}
        self._lock = threading.Lock()

    def cards(self, org_id: str, revisions: tuple[int, int] | None, opportunity_id: str,
              rep_id: str, today: date, *, partners_only: bool = False,
              ) -> tuple[SuggestionCard, ...]:
        held = self._held.get(org_id)
        if revisions is not None and revisions[1] == 0:
            return ()  # no manager in this org has recommended anything yet
        if revisions is not None and (held is None or held[0] != revisions):
            held = (revisions, self._read(org_id))
            with self._lock:
                self._held[org_id] = held
        if held is None:
            return ()
        picks = [p for p in held[1].get((opportunity_id, rep_id), ())
                 if p.module.status is ModuleStatus.PUBLISHED and not p.module.is_expired(today)
                 and (p.module.for_partners or not partners_only)]
        return tuple(_card(p, rank) for rank, p in enumerate(picks[:PICKS_PER_VIEW], start=1))

    def _read(self, org_id: str) -> dict[tuple[str, str], list[_Pick]]:
        with self._sessions() as session:
            open_ = ManagerRecommendations(session, org_id).open()
            modules = CatalogRepository(session, org_id).find({r.module_key for r in open_})
        by_deal: dict[tuple[str, str], list[_Pick]] = {}
        seen: set[tuple[str, str, str]] = set()
        for rec in open_:  # newest first; one card per module however often it was recommended
            key = (rec.opportunity_id, rec.rep_id, rec.module_key)
            if rec.module_key in modules and key not in seen:
                seen.add(key)
                by_deal.setdefault(key[:2], []).append(_Pick(rec, modules[rec.module_key]))
        return by_deal


def first_in_lists(suggestions: PanelSuggestions,
                   picks: tuple[SuggestionCard, ...]) -> PanelSuggestions:
    """The recommended cards first in their audience's list, the ranker's cards after them
    (one that is also recommended shown once, as recommended)."""
    if not picks:
        return suggestions
    keys = {p.module_id for p in picks}
    lists = []
    for audience, ranked in (("client_facing", suggestions.client_facing),
                             ("internal", suggestions.internal)):
        lists.append(tuple(p for p in picks if p.audience == audience)
                     + tuple(c for c in ranked if c.module_id not in keys))
    return PanelSuggestions(*lists, from_memory=suggestions.from_memory,
                            revisions=suggestions.revisions)


def reason(manager_name: str) -> str:
    return f"Recommended by {manager_name}, your manager"


def _card(pick: _Pick, rank: int) -> SuggestionCard:
    module, rec = pick.module, pick.recommendation
    return SuggestionCard(
        module_id=module.key, title=module.title, summary=module.summary,
        kind=module.kind.value, kind_label=module.kind.label, audience=module.audience.value,
        author=module.author, link=module.link, reasons=(reason(rec.manager_name),),
        score=0.0, rank=rank, breakdown={}, propensity=1.0, explored=False,
        model_version="manager", recommended_by=rec.manager_name, note=rec.note,
        recommendation_id=rec.pk)
