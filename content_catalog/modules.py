"""Content modules as the domain sees them, and the strict parsing of module input.
Design: docs/design/content_catalog.md."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping
from urllib.parse import urlsplit

from content_catalog.taxonomy import (
    Audience,
    Dimension,
    ModuleKind,
    ModuleStatus,
    Taxonomy,
    UnknownTagValue,
)

MODULE_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
#: Ids that name pages, not modules (``/workspace/modules/new`` is the new-module form).
RESERVED_KEYS = frozenset({"new"})
ALLOWED_LINK_SCHEMES = ("http", "https", "mailto")
LIMITS = {"title": 200, "summary": 1000, "body": 100_000, "link": 2000, "author": 200}

Tags = Mapping[Dimension, tuple[str, ...]]


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    value: Any = None
    allowed: list[str] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "message": self.message}
        if self.value is not None:
            out["value"] = self.value
        if self.allowed is not None:
            out["allowed"] = self.allowed
        return out


class ModuleValidationError(ValueError):
    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


@dataclass(frozen=True)
class ModuleInput:
    """Everything a person decides about a module; the catalog adds version and timestamps."""

    key: str
    title: str
    summary: str
    body: str
    kind: ModuleKind
    audience: Audience
    author: str
    status: ModuleStatus = ModuleStatus.DRAFT
    link: str | None = None
    review_by: date | None = None
    tags: Tags = field(default_factory=dict)
    #: Partner users see only modules marked for partners (and every user sees these too).
    for_partners: bool = False

    def tag_values(self, dimension: Dimension) -> tuple[str, ...]:
        return self.tags.get(dimension, ())


@dataclass(frozen=True)
class ContentModule(ModuleInput):
    """A stored module."""

    org_id: str = ""
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def is_expired(self, today: date) -> bool:
        return self.review_by is not None and self.review_by < today


def parse_module(raw: Mapping[str, Any], taxonomy: Taxonomy) -> ModuleInput:
    """Parse one module from the documented JSON shape; raise with every problem found."""
    errors: list[FieldError] = []
    if not isinstance(raw, Mapping):
        raise ModuleValidationError([FieldError("module", "must be a JSON object")])

    key = _text(raw, "id", errors, required=True)
    if key and not MODULE_KEY.match(key):
        errors.append(FieldError("id", "must be 1-64 lowercase letters, digits or hyphens", key))
    elif key in RESERVED_KEYS:
        errors.append(FieldError("id", "is reserved; choose another id", key))
    title = _text(raw, "title", errors, required=True)
    summary = _text(raw, "summary", errors) or ""
    body = _text(raw, "body", errors) or ""
    author = _text(raw, "author", errors, required=True)
    link = _link(raw.get("link"), errors)
    kind = _choice(raw, "kind", ModuleKind, errors, required=True)
    audience = _choice(raw, "audience", Audience, errors, required=True)
    status = _choice(raw, "status", ModuleStatus, errors) or ModuleStatus.DRAFT
    review_by = _date(raw.get("review_by"), errors)
    tags = _tags(raw.get("tags"), taxonomy, errors)
    for_partners = _flag(raw, "for_partners", errors)

    if errors:
        raise ModuleValidationError(errors)
    return ModuleInput(
        key=key, title=title, summary=summary, body=body, kind=kind, audience=audience,
        author=author, status=status, link=link, review_by=review_by, tags=tags,
        for_partners=for_partners,
    )  # fmt: skip


def module_to_dict(module: ModuleInput) -> dict[str, Any]:
    """The documented JSON shape; :func:`parse_module` reads it back unchanged."""
    out: dict[str, Any] = {
        "id": module.key,
        "title": module.title,
        "summary": module.summary,
        "body": module.body,
        "link": module.link,
        "kind": module.kind.value,
        "audience": module.audience.value,
        "author": module.author,
        "status": module.status.value,
        "review_by": module.review_by.isoformat() if module.review_by else None,
        "tags": {dim.value: list(module.tag_values(dim)) for dim in Dimension},
        "for_partners": module.for_partners,
    }
    if isinstance(module, ContentModule):
        out["version"] = module.version
        out["updated_at"] = module.updated_at.isoformat() if module.updated_at else None
    return out


def _text(raw: Mapping[str, Any], name: str, errors: list[FieldError], required: bool = False) -> str | None:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.append(FieldError(name, "is required"))
        return None
    if not isinstance(value, str):
        errors.append(FieldError(name, "must be a string", repr(value)[:100]))
        return None
    limit = LIMITS.get(name, 200)
    if len(value) > limit:
        errors.append(FieldError(name, f"must be at most {limit} characters (got {len(value)})"))
        return None
    if "\x00" in value:
        errors.append(FieldError(name, "must not contain NUL characters"))
        return None
    return value.strip() if name != "body" else value


def _choice(raw, name, enum, errors, required=False):
    value = raw.get(name)
    if value is None or value == "":
        if required:
            errors.append(FieldError(name, "is required", allowed=[e.value for e in enum]))
        return None
    try:
        return enum(value)
    except ValueError:
        errors.append(FieldError(name, "is not an allowed value", str(value)[:100], [e.value for e in enum]))
        return None


def _flag(raw: Mapping[str, Any], name: str, errors: list[FieldError]) -> bool:
    """A yes/no field: JSON true or false; absent or null is false."""
    value = raw.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        errors.append(FieldError(name, "must be true or false", repr(value)[:100], ["true", "false"]))
        return False
    return value


def _link(value: Any, errors: list[FieldError]) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > LIMITS["link"]:
        errors.append(FieldError("link", f"must be a URL of at most {LIMITS['link']} characters"))
        return None
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ALLOWED_LINK_SCHEMES or (parts.scheme != "mailto" and not parts.netloc):
        errors.append(FieldError("link", "must be an http, https or mailto URL", value[:200], list(ALLOWED_LINK_SCHEMES)))
        return None
    return value.strip()


def _date(value: Any, errors: list[FieldError]) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.append(FieldError("review_by", "must be a date as YYYY-MM-DD", str(value)[:40]))
        return None


def _tags(value: Any, taxonomy: Taxonomy, errors: list[FieldError]) -> dict[Dimension, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        errors.append(FieldError("tags", "must be an object of dimension → list of values"))
        return {}
    tags: dict[Dimension, tuple[str, ...]] = {}
    for name, values in value.items():
        try:
            dim = Dimension(name)
        except ValueError:
            errors.append(FieldError("tags", "unknown tag dimension", str(name)[:60], [d.value for d in Dimension]))
            continue
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            errors.append(FieldError(f"tags.{dim.value}", "must be a list of strings"))
            continue
        try:
            canonical = taxonomy.validate(dim, values)
        except UnknownTagValue as exc:
            errors.append(FieldError(f"tags.{dim.value}", "is not an allowed value", exc.value[:100], exc.allowed))
            continue
        if canonical:
            tags[dim] = canonical
    return tags
