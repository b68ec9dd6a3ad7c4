"""What an opportunity puts into a template's placeholders, formatted as a rep would write it.
Plain text; ``content_catalog.placeholders.personalise`` cleans, caps and escapes it."""
from __future__ import annotations

from datetime import date

from content_catalog.placeholders import Personalised, personalise
from plugin.crm.records import ContactRole, OpportunityRecord

#: Symbols written before the amount; any other ISO code is written after it ("640,000 CHF").
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
# Not strftime's %b, which follows the server's locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def placeholder_values(
    record: OpportunityRecord | None, *, rep_name: str | None = None, currency: str | None = None
) -> dict[str, str | None]:
    """Every supported placeholder's value; ``None`` where the record does not say.

    ``currency`` is the org's ISO code when known; without it the amount has no symbol, since
    guessing dollars for a euro org would be worse than leaving the currency out.
    """
    if record is None:  # the CRM could not be read: every value is a gap, the rep's name aside
        return {"rep.name": rep_name}
    buyer = primary_buyer(record.contact_roles)
    return {
        "account.name": record.account_name,
        "opportunity.name": record.name,
        "opportunity.amount": format_amount(record.amount, currency),
        "opportunity.close_date": format_close_date(record.close_date),
        "opportunity.stage": record.stage,
        "buyer.role": buyer.role if buyer else None,
        "buyer.name": buyer.contact_name if buyer else None,
        "industry": record.industry,
        "challenge": record.challenge,
        "rep.name": rep_name,
    }


def personalise_for(body: str, record: OpportunityRecord | None, *, rep_name: str | None = None,
                    currency: str | None = None) -> Personalised:
    return personalise(body, placeholder_values(record, rep_name=rep_name, currency=currency))


def primary_buyer(roles: tuple[ContactRole, ...]) -> ContactRole | None:
    """The contact marked primary; a lone contact role counts as primary. With several roles and
    none marked, there is no telling who the template is addressed to, so the rep gets a gap."""
    primary = [r for r in roles if r.is_primary]
    if primary:
        return primary[0]
    return roles[0] if len(roles) == 1 else None


def format_amount(amount: float | None, currency: str | None = None) -> str | None:
    """``$640,000``; ``640,000`` without a currency; cents only when there are any."""
    if amount is None:
        return None
    number = f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"
    code = (currency or "").upper()
    if code in CURRENCY_SYMBOLS:
        sign, number = ("-", number[1:]) if number.startswith("-") else ("", number)
        return f"{sign}{CURRENCY_SYMBOLS[code]}{number}"
    return f"{number} {code}" if code else number


def format_close_date(close_date: date | None) -> str | None:
    """``18 Dec 2026``: unambiguous in every English-speaking market, unlike 12/18/2026."""
    if close_date is None:
        return None
    return f"{close_date.day} {_MONTHS[close_date.month - 1]} {close_date.year}"
