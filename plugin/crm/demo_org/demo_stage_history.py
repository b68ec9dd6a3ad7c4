"""The demo org's simulated stage history, as Salesforce's ``OpportunityHistory`` query answers:
the bundled deals (a few open ones stuck) and a seeded past pipeline, so its stage norms exist."""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from importlib.resources import files
from typing import Any, Sequence

import numpy as np

from plugin.crm.salesforce.ids import to_18

SEED = 15
PAST_DEALS = 260
#: The open pipeline in order (the demo org's stages without the closed ones).
OPEN_STAGES = ("Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
               "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
               "Security Review", "Negotiation/Review")
#: Typical days in each stage for a deal of 150,000 (bigger deals are slower).
_MEDIAN_DAYS = dict(zip(OPEN_STAGES, (7, 9, 13, 11, 8, 9, 12, 14, 10)))
#: Bundled open deals that are stuck, and for how many days they have been in their stage.
STUCK_DAYS = {"006Dn0000kl0JfIIAU": 34, "006Dn0000Osq63HIQQ": 41, "006Dn0000x5uWHqIAM": 48,
              "006Dn0000sRS5dUIAT": 31}  # the last: a partner rep's, for the channel manager
#: The demo's hidden truth, the same for every deal, past or simulated: the chance that a deal
#: leaves a stage forwards (else it closes lost), and the chance when a rep used a module that
#: helps (``helps_move_on``): help cuts a stage's losses by three quarters.
MOVES_ON, MOVES_ON_HELPED = 0.92, 0.98
#: The kinds of content that help a deal move on in the demo's truth: what a rep acts on to get a
#: decision (a playbook, a business case, a value message), 22 of the 70 bundled modules.
HELPING_KINDS = frozenset({"playbook", "business_case_template", "value_message"})
_FORMAT = "%Y-%m-%dT%H:%M:%S.000+0000"


def demo_history_records(anchor: datetime | None) -> list[dict[str, Any]]:
    """The rows, dated back from ``anchor`` (the first demo sync's moment); none without one
    (the demo's history is written once, like an org's past)."""
    if anchor is None:
        return []
    anchor = anchor.astimezone(timezone.utc).replace(microsecond=0)
    rng = np.random.default_rng(SEED)
    rows: list[dict[str, Any]] = []
    for index, raw in enumerate(_bundled()):
        rows += _bundled_deal(raw, anchor, rng, index)
    for n in range(PAST_DEALS):
        rows += _past_deal(n, anchor, rng)
    rows = [r for r in rows if r["CreatedDate"] <= anchor]
    rows.sort(key=lambda r: (r["CreatedDate"], r["OpportunityId"]))
    return [_shaped(row, number) for number, row in enumerate(rows)]


def _bundled() -> list[dict[str, Any]]:
    return json.loads(files(__package__).joinpath("opportunities.json").read_text("utf-8"))


def _days_in(stage: str, amount: float | None, rng: np.random.Generator) -> float:
    scale = ((amount or 150_000.0) / 150_000.0) ** 0.25
    return float(_MEDIAN_DAYS[stage] * scale * rng.lognormal(0.0, 0.45))


def _bundled_deal(raw: dict[str, Any], anchor: datetime, rng: np.random.Generator,
                  index: int) -> list[dict[str, Any]]:
    deal, stage, amount = raw["Id"], raw["StageName"], raw.get("Amount")
    if raw.get("IsClosed"):
        closed = datetime.combine(date.fromisoformat(raw["CloseDate"]), datetime.min.time(),
                                  timezone.utc) + timedelta(hours=15)
        closed = min(closed, anchor - timedelta(days=1))
        path = OPEN_STAGES if raw.get("IsWon") else OPEN_STAGES[:3 + index % 5]
        return _backwards(deal, path, closed, amount, rng) + [
            _row(deal, stage, closed, amount)]
    if stage not in OPEN_STAGES:
        return []
    days = STUCK_DAYS.get(deal, 2 + index % 5)
    entered = anchor - timedelta(days=days, hours=3 + index % 7)
    earlier = OPEN_STAGES[:OPEN_STAGES.index(stage)]
    return _backwards(deal, earlier, entered, amount, rng) + [_row(deal, stage, entered, amount)]


def _backwards(deal: str, stages: tuple[str, ...], until: datetime, amount: float | None,
               rng: np.random.Generator) -> list[dict[str, Any]]:
    """Stays in ``stages`` that end at ``until``."""
    rows, moment = [], until
    for stage in reversed(stages):
        moment -= timedelta(days=_days_in(stage, amount, rng))
        rows.append(_row(deal, stage, moment, amount))
    return rows[::-1]


def _past_deal(n: int, anchor: datetime, rng: np.random.Generator) -> list[dict[str, Any]]:
    deal = to_18(f"0065e0SIMH{n:05d}")
    amount = float(round(rng.lognormal(np.log(150_000), 0.9), -3))
    moment = anchor - timedelta(days=float(rng.uniform(20, 520)))
    rows = []
    for stage in OPEN_STAGES:
        if stage == "Security Review" and rng.random() < 0.5:
            continue  # only deals that need one
        rows.append(_row(deal, stage, moment, amount))
        moment += timedelta(days=_days_in(stage, amount, rng))
        if rng.random() < 1 - MOVES_ON:  # the past pipeline had no panel: no help
            return rows + [_row(deal, "Closed Lost", moment, amount)]
    return rows + [_row(deal, "Closed Won", moment, amount)]


def _row(deal: str, stage: str, at: datetime, amount: float | None) -> dict[str, Any]:
    return {"OpportunityId": deal, "StageName": stage, "CreatedDate": at, "Amount": amount}


def _shaped(row: dict[str, Any], number: int) -> dict[str, Any]:
    history_id = to_18(f"0085e0HIST{number:05d}")
    return {
        "attributes": {"type": "OpportunityHistory",
                       "url": f"/services/data/v59.0/sobjects/OpportunityHistory/{history_id}"},
        "Id": history_id, "OpportunityId": to_18(row["OpportunityId"], prefix="006"),
        "StageName": row["StageName"], "Amount": row["Amount"], "CloseDate": None,
        "CreatedDate": row["CreatedDate"].strftime(_FORMAT),
    }


@dataclass(frozen=True)
class SimulatedDeal:
    """A deal of the demo's simulated panel history: its stage and amount at its first view,
    and the modules reps used on it."""

    opportunity_id: str
    stage: str
    first_seen: datetime
    amount: float | None
    used: frozenset[str]


def helps_move_on(module_id: str) -> bool:
    """The demo's hidden truth: the bundled modules of the ``HELPING_KINDS`` help a deal move on
    from any stage; others (and modules the demo does not bundle) do not."""
    return _bundled_kinds().get(module_id) in HELPING_KINDS


@functools.cache
def _bundled_kinds() -> dict[str, str]:
    modules = json.loads(files(__package__).joinpath("modules.json").read_text("utf-8"))
    return {m["id"]: m["kind"] for m in modules}


def simulated_deal_records(deals: Sequence[SimulatedDeal], anchor: datetime) -> list[dict[str, Any]]:
    """Each simulated deal entered its stage a few days before its first view and left it
    forwards with a chance of ``MOVES_ON`` (as the past pipeline's deals), or ``MOVES_ON_HELPED``
    when a rep used a module that helps; otherwise it closed lost. One that moved on goes through
    the later stages as a past deal does (no panel there), up to ``anchor``. Seeded by the deal's
    Id: the same rows every time."""
    anchor = anchor.astimezone(timezone.utc).replace(microsecond=0)
    rows: list[dict[str, Any]] = []
    for deal in deals:
        if deal.stage not in OPEN_STAGES:
            continue
        seed = int(hashlib.sha256(deal.opportunity_id.encode()).hexdigest()[:12], 16)
        rng = np.random.default_rng(seed)
        entered = deal.first_seen - timedelta(days=float(rng.uniform(1, 4)))
        moves = rng.random() < (MOVES_ON_HELPED if any(map(helps_move_on, deal.used))
                                else MOVES_ON)
        left = entered + timedelta(days=_days_in(deal.stage, deal.amount, rng))
        path = [(deal.stage, entered)]
        later = list(OPEN_STAGES[OPEN_STAGES.index(deal.stage) + 1:])
        if not moves:
            path.append(("Closed Lost", left))
        while moves and left <= anchor:
            if not later:
                path.append(("Closed Won", left))
                break
            stage = later.pop(0)
            path.append((stage, left))
            left += timedelta(days=_days_in(stage, deal.amount, rng))
            moves = rng.random() < MOVES_ON
            if not moves:
                path.append(("Closed Lost", left))
        number = _base36(seed % 36**5)
        rows += [_shaped_sim(_row(deal.opportunity_id, stage, at, deal.amount), number, which)
                 for (stage, at), which in zip(path, _STEPS) if at <= anchor]
    return rows


#: One letter per row of a simulated deal, in its Id: its stage, each later one, its close.
_STEPS = "ABCDEFGHIJKL"


def _base36(number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    text = ""
    for _ in range(5):
        number, digit = divmod(number, 36)
        text = digits[digit] + text
    return text


def _shaped_sim(row: dict[str, Any], number: str, which: str) -> dict[str, Any]:
    shaped = _shaped(row, 0)
    history_id = to_18(f"0085e0SIM{which}{number}")
    shaped.update(Id=history_id, attributes={
        "type": "OpportunityHistory",
        "url": f"/services/data/v59.0/sobjects/OpportunityHistory/{history_id}"})
    return shaped


__all__ = ["OPEN_STAGES", "PAST_DEALS", "STUCK_DAYS", "SimulatedDeal", "demo_history_records",
           "helps_move_on", "simulated_deal_records"]
