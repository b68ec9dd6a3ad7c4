"""Re-applying an edit that lost a race onto the version that won it.
Design: docs/design/content_catalog.md."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from content_catalog.history import as_input
from content_catalog.modules import ModuleInput
from content_catalog.taxonomy import Dimension

#: Fields merged one by one. The id never changes and the status is the life cycle's business:
#: an edit re-applied keeps the status the stored version has.
_FIELDS = tuple(f.name for f in fields(ModuleInput) if f.name not in ("key", "status", "tags"))


@dataclass(frozen=True)
class Reapplied:
    module: ModuleInput
    #: What this person changed from their base: field names, ``tags.<dimension>`` for tags.
    yours_changed: tuple[str, ...]
    #: What the other saves changed from the base.
    theirs_changed: tuple[str, ...]
    #: Changed by both to different values; ``module`` holds yours.
    both_changed: tuple[str, ...]


def reapply(base: ModuleInput | None, yours: ModuleInput, theirs: ModuleInput) -> Reapplied:
    """``yours``' changes from ``base`` laid over ``theirs``.

    Without a ``base`` (its snapshot is gone) every field where ``yours`` differs from ``theirs``
    counts as your change: nothing you typed is lost, though more of theirs may be overwritten.
    """
    theirs = as_input(theirs)
    base = as_input(base) if base is not None else theirs
    values: dict[str, object] = {}
    yours_changed: list[str] = []
    theirs_changed: list[str] = []
    both: list[str] = []

    def merge(name: str, b: object, y: object, t: object) -> object:
        if t != b:
            theirs_changed.append(name)
        if y == b:
            return t
        yours_changed.append(name)
        if t != b and t != y:
            both.append(name)
        return y

    for name in _FIELDS:
        values[name] = merge(name, getattr(base, name), getattr(yours, name), getattr(theirs, name))
    tags = {}
    for dim in Dimension:
        merged = merge(f"tags.{dim.value}", base.tag_values(dim), yours.tag_values(dim), theirs.tag_values(dim))
        if merged:
            tags[dim] = merged
    module = replace(theirs, **values, tags=tags)
    return Reapplied(module, tuple(yours_changed), tuple(theirs_changed), tuple(both))
