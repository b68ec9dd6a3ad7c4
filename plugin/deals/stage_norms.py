"""How long one org's deals usually stay in each stage (median, 75th and 90th percentile, by
deal-size band), from their stage histories, and when a deal has stayed longer than usual.
Pure: no database, no Flask. Design: docs/design/deals.md."""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Iterable, Mapping, Sequence

import numpy as np
from scipy.stats import CensoredData, ecdf

#: Deals that must have left a stage before any figure about it is shown.
MIN_DEALS = 10
#: The percentiles shown, and the one past which a deal is "longer than usual".
PERCENTILES = (50, 75, 90)
USUAL_PERCENTILE = 75
#: Deal-size bands: the org's amounts cut at their thirds.
BAND_NAMES = ("small", "mid-size", "large")
_DAY = 86_400.0


@dataclass(frozen=True)
class StageChange:
    """One row of a deal's stage history: from ``at`` on, the deal was in ``stage``."""

    opportunity_id: str
    stage: str
    at: datetime
    amount: Decimal | float | None = None


@dataclass(frozen=True)
class StageStint:
    """One stay of one deal in one stage. ``moved`` False: the deal is still there (right-
    censored at ``now``: it has stayed *at least* ``days``)."""

    opportunity_id: str
    stage: str
    entered_at: datetime
    days: float
    moved: bool
    amount: float | None = None
    #: The stage the deal went to when it left (None while it is still there).
    next_stage: str | None = None


@dataclass(frozen=True)
class SizeBand:
    """A deal-size band: amounts from ``low`` (inclusive) up to ``high`` (exclusive)."""

    name: str
    low: float | None
    high: float | None

    def holds(self, amount: float | None) -> bool:
        if amount is None:
            return False
        return (self.low is None or amount >= self.low) and (self.high is None or amount < self.high)

    def label(self) -> str:
        if self.low is None and self.high is not None:
            return f"{self.name} deals (under {self.high:,.0f})"
        if self.high is None and self.low is not None:
            return f"{self.name} deals ({self.low:,.0f} and over)"
        return f"{self.name} deals ({self.low:,.0f} to {self.high:,.0f})"


@dataclass(frozen=True)
class StageNorm:
    """How long deals stay in ``stage`` (of one size band, or all sizes when ``band`` is None).
    Percentile days are None until ``moved`` reaches ``minimum``, and stay None for a
    percentile that the deals still in the stage leave open (too many have not left yet)."""

    stage: str
    band: SizeBand | None
    #: Stays that ended (the deal left the stage, forwards, backwards or closed).
    moved: int
    #: Deals in the stage now (counted in, right-censored).
    still_in: int
    minimum: int = MIN_DEALS
    percentile_days: Mapping[int, float | None] = field(default_factory=dict)

    @property
    def enough(self) -> bool:
        return self.moved >= self.minimum

    def days(self, percentile: int) -> float | None:
        return self.percentile_days.get(percentile) if self.enough else None

    @property
    def median_days(self) -> float | None:
        return self.days(50)

    def shortfall(self) -> str | None:
        """"not enough deals yet (4 of 10)", or None when there are enough."""
        if self.enough:
            return None
        return f"not enough deals yet ({self.moved} of {self.minimum})"


@dataclass(frozen=True)
class StageNorms:
    """One org's norms: per stage for all sizes, and per stage and size band."""

    by_stage: Mapping[str, StageNorm]
    by_band: Mapping[tuple[str, str], StageNorm]
    bands: tuple[SizeBand, ...] = ()
    minimum: int = MIN_DEALS

    def for_deal(self, stage: str | None, amount: float | Decimal | None) -> StageNorm | None:
        """The norm that fits this deal best: its size band's when that has enough deals, else
        the stage's for all sizes (which may itself have too few; see :attr:`StageNorm.enough`)."""
        if not stage:
            return None
        key = _stage_key(stage)
        value = None if amount is None else float(amount)
        for band in self.bands:
            if band.holds(value):
                norm = self.by_band.get((key, band.name))
                if norm is not None and norm.enough:
                    return norm
        return self.by_stage.get(key)

    def stages(self) -> list[StageNorm]:
        """All-sizes norms, most-observed first, for an admin's table."""
        return sorted(self.by_stage.values(), key=lambda n: (-(n.moved + n.still_in), n.stage))

    def bands_of(self, stage: str) -> list[StageNorm]:
        key = _stage_key(stage)
        return [self.by_band[(key, b.name)] for b in self.bands if (key, b.name) in self.by_band]


@dataclass(frozen=True)
class StuckNotice:
    """A deal that has stayed in its stage past the 75th percentile of its norm ("usually"),
    and maybe past the 90th (``percentile`` says the highest one passed)."""

    stage: str
    days: int
    #: The 75th percentile, rounded up: 3 in 4 deals left within this many days.
    usual_days: int
    percentile: int
    deals: int
    band: SizeBand | None = None
    #: The 90th percentile, rounded up, when known.
    most_days: int | None = None

    def text(self) -> str:
        """What the rep reads first: "34 days in Proposal; deals here usually move within 12"."""
        return f"{self.days} days in {self.stage}; deals here usually move within {self.usual_days}"

    def detail(self) -> str:
        """Which figures they are and what they rest on."""
        which = f"this org's {self.band.label()}" if self.band else "this org's deals"
        most = f", 9 in 10 within {self.most_days}" if self.most_days is not None else ""
        return (f"3 in 4 of {which} left {self.stage} within {self.usual_days} "
                f"{_days(self.usual_days)}{most} (from {self.deals} deals that left it).")


def stage_stints(changes: Iterable[StageChange], *, closed_stages: Iterable[str],
                 now: datetime) -> list[StageStint]:
    """Each deal's stays in each stage, from its stage history. A stay ends at the deal's next
    row with another stage; the last stay of an open deal runs to ``now`` (censored); stays in a
    closed stage are not stays (a closed deal does not "move on")."""
    closed = {_stage_key(s) for s in closed_stages}
    by_deal: dict[str, list[StageChange]] = defaultdict(list)
    for change in changes:
        if change.stage and change.stage.strip():
            by_deal[change.opportunity_id].append(change)
    stints = []
    for deal, rows in by_deal.items():
        rows.sort(key=lambda c: c.at)
        runs = _runs(rows)
        for index, (stage, start, amount) in enumerate(runs):
            if _stage_key(stage) in closed:
                continue
            following = runs[index + 1] if index + 1 < len(runs) else None
            until = following[1] if following is not None else now
            days = max(0.0, (until - start).total_seconds() / _DAY)
            stints.append(StageStint(deal, stage, start, days, following is not None, amount,
                                     following[0] if following is not None else None))
    return stints


def current_stint(changes: Iterable[StageChange], opportunity_id: str, stage: str | None, *,
                  now: datetime) -> StageStint | None:
    """This deal's present stay, if its latest history row is in ``stage`` (the stage the CRM
    shows now); None when the history has not caught up with the deal."""
    rows = sorted((c for c in changes if c.opportunity_id == opportunity_id and c.stage),
                  key=lambda c: c.at)
    runs = _runs(rows)
    if not runs or not stage or _stage_key(runs[-1][0]) != _stage_key(stage):
        return None
    name, start, amount = runs[-1]
    days = max(0.0, (now - start).total_seconds() / _DAY)
    return StageStint(opportunity_id, name, start, days, False, amount)


def size_bands(amounts: Iterable[float | None], *, minimum: int = MIN_DEALS) -> tuple[SizeBand, ...]:
    """Three bands cut at the thirds of the org's deal amounts (rounded to two significant
    figures), or none when fewer than three times ``minimum`` deals have an amount."""
    known = np.array([a for a in amounts if a is not None and a > 0], dtype=float)
    if len(known) < 3 * minimum:
        return ()
    low, high = (_round_2sf(float(q)) for q in np.quantile(known, [1 / 3, 2 / 3]))
    if not low < high:
        return ()
    return (SizeBand(BAND_NAMES[0], None, low), SizeBand(BAND_NAMES[1], low, high),
            SizeBand(BAND_NAMES[2], high, None))


def stage_norms(stints: Sequence[StageStint], *, minimum: int = MIN_DEALS,
                deal_amounts: Mapping[str, float | None] | None = None) -> StageNorms:
    """Norms per stage and per stage and size band. ``deal_amounts`` (each deal's latest
    amount) sets the bands; by default each deal's amount as it entered its stages."""
    if deal_amounts is None:
        deal_amounts = {s.opportunity_id: s.amount for s in stints}
    bands = size_bands(deal_amounts.values(), minimum=minimum)
    grouped: dict[str, list[StageStint]] = defaultdict(list)
    names: dict[str, str] = {}
    for stint in stints:
        key = _stage_key(stint.stage)
        grouped[key].append(stint)
        names.setdefault(key, stint.stage.strip())
    by_stage = {key: _norm(names[key], None, group, minimum) for key, group in grouped.items()}
    by_band = {}
    for key, group in grouped.items():
        for band in bands:
            inside = [s for s in group if band.holds(s.amount)]
            if inside:
                by_band[(key, band.name)] = _norm(names[key], band, inside, minimum)
    return StageNorms(by_stage, by_band, bands, minimum)


def stuck_notice(norms: StageNorms, stint: StageStint | None) -> StuckNotice | None:
    """A notice when the deal's present stay is past the usual (75th) percentile of its norm;
    None when it is not, or when no norm has enough deals."""
    if stint is None:
        return None
    norm = norms.for_deal(stint.stage, stint.amount)
    if norm is None or not norm.enough:
        return None
    usual, most = norm.days(USUAL_PERCENTILE), norm.days(90)
    if usual is None or stint.days <= usual:
        return None
    percentile = 90 if most is not None and stint.days > most else USUAL_PERCENTILE
    return StuckNotice(norm.stage, int(stint.days), max(1, math.ceil(usual)), percentile,
                       norm.moved, norm.band, None if most is None else max(1, math.ceil(most)))


def _norm(stage: str, band: SizeBand | None, stints: Sequence[StageStint],
          minimum: int) -> StageNorm:
    moved = [s.days for s in stints if s.moved]
    still = [s.days for s in stints if not s.moved]
    figures: dict[int, float | None] = {}
    if len(moved) >= minimum:
        figures = _percentiles(moved, still)
    return StageNorm(stage, band, len(moved), len(still), minimum, figures)


def _percentiles(moved: Sequence[float], still: Sequence[float]) -> dict[int, float | None]:
    """Kaplan-Meier (scipy's ``ecdf`` on right-censored data): a deal still in the stage after
    40 days says "at least 40", not "40" and not nothing. A percentile the curve never reaches
    (too many deals still in) is None."""
    curve = ecdf(CensoredData(uncensored=np.asarray(moved, dtype=float),
                              right=np.asarray(still, dtype=float))).cdf
    times, shares = curve.quantiles, curve.probabilities
    found: dict[int, float | None] = {}
    for percentile in PERCENTILES:
        reached = np.nonzero(shares >= percentile / 100 - 1e-9)[0]
        found[percentile] = float(times[reached[0]]) if len(reached) else None
    return found


def _runs(rows: Sequence[StageChange]) -> list[tuple[str, datetime, float | None]]:
    """Consecutive rows in the same stage are one stay (an amount or date changed)."""
    runs: list[tuple[str, datetime, float | None]] = []
    for row in rows:
        if runs and _stage_key(runs[-1][0]) == _stage_key(row.stage):
            continue
        amount = None if row.amount is None else float(row.amount)
        runs.append((row.stage.strip(), row.at, amount))
    return runs


def _stage_key(stage: str) -> str:
    return stage.strip().casefold()


def _round_2sf(value: float) -> float:
    if value <= 0:
        return value
    digits = 1 - int(math.floor(math.log10(value)))
    return round(value, digits)


def _days(count: int) -> str:
    return "day" if count == 1 else "days"


__all__ = [
    "BAND_NAMES", "MIN_DEALS", "PERCENTILES", "SizeBand", "StageChange", "StageNorm",
    "StageNorms", "StageStint", "StuckNotice", "USUAL_PERCENTILE", "current_stint",
    "size_bands", "stage_norms", "stage_stints", "stuck_notice",
]
