"""Between a module's table rows and the domain's :class:`ContentModule`; used by the repository
and the editor, which both write modules, so that they write them the same way."""
from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timezone

from content_catalog.tables.catalog_tables import ModuleRow, ModuleTagRow
from content_catalog.modules import ContentModule, ModuleInput
from content_catalog.taxonomy import Audience, Dimension, ModuleKind, ModuleStatus

_CONTENT_FIELDS = tuple(f.name for f in fields(ModuleInput) if f.name not in ("key", "tags"))


def for_update(query):
    """Rows read to be changed: locked until commit on PostgreSQL (SQLite locks the whole file
    when it writes), in key order so two writers cannot deadlock, and re-read even if the session
    already holds them, since a copy from an earlier transaction may be stale."""
    return (
        query.order_by(ModuleRow.module_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def write_row(row: ModuleRow, module: ModuleInput, now: datetime) -> None:
    for name in _CONTENT_FIELDS:
        value = getattr(module, name)
        setattr(row, name, value.value if hasattr(value, "value") else value)
    row.updated_at = now
    _write_tags(row, module)


def _write_tags(row: ModuleRow, module: ModuleInput) -> None:
    """Keep the tag rows that stay, add and drop only the others.

    Replacing the whole list would make the ORM delete and re-insert every tag of every saved
    module (an UPDATE per tag row, as the keys repeat): most of the time of a 10,000-row import
    that changes only texts.
    """
    wanted = {
        (dim.value, value): position
        for dim in Dimension
        for position, value in enumerate(module.tag_values(dim))
    }
    kept = []
    for tag in row.tags:
        position = wanted.pop((tag.dimension, tag.value), None)
        if position is not None:
            if tag.position != position:
                tag.position = position
            kept.append(tag)
    if wanted or len(kept) != len(row.tags):
        row.tags = kept + [
            ModuleTagRow(dimension=dimension, value=value, position=position)
            for (dimension, value), position in wanted.items()
        ]


def row_to_input(row: ModuleRow) -> ModuleInput:
    return ModuleInput(**_input_fields(row))


def row_to_module(row: ModuleRow) -> ContentModule:
    return ContentModule(
        **_input_fields(row), org_id=row.org_id, version=row.version,
        created_at=utc(row.created_at), updated_at=utc(row.updated_at),
    )  # fmt: skip


def utc(moment: datetime | None) -> datetime | None:
    """SQLite keeps no offset: every time we write is UTC, so say so on the way out."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def _tags(row: ModuleRow) -> dict[Dimension, tuple[str, ...]]:
    tags: dict[Dimension, list[str]] = {}
    for tag in sorted(row.tags, key=lambda t: (t.dimension, t.position)):
        tags.setdefault(Dimension(tag.dimension), []).append(tag.value)
    return {dim: tuple(values) for dim, values in tags.items()}


def _input_fields(row: ModuleRow) -> dict:
    return dict(
        key=row.module_key, title=row.title, summary=row.summary, body=row.body,
        kind=ModuleKind(row.kind), audience=Audience(row.audience), author=row.author,
        status=ModuleStatus(row.status), link=row.link, review_by=row.review_by, tags=_tags(row),
        for_partners=bool(row.for_partners),
    )  # fmt: skip
