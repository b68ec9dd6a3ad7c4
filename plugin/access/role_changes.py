"""Changing an org's role mappings: the one way the JSON API, admin console and CLI all do it."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from content_catalog.repository import ensure_org
from plugin.access.role_mappings import Role, RoleMapping, RoleMappings, SubjectKind
from plugin.access.user_sessions import UserSessions

log = logging.getLogger(__name__)


class RoleMappingNotFound(LookupError):
    """The org has no mapping for this subject (another org's is answered the same way)."""


@dataclass(frozen=True)
class RoleChange:
    mapping: RoleMapping
    #: The subject's role before the change; None when it had no mapping.
    previous: Role | None
    sessions_ended: int


class RoleAdmin:
    """One org's role mappings and the sessions they decide."""

    def __init__(self, sessions: sessionmaker[Session], signed_in: UserSessions, org_id: str):
        self.sessions = sessions
        self.signed_in = signed_in
        self.org_id = org_id

    def list(self) -> list[RoleMapping]:
        with self.sessions() as session:
            return RoleMappings(session, self.org_id).list()

    def get(self, subject_kind: SubjectKind, subject_id: str) -> RoleMapping | None:
        with self.sessions() as session:
            return RoleMappings(session, self.org_id).get(subject_kind, subject_id)

    def put(self, mapping: RoleMapping, *, by: str) -> RoleChange:
        """Add or change a mapping, in one transaction."""
        with self.sessions.begin() as session:
            ensure_org(session, self.org_id, self.org_id)  # an org row, as API tokens make one
            mappings = RoleMappings(session, self.org_id)
            before = mappings.get(mapping.subject_kind, mapping.subject_id)
            mappings.put(mapping)
        change = RoleChange(mapping, before.role if before else None, self._end_sessions(mapping))
        log.info("org %s: %s %s mapped to %s (was %s) by %s; %d session(s) ended", self.org_id,
                 mapping.subject_kind.value, mapping.subject_id, mapping.role.value,
                 change.previous.value if change.previous else "unmapped", by,
                 change.sessions_ended)
        return change

    def remove(self, subject_kind: SubjectKind, subject_id: str, *, by: str) -> RoleChange:
        with self.sessions.begin() as session:
            mappings = RoleMappings(session, self.org_id)
            before = mappings.get(subject_kind, subject_id)
            if before is None or not mappings.remove(subject_kind, subject_id):
                raise RoleMappingNotFound(subject_id)
        change = RoleChange(before, before.role, self._end_sessions(before))
        log.info("org %s: %s %s unmapped (was %s) by %s; %d session(s) ended", self.org_id,
                 subject_kind.value, subject_id, before.role.value, by, change.sessions_ended)
        return change

    def _end_sessions(self, mapping: RoleMapping) -> int:
        if mapping.subject_kind is SubjectKind.USER:
            return self.signed_in.end_all(self.org_id, mapping.subject_id)
        return 0


__all__ = ["RoleAdmin", "RoleChange", "RoleMappingNotFound"]
