"""Loss reviews, loss reasons and one deal's trail in the panel's log, on SQLite and PostgreSQL."""
from datetime import datetime, timedelta, timezone

import pytest

from content_catalog.deal_outcomes import DealOutcome, DealOutcomes
from content_catalog.events import EventKind, Impression, PanelEvent, PanelEventLog, add_impressions
from content_catalog.loss_reviews import (
    DEFAULT_LOSS_REASONS, LossReasons, LossReview, LossReviews, deal_trail, engaged_deals, reason_key,
)
from content_catalog.repository import ensure_org

ORG_A = "00DA0000000AaaaMAC"
ORG_B = "00DB0000000BbbbMAC"
LOST = "006A0000001AbcdIAA"
WON = "006A0000001AbceIAA"
REP = "005A0000001RepAIAA"
SHOWN = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def orgs(session):
    ensure_org(session, ORG_A, "Acme")
    ensure_org(session, ORG_B, "Globex")
    session.commit()
    return session


def review(**fields) -> LossReview:
    values = dict(opportunity_id=LOST, stalled_stage="Proposal/Price Quote", reason_key="price",
                  used_modules=("roi-calculator",), missing="A TCO comparison", author_id=REP)
    return LossReview(**{**values, **fields})


def shown(n: int, opportunity_id: str, module_key: str, stage: str, *, org_id: str = ORG_A) -> Impression:
    return Impression(
        impression_id=f"{n:032x}", org_id=org_id, view_id=f"{n:032x}", opportunity_id=opportunity_id,
        user_id=REP, module_key=module_key, audience="client_facing", position=1, score=1.0,
        propensity=1.0, explored=False, model_version="v1", context={"stage": stage},
        shown_at=SHOWN + timedelta(days=n))


def did(n: int, kind: EventKind, *, org_id: str = ORG_A) -> PanelEvent:
    return PanelEvent(event_id=f"{n:031x}{kind.value[0]}", impression_id=f"{n:032x}", kind=kind,
                      occurred_at=SHOWN + timedelta(days=n, minutes=1), user_id=REP)


def test_a_review_reads_back_as_it_was_saved_and_an_edit_keeps_its_first_date(orgs):
    reviews = LossReviews(orgs, ORG_A)
    first = reviews.save(review())
    orgs.commit()
    assert reviews.get(LOST) == first
    assert first.used_modules == ("roi-calculator",)
    edited = reviews.save(review(reason_key="timing", used_modules=(), missing=""))
    orgs.commit()
    again = reviews.get(LOST)
    assert (again.reason_key, again.used_modules, again.missing) == ("timing", (), "")
    assert again.created_at == first.created_at and again.updated_at >= first.updated_at
    assert edited == again
    assert [r.opportunity_id for r in reviews.all()] == [LOST]


def test_reviews_are_the_orgs_own(orgs):
    LossReviews(orgs, ORG_A).save(review())
    orgs.commit()
    assert LossReviews(orgs, ORG_B).get(LOST) is None
    assert LossReviews(orgs, ORG_B).all() == []


def test_an_org_that_never_edited_its_reasons_gets_the_defaults(orgs):
    listed = LossReasons(orgs, ORG_A).listed()
    assert [(r.key, r.label) for r in listed] == list(DEFAULT_LOSS_REASONS)


def test_replacing_the_reasons_keeps_known_keys_adds_new_ones_and_retires_the_rest(orgs):
    reasons = LossReasons(orgs, ORG_A)
    listed = reasons.replace(["Timing", "Price", "Budget frozen mid-deal"])
    orgs.commit()
    assert [(r.key, r.label) for r in listed] == [
        ("timing", "Timing"), ("price", "Price"), ("budget_frozen_mid_deal", "Budget frozen mid-deal")]
    known = reasons.known()
    assert known["competitor"].retired and known["competitor"].label == "Lost to a competitor"
    assert not known["price"].retired
    assert [r.key for r in LossReasons(orgs, ORG_B).listed()] == [k for k, _ in DEFAULT_LOSS_REASONS]


def test_a_reason_brought_back_gets_its_old_key(orgs):
    reasons = LossReasons(orgs, ORG_A)
    reasons.replace(["Price"])
    listed = reasons.replace(["Price", "Lost to a competitor"])
    assert [r.key for r in listed] == ["price", "competitor"]


def test_reason_keys_are_plain_and_bounded():
    assert reason_key("Lost to a competitor!") == "lost_to_a_competitor"
    assert reason_key("Économie") == "economie"
    assert reason_key("???") == "reason"
    assert len(reason_key("x" * 200)) <= 36


def test_a_deals_trail_lists_each_module_once_newest_first_with_what_the_rep_did(orgs):
    add_impressions(orgs, [
        shown(1, LOST, "case-study", "Needs Analysis"),
        shown(2, LOST, "roi-calculator", "Proposal/Price Quote"),
        shown(3, LOST, "case-study", "Closed Lost"),
        shown(4, WON, "battlecard", "Negotiation/Review"),
        shown(5, LOST, "other-orgs", "Prospecting", org_id=ORG_B),
    ])
    PanelEventLog(orgs, ORG_A).add_events([did(1, EventKind.OPEN), did(2, EventKind.HELPFUL)])
    orgs.commit()
    trail = deal_trail(orgs, ORG_A, LOST)
    assert [(m.module_key, m.engaged) for m in trail.shown] == [
        ("case-study", True), ("roi-calculator", False)]
    assert trail.stages_seen == ("Closed Lost", "Proposal/Price Quote", "Needs Analysis")


def test_a_deals_trail_reads_only_its_newest_impressions_and_ties_keep_the_views_order(orgs):
    view = SHOWN + timedelta(days=9)  # one view of three cards: the same time, ids in card order
    add_impressions(orgs, [
        shown(1, LOST, "oldest", "Prospecting"),
        shown(2, LOST, "case-study", "Needs Analysis"),
        *[Impression(**{**shown(n, LOST, key, "Proposal/Price Quote").__dict__, "shown_at": view})
          for n, key in ((5, "battlecard"), (6, "case-study"), (7, "roi-calculator"))],
    ])
    PanelEventLog(orgs, ORG_A).add_events([did(1, EventKind.OPEN)])  # on the oldest, outside
    orgs.commit()
    trail = deal_trail(orgs, ORG_A, LOST, limit=4)
    assert [(m.module_key, m.engaged) for m in trail.shown] == [
        ("battlecard", False), ("case-study", False), ("roi-calculator", False)]
    assert [m.last_shown for m in trail.shown] == [view, view, view]
    assert trail.stages_seen == ("Proposal/Price Quote", "Needs Analysis")
    assert deal_trail(orgs, ORG_A, LOST, limit=4, stages=False).stages_seen == ()
    assert deal_trail(orgs, ORG_B, LOST).shown == deal_trail(orgs, ORG_A, WON).shown == ()


def test_engaged_deals_count_each_module_once_per_closed_deal_by_outcome(orgs):
    add_impressions(orgs, [shown(1, LOST, "case-study", "Proposal/Price Quote"),
                           shown(2, LOST, "case-study", "Proposal/Price Quote"),
                           shown(3, WON, "case-study", "Proposal/Price Quote"),
                           shown(4, WON, "battlecard", "Proposal/Price Quote")])
    PanelEventLog(orgs, ORG_A).add_events([did(1, EventKind.OPEN), did(2, EventKind.SHARE),
                                           did(3, EventKind.PERSONALISE),
                                           did(4, EventKind.NOT_HELPFUL)])
    DealOutcomes(orgs, ORG_A).save([DealOutcome(LOST, False, "Closed Lost"),
                                    DealOutcome(WON, True, "Closed Won")])
    orgs.commit()
    engaged = engaged_deals(orgs, ORG_A)
    assert engaged.lost == {"case-study": {LOST}}
    assert engaged.won == {"case-study": {WON}}  # a vote alone is not a use
    assert (engaged.won_deals, engaged.lost_deals) == (1, 1)
