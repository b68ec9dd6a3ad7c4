"""Links from the gap-finding pages (coverage, preview, import) into the module pages.

The module list and editor live in :mod:`plugin.web.workspace.modules`; their query parameters
(``tag.<dimension>``, ``untagged``, ``status``, ``kind``) are described in
:mod:`plugin.web.module_params`. Links are built by endpoint name, with the documented path as a
fallback so these pages still render in an app where the module pages are not registered.
"""
from __future__ import annotations

from typing import Iterable, Mapping
from urllib.parse import quote, urlencode

from flask import url_for
from werkzeug.routing import BuildError

Params = Mapping[str, str | Iterable[str] | None]


def modules_list_url(params: Params) -> str:
    return _url("workspace.modules_list", "/workspace/modules", _clean(params))


def modules_new_url(params: Params) -> str:
    return _url("workspace.modules_new", "/workspace/modules/new", _clean(params))


def module_url(module_id: str) -> str:
    try:
        return url_for("workspace.modules_view", module_id=module_id)
    except BuildError:
        return f"/workspace/modules/{quote(module_id)}"


def _url(endpoint: str, path: str, params: dict[str, list[str]]) -> str:
    try:
        return url_for(endpoint, **params)
    except BuildError:
        return path + ("?" + urlencode(params, doseq=True) if params else "")


def _clean(params: Params) -> dict[str, list[str]]:
    """Empty values dropped, so a link carries only the filters that were chosen."""
    cleaned: dict[str, list[str]] = {}
    for name, value in params.items():
        values = [value] if isinstance(value, str) else list(value or ())
        values = [v for v in values if v]
        if values:
            cleaned[name] = values
    return cleaned
