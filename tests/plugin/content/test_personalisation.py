"""What an opportunity record puts into a template's placeholders."""
from __future__ import annotations

from datetime import date

import pytest

from content_catalog.placeholders import PLACEHOLDERS
from plugin.content.opportunity_values import (
    format_amount,
    format_close_date,
    personalise_for,
    placeholder_values,
    primary_buyer,
)
from plugin.crm.records import ContactRole, OpportunityRecord

ECONOMIC = ContactRole("Economic Buyer", False, "Dana Ruiz", "CFO")
TECHNICAL = ContactRole("Technical Buyer", True, "Sam Lee", "CIO")


def record(**fields) -> OpportunityRecord:
    return OpportunityRecord(opportunity_id="006000000000001AAA", name="Acme - Renewal", **fields)


def test_every_supported_placeholder_gets_a_value_from_the_record():
    values = placeholder_values(
        record(stage="Proposal/Price Quote", amount=640_000, close_date=date(2026, 12, 18),
               account_name="Acme Corp", industry="Banking", challenge="Risk & compliance",
               contact_roles=(ECONOMIC, TECHNICAL)),
        rep_name="Jo Rep", currency="USD",
    )  # fmt: skip
    assert list(values) == list(PLACEHOLDERS)
    assert values == {
        "account.name": "Acme Corp",
        "opportunity.name": "Acme - Renewal",
        "opportunity.amount": "$640,000",
        "opportunity.close_date": "18 Dec 2026",
        "opportunity.stage": "Proposal/Price Quote",
        "buyer.role": "Technical Buyer",  # the primary contact's, not the first listed
        "buyer.name": "Sam Lee",
        "industry": "Banking",
        "challenge": "Risk & compliance",
        "rep.name": "Jo Rep",
    }


def test_what_the_record_lacks_is_none_and_becomes_a_gap():
    values = placeholder_values(record())
    assert {k for k, v in values.items() if v is None} == set(PLACEHOLDERS) - {"opportunity.name"}
    text = personalise_for("{{account.name}} · {{opportunity.amount}} · {{rep.name}}", record()).text
    assert text == "⟦account name⟧ · ⟦opportunity amount⟧ · ⟦rep name⟧"


def test_without_a_record_everything_but_the_reps_name_is_a_gap():
    result = personalise_for("{{opportunity.name}} by {{rep.name}}", None, rep_name="Jo")
    assert result.text == "⟦opportunity name⟧ by Jo"


@pytest.mark.parametrize("roles, expected", [
    ((ECONOMIC, TECHNICAL), TECHNICAL),
    ((ECONOMIC,), ECONOMIC),  # the only contact role is the buyer
    ((ECONOMIC, ContactRole("Evaluator", False, "Kim")), None),  # nobody marked: no guess
    ((), None),
])  # fmt: skip
def test_the_buyer_is_the_primary_contact(roles, expected):
    assert primary_buyer(roles) == expected


@pytest.mark.parametrize("amount, currency, shown", [
    (640_000, "USD", "$640,000"),
    (640_000.0, None, "640,000"),
    (1234.5, "usd", "$1,234.50"),
    (-2500, "USD", "-$2,500"),
    (1_000_000, "EUR", "€1,000,000"),
    (99, "GBP", "£99"),
    (1_500_000, "CHF", "1,500,000 CHF"),
    (0, None, "0"),
    (None, "USD", None),
])  # fmt: skip
def test_amounts_are_written_with_thousands_separators_and_a_known_currency(amount, currency, shown):
    assert format_amount(amount, currency) == shown


def test_close_dates_are_written_day_month_year():
    assert format_close_date(date(2026, 12, 18)) == "18 Dec 2026"
    assert format_close_date(date(2027, 3, 5)) == "5 Mar 2027"
    assert format_close_date(None) is None
