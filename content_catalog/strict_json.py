"""Strict JSON for text that comes from outside (API bodies, import files): RFC 8259 only, with a
nesting limit and no lone surrogates, each refusal a :class:`JsonRefused` saying where."""
from __future__ import annotations

import json
import math
import re
from typing import Any, Callable

#: Deeper than any body or import file of ours (a module is 3 levels), far below the recursion
#: that nesting would otherwise cost every layer that walks the value.
MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")
#: A JSON string (escapes included; an unterminated one runs to the end, so a match never fails
#: and the scan stays linear whatever the text), or a bracket.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\\?\Z)|[\[\]{}]', re.S)


class JsonRefused(ValueError):
    """Text that is not strict JSON; ``path`` names the value (``tags.industry[0]``) if known."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 column: int | None = None):
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        super().__init__(f"{path}: {message}" if path else message)


def loads_strict(text: str, *, max_depth: int = MAX_DEPTH,
                 object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None) -> Any:
    """``text`` parsed as JSON; NaN, Infinity, numbers beyond a float's range, nesting deeper
    than ``max_depth`` and lone surrogates (``"\\ud800"``) are refused."""
    # Depth is checked before parsing: json's C scanner would recurse into a hostile body until
    # RecursionError, and on CPython 3.11.7 catching that corrupts the interpreter's AST state for
    # the thread (a later ast.parse, e.g. a template compiled, fails with SystemError).
    _check_depth(text, max_depth)
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float,
                           parse_int=_int, object_pairs_hook=object_pairs_hook)
    except RecursionError:
        raise JsonRefused(f"is nested more than {max_depth} levels deep") from None
    except json.JSONDecodeError as exc:
        raise JsonRefused(f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                          line=exc.lineno, column=exc.colno) from None
    except _NotStrict as exc:  # (what ``object_pairs_hook`` raises goes to the caller)
        raise JsonRefused(str(exc)) from None
    _check_tree(value, max_depth)
    return value


def _check_depth(text: str, max_depth: int) -> None:
    depth = 0
    for token in _STRING_OR_BRACKET.finditer(text):
        mark = token.group()
        if mark[0] == '"':
            continue
        depth += 1 if mark in "[{" else -1
        if depth > max_depth:
            raise JsonRefused(f"is nested more than {max_depth} levels deep")


class _NotStrict(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotStrict(f"has {name}, which is not a JSON number; send a finite number or null")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NotStrict(f"has a number too large to hold ({text[:40]})")
    return number


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # Python refuses to convert more than 4,300 digits
        raise _NotStrict(f"has an integer of {len(text):,} digits") from None


def _check_tree(value: Any, max_depth: int) -> None:
    """Depth and lone surrogates, in one walk without recursion (the value may be deep)."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if len(path) > max_depth:
            raise JsonRefused(f"is nested more than {max_depth} levels deep")
        if isinstance(item, str):
            _check_text(item, path)
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, path + (key,), what="is a key with")
                stack.append((child, path + (key,)))
        elif isinstance(item, list):
            stack.extend((child, path + (index,)) for index, child in enumerate(item))


def _check_text(text: str, path: tuple[str | int, ...], what: str = "contains") -> None:
    found = _SURROGATE.search(text)
    if found:
        raise JsonRefused(
            f"{what} a lone surrogate (\\u{ord(found.group()):04x}), which is not Unicode text",
            path=path_text(path) or None,
        )  # fmt: skip


def path_text(path: tuple[str | int, ...]) -> str:
    """``("tags", "industry", 0)`` as ``tags.industry[0]``; keys are cut to 60 characters and
    their surrogates shown escaped, so the path itself is always printable."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            key = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", part[:60])
            text += f".{key}" if text else key
    return text
