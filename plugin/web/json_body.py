"""The one reader of JSON request bodies (deep nesting, lone surrogates, NaN get one specific
400 everywhere), and the app's JSON provider, which never writes NaN (``JSON.parse`` refuses it)."""
from __future__ import annotations

import json
from typing import Any

from flask import request
from flask.json.provider import DefaultJSONProvider

from content_catalog.modules import FieldError
from content_catalog.strict_json import JsonRefused, loads_strict
from plugin.errors import InvalidInput


def json_body(hint: str = "") -> Any:
    """The request's body as strict JSON; ``hint`` (what to send) ends each refusal."""
    if not request.is_json:
        raise InvalidInput(_with_hint("Send JSON (Content-Type: application/json).", hint))
    raw = request.get_data(cache=True)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"is not UTF-8 (byte {exc.start})"
        raise InvalidInput(_with_hint(f"The body {message}.", hint),
                           errors=[FieldError("body", message)]) from None
    try:
        return loads_strict(text)
    except JsonRefused as exc:
        raise InvalidInput(_with_hint(f"{_sentence(exc)}.", hint),
                           errors=[FieldError(exc.path or "body", exc.message)]) from None


def json_object(hint: str = "") -> dict[str, Any]:
    """The body, which must be a JSON object."""
    body = json_body(hint)
    if not isinstance(body, dict):
        raise InvalidInput(_with_hint("The body must be a JSON object.", hint))
    return body


def _sentence(exc: JsonRefused) -> str:
    return f"The body {exc.message}" if exc.path is None else f"The body's {exc.path} {exc.message}"


def _with_hint(message: str, hint: str) -> str:
    return f"{message} {hint}" if hint else message


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's provider, but responses never hold NaN or Infinity (a bug raises instead of
    sending what browsers cannot parse) and ``request.get_json`` parses strictly too."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        text = s.decode("utf-8") if isinstance(s, bytes) else s
        try:
            return loads_strict(text)
        except JsonRefused as exc:
            raise json.JSONDecodeError(exc.message, text, 0) from None
