"""Synthetic catalogs and opportunities for benchmarks: seeded, and shaped like real ones.
Design: docs/design/recommender.md."""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Sequence

import numpy as np

from recommender.types import CLIENT_FACING, INTERNAL, CandidateModule, OpportunityContext

#: The day review-by dates are drawn around; benchmarks rank "as of" this day.
REFERENCE_DAY = date(2026, 11, 23)
Tags = tuple[str, ...]

# -- the vocabulary the synthetic texts are drawn from --------------------------------------------
# Copies of the default taxonomy's values (recommender/ must not import content_catalog), ordered
# by how often real catalogs and pipelines use them, so a Zipf draw over them is realistic.
_PHASES = ("buying", "awareness", "implementation_adoption")
_STAGES = (
    "Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
    "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won",
    "Closed Lost",
)  # fmt: skip
_STAGE_PHASES = dict(
    zip(_STAGES, ("awareness",) * 3 + ("buying",) * 5 + ("implementation_adoption", "buying"))
)
_STAGE_SHARE = (20, 15, 12, 10, 8, 6, 8, 6, 3, 2)  # an open pipeline is top-heavy
_ROLES = (
    "Decision Maker", "Economic Buyer", "Technical Buyer", "Evaluator", "Influencer",
    "Business User", "Executive Sponsor", "Economic Decision Maker", "Other",
)  # fmt: skip
_INDUSTRIES = (
    "Technology", "Finance", "Healthcare", "Manufacturing", "Retail", "Banking", "Insurance",
    "Telecommunications", "Consulting", "Government", "Education", "Energy", "Media",
    "Transportation", "Utilities", "Biotechnology", "Construction", "Hospitality", "Electronics",
    "Food & Beverage", "Communications", "Engineering", "Chemicals", "Shipping", "Machinery",
    "Apparel", "Entertainment", "Not For Profit", "Environmental", "Agriculture", "Recreation",
    "Other",
)  # fmt: skip
_CHALLENGES = (
    "growth", "efficiency", "cost_reduction", "customer_experience", "transformation",
    "risk_compliance",
)  # fmt: skip
_DEAL_SIZES = ("medium", "small", "large")
#: Values a customised org sends that the taxonomy does not know: they must match no tag.
_UNKNOWN_STAGES = ("Discovery", "Technical Validation")
_UNKNOWN_INDUSTRIES = ("Aerospace", "Legal Services")
_CLIENT_KINDS = ("case study", "value message", "business case", "presentation", "email template")
_INTERNAL_KINDS = ("battle card", "playbook", "training refresher")

#: Function words first, as in real text; TF-IDF drops them, which is part of what is measured.
_WORDS = """
the and to of a in for our your with on is that by as we you this are from it at be their can
will how more team teams customer customers value business sales process data platform cost
costs time revenue buyer buyers deal deals pipeline growth risk results support management
solution solutions plan plans work case study month year quarter meeting proposal pricing
discount renewal contract onboarding adoption rollout workflow workflows integration reporting
dashboard analytics forecast forecasting quota territory account accounts executive champion
stakeholder stakeholders budget approval procurement legal security compliance audit policy
controls governance visibility efficiency productivity automation manual spreadsheets errors
delays handoffs backlog service operations finance marketing leadership board strategy roadmap
priorities initiative initiatives objection objections competitor competitors differentiation
proof pilot trial evaluation requirements criteria shortlist demo discovery questions pain
impact outcome outcomes metrics kpi benchmark savings payback roi investment license licenses
seats users admin admins training enablement certification playbook messaging story stories
reference references testimonial quote webinar email follow call calls agenda summary next steps
timeline milestone milestones launch go live migration legacy cloud hybrid infrastructure
scalability uptime reliability performance latency api apis connector connectors partner
partners ecosystem channel reseller expansion upsell cross sell churn retention loyalty
satisfaction experience journey engagement personalisation segment segments market markets
region regional global enterprise midmarket smb startup startups vendor vendors consolidation
tooling stack ownership tco capex opex margin margins profit profitability cash flow working
capital inventory supply chain logistics fulfilment orders order quote approvals signature
signatures negotiation terms redlines closing close won lost loss review retrospective lessons
coaching manager managers rep reps ramp hiring capacity coverage prospecting outreach cadence
sequence sequences response rates conversion win rate cycle velocity handover kickoff
implementation consultant consultants success health score adoption usage telemetry feedback
survey nps escalation incident risks mitigation dependency dependencies change resistance
sponsor sponsorship alignment consensus committee decision decisions criteria justification
business case model assumptions scenario scenarios sensitivity baseline target targets
improvement improvements transformation modernisation digital paperless mobile field frontline
self service portal knowledge base content library template templates slide slides deck one
pager brochure datasheet whitepaper guide checklist worksheet calculator
"""
#: Words a module or opportunity about a tag value uses more often than the rest of the catalog,
#: so that text similarity agrees with the tags the way it does in a real catalog.
_TOPICS = dict(
    line.split(": ", 1)
    for line in """
Technology: saas developers devops engineering product release
Finance: ledger treasury close reconciliation fpa
Healthcare: patient clinical hipaa hospital ehr clinicians
Manufacturing: plant factory oee downtime shopfloor quality
Retail: store stores ecommerce merchandising shoppers basket
Banking: bank lending deposits kyc branch basel
Insurance: claims underwriting policyholders premiums actuarial
Telecommunications: network subscribers 5g carriers spectrum
Government: agency citizens public sector fedramp tenders
Education: students faculty campus enrolment learning
Energy: grid oil gas renewables wells
Utilities: meters outages grid ratepayers
growth: growth new logos markets revenue expansion
efficiency: efficiency faster hours manual automation
cost_reduction: cost savings spend consolidate reduce
customer_experience: customer experience csat nps service
transformation: transformation operating model change digital
risk_compliance: risk compliance regulation audit gdpr sox
awareness: why change status quo trends
buying: evaluation shortlist roi justification pricing
implementation_adoption: adoption onboarding rollout value realisation
""".strip().splitlines()
)


@lru_cache(maxsize=None)
def _zipf(n: int, exponent: float = 1.05, shift: float = 2.7) -> np.ndarray:
    """Zipf–Mandelbrot probabilities for ranks 1..n: a few words everywhere, most words rare.

    Cached (callers never write to it): a million-module catalog draws it millions of times.
    """
    weights = 1.0 / (np.arange(1, n + 1) + shift) ** exponent
    weights = weights / weights.sum()
    weights.setflags(write=False)
    return weights


def _pick(rng: np.random.Generator, values: Sequence[str], share: float, most: int) -> Tags:
    """With probability ``share``, 1..``most`` values, mostly one; else none, i.e. "any"."""
    if rng.random() >= share:
        return ()
    return _popular(rng, values, 1 + int(rng.binomial(most - 1, 0.2)))


def _popular(rng: np.random.Generator, values: Sequence[str], count: int) -> Tags:
    """``count`` distinct values, those listed first more often, in the order drawn."""
    p = _zipf(len(values), 1.0, 1.0)
    picked = rng.choice(len(values), size=min(count, len(values)), replace=False, p=p)
    return tuple(values[i] for i in picked)


class _TextGenerator:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.words = np.array(_WORDS.split())
        self.p = _zipf(len(self.words))

    def text(self, n_words: int, topics: Sequence[str], topical_share: float) -> str:
        pool = [w for t in topics for w in _TOPICS.get(t, t.lower()).split()]
        n_topical = int(round(n_words * topical_share)) if pool else 0
        general = self.rng.choice(self.words, size=n_words - n_topical, p=self.p).tolist()
        topical = self.rng.choice(pool, size=n_topical).tolist() if n_topical else []
        words = general + topical
        self.rng.shuffle(words)
        return " ".join(words)


def synthetic_catalog(
    n_modules: int, seed: int, *, today: date = REFERENCE_DAY
) -> list[CandidateModule]:
    """``n_modules`` published modules with realistic texts, tags, audiences and review dates."""
    rng = np.random.default_rng([seed, 0])
    texts = _TextGenerator(rng)
    modules = []
    for i in range(n_modules):
        internal = rng.random() < 0.25
        kind = str(rng.choice(_INTERNAL_KINDS if internal else _CLIENT_KINDS))
        tags = {
            "journey_phase": _pick(rng, _PHASES, 0.75, 2),
            "buyer_role": _pick(rng, _ROLES, 0.6, 3),
            "industry": _pick(rng, _INDUSTRIES, 0.45, 2),
            "deal_stage": _stage_run(rng) if rng.random() < 0.35 else (),
            "challenge": _pick(rng, _CHALLENGES, 0.55, 2),
            "deal_size": _pick(rng, _DEAL_SIZES, 0.2, 2),
        }
        topics = [*tags["industry"], *tags["challenge"], *tags["journey_phase"]]
        body = texts.text(int(rng.integers(80, 201)), topics, topical_share=0.2)
        modules.append(
            CandidateModule(
                module_id=f"{kind.replace(' ', '-')}-{i:05d}",
                text=f"{kind} {body}",
                audience=INTERNAL if internal else CLIENT_FACING,
                tags={dim: values for dim, values in tags.items() if values},
                review_by=_review_by(rng, today),
                kind=kind,
            )
        )
    return modules


def _stage_run(rng: np.random.Generator) -> Tags:
    """Content is tagged with a few neighbouring stages, rarely with the closed ones."""
    start = int(rng.integers(0, 8))
    return _STAGES[start : start + int(rng.integers(1, 4))]


def _review_by(rng: np.random.Generator, today: date) -> date | None:
    roll = rng.random()
    if roll < 0.3:
        return None
    if roll < 0.33:  # overdue for review: must never be suggested
        return today - timedelta(days=int(rng.integers(1, 200)))
    return today + timedelta(days=int(rng.integers(0, 720)))


def synthetic_contexts(n: int, seed: int) -> list[OpportunityContext]:
    """``n`` opportunities as the CRM mapping would hand them over, descriptions included."""
    rng = np.random.default_rng([seed, 1])
    texts = _TextGenerator(rng)
    stage_p = np.array(_STAGE_SHARE) / sum(_STAGE_SHARE)
    contexts = []
    for _ in range(n):
        stage = _STAGES[rng.choice(len(_STAGES), p=stage_p)]
        if rng.random() < 0.03:
            stage = str(rng.choice(_UNKNOWN_STAGES))
        industry = _context_industry(rng)
        n_roles = int(rng.choice(5, p=(0.15, 0.35, 0.3, 0.15, 0.05)))
        roles = _popular(rng, _ROLES, n_roles)  # the primary contact's role first
        challenge = str(rng.choice(_CHALLENGES)) if rng.random() < 0.65 else None
        amount = _amount(rng) if rng.random() < 0.85 else None
        topics = [t for t in (industry, challenge, _STAGE_PHASES.get(stage)) if t]
        contexts.append(
            OpportunityContext(
                stage=stage,
                journey_phase=_STAGE_PHASES.get(stage),
                industry=industry,
                buyer_roles=roles,
                challenge=challenge,
                deal_size=_deal_size(amount),
                amount=amount,
                text=texts.text(int(rng.integers(30, 81)), topics, topical_share=0.25),
            )
        )
    return contexts


def _context_industry(rng: np.random.Generator) -> str | None:
    roll = rng.random()
    if roll < 0.05:
        return None
    if roll < 0.08:
        return str(rng.choice(_UNKNOWN_INDUSTRIES))
    return _popular(rng, _INDUSTRIES, 1)[0]


def _amount(rng: np.random.Generator) -> float:
    """Deal amounts are skewed: many small deals, a long tail of large ones."""
    return float(round(rng.lognormal(np.log(60_000), 1.2), -2))


def _deal_size(amount: float | None) -> str | None:
    if amount is None:
        return None
    return "large" if amount >= 250_000 else "medium" if amount >= 50_000 else "small"
