"""The panel's search: a rep's own words over the org's published modules, when the suggestions
are not what they need. Ranked by where the words were found, the opportunity's context breaking
ties; bounded in query length, results and rate (design: docs/panel-search.md)."""
from __future__ import annotations

import threading
import time
import unicodedata
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterable, Mapping

from sqlalchemy.orm import Session

from content_catalog.modules import ContentModule
from content_catalog.queries import ModuleQuery
from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import Dimension, ModuleStatus
from plugin.panel.suggestions import SuggestionCard
from recommender import OpportunityContext

#: The longest search a rep may type, in characters, and in words.
MAX_QUERY_CHARS = 100
MAX_QUERY_WORDS = 8
#: Shorter than this matches half the catalog ("a", "e"): not a search.
MIN_QUERY_CHARS = 2
#: Results shown for one search.
MAX_RESULTS = 10
#: Matches read from the database for ranking, at most (the first by title): a common word in a
#: large catalog must not make one search read every module.
MAX_CANDIDATES = 200
#: Where a word was found, and what that is worth: a word in the title says more than one in
#: the body.
FIELD_WEIGHTS = (("title", 4.0), ("tags", 3.0), ("summary", 2.0), ("body", 1.0))
FIELD_WORDS = {"title": "the title", "tags": "its tags", "summary": "the summary", "body": "the text"}
#: The context's dimensions that break ties, as the ranker's tags name them.
#: The order is the order of the reasons shown: the industry and the buyer's role convince a rep
#: more than the phase does.
CONTEXT_DIMENSIONS = (
    Dimension.INDUSTRY, Dimension.BUYER_ROLE, Dimension.CHALLENGE, Dimension.JOURNEY_PHASE,
    Dimension.DEAL_STAGE, Dimension.DEAL_SIZE,
)  # fmt: skip


class SearchRefused(ValueError):
    """The search text cannot be searched for; the message says why, in a rep's words."""


class SearchRateLimited(Exception):
    """Too many searches by one person in a short while."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(f"too many searches; try again in {retry_after} s")


def search_words(raw: object) -> str:
    """The search text as it is searched for: whitespace collapsed, checked against the bounds."""
    if not isinstance(raw, str):
        raise SearchRefused("Type what you are looking for.")
    if len(raw) > 4 * MAX_QUERY_CHARS:  # not worth reading further
        raise SearchRefused(f"Search for at most {MAX_QUERY_CHARS} characters.")
    # Control characters (a NUL, which PostgreSQL refuses in text) separate words, like spaces.
    raw = "".join(" " if unicodedata.category(c) == "Cc" else c for c in raw)
    words = " ".join(raw.split())
    if len(words) < MIN_QUERY_CHARS:
        raise SearchRefused(f"Type at least {MIN_QUERY_CHARS} characters to search.")
    if len(words) > MAX_QUERY_CHARS:
        raise SearchRefused(f"Search for at most {MAX_QUERY_CHARS} characters.")
    if len(words.split()) > MAX_QUERY_WORDS:
        raise SearchRefused(f"Search for at most {MAX_QUERY_WORDS} words.")
    return words


@dataclass(frozen=True)
class SearchMatch:
    module: ContentModule
    #: The sum over the words of the best place each was found (``FIELD_WEIGHTS``).
    relevance: float
    #: How many of the context's dimensions the module is tagged for: the tie-breaker.
    context_fit: int
    #: Where the words were found, best first ("title", "tags", ...).
    found_in: tuple[str, ...]
    #: The context's values the module is tagged with, as (dimension, value).
    fits: tuple[tuple[str, str], ...]


def rank_matches(modules: Iterable[ContentModule], words: str,
                 context: OpportunityContext | None) -> list[SearchMatch]:
    """The modules ranked for the words: relevance first, then the fit with the opportunity's
    context, then title. Pure: the same modules, words and context give the same order."""
    terms = [w.casefold() for w in words.split()]
    matches = []
    for module in modules:
        fields = {
            "title": module.title.casefold(),
            "tags": " ".join(v for values in module.tags.values() for v in values).casefold(),
            "summary": module.summary.casefold(),
            "body": (module.body + " " + module.key).casefold(),
        }
        relevance, found = 0.0, {}
        for term in terms:
            for name, weight in FIELD_WEIGHTS:
                if term in fields[name]:
                    relevance += weight
                    found[name] = max(found.get(name, 0.0), weight)
                    break
        fits = _fits(module, context)
        ordered = tuple(sorted(found, key=lambda name: -found[name]))
        matches.append(SearchMatch(module, relevance, len({d for d, _ in fits}), ordered, fits))
    matches.sort(key=lambda m: (-m.relevance, -m.context_fit, m.module.title.casefold(),
                                m.module.key))
    return matches


def _fits(module: ContentModule, context: OpportunityContext | None) -> tuple[tuple[str, str], ...]:
    if context is None:
        return ()
    fits = []
    for dimension in CONTEXT_DIMENSIONS:
        tagged = module.tags.get(dimension, ())
        for value in context.values(dimension.value):
            if value in tagged:
                fits.append((dimension.value, value))
                break
    return tuple(fits)


@dataclass(frozen=True)
class SearchResults:
    #: The search text as it was searched for.
    text: str
    cards: tuple[SuggestionCard, ...]
    #: Published modules that matched, before the cut to ``MAX_RESULTS`` (at most
    #: ``MAX_CANDIDATES`` are ranked).
    total: int


class PanelSearch:
    """Runs one search in one org's catalog: published, unexpired modules only, read through the
    org-scoped repository's SQL search (title, summary, body, id and tag values)."""

    def __init__(self, sessions: Callable[[], Session], labels: Mapping[str, Mapping[str, str]],
                 today: Callable[[], date]):
        self._sessions = sessions
        self._labels = labels
        self._today = today

    def search(self, org_id: str, words: str, context: OpportunityContext | None, *,
               partners_only: bool = False) -> SearchResults:
        """``partners_only``: a partner user's search, among modules marked for partners."""
        query = ModuleQuery(text=words, text_in_tags=True, statuses=(ModuleStatus.PUBLISHED,),
                            page_size=MAX_CANDIDATES, partners_only=partners_only)
        with self._sessions() as session:
            page = CatalogRepository(session, org_id).search(query)
        today = self._today()
        current = [m for m in page.items if not m.is_expired(today)]
        ranked = rank_matches(current, words, context)[:MAX_RESULTS]
        total = page.total - (len(page.items) - len(current))
        return SearchResults(words, tuple(self._card(m, rank) for rank, m in
                                          enumerate(ranked, start=1)), total)

    def _card(self, match: SearchMatch, rank: int) -> SuggestionCard:
        module = match.module
        reasons = [f"Found in {FIELD_WORDS[match.found_in[0]]}"] if match.found_in else []
        reasons += [self._labels.get(dim, {}).get(value, value) for dim, value in match.fits[:2]]
        return SuggestionCard(
            module_id=module.key, title=module.title, summary=module.summary,
            kind=module.kind.value, kind_label=module.kind.label,
            audience=module.audience.value, author=module.author, link=module.link,
            reasons=tuple(reasons), score=match.relevance, rank=rank,
            breakdown={"search": match.relevance, "context": float(match.context_fit)},
            propensity=1.0, explored=False, model_version="search",
        )


class SearchRateLimit:
    """At most ``limit`` searches per person in any ``window_s`` seconds, in this process (a
    bound on the work one person can cause, not an accounting: with several workers a person
    gets up to ``limit`` in each). Remembers at most ``max_people`` people, the least recent
    forgotten first, so its memory is bounded too."""

    def __init__(self, limit: int, window_s: float = 60.0, *, max_people: int = 10_000,
                 clock: Callable[[], float] = time.monotonic):
        self._limit = limit
        self._window_s = window_s
        self._max_people = max_people
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def check(self, org_id: str, person: str) -> None:
        """Count one search by ``person``, or raise :class:`SearchRateLimited`."""
        now = self._clock()
        key = (org_id, person)
        with self._lock:
            times = self._seen.pop(key, None) or deque()
            while times and times[0] <= now - self._window_s:
                times.popleft()
            if len(times) >= self._limit:
                self._seen[key] = times
                raise SearchRateLimited(max(1, int(times[0] + self._window_s - now + 0.999)))
            times.append(now)
            self._seen[key] = times
            while len(self._seen) > self._max_people:
                self._seen.popitem(last=False)
