"""length-limits.json: the length field, the frame and message size limits, the 2^30
ceiling (sections 3.5, 7.1)."""

from __future__ import annotations

from typing import NamedTuple

from casebuild import (
    CEILING,
    CLEAN,
    DEFAULT_LIMITS,
    OPEN,
    SMALL_LIMITS,
    Json,
    Suite,
    decode,
    error,
    frame_fault,
    header_only,
    message,
    valid_frames,
)

from framewire.conformance.wire import (
    DATA,
    DELIMITED,
    FRAMINGS,
    LENGTH_PREFIXED,
    PING,
    delimit,
    frame,
    nonzero_bytes,
    on_wire,
)

GROUP = "length-limits"


def cases(suite: Suite) -> None:
    """Sections 3.5 and 7.1: exact limits, one past them, and the 2^30 ceiling."""
    frame_limit_cases(suite)
    header_only_limit_cases(suite)
    ceiling_cases(suite)
    message_limit_cases(suite)
    single_frame_message_cases(suite)
    unlimited_and_default_message_cases(suite)
    control_frame_size_cases(suite)


def frame_limit_cases(suite: Suite) -> None:
    """A frame of exactly the maximum frame size, and one byte more."""
    valid_frames(
        suite,
        GROUP,
        "length-1-big-endian",
        "Length 0x00000001 (big-endian): one payload byte.",
        ["FW-HDR-2", "FW-LEN-1"],
        frames=[frame(DATA, b"\x7f"), frame(DATA, b"")],
        events=[message(DATA, b"\x7f"), message(DATA)],
    )
    for checksum in (False, True):
        suffix = "-checksum" if checksum else ""
        valid_frames(
            suite,
            GROUP,
            f"max-frame-size-exact{suffix}",
            f"A frame of exactly max frame size 256{' with a CRC trailer' if checksum else ''}"
            ": accepted (the trailer does not count in length).",
            ["FW-LEN-1", "FW-LEN-3", "FW-LIM-3"],
            frames=[frame(DATA, nonzero_bytes(256), checksum=checksum)],
            events=[message(DATA, nonzero_bytes(256))],
            tags=["boundary"],
        )
    frame_fault(
        suite,
        GROUP,
        "max-frame-size-plus-one",
        "A frame of length 257 (payload present) with max frame size 256.",
        ["FW-LEN-3", "FW-LIM-3"],
        bad=frame(DATA, nonzero_bytes(257)),
        name="frame-too-large",
        tags=["boundary"],
    )


def header_only_limit_cases(suite: Suite) -> None:
    """FW-LEN-4: the maximum frame size decided from the header alone."""
    header_only(
        suite,
        GROUP,
        "max-frame-size-plus-one-header-only",
        "Only the header of a frame of length 257 (max 256), no end of input: rejected from "
        "the header alone, before any payload byte.",
        ["FW-LEN-3", "FW-LEN-4", "FW-LIM-3", "FW-HDR-3"],
        length=257,
        end=error("frame-too-large"),
        limits=SMALL_LIMITS,
        prefix=frame(DATA, b"ok"),
        events=[message(DATA, b"ok")],
    )
    header_only(
        suite,
        GROUP,
        "max-frame-size-exact-header-only",
        "Only the header of a frame of length 256 (max 256): accepted, waiting for payload.",
        ["FW-LEN-3", "FW-HDR-3"],
        length=256,
        end=OPEN,
        limits=SMALL_LIMITS,
    )
    header_only(
        suite,
        GROUP,
        "default-max-frame-size-exact",
        "Default limits: header of a frame of length 1,048,576 is accepted (waiting).",
        ["FW-LIM-1", "FW-LEN-3"],
        length=1_048_576,
        end=OPEN,
        limits=DEFAULT_LIMITS,
    )
    header_only(
        suite,
        GROUP,
        "default-max-frame-size-plus-one",
        "Default limits: header of a frame of length 1,048,577 is rejected at once.",
        ["FW-LIM-1", "FW-LEN-3", "FW-LIM-3"],
        length=1_048_577,
        end=error("frame-too-large"),
        limits=DEFAULT_LIMITS,
    )
    header_only(
        suite,
        GROUP,
        "ceiling-over-own-max",
        "Default limits: length 2^30 is within the ceiling but above the receiver's own "
        "maximum: rejected at once.",
        ["FW-LEN-3", "FW-LIM-3"],
        length=CEILING,
        end=error("frame-too-large"),
        limits=DEFAULT_LIMITS,
    )


class Ceiling(NamedTuple):
    """A length at or past the 2^30 ceiling, and how the receiver must answer its header."""

    length: int
    end: object
    statements: list[str]
    description: str


CEILING_LIMITS = {"max_frame_size": CEILING, "max_message_size": 0}
TOO_LARGE = error("frame-too-large")
CEILINGS = [
    Ceiling(CEILING, OPEN, [], "length 2^30 is accepted (waiting for the payload)"),
    Ceiling(CEILING + 1, TOO_LARGE, ["FW-LIM-3"], "length 2^30 + 1 is rejected"),
    Ceiling(0x7FFFFFFF, TOO_LARGE, ["FW-LEN-4"], "length 2^31 - 1 is rejected"),
    Ceiling(
        0x80000000,
        TOO_LARGE,
        ["FW-LEN-4"],
        "length 2^31 (sign bit set) is rejected without overflow",
    ),
    Ceiling(
        0xFFFFFFF3,
        TOO_LARGE,
        ["FW-LEN-4"],
        "length 2^32 - 13 (9 + length + 4 wraps to 0 in 32 bits) is rejected",
    ),
    Ceiling(0xFFFFFFFF, TOO_LARGE, ["FW-LEN-4"], "length 2^32 - 1 is rejected"),
]


def ceiling_cases(suite: Suite) -> None:
    """FW-LEN-3, FW-LEN-4: max frame size 2^30, lengths at and past it, without overflow."""
    for row in CEILINGS:
        header_only(
            suite,
            GROUP,
            f"ceiling-{row.length:08x}",
            f"Max frame size 2^30 (the ceiling), no message limit: {row.description}, from "
            "the header alone.",
            ["FW-LEN-3", "FW-HDR-3", *row.statements],
            length=row.length,
            end=row.end,
            limits=CEILING_LIMITS,
        )
    for length in (CEILING + 1, 0xFFFFFFFF):
        decode(
            suite,
            GROUP,
            f"ceiling-{length:08x}",
            f"Delimited, max frame size 2^30: a header announcing length {length:#x} "
            "(payload absent, so the size also disagrees): frame-too-large is checked "
            "first.",
            ["FW-LEN-3", "FW-HDR-6", "FW-DLM-4"],
            framing=DELIMITED,
            data=delimit(frame(DATA, length=length), frame(DATA, b"next")),
            events=[error("frame-too-large"), message(DATA, b"next")],
            end=CLEAN,
            limits=CEILING_LIMITS,
            tags=["boundary", "multi-fault"],
        )


def control_frame_size_cases(suite: Suite) -> None:
    """FW-MSG-19: a control frame is bounded by the maximum frame size alone, never by the
    maximum message size, and does not count toward the data message it interrupts."""
    limits = {"max_frame_size": 1024, "max_message_size": 256}
    big = nonzero_bytes(300, 3)
    valid_frames(
        suite,
        GROUP,
        "control-frame-above-message-limit",
        "Max frame 1024, max message 256: a frame of type 0x03 with 300 bytes of payload "
        "(more than the message limit, within the frame limit) is a control frame: "
        "delivered, not message-too-large.",
        ["FW-MSG-19", "FW-MOD-4", "FW-LEN-3"],
        frames=[frame(PING, big)],
        events=[message(PING, big)],
        limits=limits,
        tags=["boundary"],
    )
    valid_frames(
        suite,
        GROUP,
        "control-frame-inside-message-at-limit",
        "Max frame 1024, max message 256: a data message of exactly 256 bytes in two frames "
        "with a 300-byte control frame between them: the control frame does not count "
        "toward the message; both are delivered.",
        ["FW-MSG-19", "FW-MSG-10", "FW-MSG-6"],
        frames=[
            frame(DATA, nonzero_bytes(250), more=True),
            frame(PING, big),
            frame(DATA, nonzero_bytes(6, 2), cont=True),
        ],
        events=[message(PING, big), message(DATA, nonzero_bytes(250) + nonzero_bytes(6, 2))],
        limits=limits,
        tags=["boundary"],
    )


def message_limit_cases(suite: Suite) -> None:
    """FW-MSG-10 and FW-LIM-3 for messages: exact limit, one past it, no limit."""
    limits = {"max_frame_size": 256, "max_message_size": 600}
    full = nonzero_bytes(256)
    exact = [
        frame(DATA, full, more=True),
        frame(DATA, full, cont=True, more=True),
        frame(DATA, nonzero_bytes(88), cont=True),
    ]
    valid_frames(
        suite,
        GROUP,
        "max-message-size-exact",
        "Max message 600: a message of 256 + 256 + 88 = 600 bytes is accepted.",
        ["FW-MSG-10", "FW-LIM-3", "FW-MSG-2"],
        frames=exact,
        events=[message(DATA, full + full + nonzero_bytes(88))],
        limits=limits,
        tags=["boundary"],
    )
    over = [*exact[:2], frame(DATA, nonzero_bytes(89), cont=True)]
    for framing in FRAMINGS:
        if framing == LENGTH_PREFIXED:
            events: list[Json] = []
            end: object = error("message-too-large")
        else:
            events, end = [error("message-too-large"), message(DATA, b"after")], CLEAN
        decode(
            suite,
            GROUP,
            "max-message-size-plus-one",
            "Max message 600: the third frame would bring the message to 601 bytes; it is "
            "rejected from its header and the message is not delivered.",
            ["FW-MSG-10", "FW-LIM-3", "FW-MSG-14"],
            framing=framing,
            data=on_wire(framing, *over, frame(DATA, b"after")),
            events=events,
            end=end,
            limits=limits,
            tags=["boundary"],
        )
    header_only(
        suite,
        GROUP,
        "max-message-size-plus-one-header-only",
        "Max message 600: after 512 bytes of a message, the header of a continuation "
        "of length 89 is rejected at once, before its payload.",
        ["FW-MSG-10", "FW-LIM-3"],
        length=89,
        cont=True,
        end=error("message-too-large"),
        limits=limits,
        prefix=b"".join(exact[:2]),
    )


def single_frame_message_cases(suite: Suite) -> None:
    """The message limit holds for a message of a single frame too."""
    single = {"max_frame_size": 1024, "max_message_size": 300}
    valid_frames(
        suite,
        GROUP,
        "single-frame-message-exact",
        "Max frame 1024, max message 300: a single frame of 300 bytes is accepted.",
        ["FW-MSG-10"],
        frames=[frame(DATA, nonzero_bytes(300))],
        events=[message(DATA, nonzero_bytes(300))],
        limits=single,
        tags=["boundary"],
    )
    frame_fault(
        suite,
        GROUP,
        "single-frame-message-plus-one",
        "Max frame 1024, max message 300: a single frame of 301 bytes is message-too-large "
        "(not frame-too-large).",
        ["FW-MSG-10", "FW-LIM-3"],
        bad=frame(DATA, nonzero_bytes(301)),
        name="message-too-large",
        limits=single,
        tags=["boundary"],
    )


def unlimited_and_default_message_cases(suite: Suite) -> None:
    """No message limit (0), and the default message limit of section 7.1."""
    full = nonzero_bytes(256)
    unlimited = {"max_frame_size": 256, "max_message_size": 0}
    frames = [frame(DATA, full, more=True)]
    frames += [frame(DATA, full, cont=True, more=True) for _ in range(4)]
    frames.append(frame(DATA, b"end", cont=True))
    valid_frames(
        suite,
        GROUP,
        "no-message-limit",
        "Max message 0 (no limit): a message of 5 * 256 + 3 bytes is accepted.",
        ["FW-LIM-1", "FW-LIM-2", "FW-MSG-10"],
        frames=frames,
        events=[message(DATA, full * 5 + b"end")],
        limits=unlimited,
    )
    big_frames = {"max_frame_size": CEILING, "max_message_size": 16_777_216}
    header_only(
        suite,
        GROUP,
        "default-max-message-size-exact",
        "Max frame 2^30, default max message 16,777,216: a frame header of that length "
        "is accepted (waiting).",
        ["FW-LIM-1", "FW-MSG-10"],
        length=16_777_216,
        end=OPEN,
        limits=big_frames,
    )
    header_only(
        suite,
        GROUP,
        "default-max-message-size-plus-one",
        "Max frame 2^30, default max message: a frame header of length 16,777,217 is "
        "message-too-large at once.",
        ["FW-LIM-1", "FW-MSG-10", "FW-LIM-3"],
        length=16_777_217,
        end=error("message-too-large"),
        limits=big_frames,
    )
