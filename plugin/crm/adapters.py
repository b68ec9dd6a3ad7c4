"""The CRMs the service can read opportunities from, registered by name (the way Redash
registers its data sources): a second CRM is a new folder beside ``salesforce/`` that calls
:func:`register`, plus one line in :data:`ADAPTER_MODULES`."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol

from plugin.crm.sources import OpportunitySource

#: Each adapter module registers itself when imported.
ADAPTER_MODULES = ("plugin.crm.salesforce.adapter",)


class Connector(Protocol):
    """One CRM's connections to every org configured for it."""

    @property
    def org_ids(self) -> tuple[str, ...]: ...

    def source(self, org_id: str, **viewer: Any) -> OpportunitySource: ...


@dataclass(frozen=True)
class CrmAdapter:
    name: str
    label: str
    #: Builds the connector from the orgs' connection settings, the context cache and the health
    #: listener that tells admins what went wrong.
    build_connector: Callable[..., Connector]


_REGISTERED: dict[str, CrmAdapter] = {}


class UnknownCrm(LookupError):
    pass


def register(adapter: CrmAdapter) -> None:
    _REGISTERED[adapter.name] = adapter


def unregister(name: str) -> None:
    _REGISTERED.pop(name, None)


def adapter(name: str) -> CrmAdapter:
    _load()
    try:
        return _REGISTERED[name]
    except KeyError:
        raise UnknownCrm(f"no CRM adapter named {name!r}; known: {sorted(_REGISTERED)}") from None


def registered() -> Iterable[CrmAdapter]:
    _load()
    return tuple(_REGISTERED.values())


def _load() -> None:
    for module in ADAPTER_MODULES:
        importlib.import_module(module)


__all__ = ["ADAPTER_MODULES", "Connector", "CrmAdapter", "UnknownCrm", "adapter", "register",
           "registered", "unregister"]
