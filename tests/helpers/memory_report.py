"""What a Python test server holds, reported on request, to tell a leak from memory that
the C allocator keeps (tests/soak/soak_run.py).

RSS alone cannot tell them apart: glibc keeps freed pages of its arenas, so a server
whose connections are all gone may still show the memory of its busiest moment. With
``FRAMEWIRE_MEMORY_REPORT`` set to a directory, ``install()`` makes SIGUSR2 collect the
garbage and append one JSON line to ``DIRECTORY/PID.jsonl``: the bytes in use (``held``:
the C heap's, OpenSSL's and Python's large blocks among them, plus pymalloc's small
blocks), what the C heap keeps free, how many objects the collection found in reference
cycles (and of which types: a connection in a cycle is freed late), the live objects of
the types one connection makes, and with ``tracemalloc`` tracing (``PYTHONTRACEMALLOC``)
the lines whose allocations grew most since the last report.
"""

from __future__ import annotations

import asyncio
import collections
import ctypes
import gc
import json
import os
import re
import signal
import sys
import tempfile
import tracemalloc
from pathlib import Path

ENVIRONMENT = "FRAMEWIRE_MEMORY_REPORT"
"""The variable that names the directory of the reports; unset, nothing is installed."""
PER_CONNECTION = ("TlsShim", "_FramewireProtocol", "_SelectorSocketTransport", "SSLObject")
"""Type names of which every connection makes one; their counts at rest stay at zero."""
TOP = 10
"""How many types in cycles, and lines that grew, a report lists."""


class _MallInfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2``."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def c_heap() -> tuple[int, int]:
    """glibc's bytes in use (``uordblks`` plus ``mmap`` chunks) and free but kept
    (``fordblks``), over all arenas; zeros where there is no ``mallinfo2``."""
    mallinfo2 = getattr(ctypes.CDLL(None), "mallinfo2", None)
    if mallinfo2 is None:
        return 0, 0
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return info.uordblks + info.hblkhd, info.fordblks


def pymalloc_in_use() -> int:
    """Bytes in pymalloc's allocated blocks (``sys._debugmallocstats`` writes them to the
    C stderr, so it is pointed at a file for the call)."""
    with tempfile.TemporaryFile() as out:
        saved = os.dup(2)
        try:
            os.dup2(out.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        match = re.search(rb"# bytes in allocated blocks\s*=\s*([\d,]+)", out.read())
    return 0 if match is None else int(match.group(1).replace(b",", b""))


def report(
    previous: tracemalloc.Snapshot | None,
) -> tuple[dict[str, object], tracemalloc.Snapshot | None]:
    """One report, and the tracemalloc snapshot the next one is compared with."""
    gc.set_debug(gc.DEBUG_SAVEALL)  # to see what was in cycles
    collected = gc.collect()
    gc.set_debug(0)
    in_cycles = collections.Counter(type(o).__name__ for o in gc.garbage).most_common(TOP)
    gc.garbage.clear()
    gc.collect()  # free them
    counts = collections.Counter(type(o).__name__ for o in gc.get_objects())
    in_use, free = c_heap()
    entry: dict[str, object] = {
        "held": in_use + pymalloc_in_use(),
        "c_heap_free": free,
        "in_cycles": collected,
        "in_cycles_by_type": in_cycles,
        "live": {name: counts[name] for name in PER_CONNECTION},
    }
    snapshot = None
    if tracemalloc.is_tracing():
        snapshot = tracemalloc.take_snapshot()
        if previous is not None:
            grown = snapshot.compare_to(previous, "lineno")[:TOP]
            entry["grown"] = [str(stat) for stat in grown]
    return entry, snapshot


def install(loop: asyncio.AbstractEventLoop) -> None:
    """Report on SIGUSR2 if ``FRAMEWIRE_MEMORY_REPORT`` names a directory."""
    directory = os.environ.get(ENVIRONMENT)
    if not directory:
        return
    path = Path(directory) / f"{os.getpid()}.jsonl"
    previous: tracemalloc.Snapshot | None = None

    def write() -> None:
        nonlocal previous
        entry, previous = report(previous)
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")

    loop.add_signal_handler(signal.SIGUSR2, write)
