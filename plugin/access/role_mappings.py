"""Roles, and the org's mapping from Salesforce users, permission sets and profiles to them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_catalog.tables.access_tables import RoleMappingRow
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18


class Role(StrEnum):
    REP = "rep"
    #: A sales or channel manager: sees the workspace's analytics and the coaching pages, for
    #: their own team; edits no content.
    MANAGER = "manager"
    ENABLEMENT = "enablement"
    ADMIN = "admin"


#: Least to most powerful; a person with several permission-set mappings gets the last one held.
#: A manager sees their team's figures; an enablement lead sees everyone's and edits content.
ROLE_ORDER = (Role.REP, Role.MANAGER, Role.ENABLEMENT, Role.ADMIN)
DEFAULT_ROLE = Role.REP


@dataclass(frozen=True)
class User:
    org_id: str
    user_id: str
    name: str
    role: Role

    @property
    def can_edit_content(self) -> bool:
        return self.role in (Role.ENABLEMENT, Role.ADMIN)


class SubjectKind(StrEnum):
    USER = "user"
    PERMISSION_SET = "permission_set"
    PROFILE = "profile"


#: The key prefix of each subject's Salesforce Id.
ID_PREFIXES = {
    SubjectKind.USER: "005", SubjectKind.PERMISSION_SET: "0PS", SubjectKind.PROFILE: "00e",
}


class InvalidRoleMapping(ValueError):
    def __init__(self, field: str, reason: str, value: object = None):
        self.field, self.reason, self.value = field, reason, value
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class RoleMapping:
    subject_kind: SubjectKind
    subject_id: str
    role: Role


def parse_role(value: object, field: str = "role") -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidRoleMapping(field, f"must be one of {', '.join(ROLE_ORDER)}", value) from None


def parse_role_mapping(subject_kind: object, subject_id: object, role: object) -> RoleMapping:
    """A mapping from untrusted input; the Id is checked against the kind's key prefix."""
    kind, checked_id = parse_subject(subject_kind, subject_id)
    return RoleMapping(kind, checked_id, parse_role(role))


def parse_subject(subject_kind: object, subject_id: object) -> tuple[SubjectKind, str]:
    """The subject of a mapping from untrusted input, its Id in the 18-character form."""
    try:
        kind = SubjectKind(subject_kind)
    except ValueError:
        raise InvalidRoleMapping(
            "subject_kind", f"must be one of {', '.join(k.value for k in SubjectKind)}",
            subject_kind,
        ) from None
    return kind, _subject_id(kind, subject_id)


def _subject_id(kind: SubjectKind, value: object) -> str:
    try:
        return to_18(value, prefix=ID_PREFIXES[kind])
    except InvalidSalesforceId as exc:
        raise InvalidRoleMapping("subject_id", f"a {kind.value} Id {exc.reason}", value) from None


class RoleMappings:
    """One org's role mappings, in the caller's database session."""

    def __init__(self, session: Session, org_id: str):
        self.session = session
        self.org_id = org_id

    def list(self) -> list[RoleMapping]:
        rows = self.session.scalars(
            select(RoleMappingRow)
            .where(RoleMappingRow.org_id == self.org_id)
            .order_by(RoleMappingRow.subject_kind, RoleMappingRow.subject_id)
        )
        return [RoleMapping(SubjectKind(r.subject_kind), r.subject_id, Role(r.role)) for r in rows]

    def get(self, subject_kind: SubjectKind, subject_id: str) -> RoleMapping | None:
        row = self.session.get(RoleMappingRow, (self.org_id, subject_kind.value, subject_id))
        return None if row is None else RoleMapping(subject_kind, subject_id, Role(row.role))

    def put(self, mapping: RoleMapping) -> None:
        key = (self.org_id, mapping.subject_kind.value, mapping.subject_id)
        row = self.session.get(RoleMappingRow, key)
        if row is None:
            row = RoleMappingRow(org_id=self.org_id, subject_kind=mapping.subject_kind.value,
                                 subject_id=mapping.subject_id)
            self.session.add(row)
        row.role, row.updated_at = mapping.role.value, datetime.now(timezone.utc)
        self.session.flush()

    def remove(self, subject_kind: SubjectKind, subject_id: str) -> bool:
        row = self.session.get(RoleMappingRow, (self.org_id, subject_kind.value, subject_id))
        if row is None:
            return False
        self.session.delete(row)
        self.session.flush()
        return True

    def resolve(self, user_id: str, profile_id: str | None = None,
                permission_set_ids: Iterable[str] = ()) -> Role:
        """The role of a person with these Ids (18-character): their user's mapping, else the most
        powerful of their permission sets', else their profile's, else :data:`DEFAULT_ROLE`."""
        wanted = {(SubjectKind.USER, user_id)}
        wanted |= {(SubjectKind.PERMISSION_SET, p) for p in permission_set_ids}
        if profile_id:
            wanted.add((SubjectKind.PROFILE, profile_id))
        found: dict[SubjectKind, list[Role]] = {}
        ids = {subject_id for _, subject_id in wanted}
        rows = self.session.scalars(
            select(RoleMappingRow)
            .where(RoleMappingRow.org_id == self.org_id, RoleMappingRow.subject_id.in_(ids))
        )
        for row in rows:
            kind = SubjectKind(row.subject_kind)
            if (kind, row.subject_id) in wanted:
                found.setdefault(kind, []).append(Role(row.role))
        for kind in (SubjectKind.USER, SubjectKind.PERMISSION_SET, SubjectKind.PROFILE):
            if kind in found:
                return max(found[kind], key=ROLE_ORDER.index)
        return DEFAULT_ROLE


__all__ = [
    "DEFAULT_ROLE", "InvalidRoleMapping", "Role", "RoleMapping", "RoleMappings", "SubjectKind",
    "User", "parse_role", "parse_role_mapping", "parse_subject",
]  # fmt: skip
