"""eof.json: end of input at every offset of a frame (FW-LPF-4, FW-DLM-5)."""

from __future__ import annotations

from casebuild import (
    CLEAN,
    OPEN,
    Suite,
    decode,
    error,
    message,
)

from framewire.conformance.wire import (
    DATA,
    FRAMINGS,
    LENGTH_PREFIXED,
    frame,
    on_wire,
)

GROUP = "eof"
FIRST = frame(DATA, b"A", checksum=True)
SECOND = frame(0x41, b"xyz", app=2, checksum=True)


def cases(suite: Suite) -> None:
    """End of input at every offset of a small checksummed frame, in both framings."""
    for framing in FRAMINGS:
        for offset in range(len(on_wire(framing, SECOND)) + 1):
            end_at_offset(suite, framing, offset)
    for framing in FRAMINGS:
        empty_and_partial_input(suite, framing)


def end_at_offset(suite: Suite, framing: str, offset: int) -> None:
    """A complete frame, then the second frame cut after `offset` bytes, then end of input."""
    encoded = on_wire(framing, SECOND)
    complete = offset == len(encoded)
    events = [message(DATA, b"A")]
    if complete:
        events.append(message(0x41, b"xyz", 2))
    at_boundary = complete or offset == 0
    where = (
        "at the frame boundary"
        if at_boundary
        else f"after {offset} of the {len(encoded)} bytes of the second frame"
    )
    decode(
        suite,
        GROUP,
        f"offset-{offset:02d}",
        f"A complete frame, then end of input {where}"
        f"{'' if at_boundary else ': the first frame is delivered, then truncated-frame'}"
        ".",
        ["FW-LPF-4"] if framing == LENGTH_PREFIXED else ["FW-DLM-5"],
        framing=framing,
        data=on_wire(framing, FIRST) + encoded[:offset],
        events=events,
        end=CLEAN if at_boundary else error("truncated-frame"),
        tags=["eof", "every-offset"],
    )


def empty_and_partial_input(suite: Suite, framing: str) -> None:
    """No bytes at all, with and without end of input; a partial header without it."""
    is_lpf = framing == LENGTH_PREFIXED
    decode(
        suite,
        GROUP,
        "empty-input",
        "No bytes at all, then end of input: a clean end.",
        ["FW-LPF-4" if is_lpf else "FW-DLM-2"],
        framing=framing,
        data=b"",
        events=[],
        end=CLEAN,
        tags=["eof", "boundary"],
    )
    decode(
        suite,
        GROUP,
        "empty-input-no-eof",
        "No bytes and no end of input: open.",
        ["FW-LPF-4" if is_lpf else "FW-DLM-5"],
        framing=framing,
        data=b"",
        events=[],
        end=OPEN,
        eof=False,
        tags=["eof", "boundary"],
    )
    decode(
        suite,
        GROUP,
        "partial-header-no-eof",
        "A complete frame and 5 bytes of the next one, no end of input: the first is "
        "delivered, the decoder waits (open).",
        ["FW-LPF-2" if is_lpf else "FW-DLM-5"],
        framing=framing,
        data=on_wire(framing, FIRST) + on_wire(framing, SECOND)[:5],
        events=[message(DATA, b"A")],
        end=OPEN,
        eof=False,
        tags=["eof"],
    )
