"""Finding modules in an org's catalog: filters, sort and pages, all done by the database.
Design: docs/design/content_catalog.md."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, Iterable, Mapping

from sqlalchemy import String, exists, not_, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from content_catalog.tables.catalog_tables import ModuleRow, ModuleTagRow
from content_catalog.modules import ContentModule
from content_catalog.taxonomy import Audience, Dimension, ModuleKind, ModuleStatus

SORTS = ("title", "updated_at", "review_by", "kind", "status", "author", "version")
MAX_PAGE_SIZE = 200
#: A search text is split into words that must all appear; more than this is not a search.
MAX_WORDS = 20
LIKE_ESCAPE = "\\"


@dataclass(frozen=True)
class ModuleQuery:
    """Which modules, in what order, which page. Filters combine with AND; values within one
    filter with OR. Statuses, kinds and audiences may be given as their string values."""

    #: A module passes a dimension's filter if tagged with any of the values (or, with
    #: ``untagged_matches``, if it has no tag on that dimension: it is meant for "any").
    tags: Mapping[Dimension, tuple[str, ...]] = field(default_factory=dict)
    untagged_matches: bool = False
    statuses: tuple[ModuleStatus, ...] = ()
    kinds: tuple[ModuleKind, ...] = ()
    audiences: tuple[Audience, ...] = ()
    #: Part of the author's name, any case.
    author: str | None = None
    #: Review-by on or before / on or after this date; modules without one are left out.
    review_before: date | None = None
    review_after: date | None = None
    #: Words that must each appear, in any case, in the title, summary, body or module id.
    text: str | None = None
    #: Whether a word of ``text`` may also be found in one of the module's tag values (the
    #: panel's search: a rep types "healthcare" or "economic buyer").
    text_in_tags: bool = False
    #: Only modules marked for partners (a partner user's search).
    partners_only: bool = False
    sort: str = "title"
    descending: bool = False
    page: int = 1
    page_size: int = 25

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "tags", _tags(self.tags))
        set_(self, "statuses", _members("statuses", self.statuses, ModuleStatus))
        set_(self, "kinds", _members("kinds", self.kinds, ModuleKind))
        set_(self, "audiences", _members("audiences", self.audiences, Audience))
        set_(self, "author", _words_or_none(self.author))
        set_(self, "text", _words_or_none(self.text))
        if self.text and len(self.text.split()) > MAX_WORDS:
            raise ValueError(f"text: search for at most {MAX_WORDS} words")
        if self.sort not in SORTS:
            raise ValueError(f"sort: {self.sort!r} is not one of {', '.join(SORTS)}")
        if not _is_int(self.page) or self.page < 1:
            raise ValueError(f"page: must be a whole number from 1 (got {self.page!r})")
        if not _is_int(self.page_size) or not 1 <= self.page_size <= MAX_PAGE_SIZE:
            limits = f"from 1 to {MAX_PAGE_SIZE}"
            raise ValueError(f"page_size: must be a whole number {limits} (got {self.page_size!r})")
        if self.review_before and self.review_after and self.review_after > self.review_before:
            raise ValueError("review_after: must not be later than review_before")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass(frozen=True)
class ModulePage:
    items: tuple[ContentModule, ...]
    #: Modules matching the filters, on all pages.
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """At least 1, so an empty result still reads "page 1 of 1"."""
        return max(1, math.ceil(self.total / self.page_size))


# -- SQL ----------------------------------------------------------------------------------------
class folded(FunctionElement):
    """``lower()`` that folds every script's case. SQLite's own lower() only knows ASCII, so there
    it is Python's str.lower, registered on each connection by ``database.make_engine``."""

    type = String()
    inherit_cache = True
    name = "folded"


@compiles(folded)
def _folded(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "sqlite")
def _folded_sqlite(element, compiler, **kw):
    return f"bi_lower({compiler.process(element.clauses, **kw)})"


def conditions(query: ModuleQuery) -> list[Any]:
    """WHERE clauses over ``ModuleRow`` for the query's filters (the org is the caller's)."""
    where: list[Any] = []
    if query.partners_only:
        where.append(ModuleRow.for_partners.is_(True))
    for dimension, values in query.tags.items():
        tagged_with = exists().where(
            ModuleTagRow.module_pk == ModuleRow.pk,
            ModuleTagRow.dimension == dimension.value,
            ModuleTagRow.value.in_(values),
        )
        if query.untagged_matches:
            untagged = not_(exists().where(
                ModuleTagRow.module_pk == ModuleRow.pk, ModuleTagRow.dimension == dimension.value
            ))  # fmt: skip
            tagged_with = or_(tagged_with, untagged)
        where.append(tagged_with)
    for column, members in (
        (ModuleRow.status, query.statuses),
        (ModuleRow.kind, query.kinds),
        (ModuleRow.audience, query.audiences),
    ):
        if members:
            where.append(column.in_([m.value for m in members]))
    if query.author:
        where.append(_contains(ModuleRow.author, query.author))
    if query.review_before:
        where.append(ModuleRow.review_by <= query.review_before)
    if query.review_after:
        where.append(ModuleRow.review_by >= query.review_after)
    if query.text:
        searched = (ModuleRow.title, ModuleRow.summary, ModuleRow.body, ModuleRow.module_key)
        for word in query.text.split():
            found = [_contains(c, word) for c in searched]
            if query.text_in_tags:
                found.append(exists().where(
                    ModuleTagRow.module_pk == ModuleRow.pk, _contains(ModuleTagRow.value, word)
                ))  # fmt: skip
            where.append(or_(*found))
    return where


def ordering(query: ModuleQuery) -> list[Any]:
    """ORDER BY clauses: the chosen sort, empty dates last either way, then the module id."""
    column = {
        "title": folded(ModuleRow.title),
        "author": folded(ModuleRow.author),
        "updated_at": ModuleRow.updated_at,
        "review_by": ModuleRow.review_by,
        "kind": ModuleRow.kind,
        "status": ModuleRow.status,
        "version": ModuleRow.version,
    }[query.sort]
    primary = column.desc() if query.descending else column.asc()
    return [primary.nulls_last(), ModuleRow.module_key.asc()]


def escape_like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern (escape character: backslash)."""
    for char in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(char, LIKE_ESCAPE + char)
    return text


def _contains(column, words: str):
    return folded(column).like(f"%{escape_like(words.lower())}%", escape=LIKE_ESCAPE)


# -- checking input -----------------------------------------------------------------------------
def _tags(raw: Mapping[Any, Any]) -> dict[Dimension, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise ValueError("tags: must map a dimension to its values")
    tags: dict[Dimension, tuple[str, ...]] = {}
    for name, values in raw.items():
        dimension = _members("tags", (name,), Dimension)[0]
        values = (values,) if isinstance(values, str) else tuple(values)
        if not all(isinstance(v, str) for v in values):
            raise ValueError(f"tags.{dimension.value}: values must be strings")
        if values:  # no values chosen: no filter on that dimension
            tags[dimension] = tuple(dict.fromkeys(values))
    return tags


def _members(name: str, values: Iterable[Any] | str, enum: type[Enum]) -> tuple:
    values = (values,) if isinstance(values, str) else tuple(values)
    members = []
    for value in values:
        try:
            members.append(enum(value))
        except ValueError:
            allowed = ", ".join(str(m.value) for m in enum)  # type: ignore[attr-defined]
            raise ValueError(f"{name}: {value!r} is not one of {allowed}") from None
    return tuple(dict.fromkeys(members))


def _words_or_none(text: str | None) -> str | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError(f"expected text, got {type(text).__name__}")
    return " ".join(text.split()) or None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
