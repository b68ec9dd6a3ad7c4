"""Who is offered a lost deal's review, which stages it offers and what it prefills (both
databases), and the strict reading of its answers."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from content_catalog.database import session_factory
from content_catalog.events import EventKind, Impression, PanelEvent, PanelEventLog, add_impressions
from content_catalog.importing import import_modules
from content_catalog.loss_reviews import LossReasons
from content_catalog.opportunity_history import OpportunityHistory, StageHistoryEntry
from content_catalog.repository import ensure_org
from content_catalog.taxonomy import default_taxonomy
from plugin.crm.records import OpportunityRecord
from plugin.deals.lost_deals import (
    LostDealReviews, is_offered_to, parse_review, record_owner, review_stages,
)
from plugin.errors import Conflict, Forbidden, InvalidInput

ORG = "00DA0000000AaaaMAC"
DEAL = "006A0000001AbcdIAA"
OWNER = "005A0000001OwnrIAA"
OTHER = "005A0000001OthrIAA"
SHOWN = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
LOST = OpportunityRecord(DEAL, "Acme renewal", stage="Closed Lost", is_closed=True, is_won=False)
STAGES = ("Prospecting", "Needs Analysis", "Proposal/Price Quote", "Closed Won", "Closed Lost")


def module(key: str, title: str) -> dict:
    return {"id": key, "title": title, "summary": "s", "body": "b", "kind": "case_study",
            "audience": "client_facing", "author": "a", "status": "published"}


@pytest.fixture
def reviews(engine):
    sessions = session_factory(engine)
    taxonomy = default_taxonomy().with_stage_order(STAGES)
    with sessions.begin() as session:
        ensure_org(session, ORG, "Acme")
        import_modules(session, ORG, [module("roi", "ROI calculator"), module("story", "Acme story")],
                       taxonomy)
        add_impressions(session, [shown(1, "story", "Needs Analysis"),
                                  shown(2, "roi", "Proposal/Price Quote"),
                                  shown(3, "story", "Closed Lost")])
        PanelEventLog(session, ORG).add_events([PanelEvent(
            event_id="e" * 32, impression_id=f"{2:032x}", kind=EventKind.SHARE,
            occurred_at=SHOWN + timedelta(days=2), user_id=OWNER)])
    return LostDealReviews(sessions, ORG, taxonomy)


def shown(n: int, key: str, stage: str) -> Impression:
    return Impression(
        impression_id=f"{n:032x}", org_id=ORG, view_id=f"{n:032x}", opportunity_id=DEAL,
        user_id=OWNER, module_key=key, audience="client_facing", position=1, score=1.0,
        propensity=1.0, explored=False, model_version="v1", context={"stage": stage},
        shown_at=SHOWN + timedelta(days=n))


def answers(**fields) -> dict:
    return {"stalled_stage": "Proposal/Price Quote", "reason": "price", "used_modules": ["roi"],
            "missing": "", **fields}


def test_the_review_is_offered_on_lost_deals_to_the_owner_or_anyone_when_the_owner_is_unknown():
    assert is_offered_to(LOST, OTHER)
    assert not is_offered_to(dataclasses.replace(LOST, is_won=True, stage="Closed Won"), OTHER)
    assert not is_offered_to(dataclasses.replace(LOST, is_closed=False, stage="Prospecting"), OTHER)
    owned = dataclasses.replace(LOST, owner_id=OWNER)
    assert record_owner(owned) == OWNER
    assert is_offered_to(owned, OWNER) and not is_offered_to(owned, OTHER)
    assert not is_offered_to(owned, None)


def test_the_stages_offered_are_the_orgs_open_ones_in_pipeline_order():
    taxonomy = default_taxonomy().with_stage_order(STAGES)
    assert review_stages(taxonomy, LOST) == ("Prospecting", "Needs Analysis", "Proposal/Price Quote")


def test_the_offer_defaults_to_the_last_open_stage_seen_and_ticks_what_the_rep_used(reviews):
    offer = reviews.offer(LOST, OWNER)
    assert offer.default_stage == "Proposal/Price Quote"
    assert [(m.key, m.title, m.engaged) for m in offer.modules] == [
        ("story", "Acme story", False), ("roi", "ROI calculator", True)]
    assert offer.used == {"roi"} and not offer.done


def test_the_offer_defaults_to_the_last_open_stage_of_the_deals_stage_history_when_synced(
        reviews, engine):
    """The panel last saw the deal in Proposal/Price Quote, but Salesforce says it went back to
    Needs Analysis before closing lost: the history wins."""
    with session_factory(engine).begin() as session:
        OpportunityHistory(session, ORG).add([
            StageHistoryEntry(f"008A000000{n}HistIAA", DEAL, stage, SHOWN + timedelta(days=n))
            for n, stage in enumerate(("Prospecting", "Proposal/Price Quote", "needs analysis ",
                                       "Closed Lost"))])
    offer = reviews.offer(LOST, OWNER)
    assert (offer.default_stage, offer.default_from) == ("Needs Analysis", "history")


def test_without_a_stage_history_the_offer_says_it_defaults_from_the_panels_log(reviews):
    assert reviews.offer(LOST, OWNER).default_from == "panel"


def test_saving_stores_once_and_only_the_author_may_change_it_when_the_owner_is_unknown(reviews):
    saved, created = reviews.save(LOST, OWNER, answers())
    assert created and saved.used_modules == ("roi",)
    again, created = reviews.save(LOST, OWNER, answers(reason="timing", used_modules=[]))
    assert not created and again.reason_key == "timing" and again.used_modules == ()
    assert not reviews.offer(LOST, OTHER).may_edit
    with pytest.raises(Forbidden):
        reviews.save(LOST, OTHER, answers())


def test_the_owner_may_change_a_review_someone_else_wrote_before_the_owner_was_known(reviews):
    reviews.save(LOST, OTHER, answers())
    owned = dataclasses.replace(LOST, owner_id=OWNER)
    saved, created = reviews.save(owned, OWNER, answers(reason="timing"))
    assert not created and saved.author_id == OTHER  # the first author stays the author


def test_an_open_deal_is_a_conflict_and_nothing_is_stored(reviews):
    with pytest.raises(Conflict):
        reviews.save(dataclasses.replace(LOST, is_closed=False, stage="Prospecting"), OWNER, answers())
    assert not reviews.offer(LOST, OWNER).done


def test_a_retired_reason_is_no_longer_a_choice(reviews, engine):
    with session_factory(engine).begin() as session:
        LossReasons(session, ORG).replace(["Timing"])
    with pytest.raises(InvalidInput) as refused:
        reviews.save(LOST, OWNER, answers(reason="price"))
    assert [e.field for e in refused.value.errors] == ["reason"]


@pytest.mark.parametrize(("raw", "fields"), [
    ("not an object", ["body"]),
    ({"stalled_stage": "Closed Lost", "reason": "price"}, ["stalled_stage"]),
    ({"reason": "price"}, ["stalled_stage"]),
    ({"stalled_stage": "Prospecting", "reason": "blame the rep"}, ["reason"]),
    ({"stalled_stage": "Prospecting", "reason": "price", "used_modules": ["roi", 3]}, ["used_modules"]),
    ({"stalled_stage": "Prospecting", "reason": "price", "missing": "x" * 1001}, ["missing"]),
    ({"stalled_stage": "Prospecting", "reason": "price", "missing": "a\x00b"}, ["missing"]),
    ({"stalled_stage": "Prospecting", "reason": "price", "rep": "Jo"}, ["rep"]),
    ({}, ["stalled_stage", "reason"]),
])
def test_bad_answers_name_every_field_at_fault(reviews, raw, fields):
    offer = reviews.offer(LOST, OWNER)
    with pytest.raises(InvalidInput) as refused:
        parse_review(raw, offer, author_id=OWNER)
    assert sorted(e.field for e in refused.value.errors) == sorted(fields)


def test_free_text_is_trimmed_and_its_line_breaks_normalised(reviews):
    offer = reviews.offer(LOST, OWNER)
    review = parse_review(answers(missing="  A TCO sheet\r\nfor the CFO 👩‍💼  "), offer, author_id=OWNER)
    assert review.missing == "A TCO sheet\nfor the CFO 👩‍💼"
