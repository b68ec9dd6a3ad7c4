"""The demo's simulated loss reviews: most simulated lost deals reviewed, Quorra's by its owner,
the demo rep's own (Solano) left awaiting, and a second run writes nothing (both databases)."""
from __future__ import annotations

from datetime import date

import pytest

from content_catalog.database import session_factory
from content_catalog.deal_outcomes import DealOutcomes
from content_catalog.loss_reviews import LossReviews
from plugin.crm.demo_org import DEMO_ORG_ID, load_demo_catalog
from plugin.deals.lost_deals import review_stages
from plugin.learning.demo_history import seed_demo_history
from plugin.learning.demo_loss_reviews import REVIEWED_BUNDLED, seed_demo_loss_reviews
from plugin.crm.demo_org import DemoOrg

SOLANO = "006Dn0000LygderIQA"  # the demo rep's own lost deal
LUKAS = "0055e00000LUKABAA5"  # Quorra's owner


@pytest.fixture
def sessions(engine, taxonomy):
    sessions = session_factory(engine)
    load_demo_catalog(engine, sessions, taxonomy)
    seed_demo_history(sessions, taxonomy, today=date(2026, 11, 23), weeks=10, seed=5,
                      views_per_week=10)
    return sessions


def test_the_demo_lost_deals_get_reviews_once_and_one_bundled_deal_awaits_the_rep(sessions, taxonomy):
    demo_taxonomy = taxonomy.with_stage_order(
        ["Prospecting", "Qualification", "Needs Analysis", "Security Review", "Negotiation/Review",
         "Closed Won", "Closed Lost"])
    first = seed_demo_loss_reviews(sessions, demo_taxonomy)
    again = seed_demo_loss_reviews(sessions, demo_taxonomy)
    with sessions() as session:
        reviews = {r.opportunity_id: r for r in LossReviews(session, DEMO_ORG_ID).all()}
        lost = [o for o in DealOutcomes(session, DEMO_ORG_ID).by_opportunity().values() if not o.won]
    assert first.written == len(reviews) > 1 and again.written == 0
    assert reviews[REVIEWED_BUNDLED].author_id == LUKAS
    assert SOLANO not in reviews
    assert len(reviews) < len(lost) + 1  # not every simulated rep wrote one
    stages = set(review_stages(demo_taxonomy, DemoOrg().opportunities()[0])) | {"Negotiation/Review"}
    assert all(r.stalled_stage in stages for r in reviews.values())
    assert any(r.missing for r in reviews.values())
