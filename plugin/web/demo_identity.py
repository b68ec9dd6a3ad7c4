"""``/demo/identity``: pick who you are in the demo (rep, enablement lead or admin)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session

from plugin.errors import InvalidInput, NotFound
from plugin.web.identity import DEMO_NAMES, DEMO_ROLE_KEY, current_user, demo_picker_allowed
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
    return render_template("demo/identity.html", roles=DEMO_NAMES, current=current_user().role,
                           next=safe_next(wanted) if wanted else "")


@blueprint.post("")
def pick():
    try:
        role = Role(request.form.get("role", ""))
    except ValueError:
        raise InvalidInput(f"role must be one of {', '.join(r.value for r in Role)}.") from None
    session[DEMO_ROLE_KEY] = role.value
    default = "/demo/" if role is Role.REP else "/workspace/"
    wanted = request.form.get("next")
    return redirect(safe_next(wanted) if wanted else default, 303)
