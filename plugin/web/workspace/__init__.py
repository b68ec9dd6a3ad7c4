"""The enablement workspace: where enablement leads write, tag, govern and find gaps in content.
Rule of this room: every page needs an enablement lead or admin, scoped to that user's org; a
manager may open only the areas in ``MANAGER_AREAS`` (figures, never content editing)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, g, redirect, request, url_for

from plugin.errors import Forbidden
from plugin.web.identity import Role, current_user

blueprint = Blueprint("workspace", __name__, url_prefix="/workspace")

@dataclass(frozen=True)
class NavItem:
    endpoint: str  # e.g. "workspace.modules_list"
    label: str
    #: Endpoints named "workspace.<area>_…" light this item up.
    area: str


#: The workspace's navigation, in order. Each area's module appends its item when imported.
NAVIGATION: list[NavItem] = []
#: The areas a manager may open (their pages show figures, never content to edit); an area's
#: module adds itself here when managers may see it.
MANAGER_AREAS: set[str] = {"analytics"}


def _manager_may_open(endpoint: str | None) -> bool:
    return endpoint == "workspace.home" or any(
        (endpoint or "").startswith(f"workspace.{area}_") for area in MANAGER_AREAS)


def navigation_for(role: Role) -> list[NavItem]:
    """The items ``role`` may open, in order."""
    if role is Role.MANAGER:
        return [item for item in NAVIGATION if item.area in MANAGER_AREAS]
    return list(NAVIGATION)


@blueprint.before_request
def require_content_role() -> None:
    user = current_user()
    if user.role is Role.MANAGER and _manager_may_open(request.endpoint):
        g.user = user
        return
    if user.role not in (Role.ENABLEMENT, Role.ADMIN):
        raise Forbidden("The workspace is for enablement leads and admins"
                        + ("; managers see its analytics." if user.role is Role.MANAGER else "."))
    g.user = user


@blueprint.app_context_processor
def navigation():
    user = g.get("user")
    return {"workspace_navigation": NAVIGATION if user is None else navigation_for(user.role)}


@blueprint.get("/")
def home():
    return redirect(url_for(navigation_for(g.user.role)[0].endpoint))


# Each area's routes attach to ``blueprint`` when its module is imported, and each adds its
# navigation item then (Modules first, so "/workspace/" opens on the module list).
from plugin.web.workspace import audit, module_history, module_editor  # noqa: E402,F401  (routes)
# How the content fares with reps and deals, beside the module list, before the gap finders.
from plugin.web.workspace import analytics_pages  # noqa: E402,F401  (nav order)
# Leading indicators beside them: for enablement leads and, for their own team, managers.
from plugin.web.workspace import indicators_page  # noqa: E402,F401  (nav order)
# Coaching beside them: a manager's team deals and recommendations (issue 15).
from plugin.web.workspace import coaching_pages  # noqa: E402,F401  (nav order)
# After the module pages, so their items come first: coverage, preview and import find gaps.
from plugin.web.workspace import coverage_map, preview, import_page  # noqa: E402,F401  (nav order)
# Loss reviews: views of the coverage map and of analytics (their items light up those areas).
from plugin.web.workspace import loss_pages  # noqa: E402,F401  (routes)
