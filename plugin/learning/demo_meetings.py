"""The demo's simulated people history: the simulated reps of the demo history placed in the demo
org's teams, and meetings on its deals, some prepared with content and some not."""
from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Sequence

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.events import EventKind, ImpressionOrigin, PanelEventLog, ShownWithEvents
from content_catalog.people_store import Meeting
from plugin.analytics.indicator_data import deal_owners
from plugin.crm.demo_org import DEMO_ORG_ID, SIMULATED_REP_PREFIX, DemoOrg
from plugin.crm.salesforce.ids import to_18
from plugin.deals.people_sync import PeopleSyncReport, parse_people, store_people
from plugin.learning.demo_history import REPS

DEFAULT_MEETING_SEED = 11
#: Share of the simulated deals' meetings placed a day or two after content was opened on them.
PREPARED_SHARE = 0.55
#: The simulated reps' names (marked as simulated wherever a name is shown) and their teams.
_NAMES = ("Avery Brooks", "Noah Kim", "Lena Fischer", "Omar Said", "Grace Liu", "Tom Becker",
          "Sofia Marin", "Jonas Berg", "Maya Patel", "Leo Dubois", "Ines Costa", "Ravi Menon")
_PARTNER_ROLE = "00E5e000000BLP1"
_TEAMS = (("0055e00000DANAW", "00E5e000000NER1"),) * 5 + (("0055e00000ELENR", "00E5e000000ESR1"),) * 5 \
    + (("0055e00000MARCB", _PARTNER_ROLE),) * 2
_PREP_KINDS = (EventKind.OPEN, EventKind.PERSONALISE)


def simulated_rep_id(number: int) -> str:
    """The demo history's Id of its simulated rep ``number`` (``0055e0REP`` and base 36)."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    encoded, rest = "", number
    for _ in range(15 - len(SIMULATED_REP_PREFIX)):
        rest, digit = divmod(rest, 36)
        encoded = digits[digit] + encoded
    return to_18(SIMULATED_REP_PREFIX + encoded)


def simulated_rep_records() -> list[dict[str, Any]]:
    """The simulated reps as the ``User`` query answers them: five in Dana Whitfield's team,
    five in Elena Rossi's, and two partner reps of Brightline Partners under Marcus Bell."""
    rows = []
    for number in range(REPS):
        user_id = simulated_rep_id(number)
        manager, role = _TEAMS[number % len(_TEAMS)]
        partner = role == _PARTNER_ROLE
        contact = to_18(f"0035e00000SIM{number:02d}") if partner else None
        rows.append({
            "attributes": {"type": "User", "url": f"/services/data/v59.0/sobjects/User/{user_id}"},
            "Id": user_id, "Name": f"{_NAMES[number % len(_NAMES)]} (simulated)",
            "UserType": "PowerPartner" if partner else "Standard", "UserRoleId": to_18(role),
            "ManagerId": to_18(manager), "IsActive": True, "ContactId": contact,
            "Contact": {"attributes": {"type": "Contact"}, "AccountId": to_18("0015e00000BRTLN"),
                        "Account": {"attributes": {"type": "Account"},
                                    "Name": "Brightline Partners"}} if partner else None,
            "LastModifiedDate": "2026-01-05T09:00:00.000+0000",
        })
    return rows


def simulate_meetings(shown: Sequence[ShownWithEvents], owners: dict[str, str], *, today: date,
                      seed: int = DEFAULT_MEETING_SEED, prep_days: int = 3) -> list[Meeting]:
    """On each deal with panel history, one or two meetings before ``today``: most a day or two
    after content was opened or personalised on it, the rest with nothing opened in the
    ``prep_days`` before. The same arguments, the same meetings."""
    rng = np.random.default_rng(seed)
    prep_times: dict[str, list[datetime]] = {}
    seen: dict[str, datetime] = {}
    for item in shown:
        opp = item.impression.opportunity_id
        if not opp:
            continue
        seen.setdefault(opp, item.impression.shown_at)
        prep_times.setdefault(opp, []).extend(
            e.occurred_at for e in item.events if e.kind in _PREP_KINDS)
    end = datetime.combine(today, time(), timezone.utc)
    meetings = []
    for opp in sorted(seen):
        times = sorted(prep_times.get(opp, ()))
        for n in range(1 + int(rng.random() < 0.35)):
            if times and rng.random() < PREPARED_SHARE:
                after = times[int(rng.integers(len(times)))]
                starts = _working_hour(after + timedelta(days=float(rng.uniform(0.6, prep_days - 0.4))))
            else:
                starts = _working_hour(seen[opp] - timedelta(days=float(rng.uniform(prep_days + 1, 12))))
                if any(starts - timedelta(days=prep_days) <= t < starts for t in times):
                    continue
            if starts >= end:
                continue
            meetings.append(_meeting(opp, n, starts, owners.get(opp)))
    return meetings


def bundled_deal_meetings(demo: DemoOrg, *, today: date) -> list[Meeting]:
    """A meeting on each open bundled deal: one in the past fortnight (nobody opened anything
    for it in the demo yet), one in the coming week."""
    meetings = []
    for n, record in enumerate(r for r in demo.opportunities() if not r.is_closed):
        for m, days in enumerate((-(2 + n % 11), 1 + n % 6)):
            starts = datetime.combine(today + timedelta(days=days), time(14 + n % 3), timezone.utc)
            meetings.append(_meeting(record.opportunity_id, m, starts, record.owner_id))
    return meetings


def seed_demo_people_history(sessions: sessionmaker[Session], *, today: date,
                             demo: DemoOrg | None = None,
                             seed: int = DEFAULT_MEETING_SEED) -> PeopleSyncReport:
    """The simulated reps and every simulated meeting, stored as a people sync stores them;
    running it again replaces the same rows."""
    demo = demo or DemoOrg()
    now = datetime.combine(today, time(), timezone.utc)
    with sessions.begin() as session:
        shown = PanelEventLog(session, DEMO_ORG_ID).shown_with_events(
            now - timedelta(weeks=60), now,
            origins=(ImpressionOrigin.SUGGESTIONS, ImpressionOrigin.SEARCH))
        known = {r.opportunity_id: r.owner_id for r in demo.opportunities() if r.owner_id}
        owners = deal_owners(shown, [], known)
        meetings = simulate_meetings(shown, owners, today=today, seed=seed) \
            + bundled_deal_meetings(demo, today=today)
        # Parsed against the real clock: "today" may be a fixed day of a test, before the
        # records' LastModifiedDate.
        people = parse_people(demo.user_records() + simulated_rep_records(), demo.role_records(),
                              [], datetime.now(timezone.utc))
        people.meetings.extend(meetings)
        report = store_people(session, DEMO_ORG_ID, people, full=False)
    return PeopleSyncReport(DEMO_ORG_ID, "demo", report.users, report.roles, report.meetings,
                            skipped=report.skipped)


def _working_hour(moment: datetime) -> datetime:
    day = moment.date()
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime.combine(day, time(9 + moment.hour % 8), timezone.utc)


def _meeting(opportunity_id: str, n: int, starts: datetime, owner: str | None) -> Meeting:
    digest = hashlib.sha256(f"demo-meeting/{opportunity_id}/{n}".encode()).hexdigest()
    number = int(digest[:12], 16) % 36 ** 10
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    encoded = ""
    for _ in range(10):
        number, digit = divmod(number, 36)
        encoded = digits[digit] + encoded
    return Meeting(event_id=to_18("00U5e" + encoded), opportunity_id=opportunity_id,
                   starts_at=starts, owner_id=owner, ends_at=starts + timedelta(hours=1),
                   modified_at=None)


__all__ = ["bundled_deal_meetings", "seed_demo_people_history", "simulate_meetings",
           "simulated_rep_id", "simulated_rep_records"]
