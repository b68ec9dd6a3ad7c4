"""One rep's training refreshers: the days they used each and those they dismissed for good, read
in one statement; a stamp that moves when either changes, read with the panel's serving state;
dismissals written once (design: docs/design/content_catalog.md)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import and_, bindparam, func, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from content_catalog.model_store import ModelMarker, _serving_state_query
from content_catalog.module_rows import utc
from content_catalog.repository import OrgNotFound
from content_catalog.tables.base import utcnow
from content_catalog.tables.catalog_tables import ModuleRow
from content_catalog.tables.learning_tables import (
    PanelEventRow, PanelImpressionRow, RefresherDismissalRow,
)
from content_catalog.taxonomy import ModuleKind

#: What counts as using a refresher: everything a rep can do with it but vote.
USE_KINDS = ("open", "personalise", "copy", "download", "share")
#: Uses read per rep, newest first: far more than the few refreshers a rep uses need.
MAX_USES = 2_000
_DISMISSED = "dismissed"
_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True)
class RepRefresher:
    """One refresher as one rep used it (UTC days), and whether they dismissed it."""

    module_key: str
    use_days: frozenset[date]
    last_kind: str
    dismissed: bool


def _state_query():
    e, i, m, d = PanelEventRow, PanelImpressionRow, ModuleRow, RefresherDismissalRow
    uses = (
        select(i.module_key.label("module_key"), e.kind.label("kind"), e.occurred_at.label("at"))
        .join_from(e, i, i.impression_id == e.impression_id)
        .join(m, and_(m.org_id == i.org_id, m.module_key == i.module_key))
        .where(e.org_id == bindparam("org_id"), e.user_id == bindparam("user_id"),
               e.kind.in_(USE_KINDS), m.kind == ModuleKind.TRAINING_REFRESHER.value)
        .order_by(e.occurred_at.desc())
        .limit(MAX_USES)
        .subquery()
    )
    dismissed = select(d.module_key, literal(_DISMISSED), d.dismissed_at).where(
        d.org_id == bindparam("org_id"), d.user_id == bindparam("user_id"))
    return union_all(select(uses.c.module_key, uses.c.kind, uses.c.at), dismissed)


#: Built once, like the panel's serving-state query: building it costs more than running it.
_STATE = _state_query()


#: What a rep's refresher state was read at: (their latest event's pk, their dismissals). Both
#: only grow: any event they send, or a dismissal, moves it.
RepStamp = tuple[int, int]


def _serving_state_for_rep_query():
    e, d = PanelEventRow, RefresherDismissalRow
    latest_event = (select(func.coalesce(func.max(e.pk), 0))
                    .where(e.org_id == bindparam("org_id"), e.user_id == bindparam("user_id"))
                    .scalar_subquery())
    dismissals = (select(func.count())
                  .where(d.org_id == bindparam("org_id"), d.user_id == bindparam("user_id"))
                  .scalar_subquery())
    return _serving_state_query().add_columns(latest_event, dismissals)


_SERVING_STATE_FOR_REP = _serving_state_for_rep_query()


def serving_state_for_rep(session: Session, org_id: str, user_id: str,
                          ) -> tuple[int, ModelMarker | None, RepStamp]:
    """``model_store.serving_state`` and the rep's stamp, in the same one statement (two index
    lookups more): a panel view shown to a rep knows whether the refresher state it holds for
    them is current. Raises :class:`OrgNotFound` for an unknown org."""
    revision, marker, stamp, _ = serving_markers_for_rep(session, org_id, user_id)
    return revision, marker, stamp


def serving_markers_for_rep(session: Session, org_id: str, user_id: str,
                            ) -> tuple[int, ModelMarker | None, RepStamp, int]:
    """:func:`serving_state_for_rep` and the org's manager-recommendation revision
    (``model_store.serving_markers``), still one statement."""
    # Core, not the ORM: a plain select gains nothing from it and costs a third more.
    row = session.connection().execute(
        _SERVING_STATE_FOR_REP, {"org_id": org_id, "user_id": user_id}).first()
    if row is None:
        raise OrgNotFound(org_id)
    revision, pk, model_id, picks, latest_event, dismissals = row
    return (revision, None if pk is None else (pk, model_id),
            (int(latest_event), int(dismissals)), picks or 0)


def rep_refreshers(session: Session, org_id: str, user_id: str) -> dict[str, RepRefresher]:
    """The refreshers ``user_id`` used or dismissed in ``org_id``, by module key, in one
    statement (the rep's use events joined to what they were shown, and the dismissals)."""
    days: dict[str, set[date]] = defaultdict(set)
    last: dict[str, tuple[datetime, str]] = {}
    dismissed: set[str] = set()
    for module_key, kind, at in session.execute(_STATE, {"org_id": org_id, "user_id": user_id}):
        if kind == _DISMISSED:
            dismissed.add(module_key)
            continue
        at = utc(at)
        days[module_key].add(at.astimezone(timezone.utc).date())
        if module_key not in last or at > last[module_key][0]:
            last[module_key] = (at, kind)
    return {
        key: RepRefresher(key, frozenset(days.get(key, ())),
                          last[key][1] if key in last else "open", key in dismissed)
        for key in days.keys() | dismissed
    }


def dismiss_refresher(session: Session, org_id: str, user_id: str, module_key: str) -> bool:
    """Record that the rep dismissed the refresher for good; False if they had already (the
    first dismissal's time is kept). The caller commits."""
    insert = _INSERT[session.get_bind().dialect.name]
    result = session.execute(
        insert(RefresherDismissalRow)
        .values(org_id=org_id, user_id=user_id, module_key=module_key, dismissed_at=utcnow())
        .on_conflict_do_nothing(index_elements=["org_id", "user_id", "module_key"])
        .returning(RefresherDismissalRow.module_key)
    )
    return result.first() is not None
