"""Loss figures from reviews: counts by stage and reason, gaps where reps missed content and no
module is tagged for the stage, content in lost deals vs won; never anything per rep."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from content_catalog.loss_reviews import EngagedDeals, LossReason, LossReview
from content_catalog.taxonomy import Dimension, default_taxonomy
from plugin.analytics.loss_figures import LossReport, covering_modules, loss_report

STAGES = ("Prospecting", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review")
REASONS = (LossReason("price", "Price"), LossReason("competitor", "Lost to a competitor"))
KNOWN = {r.key: r for r in REASONS} | {"old": LossReason("old", "Old reason", retired=True)}
AT = datetime(2026, 6, 1, tzinfo=timezone.utc)


def review(n: int, stage: str, reason: str, missing: str = "", used=(), author: str = "005REP") -> LossReview:
    return LossReview(f"006A{n:014d}", stage, reason, tuple(used), missing, author_id=author,
                      created_at=AT, updated_at=AT.replace(day=n % 28 + 1))


def report(reviews, modules=(), engaged=None) -> LossReport:
    taxonomy = default_taxonomy().with_stage_order(STAGES)
    engaged = engaged or EngagedDeals({}, {}, 0, len(reviews))
    return loss_report(reviews, KNOWN, REASONS, list(modules), engaged,
                       {"roi": "ROI calculator"}, taxonomy)


def test_losses_are_counted_by_stage_in_pipeline_order_and_by_reason(module_factory):
    figures = report([review(1, "Negotiation/Review", "price"), review(2, "Needs Analysis", "price"),
                      review(3, "Needs Analysis", "competitor")])
    assert [(s.stage, s.losses) for s in figures.stages] == [("Needs Analysis", 2), ("Negotiation/Review", 1)]
    assert [(r.reason.key, r.losses, round(r.share, 2)) for r in figures.reasons] == [
        ("price", 2, 0.67), ("competitor", 1, 0.33)]
    assert figures.cell("Needs Analysis", "competitor").losses == 1


def test_a_gap_is_missing_content_where_no_module_is_tagged_for_the_stage(module_factory):
    tagged = module_factory(key="nego", tags={Dimension.DEAL_STAGE: ("Negotiation/Review",)})
    figures = report([
        review(1, "Negotiation/Review", "price", missing="A discount playbook"),
        review(2, "Needs Analysis", "price", missing="A <b>discovery</b> guide"),
        review(3, "Needs Analysis", "price"),
        review(4, "Needs Analysis", "competitor"),
    ], modules=[tagged])
    assert [(c.stage, c.reason, c.with_missing, c.losses) for c in figures.gaps] == [
        ("Needs Analysis", "price", 1, 2)]
    assert figures.gaps[0].missing_texts == (("A <b>discovery</b> guide", 1),)
    assert not figures.cell("Negotiation/Review", "price").gap  # a module covers the stage
    assert not figures.cell("Needs Analysis", "competitor").gap  # nothing said missing


def test_only_a_module_tagged_for_the_stage_covers_it(module_factory):
    anything = module_factory(key="any")
    buying = module_factory(key="buying", tags={Dimension.JOURNEY_PHASE: ("buying",)})
    proposal = module_factory(key="proposal", tags={Dimension.DEAL_STAGE: ("Proposal/Price Quote",)})
    assert covering_modules("Proposal/Price Quote", [anything, buying]) == 0
    assert covering_modules("Proposal/Price Quote", [anything, buying, proposal]) == 1


def test_the_same_missing_text_is_listed_once_with_how_many_said_it():
    figures = report([review(1, "Qualification", "price", missing="A one-pager"),
                      review(2, "Qualification", "price", missing="A TCO sheet"),
                      review(3, "Qualification", "price", missing="A one-pager")])
    assert figures.cell("Qualification", "price").missing_texts == (
        ("A one-pager", 2), ("A TCO sheet", 1))
    assert figures.cell("Qualification", "price").with_missing == 3


def test_a_retired_reason_still_counts_under_its_label():
    figures = report([review(1, "Prospecting", "old")])
    assert [(r.reason.label, r.reason.retired, r.losses) for r in figures.reasons][-1] == (
        "Old reason", True, 1)


def test_content_in_lost_and_won_deals_has_its_denominators_and_review_mentions():
    engaged = EngagedDeals(won={"roi": {"w1", "w2"}}, lost={"roi": {"l1"}}, won_deals=4, lost_deals=2)
    [row] = report([review(1, "Prospecting", "price", used=["roi"])], engaged=engaged).content
    assert (row.title, row.won, row.lost, row.named_in_reviews) == ("ROI calculator", 2, 1, 1)
    assert row.won_share.estimate == 0.5 and row.lost_share.estimate == 0.5
    assert row.won_share.low < 0.5 < row.won_share.high


def test_no_figure_names_or_groups_by_the_reviews_author():
    figures = report([review(1, "Prospecting", "price", author="005SECRETREP0001")])
    assert "005SECRETREP0001" not in repr(figures)
    assert not any("author" in f.name or "rep" == f.name for f in dataclasses.fields(LossReport))
