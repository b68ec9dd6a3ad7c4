"""The JSON shapes of modules and their versions (documented in ``plugin/openapi.yaml``)."""
from __future__ import annotations

from typing import Any

from content_catalog.history import ModuleVersion
from content_catalog.modules import ContentModule
from content_catalog.placeholders import used_placeholders
from content_catalog.taxonomy import Dimension
from plugin.content.rendering import markdown_to_html


def module_json(module: ContentModule) -> dict[str, Any]:
    return {
        **module_summary_json(module),
        "body_html": markdown_to_html(module.body),
        # What the panel offers to personalise (GET …/personalised): the supported ones only.
        "placeholders": used_placeholders(module.body),
        "body": module.body,
    }


def module_summary_json(module: ContentModule) -> dict[str, Any]:
    return {
        "module_id": module.key,
        "title": module.title,
        "summary": module.summary,
        "kind": module.kind.value,
        "kind_label": module.kind.label,
        "audience": module.audience.value,
        "audience_label": module.audience.label,
        "author": module.author,
        "link": module.link,
        "version": module.version,
        "status": module.status.value,
        "tags": {dim.value: list(module.tag_values(dim)) for dim in Dimension},
        "review_by": module.review_by.isoformat() if module.review_by else None,
        "updated_at": module.updated_at.isoformat() if module.updated_at else None,
        "for_partners": module.for_partners,
    }


def version_summary_json(version: ModuleVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "saved_at": version.saved_at.isoformat(),
        "actor": version.actor,
        "status": version.status.value,
    }
