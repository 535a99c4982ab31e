"""Which receive path runs: the compiled one where it was built, else the pure-Python one.

The pure-Python code is the reference; the compiled module (`framewire._codec.fastpath`, built
with the wheel where a C compiler is present, see python/hatch_build.py) replaces only
the loop of the fast paths (`framewire._codec.fast_readers`) over a run of whole single-frame
data messages. It is left unused when it is absent, when `FRAMEWIRE_PURE_PYTHON` is set
(to anything but empty or 0), or when the header layout it was built for is not the
schema's. Each reader takes the path in force when it is made (tests switch `DECODE_RUN`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from framewire._codec import schema

PURE_PYTHON_VARIABLE = "FRAMEWIRE_PURE_PYTHON"

DecodeRun = Callable[[bytearray, int, int, int, type, list[Any], int, int, int], int]


def _load() -> tuple[DecodeRun | None, str]:
    if os.environ.get(PURE_PYTHON_VARIABLE, "") not in ("", "0"):
        return None, f"pure Python ({PURE_PYTHON_VARIABLE} is set)"
    try:
        from framewire._codec import fastpath  # noqa: PLC0415 - absent from a pure install
    except ImportError:
        return None, "pure Python (the compiled module is not built)"
    layout = [schema.HEADER_SIZE, schema.TRAILER_SIZE, schema.FLAG_C, schema.APP_FLAGS_SHIFT]
    built = [fastpath.HEADER_SIZE, fastpath.TRAILER_SIZE, fastpath.FLAG_C]
    built.append(fastpath.APP_FLAGS_SHIFT)
    if built != layout or fastpath.FIRST_DATA_TYPE != schema.FIRST_APPLICATION_TYPE:
        return None, "pure Python (the compiled module was built for another header layout)"
    return fastpath.decode_run, "compiled (framewire._codec.fastpath)"


DECODE_RUN, RECEIVE_PATH = _load()
"""The compiled loop, or None on the pure-Python path; and which path, in words."""
