"""Who is who in an org, from its synced users, roles and region mapping: a manager's team, a
user's region, whether a user is a partner. Pure. Design: docs/design/deals.md."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from content_catalog.people_store import RegionMapping, SalesRole, SyncedUser

#: Salesforce ``UserType`` values of partner users (partner portal and partner community).
PARTNER_USER_TYPES = frozenset({"PowerPartner", "Partner"})


def is_partner_type(user_type: str | None) -> bool:
    return user_type in PARTNER_USER_TYPES


@dataclass(frozen=True)
class OrgPeople:
    """One org's people at one moment; build it with :meth:`build`."""

    users: dict[str, SyncedUser]
    roles: dict[str, SalesRole]
    #: (kind, key) → region, from the admin's mapping.
    mapped: dict[tuple[str, str], str]
    _reports: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, users: Iterable[SyncedUser], roles: Iterable[SalesRole] = (),
              mappings: Iterable[RegionMapping] = ()) -> OrgPeople:
        by_id = {u.user_id: u for u in users}
        reports: dict[str, list[str]] = defaultdict(list)
        for user in by_id.values():
            if user.manager_id:
                reports[user.manager_id].append(user.user_id)
        return cls(by_id, {r.role_id: r for r in roles},
                   {(m.kind, m.key): m.region for m in mappings},
                   {k: tuple(sorted(v)) for k, v in reports.items()})

    def name(self, user_id: str | None) -> str | None:
        user = self.users.get(user_id or "")
        return None if user is None else user.name

    def is_partner(self, user_id: str | None) -> bool:
        user = self.users.get(user_id or "")
        return user is not None and (user.is_partner or is_partner_type(user.user_type))

    def direct_reports(self, manager_id: str) -> tuple[str, ...]:
        return self._reports.get(manager_id, ())

    def team(self, manager_id: str, *, active_only: bool = False) -> frozenset[str]:
        """The manager's direct and indirect reports (through ``ManagerId``), never the manager;
        a cycle in the data ends the walk instead of looping."""
        found: set[str] = set()
        stack = list(self.direct_reports(manager_id))
        while stack:
            user_id = stack.pop()
            if user_id in found or user_id == manager_id:
                continue
            found.add(user_id)
            stack.extend(self.direct_reports(user_id))
        if active_only:
            found = {u for u in found if self.users[u].active}
        return frozenset(found)

    def role_ancestry(self, role_id: str | None) -> list[SalesRole]:
        """The role and its parents up to the top of the hierarchy (cycles cut)."""
        chain: list[SalesRole] = []
        seen: set[str] = set()
        while role_id and role_id not in seen and role_id in self.roles:
            seen.add(role_id)
            role = self.roles[role_id]
            chain.append(role)
            role_id = role.parent_role_id
        return chain

    def region_of_role(self, role_id: str | None) -> str | None:
        """The mapping of the role or its nearest mapped ancestor; else, when nothing in its
        chain is mapped, the ancestor just below the top of the hierarchy (where regions sit in
        most hierarchies: "CEO → North America → ..."). None for a top-level or unknown role."""
        chain = self.role_ancestry(role_id)
        for role in chain:
            mapped = self.mapped.get(("role", role.role_id))
            if mapped:
                return mapped
        if len(chain) >= 2 and chain[-1].parent_role_id is None:
            return chain[-2].name
        return None

    def region(self, user_id: str | None) -> str | None:
        """A partner user's mapped partner account first; else their role's region."""
        user = self.users.get(user_id or "")
        if user is None:
            return None
        if user.partner_account_id:
            mapped = self.mapped.get(("partner_account", user.partner_account_id))
            if mapped:
                return mapped
        return self.region_of_role(user.role_id)

    def in_region(self, region: str) -> frozenset[str]:
        return frozenset(u for u in self.users if self.region(u) == region)

    def regions(self) -> list[str]:
        return sorted({r for r in (self.region(u) for u in self.users) if r})


__all__ = ["OrgPeople", "PARTNER_USER_TYPES", "is_partner_type"]
