"""The taxonomy of the org of the person asking: what the workspace pages, the modules and
coverage APIs and the import check tags against, and what their pickers offer.

An admin's stage mapping adds the org's own stages to its ``deal_stage`` picklist
(:meth:`plugin.services.Services.taxonomy_for`), so a lead can tag a module with a stage the
org's opportunities are really in ("Technical Win"), and the panel matches it; another org
neither offers nor accepts that stage. Every view asks here rather than for the default
taxonomy, so a page, its form and its save always agree.

Looked up once per request: ``taxonomy_for`` reads the orgs' settings version from the database
(the taxonomy itself is built once per settings version), and one page asks many times.
"""
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
