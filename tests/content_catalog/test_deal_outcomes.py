"""Deal outcomes in the database, on SQLite and PostgreSQL."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from content_catalog.deal_outcomes import DealOutcome, DealOutcomes
from content_catalog.repository import ensure_org

ORG_A = "00DA0000000AaaaMAC"
ORG_B = "00DB0000000BbbbMAC"
OPP_1 = "006A0000001AbcdIAA"
OPP_2 = "006A0000001AbceIAA"
MODIFIED = datetime(2026, 6, 15, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def outcomes(session):
    ensure_org(session, ORG_A, "Acme")
    ensure_org(session, ORG_B, "Globex")
    session.commit()
    return DealOutcomes(session, ORG_A)


def won(opportunity_id: str = OPP_1, **fields) -> DealOutcome:
    values = dict(opportunity_id=opportunity_id, won=True, stage="Closed Won",
                  amount=Decimal("185000.50"), close_date=date(2026, 6, 30), modified_at=MODIFIED)
    return DealOutcome(**{**values, **fields})


def test_an_outcome_reads_back_as_it_was_saved(outcomes, session):
    outcomes.save([won()])
    session.commit()
    assert outcomes.by_opportunity() == {OPP_1: won()}


def test_saving_again_replaces_the_outcome_and_the_last_of_repeats_wins(outcomes, session):
    outcomes.save([won()])
    session.commit()
    lost = won(won=False, stage="Closed Lost", amount=None)
    assert outcomes.save([won(amount=Decimal("1.00")), lost]) == 1
    session.commit()
    assert outcomes.by_opportunity() == {OPP_1: lost}
    assert outcomes.count() == (0, 1)


def test_outcomes_are_the_orgs_own(outcomes, session):
    outcomes.save([won()])
    DealOutcomes(session, ORG_B).save([won(OPP_2, won=False, stage="Closed Lost")])
    session.commit()
    assert set(outcomes.by_opportunity()) == {OPP_1}
    assert outcomes.by_opportunity([OPP_2]) == {}
    assert DealOutcomes(session, ORG_B).count() == (0, 1)


def test_a_reopened_opportunity_is_forgotten(outcomes, session):
    outcomes.save([won(), won(OPP_2)])
    session.commit()
    assert outcomes.forget([OPP_1, "006A0000009ZzzzIAA"]) == 1
    session.commit()
    assert set(outcomes.by_opportunity()) == {OPP_2}


def test_the_newest_modification_is_where_an_incremental_sync_starts(outcomes, session):
    assert outcomes.last_modified() is None
    later = MODIFIED.replace(day=20)
    outcomes.save([won(), won(OPP_2, modified_at=later)])
    session.commit()
    assert outcomes.last_modified() == later


def test_asking_for_more_opportunities_than_a_query_may_bind_reads_them_in_slices(
    outcomes, session
):
    many = [f"006A{n:011d}AAA"[:18] for n in range(40_000)]  # more than SQLite's 32,766
    outcomes.save([won(many[7]), won(many[39_999], won=False, stage="Closed Lost")])
    session.commit()
    assert set(outcomes.by_opportunity(many)) == {many[7], many[39_999]}
