"""A manager recommends a module to a rep on one of the team's deals: strict input, the rep in the
manager's team (or a partner rep in a channel manager's region), partner reps given partner content."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy.orm import Session

from content_catalog.manager_recommendations import (
    NOTE_MAX_CHARS, ManagerRecommendation, ManagerRecommendations,
)
from content_catalog.people_store import PeopleStore
from content_catalog.repository import CatalogRepository, ModuleNotFound
from content_catalog.taxonomy import ModuleStatus
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.coaching.team_reach import coached_reps
from plugin.deals.people import OrgPeople


class RecommendationRefused(ValueError):
    """The recommendation cannot be made: ``field`` says which input, ``message`` why."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Recommending:
    """Who recommends: the manager's user Id and name as the rep will read it."""

    org_id: str
    manager_id: str
    manager_name: str


def recommend_module(sessions: Callable[[], Session], who: Recommending, *, rep_id: object,
                     opportunity_id: object, module_id: object, note: object = "",
                     ) -> ManagerRecommendation:
    """Store the recommendation, or :class:`RecommendationRefused` having changed nothing. The
    rep must be one the manager coaches (:func:`~plugin.coaching.team_reach.coached_reps`); a
    partner rep may be given partner content only."""
    rep = _id(rep_id, "005", "rep_id")
    opportunity = _id(opportunity_id, "006", "opportunity_id")
    text = _note(note)
    if not isinstance(module_id, str) or not 0 < len(module_id) <= 64:
        raise RecommendationRefused("module_id", "must be a module id")
    with sessions() as session:
        people = OrgPeople.build(PeopleStore(session, who.org_id).users())
        if rep not in coached_reps(people, who.manager_id):
            raise RecommendationRefused("rep_id", "is not in your team")
        try:
            module = CatalogRepository(session, who.org_id).get(module_id)
        except ModuleNotFound:
            module = None
        if module is None or module.status is not ModuleStatus.PUBLISHED:
            raise RecommendationRefused("module_id", "is not a published module of this org")
        if people.is_partner(rep) and not module.for_partners:
            raise RecommendationRefused("module_id", "is not marked for partners; this rep is a "
                                                     "partner user and would never see it")
        saved = ManagerRecommendations(session, who.org_id).add(
            opportunity_id=opportunity, rep_id=rep, module_key=module.key,
            manager_id=who.manager_id,
            manager_name=people.name(who.manager_id) or who.manager_name, note=text)
        session.commit()
    return saved


def _id(value: object, prefix: str, field: str) -> str:
    try:
        return to_18(value if isinstance(value, str) else "", prefix=prefix)
    except InvalidSalesforceId:
        raise RecommendationRefused(field, f"must be a Salesforce Id starting {prefix}") from None


def _note(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecommendationRefused("note", "must be text")
    text = " ".join(value.split())
    if len(text) > NOTE_MAX_CHARS:
        raise RecommendationRefused("note", f"must be at most {NOTE_MAX_CHARS} characters")
    if "\x00" in text:
        raise RecommendationRefused("note", "must not contain NUL characters")
    return text
