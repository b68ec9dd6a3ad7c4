"""Searching an org's catalog, on SQLite and PostgreSQL: every filter, sort and page in SQL."""
from datetime import date

import pytest
from sqlalchemy import func, select

from content_catalog.tables.catalog_tables import ModuleRow
from content_catalog.queries import MAX_PAGE_SIZE, ModulePage, ModuleQuery, escape_like
from content_catalog.repository import CatalogRepository, ensure_org
from content_catalog.taxonomy import Audience, Dimension, ModuleKind, ModuleStatus

ORG_A = "00DA0000000AaaaMAC"
ORG_B = "00DB0000000BbbbMAC"
D = Dimension


@pytest.fixture
def catalog(session, module_factory):
    ensure_org(session, ORG_A, "Acme")
    ensure_org(session, ORG_B, "Globex")
    repository = CatalogRepository(session, ORG_A)
    repository.upsert_many([
        module_factory("bank-case", title="Bank onboarding", summary="Onboarding in 3 days.",
                       tags={"industry": "Banking", "buyer_role": "Economic Buyer"},
                       author="Ann Lee", review_by=date(2026, 9, 30)),
        module_factory("insurer-case", title="insurer claims", body="Claims handled in hours.",
                       tags={"industry": ["Insurance", "Finance"]}, author="Bob Stone",
                       review_by=date(2026, 3, 1)),
        module_factory("generic-value", title="Why change now", kind=ModuleKind.VALUE_MESSAGE,
                       summary="Über alles: the cost of waiting.", author="ann lee"),
        module_factory("battle", title="Battle card vs. Rival", kind=ModuleKind.BATTLE_CARD,
                       audience=Audience.INTERNAL, status=ModuleStatus.DRAFT,
                       tags={"buyer_role": "Technical Buyer"}, author="Carol",
                       review_by=date(2026, 6, 15)),
        module_factory("retired-deck", title="Old deck", kind=ModuleKind.PRESENTATION,
                       status=ModuleStatus.RETIRED, body="100% growth_rate", author="Bob Stone"),
    ])  # fmt: skip
    CatalogRepository(session, ORG_B).upsert_many([
        module_factory("globex-bank", title="Bank onboarding at Globex", author="Globex author",
                       tags={"industry": "Banking"}),
    ])  # fmt: skip
    session.commit()
    return repository


def keys(page: ModulePage) -> list[str]:
    return [m.key for m in page.items]


def search(catalog, **query) -> list[str]:
    return keys(catalog.search(ModuleQuery(**query)))


# -- filters -------------------------------------------------------------------------------------
def test_no_filter_lists_the_orgs_modules_by_title(catalog):
    page = catalog.search(ModuleQuery())
    assert keys(page) == ["bank-case", "battle", "insurer-case", "retired-deck", "generic-value"]
    assert (page.total, page.page, page.pages) == (5, 1, 1)


def test_tag_filter_matches_any_of_the_values(catalog):
    assert search(catalog, tags={D.INDUSTRY: ("Banking",)}) == ["bank-case"]
    either = {D.INDUSTRY: ("Banking", "Finance")}
    assert search(catalog, tags=either) == ["bank-case", "insurer-case"]


def test_untagged_matches_lets_modules_meant_for_any_value_through(catalog):
    assert search(catalog, tags={D.INDUSTRY: ("Banking",)}, untagged_matches=True) == [
        "bank-case", "battle", "retired-deck", "generic-value"
    ]


def test_filters_on_two_dimensions_must_both_hold(catalog):
    both = {D.INDUSTRY: ("Banking", "Insurance"), D.BUYER_ROLE: ("Economic Buyer",)}
    assert search(catalog, tags=both) == ["bank-case"]
    assert search(catalog, tags=both, untagged_matches=True) == [
        "bank-case", "insurer-case", "retired-deck", "generic-value"
    ]


def test_a_dimension_with_no_values_chosen_does_not_filter(catalog):
    assert catalog.search(ModuleQuery(tags={D.INDUSTRY: ()})).total == 5


def test_status_kind_and_audience_filters(catalog):
    assert search(catalog, statuses=(ModuleStatus.DRAFT, ModuleStatus.RETIRED)) == [
        "battle", "retired-deck"
    ]
    assert search(catalog, kinds=(ModuleKind.VALUE_MESSAGE,)) == ["generic-value"]
    assert search(catalog, audiences=(Audience.INTERNAL,)) == ["battle"]
    assert search(catalog, statuses=("published",), kinds=("case_study",)) == [
        "bank-case", "insurer-case"
    ]


def test_author_filter_is_a_case_insensitive_part_of_the_name(catalog):
    assert search(catalog, author="ANN") == ["bank-case", "generic-value"]
    assert search(catalog, author="  stone ") == ["insurer-case", "retired-deck"]


def test_review_dates_are_inclusive_and_leave_out_modules_without_one(catalog):
    assert search(catalog, review_before=date(2026, 6, 15)) == ["battle", "insurer-case"]
    assert search(catalog, review_after=date(2026, 6, 15)) == ["bank-case", "battle"]
    assert search(catalog, review_after=date(2026, 6, 1), review_before=date(2026, 7, 1)) == [
        "battle"
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("onboarding", ["bank-case"]),  # title and summary
        ("CLAIMS HANDLED", ["insurer-case"]),  # body, any case
        ("insurer-case", ["insurer-case"]),  # module id
        ("über", ["generic-value"]),  # case folding beyond ASCII, on SQLite too
        ("ÜBER", ["generic-value"]),
        ("bank rival", []),  # every word must appear
        ("card rival", ["battle"]),
    ],
)
def test_text_search_looks_in_title_summary_body_and_id(catalog, text, expected):
    assert search(catalog, text=text) == expected


def test_text_search_finds_tag_values_only_when_asked(catalog):
    assert search(catalog, text="economic buyer") == []
    assert search(catalog, text="economic buyer", text_in_tags=True) == ["bank-case"]
    assert search(catalog, text="FINANCE claims", text_in_tags=True) == ["insurer-case"]
    assert search(catalog, text="banking", text_in_tags=True) == ["bank-case"]  # not Globex's


@pytest.mark.parametrize(
    "text, expected",
    [
        ("%", ["retired-deck"]),  # a literal percent sign, not "anything"
        ("_", ["retired-deck"]),  # a literal underscore, not "any character"
        ("100%", ["retired-deck"]),
        ("h_wth", []),
        ("\\", []),
        ("%_\\'; DROP TABLE content_modules; --", []),
        ("' OR '1'='1", []),
    ],
)
def test_hostile_search_text_is_matched_literally(catalog, session, text, expected):
    assert search(catalog, text=text) == expected
    assert session.scalar(select(func.count()).select_from(ModuleRow)) == 6


def test_like_wildcards_are_escaped():
    assert escape_like("50%_a\\b") == "50\\%\\_a\\\\b"


def test_blank_text_and_author_do_not_filter(catalog):
    assert catalog.search(ModuleQuery(text="   ", author="")).total == 5


# -- sort and pages ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sort, descending, expected",
    [
        ("title", True, ["generic-value", "retired-deck", "insurer-case", "battle", "bank-case"]),
        ("author", False, ["bank-case", "generic-value", "insurer-case", "retired-deck", "battle"]),
        ("kind", False, ["battle", "bank-case", "insurer-case", "retired-deck", "generic-value"]),
        ("status", False, ["battle", "bank-case", "generic-value", "insurer-case", "retired-deck"]),
        ("review_by", False,
         ["insurer-case", "battle", "bank-case", "generic-value", "retired-deck"]),
        ("review_by", True,
         ["bank-case", "battle", "insurer-case", "generic-value", "retired-deck"]),
    ],
)
def test_sort_orders_ties_by_module_id_and_empty_dates_last(
    catalog, sort, descending, expected
):
    assert search(catalog, sort=sort, descending=descending) == expected


def test_sort_by_version_and_by_last_update(catalog, module_factory, session):
    changed = module_factory(
        "generic-value", title="Why change now", summary="v2", kind=ModuleKind.VALUE_MESSAGE,
        author="ann lee",
    )
    catalog.upsert_many([changed])
    session.commit()
    assert search(catalog, sort="version", descending=True)[0] == "generic-value"
    assert search(catalog, sort="updated_at", descending=True)[0] == "generic-value"
    assert search(catalog, sort="updated_at")[-1] == "generic-value"


def test_pages_cut_the_sorted_result_and_count_every_match(catalog):
    pages = [catalog.search(ModuleQuery(page=n, page_size=2)) for n in (1, 2, 3, 4)]
    assert [keys(p) for p in pages] == [
        ["bank-case", "battle"], ["insurer-case", "retired-deck"], ["generic-value"], []
    ]
    assert {(p.total, p.pages, p.page_size) for p in pages} == {(5, 3, 2)}


def test_an_empty_result_is_one_empty_page(catalog):
    page = catalog.search(ModuleQuery(text="nothing like this"))
    assert (page.items, page.total, page.pages) == ((), 0, 1)


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(page=0), "page: must be a whole number from 1"),
        (dict(page_size=0), f"page_size: must be a whole number from 1 to {MAX_PAGE_SIZE}"),
        (dict(page_size=MAX_PAGE_SIZE + 1), "page_size: must be a whole number from 1 to 200"),
        (dict(page="2"), "page: must be a whole number"),
        (dict(sort="pk"), "sort: 'pk' is not one of title, updated_at"),
        (dict(statuses=("archived",)), "statuses: 'archived' is not one of draft, published"),
        (dict(kinds=("memo",)), "kinds: 'memo' is not one of case_study"),
        (dict(tags={"colour": ("red",)}), "tags: 'colour' is not one of journey_phase"),
        (dict(review_after=date(2027, 1, 2), review_before=date(2027, 1, 1)), "review_after"),
        (dict(text=" ".join(["w"] * 21)), "text: search for at most 20 words"),
    ],
)
def test_bad_query_is_refused_with_a_clear_message(bad, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", "\\(")):
        ModuleQuery(**bad)


def test_query_values_given_as_strings_are_read_as_the_domains_values():
    query = ModuleQuery(tags={"industry": "Banking"}, statuses="draft", kinds=["battle_card"])
    assert query.tags == {D.INDUSTRY: ("Banking",)}
    assert (query.statuses, query.kinds) == ((ModuleStatus.DRAFT,), (ModuleKind.BATTLE_CARD,))


# -- tenancy and authors -------------------------------------------------------------------------
def test_search_never_shows_another_orgs_modules(catalog):
    assert search(catalog, text="globex") == []
    assert search(catalog, tags={D.INDUSTRY: ("Banking",)}) == ["bank-case"]
    other = CatalogRepository(catalog.session, ORG_B)
    assert keys(other.search(ModuleQuery(text="bank onboarding"))) == ["globex-bank"]


def test_authors_are_listed_once_in_reading_order_per_org(catalog):
    assert catalog.authors() == ["Ann Lee", "ann lee", "Bob Stone", "Carol"]
    assert CatalogRepository(catalog.session, ORG_B).authors() == ["Globex author"]
