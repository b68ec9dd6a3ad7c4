"""Strict JSON's nesting limit is checked before the text is parsed, so a hostile body never
drives json's C scanner into RecursionError (which, caught, corrupts CPython 3.11.7's AST state
for the thread: a later template compile fails with SystemError)."""
from __future__ import annotations

import json

import pytest

import content_catalog.strict_json as strict_json
from content_catalog.strict_json import JsonRefused, loads_strict


class NotCalled:
    @staticmethod
    def loads(*args, **kwargs):
        raise AssertionError("json.loads was reached")

    JSONDecodeError = ValueError


@pytest.mark.parametrize("text", [
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 40 + "1" + "}" * 40,
    '["x", ' + "[" * 33 + "]" * 33 + "]",
])
def test_text_nested_too_deep_is_refused_before_it_is_parsed(text, monkeypatch):
    monkeypatch.setattr(strict_json, "json", NotCalled)
    with pytest.raises(JsonRefused, match="nested more than 32 levels deep"):
        loads_strict(text)


@pytest.mark.parametrize("text", [
    '["' + "[" * 40 + '"]',
    '{"a": "\\"' + "[" * 44 + '\\\\"}',
    '{"a":' * 32 + "1" + "}" * 32,
])
def test_brackets_inside_strings_do_not_count_as_nesting(text):
    assert loads_strict(text) == json.loads(text)


def test_an_unterminated_string_is_refused_as_invalid_json_not_as_nesting():
    with pytest.raises(JsonRefused, match="not valid JSON"):
        loads_strict('["' + '\\"' * 1000)
