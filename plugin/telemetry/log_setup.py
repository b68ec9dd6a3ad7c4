"""Logging for every process of the service: one line per record to stderr, as text or, with
``BEINSPIRED_LOG_FORMAT=json``, as one JSON object per line (python-json-logger) for a log
collector; either way with the request's id when there is one."""
from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from plugin.telemetry import request_ids

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message", "request_id", "process")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_ids.current()
        return True


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [request {request_id}]" if request_id else line


class _ServiceHandler(logging.StreamHandler):
    """Ours, so configuring again replaces it and leaves others' handlers (a test's) alone."""


def configure_logging(level: str, log_format: str = "text") -> None:
    """One stderr handler on the root logger, in ``log_format``, instead of any we set before."""
    handler = _ServiceHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter(
            " ".join(f"%({name})s" for name in JSON_FIELDS),
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        ))
    else:
        handler.setFormatter(_TextFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _ServiceHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl …" on every start


__all__ = ["JSON_FIELDS", "RequestIdFilter", "configure_logging"]
