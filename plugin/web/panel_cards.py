"""Each suggestion card's markup rendered once per module version, not once per panel view: a
view only fills in what is its own (the impression id, the reasons and the opportunity)."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from typing import Callable

from flask import current_app, render_template, request
from markupsafe import Markup, escape

from plugin.panel.suggestions import SuggestionCard

#: Stand-ins rendered into the cached markup where a view's own values go. They are characters
#: the template writes unchanged (no escaping, no URL quoting) and no module text is made of.
_IMPRESSION = "c0ffee00" * 4
_OPPORTUNITY = "OPPORTUNITYxSTANDxIN"
_REASON_A, _REASON_B = "REASONxSTANDxINxA", "REASONxSTANDxINxB"
#: One card as the page renders it (the icon macro imported), a template file so that Jinja's
#: loader compiles it once per app, as it does every page.
_ONE_CARD = "panel/_one_card.html"
_ALNUM = re.compile(r"[A-Za-z0-9]{1,40}")
_HEX_ID = re.compile(r"[0-9a-f]{32}")
#: Entries kept before the cache starts again (a card is a few kilobytes).
MAX_ENTRIES = 20_000


@dataclass(frozen=True)
class _Parts:
    """A card's markup around its reasons: ``head`` + reasons joined by ``between`` + ``tail``;
    ``bare`` when it has no reasons."""

    head: str
    between: str
    tail: str
    bare: str

    def fill(self, reasons: tuple[str, ...], impression_id: str | None,
             opportunity_id: str) -> Markup:
        if reasons:
            text = self.head + self.between.join(str(escape(r)) for r in reasons) + self.tail
        else:
            text = self.bare
        if impression_id is not None:
            text = text.replace(_IMPRESSION, str(escape(impression_id)))
        # The card was rendered by Jinja with autoescape; every value put into it here is escaped.
        return Markup(text.replace(_OPPORTUNITY, str(escape(opportunity_id))))  # nosec B704


class CardMarkup:
    """The cache, one per app; thread-safe (a lost race renders a card twice, nothing worse)."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self._parts: dict[tuple, _Parts] = {}
        self._max = max_entries
        self._lock = threading.Lock()

    def for_view(self, opportunity_id: str) -> Callable[[SuggestionCard], Markup] | None:
        """What the panel template calls for each card, or None (render each card as always)
        when the opportunity Id is not a plain Salesforce-style Id."""
        if not _ALNUM.fullmatch(opportunity_id or ""):
            return None
        return lambda card: self.card(card, opportunity_id)

    def card(self, card: SuggestionCard, opportunity_id: str) -> Markup:
        if card.back_because is not None or card.recommended_by or (
                card.impression_id is not None and not _HEX_ID.fullmatch(card.impression_id)):
            # A refresher brought back (at most one a view) or a manager's recommendation (its
            # note is its own) has its own markup: rendered as is.
            # Autoescaped, as every Flask template is.
            return Markup(render_template(_ONE_CARD, card=card,  # nosec B704
                                          opportunity_id=opportunity_id))
        key = (request.script_root, card.module_id, card.title, card.summary, card.kind,
               card.kind_label, card.audience, card.author, card.link,
               card.impression_id is not None)
        parts = self._parts.get(key)
        if parts is None:
            if any(stand_in in field for field in key[1:9] if isinstance(field, str)
                   for stand_in in (_IMPRESSION, _OPPORTUNITY, _REASON_A, _REASON_B)):
                return Markup(render_template(  # nosec B704 # why: autoescaped template
                    _ONE_CARD, card=card, opportunity_id=opportunity_id))
            parts = self._render(card)
            with self._lock:
                if len(self._parts) >= self._max:
                    self._parts.clear()
                self._parts[key] = parts
        return parts.fill(card.reasons, card.impression_id, opportunity_id)

    @staticmethod
    def _render(card: SuggestionCard) -> _Parts:
        stand_in = replace(card, impression_id=_IMPRESSION if card.impression_id else None)

        def render(reasons: tuple[str, ...]) -> str:
            return render_template(_ONE_CARD, card=replace(stand_in, reasons=reasons),
                                   opportunity_id=_OPPORTUNITY)

        one, two = render((_REASON_A,)), render((_REASON_A, _REASON_B))
        at, end = one.index(_REASON_A), one.index(_REASON_A) + len(_REASON_A)
        return _Parts(head=one[:at], between=two[end:two.index(_REASON_B)], tail=one[end:],
                      bare=render(()))


def card_markup(opportunity_id: str) -> Callable[[SuggestionCard], Markup] | None:
    """The running app's card cache for one panel view (None with BEINSPIRED_PANEL_CACHES=false,
    the previous path)."""
    if not current_app.extensions["be_inspired"].settings.panel_caches:
        return None
    cache = current_app.extensions.get("be_inspired_cards")
    if cache is None:
        cache = current_app.extensions.setdefault("be_inspired_cards", CardMarkup())
    return cache.for_view(opportunity_id)
