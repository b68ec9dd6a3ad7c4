"""The coverage map: which phase × role cells the panel could fill, by the ranker's rules."""
from dataclasses import fields
from datetime import date

import pytest

from content_catalog.coverage import CoverageFilter, coverage_map, past_review
from content_catalog.modules import ContentModule
from content_catalog.taxonomy import ModuleKind, ModuleStatus

AWARENESS, BUYING, ADOPTION = "awareness", "buying", "implementation_adoption"
ECONOMIC, TECHNICAL = "Economic Buyer", "Technical Buyer"


@pytest.fixture
def stored(module_factory):
    """Modules as the catalog hands them out (ContentModule), built from the shared factory."""

    def make(key, **fields_):
        module = module_factory(key, **fields_)
        return ContentModule(**{f.name: getattr(module, f.name) for f in fields(module)})

    return make


def cell_keys(coverage, phase, role):
    return coverage.cell(phase, role).module_keys


def test_rows_are_phases_and_columns_are_roles_in_taxonomy_order(taxonomy, today):
    coverage = coverage_map([], taxonomy, today=today)
    assert coverage.phases == (AWARENESS, BUYING, ADOPTION)
    assert coverage.roles[:3] == ("Business User", "Decision Maker", "Economic Buyer")
    assert len(coverage.cells) == 3 * len(coverage.roles)
    assert [[c.role for c in row] for row in coverage.rows()][0] == list(coverage.roles)
    assert {cell.level for cell in coverage.cells.values()} == {"empty"}


def test_a_module_tagged_for_a_cell_counts_there_and_any_counts_everywhere(stored, taxonomy, today):
    coverage = coverage_map([
        stored("exact", tags={"journey_phase": "buying", "buyer_role": ECONOMIC}),
        stored("generic"),
    ], taxonomy, today=today)  # fmt: skip
    assert cell_keys(coverage, BUYING, ECONOMIC) == ("exact", "generic")
    assert cell_keys(coverage, BUYING, TECHNICAL) == ("generic",)
    assert cell_keys(coverage, AWARENESS, ECONOMIC) == ("generic",)
    assert all(cell.count >= 1 for cell in coverage.cells.values())


def test_a_phase_conflict_excludes_the_module_from_that_row(stored, taxonomy, today):
    coverage = coverage_map(
        [stored("awareness-only", tags={"journey_phase": "awareness"})], taxonomy, today=today
    )
    assert coverage.cell(AWARENESS, ECONOMIC).count == 1
    assert coverage.cell(BUYING, ECONOMIC).count == 0
    assert coverage.cell(ADOPTION, TECHNICAL).count == 0


def test_a_module_tagged_for_several_roles_counts_in_each(stored, taxonomy, today):
    coverage = coverage_map(
        [stored("two-roles", tags={"buyer_role": [ECONOMIC, TECHNICAL]})], taxonomy, today=today
    )
    counted = {role for (phase, role), cell in coverage.cells.items() if cell.count}
    assert counted == {ECONOMIC, TECHNICAL}


def test_only_published_unexpired_modules_count(stored, taxonomy, today):
    coverage = coverage_map([
        stored("draft", status=ModuleStatus.DRAFT),
        stored("retired", status=ModuleStatus.RETIRED),
        stored("expired", review_by=date(2026, 6, 14)),
        stored("due-today", review_by=today),
    ], taxonomy, today=today)  # fmt: skip
    assert cell_keys(coverage, BUYING, ECONOMIC) == ("due-today",)


def test_industry_filter_excludes_modules_for_other_industries(stored, taxonomy, today):
    modules = [
        stored("banking", tags={"industry": "Banking"}),
        stored("healthcare", tags={"industry": "Healthcare"}),
        stored("any-industry"),
    ]
    coverage = coverage_map(modules, taxonomy, CoverageFilter(industry="banking"), today=today)
    assert cell_keys(coverage, BUYING, ECONOMIC) == ("any-industry", "banking")


def test_an_unknown_industry_is_covered_by_generic_modules_only(stored, taxonomy, today):
    modules = [stored("banking", tags={"industry": "Banking"}), stored("any-industry")]
    unknown = CoverageFilter(industry="Aerospace & Defense")
    coverage = coverage_map(modules, taxonomy, unknown, today=today)
    assert cell_keys(coverage, AWARENESS, TECHNICAL) == ("any-industry",)


def test_stage_and_challenge_conflicts_still_count_but_are_marked(stored, taxonomy, today):
    modules = [
        stored("other-stage", tags={"deal_stage": "Prospecting"}),
        stored("other-challenge", tags={"challenge": "growth"}),
        stored("right-stage", tags={"deal_stage": "Negotiation/Review"}),
    ]
    wanted = CoverageFilter(stage="negotiation/review", challenge="efficiency")
    cell = coverage_map(modules, taxonomy, wanted, today=today).cell(BUYING, ECONOMIC)
    assert cell.module_keys == ("other-challenge", "other-stage", "right-stage")
    assert cell.penalised == ("other-challenge", "other-stage")


def test_kind_filter_counts_only_those_kinds(stored, taxonomy, today):
    modules = [stored("case"), stored("card", kind=ModuleKind.BATTLE_CARD)]
    battle_cards = CoverageFilter(kinds=(ModuleKind.BATTLE_CARD,))
    coverage = coverage_map(modules, taxonomy, battle_cards, today=today)
    assert cell_keys(coverage, BUYING, ECONOMIC) == ("card",)


@pytest.mark.parametrize("count, level", [(0, "empty"), (1, "thin"), (2, "thin"), (3, "ok")])
def test_levels_follow_the_thin_threshold(stored, taxonomy, today, count, level):
    modules = [stored(f"m{n}") for n in range(count)]
    cell = coverage_map(modules, taxonomy, today=today, thin_below=3).cell(BUYING, ECONOMIC)
    assert (cell.count, cell.level) == (count, level)


def test_default_threshold_calls_one_module_thin_and_two_ok(stored, taxonomy, today):
    one = coverage_map([stored("a")], taxonomy, today=today).cell(BUYING, ECONOMIC)
    two = coverage_map([stored("a"), stored("b")], taxonomy, today=today).cell(BUYING, ECONOMIC)
    assert (one.level, two.level, one.penalised) == ("thin", "ok", ())


def test_threshold_below_one_is_refused(taxonomy, today):
    with pytest.raises(ValueError, match="thin_below"):
        coverage_map([], taxonomy, today=today, thin_below=0)


def test_past_review_lists_published_overdue_modules_oldest_first(stored, today):
    modules = [
        stored("recent", review_by=date(2026, 6, 1)),
        stored("old-b", review_by=date(2025, 1, 1)),
        stored("old-a", review_by=date(2025, 1, 1)),
        stored("due-today", review_by=today),
        stored("no-date"),
        stored("draft", review_by=date(2024, 1, 1), status=ModuleStatus.DRAFT),
        stored("retired", review_by=date(2024, 1, 1), status=ModuleStatus.RETIRED),
    ]
    assert [m.key for m in past_review(modules, today)] == ["old-a", "old-b", "recent"]
