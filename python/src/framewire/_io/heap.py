"""Give the C heap's free pages back to the operating system once connections end.

A connection's receive buffer is one large allocation. glibc's ``malloc`` serves the
first such buffers with ``mmap`` and returns them on ``free``, but every such ``free``
raises its threshold for using ``mmap``, so the buffers that follow come from its heap
arenas; freed, they leave holes that it gives back to the system only when they are at
the top of a heap. A server that has served a wave of connections then keeps that
memory for good, although nothing in Python uses it any more (``tracemalloc`` shows it
free). ``malloc_trim(0)`` returns the free pages from anywhere in every arena.

A trim acts on the whole process and takes a while on a large heap, so a server does it
only when asked (``trim_heap=True``, which the CLI's servers pass), and the asyncio
server does it off the event loop. Where the C library has no ``malloc_trim`` (macOS,
musl), this does nothing.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable

__all__ = ["TRIM_INTERVAL", "HeapTrimmer"]

TRIM_INTERVAL = 1.0
"""Least number of seconds between two trims while connections keep ending."""


def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        process = ctypes.CDLL(None)  # the symbols already loaded: the C library's among them
    except OSError:  # pragma: no cover - platforms without dlopen(NULL)
        return None
    trim: Callable[[int], int] | None = getattr(process, "malloc_trim", None)
    return trim


_MALLOC_TRIM = _find_malloc_trim()


class HeapTrimmer:
    """Trims the C heap when a server's connection ends: always when it was the last one
    (so an idle server is back near its baseline), else at most once per
    ``TRIM_INTERVAL`` (so a server under steady churn pays for a trim now and then, not
    for every connection). Safe to call from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_trim = 0.0

    def connection_ended(self, still_open: int) -> None:
        """Note that a connection ended, ``still_open`` connections remaining."""
        if _MALLOC_TRIM is None:
            return
        now = time.monotonic()
        with self._lock:
            if still_open and now - self._last_trim < TRIM_INTERVAL:
                return
            self._last_trim = now
        _MALLOC_TRIM(0)
