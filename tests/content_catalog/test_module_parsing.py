from datetime import date

import pytest

from content_catalog.modules import (
    ContentModule,
    FieldError,
    ModuleValidationError,
    module_to_dict,
    parse_module,
)
from content_catalog.taxonomy import Audience, Dimension, ModuleKind, ModuleStatus


def raw_module(**overrides):
    """The documented JSON shape, minimal and valid; overrides replace or (with None) remove keys."""
    raw = {
        "id": "roi-case-study",
        "title": "How a bank cut onboarding time",
        "author": "Dana from Enablement",
        "kind": "case_study",
        "audience": "client_facing",
    }
    raw.update(overrides)
    return {k: v for k, v in raw.items() if v is not None}


def errors_of(raw, taxonomy) -> dict[str, FieldError]:
    with pytest.raises(ModuleValidationError) as raised:
        parse_module(raw, taxonomy)
    return {error.field: error for error in raised.value.errors}


def test_valid_module_parses_into_typed_input(taxonomy):
    module = parse_module(
        raw_module(
            title="  How a bank cut onboarding time  ",
            review_by="2026-12-31",
            link="https://intranet.example.com/cases/42",
            tags={"industry": ["banking"], "buyer_role": ["technical buyer", "Evaluator"],
                  "challenge": "Efficiency", "journey_phase": ["buying"]},
        ),
        taxonomy,
    )  # fmt: skip
    assert module.key == "roi-case-study"
    assert module.title == "How a bank cut onboarding time"
    assert module.kind is ModuleKind.CASE_STUDY and module.audience is Audience.CLIENT_FACING
    assert module.status is ModuleStatus.DRAFT  # nothing is published by accident
    assert module.review_by == date(2026, 12, 31)
    assert module.tag_values(Dimension.INDUSTRY) == ("Banking",)
    assert module.tag_values(Dimension.BUYER_ROLE) == ("Technical Buyer", "Evaluator")
    assert module.tag_values(Dimension.CHALLENGE) == ("efficiency",)
    assert module.tag_values(Dimension.DEAL_SIZE) == ()


def test_missing_required_fields_are_all_reported_at_once(taxonomy):
    errors = errors_of({}, taxonomy)
    assert set(errors) == {"id", "title", "author", "kind", "audience"}
    assert "battle_card" in errors["kind"].allowed
    assert errors["audience"].allowed == ["client_facing", "internal"]


def test_blank_required_text_counts_as_missing(taxonomy):
    assert errors_of(raw_module(title="   "), taxonomy)["title"].message == "is required"


@pytest.mark.parametrize("key", ["Case-Study", "-leading-hyphen", "a" * 65, "has space", "café", "snake_case", "a/b"])
def test_module_key_must_be_a_lowercase_slug(taxonomy, key):
    assert "id" in errors_of(raw_module(id=key), taxonomy)


@pytest.mark.parametrize("key", ["a", "a" * 64, "0-day-playbook"])
def test_module_key_accepts_slugs_up_to_64_characters(taxonomy, key):
    assert parse_module(raw_module(id=key), taxonomy).key == key


def test_unknown_tag_value_is_rejected_with_the_allowed_values(taxonomy):
    error = errors_of(raw_module(tags={"industry": ["Banking", "Space Mining"]}), taxonomy)["tags.industry"]
    assert error.value == "Space Mining"
    assert "Banking" in error.allowed and "Healthcare" in error.allowed


def test_unknown_tag_dimension_is_rejected(taxonomy):
    error = errors_of(raw_module(tags={"favourite_colour": ["blue"]}), taxonomy)["tags"]
    assert error.value == "favourite_colour"
    assert "industry" in error.allowed


@pytest.mark.parametrize("values", [[1], [None], {"a": "b"}, 7, [["Banking"]]])
def test_tag_values_must_be_strings(taxonomy, values):
    assert "tags.industry" in errors_of(raw_module(tags={"industry": values}), taxonomy)


def test_tags_must_be_an_object(taxonomy):
    assert "tags" in errors_of(raw_module(tags=["industry", "Banking"]), taxonomy)


def test_empty_tag_list_means_any(taxonomy):
    module = parse_module(raw_module(tags={"industry": [], "challenge": ["growth"]}), taxonomy)
    assert Dimension.INDUSTRY not in module.tags
    assert module.tag_values(Dimension.INDUSTRY) == ()


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        " JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "ftp://files.example.com/deck.pptx",
        "file:///etc/passwd",
        "https:///no-host",
        "//example.com/deck",
        "intranet/deck",
        "https://example.com/" + "x" * 2000,
        42,
    ],
)
def test_link_must_be_an_http_https_or_mailto_url(taxonomy, link):
    assert "link" in errors_of(raw_module(link=link), taxonomy)


@pytest.mark.parametrize("link", ["https://example.com/deck?x=1#p2", "HTTP://EXAMPLE.COM", "mailto:enablement@example.com"])
def test_safe_links_are_kept(taxonomy, link):
    assert parse_module(raw_module(link=link), taxonomy).link == link


@pytest.mark.parametrize(("name", "limit"), [("title", 200), ("summary", 1000), ("author", 200)])
def test_overlong_text_is_rejected(taxonomy, name, limit):
    assert parse_module(raw_module(**{name: "x" * limit}), taxonomy)
    assert name in errors_of(raw_module(**{name: "x" * (limit + 1)}), taxonomy)


def test_body_may_be_long_but_not_unbounded(taxonomy):
    assert len(parse_module(raw_module(body="x" * 100_000), taxonomy).body) == 100_000
    assert "body" in errors_of(raw_module(body="x" * 100_001), taxonomy)


def test_nul_character_is_rejected(taxonomy):
    assert "summary" in errors_of(raw_module(summary="fine\x00then not"), taxonomy)


@pytest.mark.parametrize("value", [5, ["a title"], {"en": "a title"}, True])
def test_text_fields_must_be_strings(taxonomy, value):
    assert errors_of(raw_module(title=value), taxonomy)["title"].message == "must be a string"


@pytest.mark.parametrize("value", ["case-study", "CASE_STUDY", ["case_study"], {"kind": "case_study"}, 3])
def test_kind_outside_the_list_is_rejected_not_crashed(taxonomy, value):
    assert "kind" in errors_of(raw_module(kind=value), taxonomy)


@pytest.mark.parametrize("value", ["31/12/2026", "2026-02-30", "next year", "2026-13-01"])
def test_invalid_review_date_is_rejected(taxonomy, value):
    assert "review_by" in errors_of(raw_module(review_by=value), taxonomy)


@pytest.mark.parametrize("raw", [[], "a module", None, 3])
def test_input_that_is_not_an_object_is_rejected(taxonomy, raw):
    with pytest.raises(ModuleValidationError) as raised:
        parse_module(raw, taxonomy)
    assert [e.field for e in raised.value.errors] == ["module"]


def test_title_is_trimmed_but_body_whitespace_is_kept(taxonomy):
    body = "  Step 1\n\n    indented code\n"
    module = parse_module(raw_module(title=" Title ", body=body), taxonomy)
    assert module.title == "Title"
    assert module.body == body


def test_hostile_text_is_stored_verbatim_for_the_renderer_to_escape(taxonomy):
    hostile = "<script>alert(1)</script> {{ config }} {% raw %}"
    module = parse_module(raw_module(title=hostile, summary=hostile, body=hostile), taxonomy)
    assert (module.title, module.summary, module.body) == (hostile, hostile, hostile)


def test_module_survives_a_trip_through_its_json_shape(taxonomy, module_factory):
    module = module_factory(
        "renewal-playbook",
        title="Renewal playbook",
        summary="What to do 90 days out.",
        body="  Call the sponsor.\n",
        kind=ModuleKind.PLAYBOOK,
        audience=Audience.INTERNAL,
        status=ModuleStatus.RETIRED,
        link="mailto:renewals@example.com",
        review_by=date(2027, 1, 31),
        tags={"buyer_role": ["Executive Sponsor", "Economic Buyer"], "deal_size": "large"},
    )
    assert parse_module(module_to_dict(module), taxonomy) == module


def test_stored_module_json_adds_version_and_update_time(module_factory):
    stored = ContentModule(**vars(module_factory("x")), version=3)
    out = module_to_dict(stored)
    assert out["version"] == 3 and "updated_at" in out
    assert "version" not in module_to_dict(module_factory("x"))


def test_error_dict_lists_only_what_is_known():
    assert FieldError("title", "is required").as_dict() == {"field": "title", "message": "is required"}
    assert FieldError("kind", "bad", "x", ["a"]).as_dict() == {
        "field": "kind", "message": "bad", "value": "x", "allowed": ["a"]
    }  # fmt: skip


@pytest.mark.parametrize(
    ("review_by", "expired"),
    [(None, False), (date(2026, 6, 14), True), (date(2026, 6, 15), False), (date(2026, 6, 16), False)],
)
def test_module_expires_the_day_after_its_review_date(module_factory, today, review_by, expired):
    module = ContentModule(**vars(module_factory("x", review_by=review_by)))
    assert module.is_expired(today) is expired


def test_reserved_id_new_is_refused_because_it_names_the_new_module_form(taxonomy):
    from content_catalog.modules import ModuleValidationError, parse_module

    raw = {"id": "new", "title": "T", "author": "A", "kind": "case_study", "audience": "client_facing"}
    with pytest.raises(ModuleValidationError) as refused:
        parse_module(raw, taxonomy)
    assert [(e.field, e.message) for e in refused.value.errors] == [("id", "is reserved; choose another id")]
