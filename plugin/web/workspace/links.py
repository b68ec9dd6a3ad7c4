"""Links from the gap-finding pages (coverage, preview, import) into the module pages."""
from __future__ import annotations

from typing import Iterable, Mapping

from flask import url_for

Params = Mapping[str, str | Iterable[str] | None]


def modules_list_url(params: Params) -> str:
    return url_for("workspace.modules_list", **_chosen(params))


def modules_new_url(params: Params) -> str:
    return url_for("workspace.modules_new", **_chosen(params))


def module_url(module_id: str) -> str:
    return url_for("workspace.modules_view", module_id=module_id)


def _chosen(params: Params) -> dict[str, list[str]]:
    """Empty values dropped, so a link carries only the filters that were chosen."""
    chosen: dict[str, list[str]] = {}
    for name, value in params.items():
        values = [value] if isinstance(value, str) else list(value or ())
        values = [v for v in values if v]
        if values:
            chosen[name] = values
    return chosen
