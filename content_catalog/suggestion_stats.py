"""How often the panel has suggested each module, so admins can find content nobody is shown.
Design: docs/design/content_catalog.md."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

from sqlalchemy import case, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from content_catalog.tables.catalog_tables import ModuleStatsRow
from content_catalog.module_rows import utc

_STATS = ModuleStatsRow.__table__
_UPSERTING_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class SuggestionStats:
    """One org's suggestion counts. Writes join the caller's transaction; the caller commits."""

    def __init__(self, session: Session, org_id: str):
        self.session = session
        self.org_id = org_id

    def record(self, keys: Sequence[str], at: datetime) -> None:
        """Count one suggestion of each module in ``keys`` (repeats count once) at ``at``."""
        self.record_counts(dict.fromkeys(keys, 1), at)

    def record_counts(self, counts: Mapping[str, int], at: datetime) -> None:
        """Add ``counts[key]`` suggestions of each module, the last of them at ``at``."""
        # Sorted, so two writers locking the same rows take them in the same order: no deadlock.
        unique = sorted(key for key, n in counts.items() if n > 0)
        if not unique:
            return
        rows = [
            dict(org_id=self.org_id, module_key=key, times_suggested=counts[key],
                 last_suggested_at=at)
            for key in unique
        ]
        # The rows go as parameters of one statement, compiled once per dialect and cached;
        # ``.values(rows)`` compiled a new statement for every batch size (the impression
        # recorder runs this a few times a second per worker).
        self.session.execute(_counting_upsert(self.session.get_bind().dialect.name), rows)

    def never_suggested(self, published_keys: Iterable[str]) -> list[str]:
        """The keys (in the order given) that the panel has never suggested."""
        suggested = set(self.session.scalars(
            select(ModuleStatsRow.module_key).where(
                ModuleStatsRow.org_id == self.org_id, ModuleStatsRow.times_suggested > 0
            )
        ))  # fmt: skip
        return [key for key in dict.fromkeys(published_keys) if key not in suggested]

    def counts(self) -> dict[str, int]:
        """Times each module was suggested; modules never suggested are absent."""
        query = select(ModuleStatsRow.module_key, ModuleStatsRow.times_suggested).where(
            ModuleStatsRow.org_id == self.org_id
        )
        return {key: count for key, count in self.session.execute(query)}

    def last_suggested(self) -> dict[str, datetime]:
        """When each module was last suggested."""
        query = select(ModuleStatsRow).where(
            ModuleStatsRow.org_id == self.org_id, ModuleStatsRow.last_suggested_at.is_not(None)
        )
        return {row.module_key: utc(row.last_suggested_at) for row in self.session.scalars(query)}


@lru_cache(maxsize=None)
def _counting_upsert(dialect: str):
    """``INSERT … ON CONFLICT (org, module) DO UPDATE``: adds the counts, keeps the latest time."""
    statement = _UPSERTING_INSERT[dialect](_STATS)
    new_at, old_at = statement.excluded.last_suggested_at, _STATS.c.last_suggested_at
    return statement.on_conflict_do_update(
        index_elements=[_STATS.c.org_id, _STATS.c.module_key],
        set_={
            "times_suggested": _STATS.c.times_suggested + statement.excluded.times_suggested,
            # A view recorded late must not move the last suggestion back in time.
            "last_suggested_at": case(
                (or_(old_at.is_(None), new_at > old_at), new_at), else_=old_at
            ),
        },
    )
