"""Waiting for state that another thread, process or the event loop fills: polls with a
deadline, never a fixed sleep, so a fast machine does not wait and a slow one does not
fail for nothing. A failure says what was awaited.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

WAIT = 5.0
"""How long a test waits for a state before it fails."""

INTERVAL = 0.005
"""How often the state is looked at."""


def poll(condition: Callable[[], T | None], timeout: float = WAIT) -> T | None:
    """Call ``condition`` until it returns a true value or ``timeout`` seconds pass;
    return its last value (false when the time ran out)."""
    deadline = time.monotonic() + timeout
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(INTERVAL)
    return value


def wait_until(condition: Callable[[], T | None], *, what: str, timeout: float = WAIT) -> T:
    """``poll``, and fail the test with "not within ... s: ``what``" when the time ran out."""
    value = poll(condition, timeout)
    if not value:
        raise AssertionError(f"not within {timeout} s: {what}")
    return value


async def wait_until_async(
    condition: Callable[[], T | None], *, what: str, timeout: float = WAIT
) -> T:
    """``wait_until`` inside a coroutine: the event loop runs between the polls."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(INTERVAL)
    return value
