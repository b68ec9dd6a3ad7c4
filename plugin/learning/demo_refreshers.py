"""The demo rep's past use of a training refresher, so a newcomer's panel shows one back on a
matching demo deal with its reason (design: docs/design/learning.md)."""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy.orm import Session, sessionmaker

from content_catalog.events import EventKind, Impression, PanelEvent, PanelEventLog
from content_catalog.events import add_impressions
from content_catalog.taxonomy import Taxonomy
from plugin.crm.demo_org import DEMO_ORG_ID, DemoOrg
from plugin.ranking.context_mapping import context_from_record


@dataclass(frozen=True)
class PastUse:
    """A rep opened ``module_key`` from the panel on ``opportunity_id``, ``days_ago`` days
    before today (at 10:00 UTC)."""

    module_key: str
    opportunity_id: str
    days_ago: int
    kind: EventKind = EventKind.OPEN


#: The demo rep opened the HIPAA refresher on Ashcombe Regional Medical Center (healthcare,
#: needs analysis) 9 days ago; St. Aldric Health Partners (healthcare, proposal, a technical
#: buyer, risk and compliance) is the same situation, so it is back there, its first interval
#: (2 days) long past.
DEMO_USES = (PastUse("tr-healthcare-hipaa-baa-questions", "006Dn0000b38JzfIAE", 9),)


def record_past_use(session: Session, org_id: str, user_id: str, use: PastUse, today: date,
                    context: dict | None = None) -> bool:
    """Write the impression the rep was shown and their event on it, with ids derived from the
    use but not the day (so a run on a later day writes nothing either); False if they were
    stored already."""
    at = datetime.combine(today - timedelta(days=use.days_ago), time(10), timezone.utc)
    seed = "/".join(("demo-refresher", org_id, user_id, use.module_key, use.opportunity_id))
    impression_id = hashlib.sha256(f"{seed}/impression".encode()).hexdigest()[:32]
    log = PanelEventLog(session, org_id)
    if log.impression_records([impression_id]):
        return False
    add_impressions(session, [Impression(
        impression_id=impression_id, org_id=org_id,
        view_id=hashlib.sha256(f"{seed}/view".encode()).hexdigest()[:32],
        opportunity_id=use.opportunity_id, user_id=user_id, module_key=use.module_key,
        audience="internal", position=1, score=0.0, propensity=1.0, explored=False,
        model_version="v1", context=context or {}, shown_at=at,
    )])
    log.add_events([PanelEvent(
        event_id=hashlib.sha256(f"{seed}/event".encode()).hexdigest()[:32],
        impression_id=impression_id, kind=EventKind(use.kind), occurred_at=at + timedelta(seconds=40),
        user_id=user_id, received_at=at + timedelta(seconds=41),
    )])
    return True


def seed_demo_refreshers(sessions: sessionmaker[Session], taxonomy: Taxonomy, user_id: str,
                         today: date) -> int:
    """The demo rep's past uses (``DEMO_USES``) in the demo org; how many were written."""
    records = {r.opportunity_id: r for r in DemoOrg().opportunities()}
    written = 0
    with sessions.begin() as session:
        for use in DEMO_USES:
            record = records.get(use.opportunity_id)
            context = (dataclasses.asdict(context_from_record(record, taxonomy).context)
                       if record is not None else {})
            written += record_past_use(session, DEMO_ORG_ID, user_id, use, today, context)
    return written
