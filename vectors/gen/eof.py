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


def cases(suite: Suite) -> None:
    """End of input at every offset of a small checksummed frame, in both framings."""
    group = "eof"
    first = frame(DATA, b"A", checksum=True)
    second = frame(0x41, b"xyz", app=2, checksum=True)
    for framing in FRAMINGS:
        before = on_wire(framing, first)
        encoded = on_wire(framing, second)
        for offset in range(len(encoded) + 1):
            complete = offset == len(encoded)
            events = [message(DATA, b"A")]
            if complete:
                events.append(message(0x41, b"xyz", 2))
            at_boundary = complete or offset == 0
            statements = ["FW-LPF-4"] if framing == LENGTH_PREFIXED else ["FW-DLM-5"]
            where = (
                "at the frame boundary"
                if at_boundary
                else f"after {offset} of the {len(encoded)} bytes of the second frame"
            )
            decode(
                suite,
                group,
                f"offset-{offset:02d}",
                f"A complete frame, then end of input {where}"
                f"{'' if at_boundary else ': the first frame is delivered, then truncated-frame'}"
                ".",
                statements,
                framing=framing,
                data=before + encoded[:offset],
                events=events,
                end=CLEAN if at_boundary else error("truncated-frame"),
                tags=["eof", "every-offset"],
            )
    for framing in FRAMINGS:
        decode(
            suite,
            group,
            "empty-input",
            "No bytes at all, then end of input: a clean end.",
            ["FW-LPF-4" if framing == LENGTH_PREFIXED else "FW-DLM-2"],
            framing=framing,
            data=b"",
            events=[],
            end=CLEAN,
            tags=["eof", "boundary"],
        )
        decode(
            suite,
            group,
            "empty-input-no-eof",
            "No bytes and no end of input: open.",
            ["FW-LPF-4" if framing == LENGTH_PREFIXED else "FW-DLM-5"],
            framing=framing,
            data=b"",
            events=[],
            end=OPEN,
            eof=False,
            tags=["eof", "boundary"],
        )
        decode(
            suite,
            group,
            "partial-header-no-eof",
            "A complete frame and 5 bytes of the next one, no end of input: the first is "
            "delivered, the decoder waits (open).",
            ["FW-LPF-2" if framing == LENGTH_PREFIXED else "FW-DLM-5"],
            framing=framing,
            data=on_wire(framing, first) + on_wire(framing, second)[:5],
            events=[message(DATA, b"A")],
            end=OPEN,
            eof=False,
            tags=["eof"],
        )
