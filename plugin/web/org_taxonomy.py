"""The taxonomy of the org of the person asking: what pages and APIs tag against and offer."""
from __future__ import annotations

from flask import g

from content_catalog.taxonomy import Taxonomy
from plugin.web import identity
from plugin.web.app_services import services


def org_taxonomy() -> Taxonomy:
    """The signed-in user's (or API token's) org's taxonomy; :class:`Unauthorised` without one."""
    if "_org_taxonomy" not in g:
        g._org_taxonomy = services().taxonomy_for(identity.current_user().org_id)
    return g._org_taxonomy
