#!/usr/bin/env python3
"""Write the Be Inspired Salesforce metadata for one service host, ready to deploy.

Run with ``--help``; the host's rules and why: docs/design/salesforce_package.md."""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Dict, List, Optional

SOURCE_DIR = Path(__file__).resolve().parent
#: What gets copied: the Salesforce DX project itself, not this script or the README.
DEPLOYABLE = ("sfdx-project.json", ".forceignore", "force-app")
#: Written into every output so a re-run knows the directory is its own and may replace it.
MARKER = ".be-inspired-generated"
HOST_PLACEHOLDER = "BE_INSPIRED_HOST"
EMAIL_PLACEHOLDER = "BE_INSPIRED_CONTACT_EMAIL"
#: Any placeholder-looking token. One left in the output (a new placeholder nobody fills) is an
#: error.
_ANY_PLACEHOLDER = re.compile(r"BE_INSPIRED_[A-Z0-9_]+")

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_HOST_AND_PORT = re.compile(r"(?P<name>[A-Za-z0-9.-]+)(?::(?P<port>[0-9]+))?")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._+-]{0,62}[A-Za-z0-9_+-])?")
_MAX_NAME = 253


class ConfigureError(Exception):
    """A bad argument or an output that cannot be written; the message is for the admin."""


def _dns_name(name: str, what: str) -> str:
    """``name`` lower-cased if it is a DNS name of two or more labels, not an IP address."""
    name = name.lower()
    if len(name) > _MAX_NAME:
        raise ConfigureError(f"{what} is longer than {_MAX_NAME} characters")
    labels = name.split(".")
    if len(labels) < 2:
        raise ConfigureError(f"{what} must be a full domain name such as be-inspired.example.com")
    for label in labels:
        if not _LABEL.fullmatch(label):
            raise ConfigureError(
                f"{what} has an invalid part {label!r}: each dot-separated part is 1-63 letters, "
                "digits or hyphens, not starting or ending with a hyphen")
    if labels[-1].isdigit():
        raise ConfigureError(f"{what} must be a domain name, not an IP address")
    return name


def parse_host(text: str) -> str:
    """The host as ``name`` or ``name:port`` (lower case, port 443 dropped), or ConfigureError.

    Only the host: Salesforce needs ``https://<host>/canvas`` and the trusted site
    ``https://<host>``, and this script adds the scheme and path itself.
    """
    if not isinstance(text, str) or not text:
        raise ConfigureError("--host is empty")
    if "://" in text or text.lower().startswith(("http:", "https:")):
        raise ConfigureError(
            "--host takes the host only, without https:// (e.g. be-inspired.example.com)")
    if any(ch.isspace() for ch in text):
        raise ConfigureError("--host must not contain spaces or line breaks")
    match = _HOST_AND_PORT.fullmatch(text)
    if match is None:
        raise ConfigureError(
            "--host must be a host name with an optional :port, nothing else "
            "(no path, query, user name or other characters)")
    name = _dns_name(match.group("name"), "--host")
    port = match.group("port")
    if port is None:
        return name
    if port.startswith("0") or not 1 <= int(port) <= 65535:
        raise ConfigureError("--host port must be a number from 1 to 65535")
    return name if port == "443" else f"{name}:{port}"


def parse_email(text: str) -> str:
    """A plain ``local@domain`` address (no display name, quotes or comments), or ConfigureError."""
    if not isinstance(text, str) or text.count("@") != 1 or len(text) > 254:
        raise ConfigureError(
            "--contact-email must be one address such as salesforce-admin@example.com")
    local, domain = text.split("@")
    if not _EMAIL_LOCAL.fullmatch(local) or ".." in local:
        raise ConfigureError(
            "--contact-email: the part before @ may hold letters, digits and . _ + - only")
    return f"{local}@{_dns_name(domain, '--contact-email domain')}"


def _check_layout(source: Path, out: Path) -> None:
    """Refuse an output that is, lies inside, or contains the sources: they are never written to."""
    if out == source or source in out.parents:
        raise ConfigureError(f"--out {out} is inside the package sources; choose e.g. build/sf")
    if out in source.parents:
        raise ConfigureError(f"--out {out} contains the package sources; choose e.g. build/sf")


def _copy_rendered(source: Path, target: Path, values: Dict[str, str]) -> List[Path]:
    """Copy the deployable files from ``source`` to ``target`` with placeholders replaced."""
    written = []
    for name in DEPLOYABLE:
        top = source / name
        if top.is_symlink() or not top.exists():
            raise ConfigureError(f"package source {top} is missing or a symbolic link")
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*"))
        for path in files:
            if path.is_symlink():
                raise ConfigureError(
                    f"package source {path} is a symbolic link; refusing to follow it")
            destination = target / path.relative_to(source)
            if path.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise ConfigureError(f"package source {path} is not UTF-8 text") from None
            for placeholder, value in values.items():
                text = text.replace(placeholder, value)
            leftover = _ANY_PLACEHOLDER.search(text)
            if leftover:
                raise ConfigureError(
                    f"{path.relative_to(source)} still contains {leftover.group(0)} "
                    "after configuring; "
                    "this script does not know that placeholder")
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(text, encoding="utf-8")
            written.append(destination)
    return written


def _check_xml(files: List[Path], root: Path) -> None:
    for path in files:
        if path.name.endswith(".xml"):
            try:
                ElementTree.parse(path)  # nosec B314 # why: the package's own metadata files, from this repository
            except ElementTree.ParseError as exc:
                raise ConfigureError(
                    f"{path.relative_to(root)} is not well-formed XML: {exc}") from None


def write_package(
    out: Path, host: str, contact_email: str, source: Path = SOURCE_DIR
) -> List[Path]:
    """Render the package for ``host`` into ``out``; return the files written (paths under ``out``).

    The output is assembled in a temporary directory beside ``out`` and moved into place only
    when complete, so a failure never leaves a half-written package behind.
    """
    source = source.resolve()
    out = Path(os.path.abspath(out))
    _check_layout(source, out.resolve())
    host = parse_host(host)
    contact_email = parse_email(contact_email)
    if out.exists() or out.is_symlink():
        if out.is_symlink() or not out.is_dir():
            raise ConfigureError(f"--out {out} exists and is not a directory")
        if any(out.iterdir()) and not (out / MARKER).is_file():
            raise ConfigureError(
                f"--out {out} is not empty and was not written by this script; "
                "choose a new or empty directory")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        values = {HOST_PLACEHOLDER: host, EMAIL_PLACEHOLDER: contact_email}
        written = _copy_rendered(source, staging, values)
        _check_xml(written, staging)
        (staging / MARKER).write_text(
            "Written by plugin/salesforce_package/configure.py; "
            "re-running it replaces this directory.\n",
            encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out / path.relative_to(staging) for path in written]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write the Be Inspired Salesforce metadata for your service host into a new "
                    "directory, ready for `sf project deploy start`. The sources are not modified.")
    parser.add_argument("--host", required=True,
                        help="the Be Inspired service's public HTTPS host, optionally with :port "
                             "(e.g. be-inspired.example.com); no https://, no path")
    parser.add_argument("--contact-email", required=True,
                        help="the connected app's contact address "
                             "(Salesforce writes to it about the app)")
    parser.add_argument("--out", required=True, type=Path,
                        help="directory to write (created; an earlier output of this script "
                             "is replaced)")
    args = parser.parse_args(argv)
    try:
        written = write_package(args.out, args.host, args.contact_email)
    except ConfigureError as exc:
        parser.error(str(exc))
    except OSError as exc:
        print(f"configure.py: cannot write {args.out}: {exc}", file=sys.stderr)
        return 1
    host = parse_host(args.host)
    print(f"Wrote {len(written)} files for https://{host} to {args.out}")
    print("Canvas app URL:     https://%s/canvas" % host)
    print("Next, from that directory:")
    print(f"  cd {args.out}")
    print("  sf project deploy start --source-dir force-app --target-org <alias>")
    return 0


if __name__ == "__main__":
    sys.exit(main())
