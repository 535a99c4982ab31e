"""late-reading.json: chunks handed over before any event is read (FW-CNF-34).

A receiver that is fed again before it has read the events of what it already holds
buffers whole frames behind the one in progress. The bound of FW-DLM-4 counts the encoded
bytes of one frame, after the last 0x00: the frames before it count for nothing.
"""

from __future__ import annotations

from casebuild import CLEAN, SMALL_LIMITS, Suite, decode, error, message

from framewire.conformance.wire import DATA, DELIMITED, delimit, frame

GROUP = "late-reading"


def cases(suite: Suite) -> None:
    """An oversized frame after a buffered frame, or a buffered lone delimiter."""
    # E of FW-DLM-4 for MAX_FRAME_SIZE 256: n = 13 + 256, E = n + 1 + n // 254.
    n = 13 + SMALL_LIMITS["max_frame_size"]
    bound = n + 1 + n // 254
    filler = bytes(index % 254 + 2 for index in range(bound + 30))  # no 0x00, no 0x01
    last = delimit(frame(DATA, b"last"))
    befores = {
        "frame": (delimit(frame(DATA, b"first")), [message(DATA, b"first")], "a whole frame"),
        "lone-delimiter": (b"\x00", [], "a lone 0x00"),
    }
    for key, (first, first_events, what) in befores.items():
        data = first + filler + b"\x00" + last
        decode(
            suite,
            GROUP,
            f"unread-{key}-then-oversized",
            f"{what.capitalize()}, then {len(filler)} bytes with no 0x00 (more than the "
            "encoded bound) in two chunks, all handed over before any event is read: the "
            "bound counts only the bytes after the last 0x00, so the long frame fails with "
            "frame-too-large and the frames around it decode.",
            ["FW-DLM-4", "FW-DLM-6", "FW-CNF-34"],
            framing=DELIMITED,
            data=data,
            events=[*first_events, error("frame-too-large"), message(DATA, b"last")],
            end=CLEAN,
            chunks=[len(first) + 100, len(filler) - 100, 1 + len(last)],
            read="end",
        )
