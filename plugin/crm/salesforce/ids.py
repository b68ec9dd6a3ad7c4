"""Salesforce record Ids: validated before they reach a query, a URL or a cache key."""
from __future__ import annotations

import re

_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

OPPORTUNITY_PREFIX = "006"
ORG_PREFIX = "00D"


class InvalidSalesforceId(ValueError):
    def __init__(self, value: object, reason: str):
        self.value = value
        self.reason = reason
        super().__init__(reason)


def checksum_suffix(id15: str) -> str:
    """The three characters Salesforce appends to a 15-character Id."""
    suffix = []
    for start in (0, 5, 10):
        bits = 0
        for offset, char in enumerate(id15[start : start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << offset
        suffix.append(_SUFFIX_ALPHABET[bits])
    return "".join(suffix)


def to_18(value: object, *, prefix: str | None = None) -> str:
    """The 18-character form of a well-formed Id, or :class:`InvalidSalesforceId`.

    ``prefix`` (e.g. ``"006"`` for opportunities) rejects Ids of another object type.
    """
    # fullmatch: with match, "$" also matches before a trailing newline.
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise InvalidSalesforceId(value, "must be a 15 or 18 character alphanumeric Salesforce Id")
    if prefix and value[:3] != prefix:
        raise InvalidSalesforceId(value, f"must start with {prefix!r}")
    id15 = value[:15]
    suffix = checksum_suffix(id15)
    if len(value) == 18 and value[15:].upper() != suffix:
        raise InvalidSalesforceId(value, "checksum suffix does not match the Id")
    return id15 + suffix
