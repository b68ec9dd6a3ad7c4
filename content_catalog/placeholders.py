"""Placeholders in module bodies (``{{account.name}}``) and personalising a body with values.
Design (why values are cleaned and escaped as they are): docs/design/content_catalog.md."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

#: The supported placeholders, in the order the editor lists them.
PLACEHOLDERS: Mapping[str, str] = MappingProxyType({
    "account.name": "The account's name",
    "opportunity.name": "The opportunity's name",
    "opportunity.amount": "The opportunity's amount, with its currency when known (\"$640,000\")",
    "opportunity.close_date": "The opportunity's expected close date (\"18 Dec 2026\")",
    "opportunity.stage": "The opportunity's sales stage",
    "buyer.role": "The primary contact's role on the opportunity (\"Economic Buyer\")",
    "buyer.name": "The primary contact's name",
    "industry": "The account's industry",
    "challenge": "The customer's main challenge, as recorded on the opportunity",
    "rep.name": "The name of the rep who personalises the template",
})  # fmt: skip

MAX_VALUE_CHARS = 500
_RAW_LOOKAHEAD = 8 * MAX_VALUE_CHARS
GAP_OPEN, GAP_CLOSE = "⟦", "⟧"

# ``{{`` then optional spaces, something shaped like a name (a letter first; letters, digits,
# dots, underscores, hyphens and inner spaces after it), optional spaces, ``}}``. Only this
# shape is a placeholder use; ``{{ 7*7 }}`` or ``{{ x | upper }}`` never match and stay text.
_USE = re.compile(r"\{\{[ \t]*([A-Za-z_][A-Za-z0-9_.\- ]{0,63}?)[ \t]*\}\}")

# Cc (C0, DEL, C1) and the bidirectional embeddings, overrides and isolates.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ALWAYS_ESCAPED = re.compile(r"([\\`*_\[\]<>|~#])")
_ENTITY_START = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_BLOCK_START = re.compile(r"^(?:[-+=]|\d{1,9}[.)])")


@dataclass(frozen=True)
class PlaceholderUse:
    """One ``{{ … }}`` in a text: ``text[start:end]`` is the whole use, braces included."""

    name: str
    start: int
    end: int
    known: bool


@dataclass(frozen=True)
class Personalised:
    text: str
    #: Known placeholders that had no value and became gaps, in order of first use.
    missing: tuple[str, ...]


def find_placeholders(text: str) -> list[PlaceholderUse]:
    return [
        PlaceholderUse(m.group(1), m.start(), m.end(), m.group(1) in PLACEHOLDERS)
        for m in _USE.finditer(text or "")
    ]


def used_placeholders(text: str) -> list[str]:
    """Supported names used, each once, in order of first use: what personalising fills in."""
    return list(dict.fromkeys(use.name for use in find_placeholders(text) if use.known))


def unknown_placeholders(text: str) -> list[str]:
    """Names used but not supported, each once, in order of first use: what the editor flags."""
    return list(dict.fromkeys(use.name for use in find_placeholders(text) if not use.known))


def gap(name: str) -> str:
    """The visible gap left where ``name`` has no value: ``⟦account name⟧``."""
    return f"{GAP_OPEN}{name.replace('.', ' ').replace('_', ' ')}{GAP_CLOSE}"


def personalise(text: str, values: Mapping[str, str | None]) -> Personalised:
    missing: dict[str, None] = {}
    inserts: dict[str, str] = {}  # each value is cleaned and escaped once, however often it is used

    def insert(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return match.group(0)
        if name not in inserts:
            value = clean_value(values.get(name))
            inserts[name] = escape_markdown(value) if value else gap(name)
            if not value:
                missing[name] = None
        return inserts[name]

    # re.sub scans the template once; what ``insert`` returns is never looked at again.
    return Personalised(_USE.sub(insert, text or ""), tuple(missing))


def clean_value(value: str | None) -> str:
    """One line of plain text at most :data:`MAX_VALUE_CHARS` long; "" when there is nothing."""
    if value is None:
        return ""
    value = str(value)
    # The cap is far below this lookahead, so cleaning only a bounded prefix changes nothing
    # shown, and a 32,000-character description field costs no more than a name. (What lies
    # beyond the prefix is cut, so the value is marked as cut.)
    cut = len(value) > _RAW_LOOKAHEAD
    value = unicodedata.normalize("NFC", value[:_RAW_LOOKAHEAD])
    value = value.replace(GAP_OPEN, "[").replace(GAP_CLOSE, "]")
    value = _INVISIBLE.sub(lambda m: " " if m.group(0) in "\t\n\r\x0b\x0c\x85" else "", value)
    value = " ".join(value.split())
    if len(value) > MAX_VALUE_CHARS or (cut and value):
        value = value[: MAX_VALUE_CHARS - 1].rstrip() + "…"
    return value


def escape_markdown(value: str) -> str:
    """``value`` as Markdown that renders as exactly its characters, inline or at a line's start."""
    escaped = _ENTITY_START.sub(r"\\&", _ALWAYS_ESCAPED.sub(r"\\\1", value))
    block = _BLOCK_START.match(escaped)
    if block:
        marker = block.group(0)
        escaped = (f"\\{marker}" if len(marker) == 1 else f"{marker[:-1]}\\{marker[-1]}") + escaped[len(marker):]
    return escaped
