"""``/demo/identity``: pick who you are in the demo (rep, partner rep, manager, enablement lead
or admin)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session

from plugin.errors import InvalidInput, NotFound
from plugin.web.identity import (
    DEMO_IDENTITIES, DEMO_ROLE_KEY, demo_identity, demo_picker_allowed,
)
from plugin.access.role_mappings import Role
from plugin.web.auth import safe_next

blueprint = Blueprint("demo_identity", __name__, url_prefix="/demo/identity")


@blueprint.before_request
def only_here() -> None:
    if not demo_picker_allowed():
        raise NotFound("There is nothing here.")


@blueprint.get("")
def picker():
    wanted = request.args.get("next")
    return render_template("demo/identity.html", identities=DEMO_IDENTITIES.values(),
                           current=demo_identity().key, next=safe_next(wanted) if wanted else "")


@blueprint.post("")
def pick():
    picked = DEMO_IDENTITIES.get(request.form.get("role", "")[:40])
    if picked is None:
        raise InvalidInput(f"role must be one of {', '.join(DEMO_IDENTITIES)}.")
    session[DEMO_ROLE_KEY] = picked.key
    default = "/demo/" if picked.role is Role.REP else "/workspace/"
    wanted = request.form.get("next")
    return redirect(safe_next(wanted) if wanted else default, 303)
