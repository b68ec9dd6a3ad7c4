"""Which phrases shared by the opportunity and a module a suggestion's reason names."""
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
    assert text_reason("2026 audit costs fell 60 percent", "the 2026 audit took 60 days") is None


def test_distinctive_shared_phrases_are_named():
    assert text_reason("hipaa audit evidence for hospitals", "hipaa audit next month") == (
        "mentions 'hipaa audit'")


def test_a_single_shared_word_is_never_a_reason():
    """Issue 14: "mentions 'median'", "mentions 'beneficiary'" convinced no rep."""
    assert text_reason("median time to first response fell", "the median deal is slow") is None
    assert text_reason("beneficiary changes by email", "beneficiary updates by hand") is None


def test_punctuation_and_stop_words_end_a_phrase():
    assert text_reason("transfers. beneficiary forms", "transfers, beneficiary updates") is None
    assert text_reason("security of review", "security and review") is None


def test_a_phrase_of_generic_words_is_never_named_but_one_with_a_distinctive_word_is():
    assert text_reason("customer account growth plan", "the customer account grew") is None
    assert text_reason("account transfers by email", "account transfers are slow") == (
        "mentions 'account transfers'")
