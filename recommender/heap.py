"""Freed heap handed back to the operating system once a big catalog's fit is swapped out:
glibc keeps it per thread arena otherwise (design: docs/design/ranking.md)."""
from __future__ import annotations

import ctypes


def give_back_freed_heap() -> None:
    """``malloc_trim(0)``: return every arena's free pages (glibc); a no-op elsewhere."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to do
        pass
