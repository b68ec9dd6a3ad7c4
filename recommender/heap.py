"""Handing freed heap back to the operating system after a big catalog's fit is swapped out.

glibc keeps freed memory for reuse, per thread arena, so a server thread that unpickled or
replaced a 100,000-module fit would keep its peak resident for good; a memory benchmark would
likewise report the peak, not what the process holds."""
from __future__ import annotations

import ctypes


def give_back_freed_heap() -> None:
    """``malloc_trim(0)``: return every arena's free pages (glibc); a no-op elsewhere."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to do
        pass
