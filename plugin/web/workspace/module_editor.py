"""Workspace pages for modules: find, write and tag them, move them through their life cycle."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from content_catalog.editing import (
    ALLOWED_TRANSITIONS,
    InvalidTransition,
    ModuleEditor,
    ModuleExists,
    StaleVersion,
)
from content_catalog.modules import (
    LIMITS,
    ContentModule,
    FieldError,
    ModuleInput,
    ModuleValidationError,
    module_to_dict,
    parse_module,
)
from content_catalog.placeholders import PLACEHOLDERS, unknown_placeholders, used_placeholders
from content_catalog.queries import ModuleQuery
from content_catalog.reapplying import reapply
from content_catalog.repository import CatalogRepository, ModuleNotFound
from content_catalog.taxonomy import Audience, Dimension, ModuleKind, ModuleStatus
from plugin.errors import InvalidInput, NotFound
from plugin.content.rendering import markdown_to_html
from plugin.web.app_services import services
from plugin.web.module_params import TAG_PREFIX, form_module, module_query, search_args, tag_params
from plugin.web.org_taxonomy import org_taxonomy
from plugin.web.workspace import NAVIGATION, NavItem, blueprint

NAVIGATION.insert(0, NavItem("workspace.modules_list", "Modules", "modules"))

#: The life-cycle buttons: (from, to) → what the button says.
TRANSITION_LABELS = {
    (ModuleStatus.DRAFT, ModuleStatus.PUBLISHED): "Publish",
    (ModuleStatus.DRAFT, ModuleStatus.RETIRED): "Retire",
    (ModuleStatus.PUBLISHED, ModuleStatus.RETIRED): "Retire",
    (ModuleStatus.PUBLISHED, ModuleStatus.DRAFT): "Back to draft",
    (ModuleStatus.RETIRED, ModuleStatus.PUBLISHED): "Restore and publish",
    (ModuleStatus.RETIRED, ModuleStatus.DRAFT): "Restore as draft",
}
STATUS_DONE = {ModuleStatus.PUBLISHED: "Published", ModuleStatus.RETIRED: "Retired", ModuleStatus.DRAFT: "Moved to draft"}
#: Form fields as their labels read, for the list of errors above the form.
FIELD_LABELS = {
    "id": "Module id", "title": "Title", "summary": "Summary", "body": "Body", "link": "Link",
    "kind": "Kind", "audience": "Audience", "author": "Author", "review_by": "Review by",
    "status": "Status", "tags": "Tags", "for_partners": "For partners",
}  # fmt: skip
SORT_LABELS = (("title", "Title"), ("kind", "Kind"), ("status", "Status"), ("author", "Author"),
               ("review_by", "Review by"), ("updated_at", "Updated"), ("version", "Version"))  # fmt: skip


# -- the list ------------------------------------------------------------------------------------
@blueprint.get("/modules")
def modules_list():
    errors: list[FieldError] = []
    try:
        query = module_query(request.args, org_taxonomy())
    except InvalidInput as exc:
        errors, query = exc.errors, ModuleQuery()
    with services().sessions() as session:
        catalog = CatalogRepository(session, g.user.org_id)
        page = None if errors else catalog.search(query)
        authors = catalog.authors()
    html = render_template(
        "workspace/modules/list.html", page=page, query=query, errors=errors, authors=authors,
        args=request.args, list_url=list_url, sort_labels=SORT_LABELS, page_links=page_links,
        today=services().today(), overdue_before=services().today() - timedelta(days=1),
        new_url=new_module_url(request.args), **choices(),
    )  # fmt: skip
    return html, 400 if errors else 200


def list_url(args: MultiDict, **changes: Any) -> str:
    """The list's URL with the current filters and ``changes`` (``page=2``, ``sort=…``)."""
    kept = search_args(args)
    for name, value in changes.items():
        kept.setlist(name, [] if value in (None, "") else [str(value)])
    query = urlencode(list(kept.items(multi=True)))
    return url_for("workspace.modules_list") + (f"?{query}" if query else "")


def new_module_url(args: MultiDict) -> str:
    """The new-module form pre-tagged with the list's tag filters."""
    tags = [(name, value) for name, value in search_args(args).items(multi=True) if name.startswith(TAG_PREFIX)]
    return url_for("workspace.modules_new") + (f"?{urlencode(tags)}" if tags else "")


def page_links(current: int, pages: int, around: int = 2) -> list[int | None]:
    """Page numbers to link: the first, the last and a few around the current; None is a gap."""
    shown = sorted({1, pages, *range(max(1, current - around), min(pages, current + around) + 1)})
    links: list[int | None] = []
    for number in shown:
        if links and number - links[-1] > 1:  # type: ignore[operator]
            links.append(None)
        links.append(number)
    return links


# -- create --------------------------------------------------------------------------------------
@blueprint.get("/modules/new")
def modules_new():
    """A blank module; ``?tag.<dimension>=value`` (repeatable), ``kind``, ``audience`` and
    ``title`` pre-fill it, so a gap on the coverage map links straight to the module that fills
    it. Values the taxonomy does not know are left out."""
    args = request.args
    form = {
        "id": "", "title": args.get("title", "")[: LIMITS["title"]], "summary": "", "body": "",
        "link": "", "review_by": "", "status": ModuleStatus.DRAFT.value, "author": g.user.name,
        "kind": args.get("kind") if args.get("kind") in tuple(ModuleKind) else "",
        "audience": args.get("audience") if args.get("audience") in tuple(Audience) else Audience.CLIENT_FACING.value,
        "tags": {d.value: list(v) for d, v in tag_params(args, org_taxonomy()).items()},
    }  # fmt: skip
    return render_form(form)


@blueprint.post("/modules")
def modules_create():
    raw = form_module(request.form)
    try:
        module = parse_module(raw, org_taxonomy())
        with services().sessions.begin() as session:
            saved = ModuleEditor(session, g.user.org_id, g.user.name).create(module)
    except ModuleValidationError as exc:
        return render_form(raw, errors=exc.errors), 400
    except ModuleExists:
        taken = FieldError("id", "is taken by another module of this org: choose another id", raw["id"])
        return render_form(raw, errors=[taken]), 409
    flash(f"Created “{saved.title}” as a draft (version 1).", "success")
    return redirect(url_for("workspace.modules_view", module_id=saved.key))


# -- one module ----------------------------------------------------------------------------------
@blueprint.get("/modules/<module_id>")
def modules_view(module_id: str):
    with services().sessions() as session:
        module = find_module(session, module_id)
        editor = ModuleEditor(session, g.user.org_id, g.user.name)
        activity = editor.audit(limit=5, module_key=module.key)
    return render_template(
        "workspace/modules/view.html", module=module, body_html=markdown_to_html(module.body),
        transitions=transitions(module.status), activity=activity,
        overdue=bool(module.review_by and module.review_by < services().today()),
        placeholders=used_placeholders(module.body), unknown=unknown_placeholders(module.body),
        **choices(),
    )  # fmt: skip


@blueprint.get("/modules/<module_id>/edit")
def modules_edit(module_id: str):
    with services().sessions() as session:
        module = find_module(session, module_id)
    return render_form(module_to_dict(module), module=module)


@blueprint.post("/modules/<module_id>/edit")
def modules_update(module_id: str):
    raw = form_module(request.form, key=module_id[:64])
    base = base_version(request.form)
    with services().sessions.begin() as session:
        current = find_module(session, module_id)
        raw["id"], raw["status"] = current.key, current.status.value  # status: the life-cycle buttons'
        try:
            module = parse_module(raw, org_taxonomy())
        except ModuleValidationError as exc:
            return render_form(raw, module=current, base=base, errors=exc.errors), 400
        editor = ModuleEditor(session, g.user.org_id, g.user.name)
        try:
            saved = editor.update(current.key, module, base)
        except StaleVersion as exc:
            return render_conflict(editor, module, base, exc.current), 409
    if saved.version == base:
        flash("Nothing had changed, so no new version was saved.", "info")
    else:
        flash(f"Saved version {saved.version}.", "success")
    return redirect(url_for("workspace.modules_view", module_id=saved.key))


@blueprint.post("/modules/<module_id>/status")
def modules_status(module_id: str):
    base = base_version(request.form)
    try:
        status = ModuleStatus(request.form.get("status", ""))
    except ValueError:
        raise InvalidInput("Choose draft, published or retired.") from None
    try:
        with services().sessions.begin() as session:
            key = find_module(session, module_id).key
            saved = ModuleEditor(session, g.user.org_id, g.user.name).set_status(key, status, base)
    except StaleVersion as exc:
        flash(stale_message(exc.current) + " Its status was not changed.", "error")
        return redirect(url_for("workspace.modules_view", module_id=exc.current.key))
    except InvalidTransition as exc:
        flash(f"Not changed: {exc}.", "error")
        return redirect(url_for("workspace.modules_view", module_id=module_id))
    flash(f"{STATUS_DONE[status]} (version {saved.version}).", "success")
    return redirect(url_for("workspace.modules_view", module_id=saved.key))


# -- shared by the module pages ------------------------------------------------------------------
def find_module(session, module_id: str) -> ContentModule:
    try:
        return CatalogRepository(session, g.user.org_id).get(module_id[:64])
    except ModuleNotFound:
        raise NotFound("There is no such module in this org.") from None


def base_version(form: MultiDict) -> int:
    value = form.get("base_version", "")
    if not value.isdigit() or len(value) > 9:
        raise InvalidInput("The form does not say which version it was based on. Reload the page and try again.")
    return int(value)


def stale_message(current: ContentModule) -> str:
    return f"Someone saved this module since you opened it; it is now version {current.version}."


def transitions(status: ModuleStatus) -> list[tuple[str, str]]:
    """(target status, button label) for the statuses a module may move to now."""
    return [(to.value, TRANSITION_LABELS[(frm, to)]) for frm, to in sorted(ALLOWED_TRANSITIONS) if frm is status]


def field_labels() -> dict[str, str]:
    """Form fields as their labels read ("tags.challenge" is "Customer challenge")."""
    taxonomy = org_taxonomy()
    return {**FIELD_LABELS, **{f"tags.{d.value}": taxonomy.spec(d).label for d in Dimension}}


def choices() -> dict[str, Any]:
    """What the pickers offer: every value comes from the taxonomy or the domain's enums."""
    taxonomy = org_taxonomy()
    return {
        "dimensions": [taxonomy.spec(d) for d in Dimension],
        "tag_options": [(spec, [(t.value, t.label) for t in spec.values]) for spec in map(taxonomy.spec, Dimension)],
        "kinds": [(k.value, k.label) for k in ModuleKind],
        "audiences": [(a.value, a.label) for a in Audience],
        "statuses": [s.value for s in ModuleStatus],
        "tag_prefix": TAG_PREFIX,
    }


def render_form(form: dict[str, Any], *, module: ContentModule | None = None, base: int | None = None,
                errors: list[FieldError] = (), **extra: Any) -> str:
    """The create/edit form with ``form``'s values (as typed, on errors) and errors by field."""
    by_field: dict[str, list[FieldError]] = {}
    for error in errors:
        by_field.setdefault(error.field, []).append(error)
    body = form.get("body") or ""
    return render_template(
        "workspace/modules/form.html", form=form, module=module,
        base_version=base if base is not None else (module.version if module else None),
        errors=list(errors), field_errors=by_field, field_labels=field_labels(), limits=LIMITS, placeholders=PLACEHOLDERS,
        preview_html=markdown_to_html(body), used=used_placeholders(body),
        unknown=unknown_placeholders(body), **choices(), **extra,
    )  # fmt: skip


def render_conflict(editor: ModuleEditor, yours: ModuleInput, base: int, theirs: ContentModule) -> str:
    """Their version beside yours, with yours re-applied over theirs in a form based on theirs."""
    try:
        base_module = editor.version(theirs.key, base).module
    except ModuleNotFound:
        base_module = None  # no snapshot of the base: everything that differs counts as yours
    merged = reapply(base_module, yours, theirs)
    saved_by = next((v for v in editor.history(theirs.key) if v.version == theirs.version), None)
    form = module_to_dict(merged.module)
    return render_form(
        form, module=theirs, base=theirs.version, conflict=merged, theirs=theirs, your_base=base,
        saved_by=saved_by, theirs_html=markdown_to_html(theirs.body), stale=stale_message(theirs),
    )  # fmt: skip


@blueprint.app_template_filter("bi_when")
def format_when(moment: datetime | None) -> str:
    """"23 Nov 2026, 16:24 UTC": every time stored is UTC, and the workspace says so."""
    return moment.strftime("%-d %b %Y, %H:%M UTC") if moment else ""


@blueprint.app_template_filter("bi_day")
def format_day(moment: datetime | None) -> str:
    return moment.strftime("%-d %b %Y") if moment else ""
