"""The data that crosses the recommender's boundary."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Mapping

#: Tag dimensions the ranker scores, in the order reasons are told to a rep.
#: The strings equal ``content_catalog.taxonomy.Dimension`` values; the recommender keeps its own
#: copy so that it depends on nothing but numpy and scikit-learn.
DIMENSIONS: tuple[str, ...] = (
    "journey_phase",
    "buyer_role",
    "industry",
    "deal_stage",
    "challenge",
    "deal_size",
)

#: The context's field for each single-valued dimension.
_SINGLE_VALUED = {
    "journey_phase": "journey_phase",
    "industry": "industry",
    "deal_stage": "stage",
    "challenge": "challenge",
    "deal_size": "deal_size",
}

CLIENT_FACING = "client_facing"
INTERNAL = "internal"


@dataclass(frozen=True)
class OpportunityContext:
    """What the ranker knows about one opportunity, already mapped to taxonomy values.

    Values a CRM sent that the taxonomy does not know are kept as they are: they match no tag,
    which is the honest answer, and the caller reports them to admins.
    """

    stage: str | None = None
    journey_phase: str | None = None
    industry: str | None = None
    #: Contact roles on the opportunity, the primary contact's role first.
    buyer_roles: tuple[str, ...] = ()
    challenge: str | None = None
    deal_size: str | None = None
    amount: float | None = None
    #: Free text from the opportunity (description, next step).
    text: str = ""

    def values(self, dimension: str) -> tuple[str, ...]:
        if dimension == "buyer_role":
            return self.buyer_roles
        single = getattr(self, _SINGLE_VALUED[dimension])
        return (single,) if single else ()

    @property
    def primary_role(self) -> str | None:
        return self.buyer_roles[0] if self.buyer_roles else None


@dataclass(frozen=True)
class CandidateModule:
    """A published module as the ranker sees it: tags, text, audience and shelf life."""

    module_id: str
    text: str
    audience: str
    #: dimension → tag values; a missing or empty entry means "any".
    tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    review_by: date | None = None
    #: "case study", "battle card", ...; optional. The learned ranker uses it as a feature (some
    #: kinds help more than their tags say); the v1 rules ignore it.
    kind: str | None = None
    #: When the module was first published; None if unknown. The learned ranker gives recently
    #: published modules a share of its exploratory slots, so they are tried before being judged.
    published_on: date | None = None
    #: Marked for partners: a partner user's list is drawn from these modules alone.
    for_partners: bool = False


@dataclass(frozen=True)
class Reason:
    """One reason a module was chosen, in a form that can be shown or counted."""

    dimension: str  # a DIMENSIONS entry, or "text"
    label: str  # words a rep reads: "Buying phase", "Economic Buyer", "mentions 'audit'"


@dataclass(frozen=True)
class Suggestion:
    module_id: str
    score: float
    rank: int
    audience: str
    reasons: tuple[Reason, ...]
    #: Contribution of each dimension (and "text") to the score, for previews and debugging.
    breakdown: Mapping[str, float]
    #: Probability that this module was shown at this rank for this context under the policy that
    #: chose it (1.0 for a deterministic ranker). Logged with the impression for off-policy
    #: evaluation.
    propensity: float = 1.0
    #: The module is the list's exploratory pick: shown to learn whether it helps.
    explored: bool = False
    #: Which fitted model chose it; logged so that feedback can be tied to a model.
    model_version: str = "v1"

    @property
    def reason_text(self) -> str:
        return " · ".join(r.label for r in self.reasons)


@dataclass(frozen=True)
class Recommendations:
    """The panel's two lists: content for the customer, and preparation for the rep."""

    client_facing: tuple[Suggestion, ...]
    internal: tuple[Suggestion, ...]

    def __iter__(self):
        yield from self.client_facing
        yield from self.internal
