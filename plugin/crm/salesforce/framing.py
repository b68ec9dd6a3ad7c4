"""Which Salesforce hosts may frame the panel (``Content-Security-Policy: frame-ancestors``)."""
from __future__ import annotations

import re
from typing import Iterable

from plugin.crm.salesforce.config import normalise_https_url

PARTITIONS = ("sandbox", "develop", "patch", "scratch", "demo", "trailblaze")
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_PARTITION = rf"(?:\.(?P<partition>{'|'.join(PARTITIONS)}))?"
_MY_DOMAIN = re.compile(rf"^(?P<name>{_LABEL}){_PARTITION}\.my\.salesforce\.com$")
_LIGHTNING = re.compile(rf"^(?P<name>{_LABEL}){_PARTITION}\.lightning\.force\.com$")
_VISUALFORCE = re.compile(rf"^(?P<name>{_LABEL})--(?P<ns>[a-z0-9]+){_PARTITION}\.vf\.force\.com$")
_NAMESPACE = re.compile(r"^[a-z][a-z0-9]{0,14}$")


def frame_ancestor_origins(instance_url: str, *,
                           vf_namespaces: Iterable[str] = ("c",)) -> tuple[str, ...]:
    """The origins that may frame the panel for the org at ``instance_url`` (https only)."""
    origin = normalise_https_url(instance_url)
    host = origin.removeprefix("https://")
    match = _MY_DOMAIN.match(host) or _LIGHTNING.match(host) or _VISUALFORCE.match(host)
    if match is None:
        return (origin,)
    name, partition = match.group("name"), match.group("partition")
    suffix = f".{partition}" if partition else ""
    namespaces = [ns.lower() for ns in vf_namespaces]
    if not all(_NAMESPACE.match(ns) for ns in namespaces):
        raise ValueError("a Visualforce namespace is letters and digits, at most 15")
    return (
        f"https://{name}{suffix}.my.salesforce.com",
        f"https://{name}{suffix}.lightning.force.com",
        *(f"https://{name}--{ns}{suffix}.vf.force.com" for ns in namespaces),
    )


def frame_ancestors_directive(instance_urls: Iterable[str], *,
                              vf_namespaces: Iterable[str] = ("c",)) -> str:
    """``frame-ancestors <origins>`` for several orgs, without duplicates; ``'none'`` for no org."""
    namespaces = tuple(vf_namespaces)
    origins: dict[str, None] = {}
    for url in instance_urls:
        origins.update(dict.fromkeys(frame_ancestor_origins(url, vf_namespaces=namespaces)))
    return "frame-ancestors " + (" ".join(origins) if origins else "'none'")


__all__ = ["PARTITIONS", "frame_ancestor_origins", "frame_ancestors_directive"]
