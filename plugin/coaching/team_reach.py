"""Whose deals a manager coaches: their team through ``ManagerId``, and for a channel manager
(one with partner users in their team) every partner user whose account is in their region."""
from __future__ import annotations

from plugin.deals.people import OrgPeople


def coached_reps(people: OrgPeople, manager_id: str) -> frozenset[str]:
    team = people.team(manager_id)
    if not any(people.is_partner(u) for u in team):
        return team
    region = people.region(manager_id)
    partners = {u for u in people.users if people.is_partner(u)
                and region is not None and people.region(u) == region}
    return team | partners


def is_channel_manager(people: OrgPeople, manager_id: str) -> bool:
    return any(people.is_partner(u) for u in people.team(manager_id))
