"""Which shared words a suggestion's reason names."""
from datetime import date

from recommender import CandidateModule, OpportunityContext, TagTextRanker

TODAY = date(2026, 11, 23)


def text_reason(module_text: str, opportunity_text: str) -> str | None:
    catalog = [
        CandidateModule("m", module_text, "client_facing"),
        CandidateModule("other", "onboarding kickoff plan for new teams", "client_facing"),
    ]
    (suggestion, *_) = TagTextRanker().fit(catalog).rank(OpportunityContext(text=opportunity_text), today=TODAY)
    return next((r.label for r in suggestion.reasons if r.dimension == "text"), None)


def test_bare_numbers_are_never_named_as_reasons():
    reason = text_reason("audit 2026 costs fell 60 percent", "the 2026 audit took 60 days")
    assert reason == "mentions 'audit'"


def test_distinctive_shared_words_are_named():
    assert "'hipaa'" in text_reason("hipaa audit evidence for hospitals", "hipaa audit next month")
