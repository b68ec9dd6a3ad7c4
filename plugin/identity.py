"""Who is using the workspace, and what they may do.

Three roles: reps see suggestions, enablement leads write and govern content, admins connect
orgs. In demo mode everyone is the demo org's enablement lead; signing in with Salesforce (and
the role mapping) replaces that outside demo mode.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import wraps

from plugin.errors import Forbidden, Unauthorised
from plugin.services import services


class Role(StrEnum):
    REP = "rep"
    ENABLEMENT = "enablement"
    ADMIN = "admin"


@dataclass(frozen=True)
class User:
    org_id: str
    user_id: str
    name: str
    role: Role

    @property
    def can_edit_content(self) -> bool:
        return self.role in (Role.ENABLEMENT, Role.ADMIN)


DEMO_USER_ID = "0055e00000DEMOL"  # a made-up, well-formed User Id (005…)


def current_user() -> User:
    svc = services()
    if svc.demo_org is not None:
        return User(svc.demo_org.org_id, DEMO_USER_ID, "Demo enablement lead", Role.ENABLEMENT)
    raise Unauthorised("Sign in to the Be Inspired workspace (available in demo mode for now).")


def requires(*roles: Role):
    """View decorator: the signed-in user must hold one of ``roles``."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user.role not in roles:
                raise Forbidden("Your role may not do this.")
            return view(*args, **kwargs)

        return wrapped

    return decorate
