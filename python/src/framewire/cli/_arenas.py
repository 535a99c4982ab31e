"""One malloc arena for a process whose connections each run in a thread of their own.

glibc's ``malloc`` gives each thread that allocates an arena of its own (up to eight per
CPU), so that threads need not wait on each other's lock. Under CPython's GIL they seldom
could allocate at once anyway, but each arena keeps its own free memory: once hundreds of
connection threads have come and gone, what Python freed stays spread over a dozen
arenas, in pages that ``malloc_trim`` cannot return because a live allocation shares
them. With one arena, freed memory goes back to one heap, where the next connections
reuse it and a trim finds it.

It is a setting of the whole process (``mallopt(M_ARENA_MAX)``), so the library never
makes it: the ``framewire`` command does, for its blocking servers, before their first
thread. Where the C library has no ``mallopt`` (macOS), this does nothing.
"""

from __future__ import annotations

import ctypes

__all__ = ["use_one_arena"]

_M_ARENA_MAX = -8
"""glibc's ``M_ARENA_MAX`` (malloc.h)."""


def use_one_arena() -> bool:
    """Ask the C library to allocate from one arena from now on; True if it agreed."""
    try:
        process = ctypes.CDLL(None)  # the symbols already loaded: the C library's among them
    except OSError:  # pragma: no cover - platforms without dlopen(NULL)
        return False
    mallopt = getattr(process, "mallopt", None)
    return mallopt is not None and bool(mallopt(_M_ARENA_MAX, 1))
