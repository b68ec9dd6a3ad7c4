"""The panel's search: its bounds, its order (words first, the opportunity's context breaking
ties), published and unexpired modules of the one org only, and its rate limit. Runs on SQLite
and PostgreSQL (the ``engine`` fixture)."""
from datetime import timedelta

import pytest

from content_catalog.database import session_factory
from content_catalog.repository import CatalogRepository, ensure_org
from content_catalog.taxonomy import ModuleStatus
from plugin.panel.panel_search import (
    MAX_QUERY_CHARS, MAX_RESULTS, PanelSearch, SearchRateLimit, SearchRateLimited, SearchRefused,
    rank_matches, search_words,
)
from plugin.ranking.candidates import tag_labels
from recommender import OpportunityContext

ORG = "00DA0000000AaaaMAC"
OTHER_ORG = "00DB0000000BbbbMAC"
HEALTHCARE = OpportunityContext(journey_phase="buying", industry="Healthcare",
                                buyer_roles=("Economic Buyer",))


@pytest.fixture
def sessions(engine):
    return session_factory(engine)


@pytest.fixture
def publish(sessions):
    def write(*modules, org_id=ORG):
        with sessions() as session:
            ensure_org(session, org_id, org_id)
            CatalogRepository(session, org_id).upsert_many(list(modules))
            session.commit()

    return write


@pytest.fixture
def panel_search(sessions, taxonomy, today):
    return PanelSearch(sessions, tag_labels(taxonomy), lambda: today)


def keys(results) -> list[str]:
    return [card.module_id for card in results.cards]


@pytest.mark.parametrize("raw, message", [
    (None, "Type what you are looking for."),
    (["audit"], "Type what you are looking for."),
    ("  a ", "Type at least 2 characters to search."),
    ("x" * (MAX_QUERY_CHARS + 1), f"Search for at most {MAX_QUERY_CHARS} characters."),
    ("a b c d e f g h i", "Search for at most 8 words."),
])
def test_search_text_out_of_bounds_is_refused_with_a_reason(raw, message):
    with pytest.raises(SearchRefused, match=message):
        search_words(raw)


def test_search_text_is_collapsed_before_it_is_searched():
    assert search_words("  payer \t audit\n") == "payer audit"
    assert search_words("pay\x00er\x1b audit") == "pay er audit"  # control characters split words


def test_search_text_with_control_characters_is_searched_safely(panel_search, publish, module_factory):
    publish(module_factory("nul", title="Audit nul"))
    assert keys(panel_search.search(ORG, search_words("\x00audit\x00"), None)) == ["nul"]


def test_words_in_the_title_beat_words_in_the_tags_summary_and_body(module_factory):
    modules = [
        module_factory("in-body", title="One", body="Audit evidence"),
        module_factory("in-summary", title="Two", summary="Audit evidence"),
        module_factory("in-title", title="Audit evidence"),
        module_factory("in-tags", title="Three", tags={"challenge": "risk_compliance"}),
    ]
    ranked = rank_matches(modules, "audit", None) + rank_matches(modules, "risk", None)
    assert [m.module.key for m in ranked if m.relevance] == [
        "in-title", "in-summary", "in-body", "in-tags"]


def test_the_opportunitys_context_breaks_ties_between_equal_matches(module_factory):
    modules = [
        module_factory("a-banking", title="Audit case", tags={"industry": "Banking"}),
        module_factory("b-untagged", title="Audit case"),
        module_factory("c-healthcare", title="Audit case",
                       tags={"industry": "Healthcare", "buyer_role": "Economic Buyer"}),
    ]
    ranked = rank_matches(modules, "audit", HEALTHCARE)
    assert [m.module.key for m in ranked] == ["c-healthcare", "a-banking", "b-untagged"]
    assert ranked[0].fits == (("industry", "Healthcare"), ("buyer_role", "Economic Buyer"))
    # Without a context (the CRM could not be read) the title decides, then the id.
    assert [m.module.key for m in rank_matches(modules, "audit", None)] == [
        "a-banking", "b-untagged", "c-healthcare"]


def test_only_published_unexpired_modules_of_the_org_are_found(
    panel_search, publish, module_factory, today
):
    publish(
        module_factory("published", title="Audit playbook"),
        module_factory("draft", title="Audit draft", status=ModuleStatus.DRAFT),
        module_factory("retired", title="Audit old", status=ModuleStatus.RETIRED),
        module_factory("expired", title="Audit expired", review_by=today - timedelta(days=1)),
    )
    publish(module_factory("other-org", title="Audit elsewhere"), org_id=OTHER_ORG)
    results = panel_search.search(ORG, "audit", HEALTHCARE)
    assert keys(results) == ["published"] and results.total == 1


def test_results_are_cards_with_reasons_and_a_search_model_version(
    panel_search, publish, module_factory
):
    publish(module_factory("hc", title="Audit costs", tags={"industry": "Healthcare"}))
    (card,) = panel_search.search(ORG, "AUDIT", HEALTHCARE).cards
    assert card.reasons == ("Found in the title", "Healthcare")
    assert (card.rank, card.propensity, card.explored, card.model_version) == (1, 1.0, False, "search")


def test_results_are_cut_to_the_best_few_and_hostile_text_is_literal(
    panel_search, publish, module_factory
):
    publish(*(module_factory(f"m{n:02}", title=f"Audit {n:02}") for n in range(MAX_RESULTS + 5)))
    results = panel_search.search(ORG, "audit", None)
    assert len(results.cards) == MAX_RESULTS and results.total == MAX_RESULTS + 5
    assert panel_search.search(ORG, "%_ OR 1=1", None).cards == ()


def test_rate_limit_counts_per_person_and_forgets_after_the_window():
    now = [1000.0]
    limit = SearchRateLimit(2, 60, clock=lambda: now[0])
    limit.check(ORG, "rep-a")
    limit.check(ORG, "rep-a")
    limit.check(ORG, "rep-b")  # someone else's searches are their own
    with pytest.raises(SearchRateLimited) as refused:
        limit.check(ORG, "rep-a")
    assert refused.value.retry_after == 60
    now[0] += 60.5
    limit.check(ORG, "rep-a")


def test_rate_limit_remembers_a_bounded_number_of_people():
    limit = SearchRateLimit(1, 60, max_people=2, clock=lambda: 0.0)
    for person in ("a", "b", "c"):
        limit.check(ORG, person)
    limit.check(ORG, "a")  # forgotten: the least recent went first
    with pytest.raises(SearchRateLimited):
        limit.check(ORG, "c")
