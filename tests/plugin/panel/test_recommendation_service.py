"""RecommendationService: the stored catalog, the ranker and the taxonomy's words together.

Runs on SQLite and PostgreSQL (the ``engine`` fixture), with the service opening its own
sessions exactly as the web layer does.
"""
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event

from content_catalog.database import session_factory
from content_catalog.repository import CatalogRepository, OrgNotFound, ensure_org
from content_catalog.taxonomy import Audience, ModuleKind, ModuleStatus
from plugin.panel.suggestions import CatalogUnavailable, RecommendationService
from plugin.ranking.candidates import tag_labels
from recommender import OpportunityContext, TagTextRanker

ORG = "00DA0000000AaaaMAC"
OTHER_ORG = "00DB0000000BbbbMAC"
BANKING_BUYING = OpportunityContext(
    stage="Negotiation/Review", journey_phase="buying", industry="Banking", buyer_roles=("Economic Buyer",)
)


@pytest.fixture
def sessions(engine):
    return session_factory(engine)


@pytest.fixture
def publish(sessions):
    """Writes modules to an org's catalog and commits, as an import would."""

    def write(*modules, org_id=ORG):
        with sessions() as session:
            ensure_org(session, org_id, org_id)
            result = CatalogRepository(session, org_id).upsert_many(list(modules))
            session.commit()
        return result

    return write


@pytest.fixture
def service(sessions, taxonomy):
    return RecommendationService(sessions, taxonomy, k_client_facing=5, k_internal=3)


def suggested_ids(panel) -> list[str]:
    return [card.module_id for card in panel.client_facing + panel.internal]


def test_draft_is_never_suggested(service, publish, module_factory, today):
    publish(
        module_factory("a-draft", status=ModuleStatus.DRAFT, tags={"industry": "Banking"}),
        module_factory("b-published"),
    )
    assert suggested_ids(service.recommend(ORG, BANKING_BUYING, today)) == ["b-published"]


def test_retired_module_is_never_suggested(service, publish, module_factory, today):
    publish(module_factory("a-retired", tags={"industry": "Banking"}), module_factory("b-published"))
    publish(module_factory("a-retired", status=ModuleStatus.RETIRED, tags={"industry": "Banking"}))
    assert suggested_ids(service.recommend(ORG, BANKING_BUYING, today)) == ["b-published"]


def test_expired_review_date_is_never_suggested(service, publish, module_factory, today):
    publish(
        module_factory("a-expired", review_by=today - timedelta(days=1), tags={"industry": "Banking"}),
        module_factory("b-due-today", review_by=today),
    )
    assert suggested_ids(service.recommend(ORG, BANKING_BUYING, today)) == ["b-due-today"]
    assert suggested_ids(service.recommend(ORG, BANKING_BUYING, today - timedelta(days=1))) == [
        "a-expired", "b-due-today"
    ]  # fmt: skip


def test_cards_carry_display_fields_and_readable_reasons(service, publish, module_factory, today):
    publish(
        module_factory(
            "bank-roi",
            title="Bank ROI case study",
            summary="Onboarding in 3 days.",
            kind=ModuleKind.CASE_STUDY,
            author="Dana",
            link="https://example.com/roi",
            tags={"journey_phase": "buying", "industry": "Banking", "challenge": "risk_compliance"},
        )
    )
    context = OpportunityContext(journey_phase="buying", industry="Banking", challenge="risk_compliance")
    (card,) = service.recommend(ORG, context, today).client_facing

    assert (card.module_id, card.title, card.summary, card.author, card.link) == (
        "bank-roi", "Bank ROI case study", "Onboarding in 3 days.", "Dana", "https://example.com/roi"
    )  # fmt: skip
    assert (card.kind, card.kind_label, card.audience, card.rank) == ("case_study", "Case study", "client_facing", 1)
    assert card.reasons == ("Buying phase", "Banking", "Risk & compliance")
    assert card.reason_text == "Buying phase · Banking · Risk & compliance"
    assert card.score == pytest.approx(sum(card.breakdown.values()), abs=1e-3)


def test_suggestions_are_split_by_audience_and_capped(sessions, taxonomy, publish, module_factory, today):
    publish(
        *[module_factory(f"client-{i}", tags={"industry": "Banking"}) for i in range(4)],
        *[module_factory(f"internal-{i}", audience=Audience.INTERNAL) for i in range(3)],
    )
    service = RecommendationService(sessions, taxonomy, k_client_facing=2, k_internal=1)
    panel = service.recommend(ORG, BANKING_BUYING, today)
    assert [c.module_id for c in panel.client_facing] == ["client-0", "client-1"]
    assert [c.module_id for c in panel.internal] == ["internal-0"]


def test_best_match_is_suggested_first(service, publish, module_factory, today):
    publish(
        module_factory("a-generic"),
        module_factory("b-healthcare", tags={"industry": "Healthcare"}),
        module_factory("c-technical", tags={"industry": "Banking", "buyer_role": "Technical Buyer"}),
        module_factory("d-economic", tags={"industry": "Banking", "buyer_role": "Economic Buyer"}),
    )
    assert suggested_ids(service.recommend(ORG, BANKING_BUYING, today)) == ["d-economic", "c-technical", "a-generic"]


def test_org_cannot_see_other_orgs_modules(service, publish, module_factory, today):
    publish(module_factory("ours", tags={"industry": "Banking"}), org_id=ORG)
    publish(module_factory("theirs", tags={"industry": "Banking"}), module_factory("ours", title="Theirs"), org_id=OTHER_ORG)

    panel = service.recommend(ORG, BANKING_BUYING, today)
    assert suggested_ids(panel) == ["ours"]
    assert panel.client_facing[0].title == "Module ours"
    # In the other org "ours" is an untagged module of the same key: it ranks as generic content.
    assert suggested_ids(service.recommend(OTHER_ORG, BANKING_BUYING, today)) == ["theirs", "ours"]


def test_unknown_org_is_refused(service, engine, today):
    with pytest.raises(OrgNotFound):
        service.recommend("00DZ0000000ZzzzMAC", BANKING_BUYING, today)


def test_empty_catalog_gives_an_empty_panel(service, publish, today):
    publish()
    panel = service.recommend(ORG, BANKING_BUYING, today)
    assert (panel.client_facing, panel.internal) == ((), ())


def test_catalog_is_refitted_only_when_revision_changes(service, publish, module_factory, monkeypatch, today):
    fitted = []
    original_fit = TagTextRanker.fit

    def counting_fit(self, candidates, previous=None):
        fitted.append(sorted(c.module_id for c in candidates))
        return original_fit(self, candidates, previous)

    monkeypatch.setattr(TagTextRanker, "fit", counting_fit)
    publish(module_factory("a"))

    service.recommend(ORG, BANKING_BUYING, today)
    service.recommend(ORG, OpportunityContext(industry="Healthcare"), today)
    assert fitted == [["a"]]

    publish(module_factory("a"))  # identical: the revision stays, so does the fitted ranker
    service.recommend(ORG, BANKING_BUYING, today)
    assert fitted == [["a"]]

    publish(module_factory("a", title="Retitled"), module_factory("b"))
    assert suggested_ids(service.recommend(ORG, BANKING_BUYING, today)) == ["a", "b"]
    assert fitted == [["a"], ["a", "b"]]

    publish(module_factory("c"), org_id=OTHER_ORG)
    service.recommend(OTHER_ORG, BANKING_BUYING, today)
    service.recommend(ORG, BANKING_BUYING, today)  # the other org's fit did not evict this one
    assert fitted == [["a"], ["a", "b"], ["c"]]


def test_panel_shows_the_current_display_fields_of_a_changed_module(service, publish, module_factory, today):
    publish(module_factory("a", title="Old title"))
    service.recommend(ORG, BANKING_BUYING, today)
    publish(module_factory("a", title="New title"))
    assert service.recommend(ORG, BANKING_BUYING, today).client_facing[0].title == "New title"


def test_a_warm_view_asks_the_database_one_question(service, publish, module_factory, engine,
                                                   today):
    """The revision and model marker; the display fields are held with the fitted ranker."""
    publish(module_factory("a", tags={"industry": "Banking"}), module_factory("b"))
    service.recommend(ORG, BANKING_BUYING, today)  # reads the catalog once for this revision
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        panel = service.recommend(ORG, BANKING_BUYING, today)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert suggested_ids(panel) == ["a", "b"]
    assert len(statements) == 1, statements


def test_the_previous_path_reads_display_fields_per_view(sessions, taxonomy, publish,
                                                         module_factory, engine, today):
    """BEINSPIRED_PANEL_CACHES=false, the benchmark's same-run baseline, still works alike."""
    publish(module_factory("a", title="Old title", tags={"industry": "Banking"}))
    service = RecommendationService(sessions, taxonomy, display_in_memory=False)
    cached = RecommendationService(sessions, taxonomy)
    assert service.recommend(ORG, BANKING_BUYING, today) == cached.recommend(
        ORG, BANKING_BUYING, today)
    publish(module_factory("a", title="New title", tags={"industry": "Banking"}))
    assert service.recommend(ORG, BANKING_BUYING, today).client_facing[0].title == "New title"


def test_unknown_crm_value_matches_no_tag_but_module_for_any_still_shows(service, publish, module_factory, today):
    publish(module_factory("banking", tags={"industry": "Banking"}), module_factory("generic"))
    context = OpportunityContext(industry="Space Mining", journey_phase="buying")
    assert suggested_ids(service.recommend(ORG, context, today)) == ["generic"]


def test_tag_labels_are_the_words_a_rep_reads(taxonomy):
    labels = tag_labels(taxonomy)
    assert labels["journey_phase"]["implementation_adoption"] == "Implementation & adoption phase"
    assert labels["challenge"]["risk_compliance"] == "Risk & compliance"
    assert labels["deal_size"]["large"] == "Large deal"
    assert labels["buyer_role"]["Economic Buyer"] == "Economic Buyer"


@pytest.fixture
def outage(sessions):
    """Sessions that reach the test's database until ``outage.cut()``; then a PostgreSQL that
    refuses connections (nothing listens on port 1), as the service sees a database outage."""
    unreachable = session_factory(
        create_engine("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=1"))

    class Outage:
        down = False

        def __call__(self):
            return unreachable() if self.down else sessions()

        def cut(self):
            self.down = True

    yield Outage()
    unreachable.kw["bind"].dispose()


@pytest.mark.parametrize("display_in_memory", [True, False])
def test_while_the_database_is_unreachable_the_catalog_last_shown_serves_the_view(
        outage, taxonomy, publish, module_factory, today, display_in_memory):
    publish(module_factory("banking-case", tags={"industry": "Banking"}), module_factory("general"))
    service = RecommendationService(outage, taxonomy, k_client_facing=5, k_internal=3,
                                    display_in_memory=display_in_memory)
    before = service.recommend(ORG, BANKING_BUYING, today)
    outage.cut()
    during = service.recommend(ORG, BANKING_BUYING, today)
    assert during.from_memory and not before.from_memory
    assert suggested_ids(during) == suggested_ids(before) == ["banking-case", "general"]


def test_without_a_catalog_in_memory_an_unreachable_database_is_said_so(
        outage, taxonomy, publish, module_factory, today):
    publish(module_factory("banking-case", tags={"industry": "Banking"}))
    service = RecommendationService(outage, taxonomy, k_client_facing=5, k_internal=3)
    outage.cut()
    with pytest.raises(CatalogUnavailable):
        service.recommend(ORG, BANKING_BUYING, today)
