"""A module's past: every version, a diff between any two, an old version, and restoring it."""
from __future__ import annotations

from dataclasses import dataclass

from flask import flash, g, redirect, render_template, request, url_for

from content_catalog.editing import ModuleEditor, StaleVersion, VersionNotFound
from content_catalog.modules import ModuleInput
from content_catalog.taxonomy import Dimension
from plugin.errors import InvalidInput, NotFound
from plugin.content.rendering import markdown_to_html
from plugin.web.app_services import services
from plugin.web.org_taxonomy import org_taxonomy
from plugin.web.workspace import blueprint
from plugin.web.workspace.module_editor import base_version, choices, find_module, stale_message

#: How the fields of a module are named on the pages.
FIELD_LABELS = {
    "title": "Title", "summary": "Summary", "body": "Body", "kind": "Kind", "audience": "Audience",
    "author": "Author", "status": "Status", "link": "Link", "review_by": "Review by", "tags": "Tags",
}  # fmt: skip


@dataclass(frozen=True)
class TagChange:
    """One dimension's tags in two versions, for the before/after table."""

    label: str
    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def removed(self) -> list[str]:
        return [v for v in self.before if v not in self.after]

    @property
    def added(self) -> list[str]:
        return [v for v in self.after if v not in self.before]


@blueprint.get("/modules/<module_id>/history")
def modules_history(module_id: str):
    with services().sessions() as session:
        module = find_module(session, module_id)
        editor = ModuleEditor(session, g.user.org_id, g.user.name)
        versions = editor.history(module.key)
        # What each save did ("published", "changed title, body"): the audit log's words.
        actions = {e.version: e for e in reversed(editor.audit(limit=max(1, len(versions) * 2), module_key=module.key))}
    return render_template(
        "workspace/modules/history.html", module=module, versions=versions, actions=actions
    )


@blueprint.get("/modules/<module_id>/diff")
def modules_diff(module_id: str):
    """Two versions compared; ``to`` defaults to the current one, ``from`` to the one before."""
    with services().sessions() as session:
        module = find_module(session, module_id)
        editor = ModuleEditor(session, g.user.org_id, g.user.name)
        to_version = _version_arg("to") or module.version
        from_version = _version_arg("from") or max(1, to_version - 1)
        try:
            before = editor.version(module.key, from_version)
            after = editor.version(module.key, to_version)
        except VersionNotFound as exc:
            raise NotFound(f"This module has no version {exc.version}.") from None
        changes = editor.diff(module.key, from_version, to_version)
        versions = [v.version for v in editor.history(module.key)]
    return render_template(
        "workspace/modules/diff.html", module=module, before=before, after=after, versions=versions,
        changes=changes, tag_changes=tag_changes(before.module, after.module),
        field_labels=FIELD_LABELS, **choices(),
    )  # fmt: skip


@blueprint.get("/modules/<module_id>/versions/<int:version>")
def modules_version(module_id: str, version: int):
    with services().sessions() as session:
        module = find_module(session, module_id)
        try:
            old = ModuleEditor(session, g.user.org_id, g.user.name).version(module.key, version)
        except VersionNotFound:
            raise NotFound(f"This module has no version {version}.") from None
    return render_template(
        "workspace/modules/version.html", module=module, old=old,
        body_html=markdown_to_html(old.module.body), **choices(),
    )  # fmt: skip


@blueprint.post("/modules/<module_id>/versions/<int:version>/restore")
def modules_restore(module_id: str, version: int):
    base = base_version(request.form)
    try:
        with services().sessions.begin() as session:
            key = find_module(session, module_id).key
            editor = ModuleEditor(session, g.user.org_id, g.user.name)
            saved = editor.restore_version(key, version, base)
    except StaleVersion as exc:
        flash(stale_message(exc.current) + " Nothing was restored: check the history and try again.", "error")
        return redirect(url_for("workspace.modules_history", module_id=exc.current.key))
    except VersionNotFound:
        raise NotFound(f"This module has no version {version}.") from None
    if saved.version == base:
        flash(f"Version {version} reads the same as the current one; nothing to restore.", "info")
    else:
        flash(f"Restored the content of version {version} as version {saved.version}.", "success")
    return redirect(url_for("workspace.modules_view", module_id=saved.key))


def tag_changes(before: ModuleInput, after: ModuleInput) -> list[TagChange]:
    taxonomy = org_taxonomy()
    return [
        TagChange(taxonomy.spec(d).label, before.tag_values(d), after.tag_values(d))
        for d in Dimension
        if before.tag_values(d) != after.tag_values(d)
    ]


def _version_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9 or int(value) < 1:
        raise InvalidInput(f"{name}: a version is a whole number from 1.")
    return int(value)
