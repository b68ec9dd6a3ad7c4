"""Module search filters and module input, read alike for the workspace pages and the JSON API."""
from __future__ import annotations

from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from content_catalog.modules import FieldError
from content_catalog.queries import MAX_PAGE_SIZE, SORTS, ModuleQuery
from content_catalog.taxonomy import (
    Audience,
    Dimension,
    ModuleKind,
    ModuleStatus,
    Taxonomy,
    UnknownTagValue,
)
from plugin.errors import InvalidInput

TAG_PREFIX = "tag."
ORDERS = ("asc", "desc")
LIST_PARAMS = ("status", "kind", "audience")
TEXT_PARAMS = ("q", "author", "review_before", "review_after", "untagged", "sort", "order", "page", "page_size")
#: Every search parameter, for "unknown parameter" errors.
SEARCH_PARAMS = (*TEXT_PARAMS, *LIST_PARAMS, *(TAG_PREFIX + d.value for d in Dimension))
_ENUMS = {"status": ModuleStatus, "kind": ModuleKind, "audience": Audience}
_TRUE = ("1", "true", "yes", "on")

#: The fields of a module a person writes, in the documented JSON shape (``module_to_dict``).
MODULE_FIELDS = ("id", "title", "summary", "body", "link", "kind", "audience", "author", "status", "review_by", "tags", "for_partners")


def module_query(args: MultiDict, taxonomy: Taxonomy, *, strict: bool = False) -> ModuleQuery:
    """The search ``args`` describe; :class:`InvalidInput` listing every bad parameter.

    With ``strict`` (the API) an unknown parameter is an error too; the pages ignore them, so a
    link from elsewhere in the workspace may carry its own.
    """
    errors: list[FieldError] = []
    if strict:
        for name in args:
            if name not in SEARCH_PARAMS and not name.startswith(TAG_PREFIX):  # tag.*: below
                errors.append(FieldError(name, "is not a search parameter", allowed=list(SEARCH_PARAMS)))
    tags = tag_params(args, taxonomy, errors)
    members = {name: _members(args, name, errors) for name in LIST_PARAMS}
    review_before = _date_param(args, "review_before", errors)
    review_after = _date_param(args, "review_after", errors)
    order = args.get("order", "asc") or "asc"
    if order not in ORDERS:
        errors.append(FieldError("order", "is not an allowed value", order[:20], list(ORDERS)))
    sort = args.get("sort") or "title"
    if sort not in SORTS:
        errors.append(FieldError("sort", "is not an allowed value", sort[:40], list(SORTS)))
    page = _int_param(args, "page", 1, errors)
    page_size = _int_param(args, "page_size", 25, errors)
    if errors:
        raise InvalidInput("Some search parameters are not valid.", errors=errors)
    try:
        return ModuleQuery(
            tags=tags, untagged_matches=args.get("untagged", "").lower() in _TRUE,
            statuses=members["status"], kinds=members["kind"], audiences=members["audience"],
            author=args.get("author") or None, review_before=review_before,
            review_after=review_after, text=args.get("q") or None, sort=sort,
            descending=order == "desc", page=page, page_size=page_size,
        )  # fmt: skip
    except ValueError as exc:  # "field: message", checked by ModuleQuery itself
        field, _, message = str(exc).partition(": ")
        raise InvalidInput("Some search parameters are not valid.", errors=[FieldError(field, message or field)]) from None


def tag_params(args: MultiDict, taxonomy: Taxonomy, errors: list[FieldError] | None = None) -> dict[Dimension, tuple[str, ...]]:
    """``tag.<dimension>`` parameters in the taxonomy's spelling. Unknown dimensions and values
    are added to ``errors``; without ``errors`` they are dropped (a prefilled new module)."""
    tags: dict[Dimension, tuple[str, ...]] = {}
    for name in args:
        if not name.startswith(TAG_PREFIX):
            continue
        try:
            dimension = Dimension(name[len(TAG_PREFIX):])
        except ValueError:
            if errors is not None:
                allowed = [TAG_PREFIX + d.value for d in Dimension]
                errors.append(FieldError(name[:60], "unknown tag dimension", allowed=allowed))
            continue
        values = [v for v in args.getlist(name) if v.strip()]
        if errors is None:
            spec = taxonomy.spec(dimension)
            known = [c for v in values if (c := spec.canonical(v)) is not None]
            values = list(dict.fromkeys(known))
        else:
            try:
                values = list(taxonomy.validate(dimension, values))
            except UnknownTagValue as exc:
                errors.append(FieldError(name, "is not an allowed value", exc.value[:100], exc.allowed))
                continue
        if values:
            tags[dimension] = tuple(values)
    return tags


def search_args(args: MultiDict) -> MultiDict:
    """Only the search parameters of ``args``, with empty values dropped: what a page keeps in its
    links (sorting, paging) so the filters stay in the URL."""
    kept = MultiDict()
    for name in SEARCH_PARAMS:
        for value in args.getlist(name):
            if value.strip():
                kept.add(name, value)
    return kept


def form_module(form: MultiDict, key: str | None = None) -> dict[str, Any]:
    """A module posted by the editor's HTML form, as the JSON shape :func:`parse_module` reads.

    Browsers send a textarea's line breaks as CRLF; they are stored as LF, or saving a module
    unchanged would make a new version whose every line differs.
    """
    text = {name: form.get(name, "") for name in ("id", "title", "summary", "body", "link", "kind", "audience", "author", "review_by")}
    for name in ("summary", "body"):
        text[name] = text[name].replace("\r\n", "\n").replace("\r", "\n")
    if key is not None:
        text["id"] = key
    tags = {d.value: [v for v in form.getlist(TAG_PREFIX + d.value) if v] for d in Dimension}
    # The checkbox sends "true" when ticked; any other value is refused by the parsing.
    flag = form.get("for_partners")
    return {**text, "tags": tags, "for_partners": True if flag == "true" else flag}


def _members(args: MultiDict, name: str, errors: list[FieldError]) -> tuple[str, ...]:
    enum = _ENUMS[name]
    allowed = [m.value for m in enum]
    values = [v for v in args.getlist(name) if v.strip()]
    for value in values:
        if value not in allowed:
            errors.append(FieldError(name, "is not an allowed value", value[:60], allowed))
    return tuple(v for v in values if v in allowed)


def _date_param(args: MultiDict, name: str, errors: list[FieldError]) -> date | None:
    value = args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(FieldError(name, "must be a date as YYYY-MM-DD", value[:40]))
        return None


def _int_param(args: MultiDict, name: str, default: int, errors: list[FieldError]) -> int:
    value = args.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or len(value) > 9:
        limits = "from 1" if name == "page" else f"from 1 to {MAX_PAGE_SIZE}"
        errors.append(FieldError(name, f"must be a whole number {limits}", value[:20]))
        return default
    return int(value)
