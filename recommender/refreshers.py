"""Spaced refreshers: which training refreshers a rep used before are due back, and why.
Pure: the rep's use history and today in, due refreshers and the re-ordered internal list out.
Design: docs/design/recommender.md and docs/learning.md (Spaced refreshers)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Iterable, Sequence

from recommender.types import DIMENSIONS, Reason, Recommendations, Suggestion

#: Days after the last use at which a refresher comes back, by how many days it has been used
#: on: used on one day, it is due 2 days later; on two days, 7 days after the last; then 21 and
#: 60. Used on a fifth day, it has been revisited at every interval and is not brought back again.
SPACING_DAYS: tuple[int, ...] = (2, 7, 21, 60)
#: A due refresher comes back only if the ranker places it among this many internal candidates
#: for the opportunity's context (with a tag the opportunity has): "the same situation".
SITUATION_WINDOW = 10
#: A panel brings back at most this many refreshers at once: the internal list has 3 places.
MAX_BACK = 1
#: The reason's dimension: not a tag, so the ranker's rules and analytics never confuse the two.
REFRESHER = "refresher"
#: What a rep did with it, in the words the reason uses.
USE_VERBS = {
    "open": "opened", "personalise": "personalised", "copy": "copied", "download": "downloaded",
    "share": "shared",
}
_NTH = ("a second", "a third", "a fourth", "a fifth")


@dataclass(frozen=True)
class RefresherUse:
    """One refresher as one rep used it: the distinct days (by the server's UTC clock) they
    opened, personalised, copied, downloaded or shared it, what they did last, and whether they
    dismissed it for good."""

    module_id: str
    use_days: frozenset[date] = frozenset()
    last_kind: str = "open"
    dismissed: bool = False


@dataclass(frozen=True)
class DueRefresher:
    module_id: str
    last_used: date
    days_since: int
    #: 1 for its first return, 2 for its second, ...
    step: int
    reason: Reason


def due_refreshers(uses: Iterable[RefresherUse], today: date) -> list[DueRefresher]:
    """The refreshers due back today: used on ``n`` distinct days (1 to 4), the last of them at
    least ``SPACING_DAYS[n - 1]`` days ago, not dismissed. A use after the last return moves it
    to the next interval; a dismissal wins over everything. Most overdue first."""
    due = []
    for use in uses:
        if use.dismissed or not use.use_days:
            continue
        step = len(use.use_days)
        if step > len(SPACING_DAYS):
            continue  # revisited at every interval: it has stuck
        last = max(use.use_days)
        days = (today - last).days
        if days < SPACING_DAYS[step - 1]:
            continue
        due.append(DueRefresher(use.module_id, last, days, step,
                                Reason(REFRESHER, _said(use.last_kind, days, step))))
    return sorted(due, key=lambda d: (-(d.days_since - SPACING_DAYS[d.step - 1]), d.module_id))


def _said(kind: str, days: int, step: int) -> str:
    verb = USE_VERBS.get(kind, "used")
    look = _NTH[min(step, len(_NTH)) - 1]
    return f"You {verb} this {days} days ago; {look} look now helps it stick"


def in_situation(suggestion: Suggestion) -> bool:
    """Whether the ranker suggested it for something this opportunity has (a tag it matched),
    not only for being untagged ("any") or sharing words with the opportunity's text."""
    return any(reason.dimension in DIMENSIONS for reason in suggestion.reasons)


def dismissed(uses: Iterable[RefresherUse]) -> frozenset[str]:
    """The refreshers the rep dismissed for good: never shown to them again, back or not."""
    return frozenset(use.module_id for use in uses if use.dismissed)


def bring_back(
    ranked: Recommendations, due: Sequence[DueRefresher], situation: Sequence[Suggestion],
    k_internal: int, dismissed: frozenset[str] = frozenset(),
) -> tuple[Recommendations, tuple[str, ...]]:
    """``ranked`` with up to ``MAX_BACK`` due refreshers first in its internal list: those the
    ranker put among its first ``SITUATION_WINDOW`` internal candidates for this context
    (``situation``, best first) with a tag the opportunity has, the best placed first. Its
    reasons start with why it is back; it was placed by this rule, not drawn, so its propensity
    is 1. The rest of the list keeps its order without the ``dismissed`` refreshers, filled from
    ``situation`` if they left a gap, shortened to ``k_internal``. Also returns the ids
    brought back."""
    by_id = {d.module_id: d for d in due if d.module_id not in dismissed}
    back = [
        s for s in situation[:SITUATION_WINDOW]
        if s.module_id in by_id and s.audience != "client_facing" and in_situation(s)
    ][:MAX_BACK]
    if not back and not any(s.module_id in dismissed for s in ranked.internal):
        return ranked, ()
    returned = [
        replace(s, reasons=(by_id[s.module_id].reason, *s.reasons), propensity=1.0,
                explored=False)
        for s in back
    ]
    shown = {s.module_id for s in returned} | dismissed
    rest = [s for s in ranked.internal if s.module_id not in shown]
    shown |= {s.module_id for s in rest}
    fill = [s for s in situation if s.module_id not in shown]
    internal = tuple(
        replace(s, rank=n) for n, s in enumerate([*returned, *rest, *fill][:k_internal], 1)
    )
    return Recommendations(ranked.client_facing, internal), tuple(s.module_id for s in returned)
