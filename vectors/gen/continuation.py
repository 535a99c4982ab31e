"""continuation.json: messages of several frames, errors inside a message, streaming
delivery (section 5)."""

from __future__ import annotations

from typing import NamedTuple, TypedDict

from casebuild import (
    CLEAN,
    OPEN,
    Json,
    Suite,
    corrupt_trailer,
    decode,
    error,
    message,
    piece,
    valid_frames,
)

from framewire.conformance.wire import (
    DATA,
    DELIMITED,
    FRAMINGS,
    LENGTH_PREFIXED,
    PING,
    PONG,
    delimit,
    frame,
    nonzero_bytes,
    on_wire,
)

GROUP = "continuation"
# Message A: a start, a middle and a last frame, type 0x40, application flags 2.
A1 = frame(DATA, b"a1-", app=2, more=True)
A2 = frame(DATA, b"a2-", app=2, cont=True, more=True)
A3 = frame(DATA, b"a3", app=2, cont=True)
WHOLE_A = message(DATA, b"a1-a2-a3", 2)


def cases(suite: Suite) -> None:
    """Section 5."""
    assembly_cases(suite)
    interleaving_cases(suite)
    for fault in [*message_faults(), *mismatch_faults()]:
        both_framings(suite, fault)
    frame_errors_in_message(suite)
    interrupting_frame_too_large(suite)
    truncated_message_cases(suite)
    streaming_cases(suite)


def assembly_cases(suite: Suite) -> None:
    """FW-MSG-1..3: frames of one message, payloads concatenated however it is split."""
    valid_frames(
        suite,
        GROUP,
        "three-frames",
        "A message of a start, a middle and a last frame: payloads concatenated.",
        ["FW-MSG-1", "FW-MSG-2", "FW-MSG-3"],
        frames=[A1, A2, A3],
        events=[WHOLE_A],
    )
    split_ways = [
        [frame(0x47, b"abcdef", app=6)],
        [
            frame(0x47, b"ab", app=6, more=True),
            frame(0x47, b"cd", app=6, cont=True, more=True, checksum=True),
            frame(0x47, b"ef", app=6, cont=True),
        ],
        [
            frame(0x47, b"", app=6, more=True, checksum=True),
            frame(0x47, b"a", app=6, cont=True, more=True),
            frame(0x47, b"bcdef", app=6, cont=True, more=True),
            frame(0x47, b"", app=6, cont=True, checksum=True),
        ],
    ]
    valid_frames(
        suite,
        GROUP,
        "same-message-different-splits",
        "The same message sent whole, in three frames, and in four frames with empty ends "
        "and mixed checksums: three identical messages.",
        ["FW-MOD-1", "FW-MOD-2", "FW-MSG-2", "FW-CRC-4"],
        frames=[one for way in split_ways for one in way],
        events=[message(0x47, b"abcdef", 6)] * len(split_ways),
    )
    valid_frames(
        suite,
        GROUP,
        "empty-first-and-last",
        "Empty start frame, one middle frame, empty last frame (ended after the fact).",
        ["FW-MSG-2", "FW-LEN-2"],
        frames=[
            frame(0x50, b"", more=True),
            frame(0x50, b"mid", cont=True, more=True),
            frame(0x50, b"", cont=True),
        ],
        events=[message(0x50, b"mid")],
        tags=["boundary"],
    )
    valid_frames(
        suite,
        GROUP,
        "all-frames-empty",
        "A message of two empty frames: one empty message.",
        ["FW-MSG-2"],
        frames=[frame(DATA, more=True), frame(DATA, cont=True)],
        events=[message(DATA)],
        tags=["boundary"],
    )


def interleaving_cases(suite: Suite) -> None:
    """FW-MSG-6, FW-MSG-16: control frames inside a message, messages one after another."""
    valid_frames(
        suite,
        GROUP,
        "control-between-frames",
        "A PING and a PONG between the frames of a data message: each delivered at once, "
        "the data message when its last frame arrives.",
        ["FW-MSG-6", "FW-MSG-16"],
        frames=[A1, frame(PING, b"12345678"), A2, frame(PONG, b"abcdefgh"), A3],
        events=[message(PING, b"12345678"), message(PONG, b"abcdefgh"), WHOLE_A],
    )
    valid_frames(
        suite,
        GROUP,
        "messages-in-order",
        "A single-frame message, a two-frame message, another single-frame message.",
        ["FW-MSG-16", "FW-MSG-5"],
        frames=[frame(0x41, b"x"), A1, A3, frame(0x42, b"y")],
        events=[message(0x41, b"x"), message(DATA, b"a1-a3", 2), message(0x42, b"y")],
    )


class MessageFault(NamedTuple):
    """Frames that break a message rule of section 5, and what each framing delivers:
    length-prefixed stops at the fatal error, delimited reports it and goes on."""

    key: str
    description: str
    statements: list[str]
    frames: list[bytes]
    lpf_events: list[Json]
    lpf_error: str
    dlm_events: list[Json]


def both_framings(suite: Suite, fault: MessageFault) -> None:
    """One case per framing for a message fault."""
    for framing in FRAMINGS:
        is_lpf = framing == LENGTH_PREFIXED
        decode(
            suite,
            GROUP,
            fault.key,
            fault.description,
            [*fault.statements, "FW-LPF-3" if is_lpf else "FW-DLM-6"],
            framing=framing,
            data=on_wire(framing, *fault.frames),
            events=fault.lpf_events if is_lpf else fault.dlm_events,
            end=error(fault.lpf_error) if is_lpf else CLEAN,
        )


def message_faults() -> list[MessageFault]:
    """FW-MSG-7, FW-MSG-8: continuations without a start, starts inside a message."""
    x = frame(0x41, b"x")
    b1, b2 = frame(0x42, b"b1-", more=True), frame(0x42, b"b2", cont=True)
    return [
        MessageFault(
            "continuation-without-start-last",
            "A last continuation frame (N set, M clear) with no message in progress: dropped "
            "alone.",
            ["FW-MSG-7", "FW-MSG-12"],
            [frame(DATA, b"stray", cont=True), x],
            [],
            "unexpected-continuation",
            [error("unexpected-continuation"), message(0x41, b"x")],
        ),
        MessageFault(
            "continuation-without-start-middle",
            "A middle continuation frame (N and M set) with no message in progress: dropped alone.",
            ["FW-MSG-7", "FW-MSG-12"],
            [frame(DATA, b"stray", cont=True, more=True), x],
            [],
            "unexpected-continuation",
            [error("unexpected-continuation"), message(0x41, b"x")],
        ),
        MessageFault(
            "continuation-after-complete-message",
            "A continuation frame right after a complete single-frame message.",
            ["FW-MSG-7", "FW-MSG-12"],
            [x, frame(0x41, b"y", cont=True), x],
            [message(0x41, b"x")],
            "unexpected-continuation",
            [message(0x41, b"x"), error("unexpected-continuation"), message(0x41, b"x")],
        ),
        MessageFault(
            "start-interrupts-message-single",
            "A single-frame message starts while a message is in progress: the old message is "
            "dropped, the new frame is delivered.",
            ["FW-MSG-8", "FW-MSG-13", "FW-MSG-5"],
            [A1, x],
            [],
            "message-interrupted",
            [error("message-interrupted"), message(0x41, b"x")],
        ),
        MessageFault(
            "start-interrupts-message-multi",
            "A new multi-frame message starts while one is in progress: the old one is "
            "dropped, the new one assembles normally.",
            ["FW-MSG-8", "FW-MSG-13"],
            [A1, b1, b2],
            [],
            "message-interrupted",
            [error("message-interrupted"), message(0x42, b"b1-b2")],
        ),
        MessageFault(
            "start-interrupts-then-stray-last",
            "A start frame interrupts message A, then A's last frame arrives: it now "
            "continues the new message B (types differ).",
            ["FW-MSG-8", "FW-MSG-13", "FW-MSG-9"],
            [A1, b1, A3, b2],
            [],
            "message-interrupted",
            [
                error("message-interrupted"),
                error("continuation-mismatch"),
                error("unexpected-continuation"),
            ],
        ),
    ]


def mismatch_faults() -> list[MessageFault]:
    """FW-MSG-9: a continuation whose type or application flags differ from the message's."""
    x = frame(0x41, b"x")
    return [
        MessageFault(
            "continuation-type-mismatch",
            "A continuation frame of type 0x41 in a message of type 0x40: the frame and the "
            "message are dropped; the message's last frame is then unexpected.",
            ["FW-MSG-9", "FW-MSG-3", "FW-MSG-14"],
            [A1, frame(0x41, b"a2-", app=2, cont=True, more=True), A3, x],
            [],
            "continuation-mismatch",
            [error("continuation-mismatch"), error("unexpected-continuation"), message(0x41, b"x")],
        ),
        MessageFault(
            "continuation-flags-mismatch",
            "A continuation frame with application flags 3 in a message with flags 2.",
            ["FW-MSG-9", "FW-MSG-3", "FW-MSG-14"],
            [A1, frame(DATA, b"a2-", app=3, cont=True, more=True), A3, x],
            [],
            "continuation-mismatch",
            [error("continuation-mismatch"), error("unexpected-continuation"), message(0x41, b"x")],
        ),
        MessageFault(
            "last-frame-flags-mismatch",
            "The last frame (N set, M clear) has application flags 0 in a message with flags 2.",
            ["FW-MSG-9", "FW-MSG-3", "FW-MSG-14"],
            [A1, frame(DATA, b"a3", cont=True), x],
            [],
            "continuation-mismatch",
            [error("continuation-mismatch"), message(0x41, b"x")],
        ),
    ]


class MiddleFlags(TypedDict):
    """The flags of message A's middle frame, shared by its faulty variants."""

    checksum: bool
    cont: bool
    more: bool
    app: int


MIDDLE_OF_A = MiddleFlags(checksum=True, cont=True, more=True, app=2)


def frame_errors_in_message(suite: Suite) -> None:
    """FW-MSG-14: a frame error while a message is in progress drops that message too."""
    x = frame(0x41, b"x")
    bad_frames = [
        ("checksum-mismatch", delimit(corrupt_trailer(frame(DATA, b"a2-", **MIDDLE_OF_A)))),
        ("length-mismatch", delimit(frame(DATA, b"a2-", length=4, app=2, cont=True, more=True))),
        ("cobs-invalid", b"\x30\x46\x57\x00"),
        ("bad-magic", delimit(frame(DATA, b"a2-", magic=b"FX", **MIDDLE_OF_A))),
        ("unsupported-version", delimit(frame(DATA, b"a2-", version=3, **MIDDLE_OF_A))),
        ("reserved-flag", delimit(frame(DATA, b"a2-", raw_flags=0x20 | 0x0E))),
        ("reserved-type", delimit(frame(0x20, b"a2-", cont=True, more=True))),
        ("fragmented-control", delimit(frame(PING, b"12345678", more=True))),
        ("frame-too-large", delimit(frame(DATA, nonzero_bytes(300), cont=True, more=True, app=2))),
    ]
    for name, encoded in bad_frames:
        decode(
            suite,
            GROUP,
            f"frame-error-in-message-{name}",
            f"A {name} frame in the middle of a message: the frame and the message are "
            "dropped; the message's last frame is then an unexpected continuation; the "
            "next message is delivered.",
            ["FW-MSG-14", "FW-DLM-6"],
            framing=DELIMITED,
            data=delimit(A1) + encoded + delimit(A3, x),
            events=[error(name), error("unexpected-continuation"), message(0x41, b"x")],
            end=CLEAN,
        )
    limits = {"max_frame_size": 256, "max_message_size": 300}
    decode(
        suite,
        GROUP,
        "message-too-large-then-stray-frames",
        "Max message 300: the second frame of a message would bring it to 400 bytes; the "
        "frame and the message are dropped, its two later frames are each an unexpected "
        "continuation, then a new message is delivered.",
        ["FW-MSG-10", "FW-MSG-14"],
        framing=DELIMITED,
        data=delimit(
            frame(DATA, nonzero_bytes(200), more=True),
            frame(DATA, nonzero_bytes(200), cont=True, more=True),
            frame(DATA, b"c", cont=True, more=True),
            frame(DATA, b"d", cont=True),
            x,
        ),
        events=[
            error("message-too-large"),
            error("unexpected-continuation"),
            error("unexpected-continuation"),
            message(0x41, b"x"),
        ],
        end=CLEAN,
        limits=limits,
    )


def interrupting_frame_too_large(suite: Suite) -> None:
    """FW-MSG-13: the frame kept after message-interrupted fails message-too-large."""
    big = nonzero_bytes(300)
    decode(
        suite,
        GROUP,
        "interrupting-start-too-large",
        "Max frame 1024, max message 256: a start frame of 300 bytes (M set) interrupts "
        "message A. Reported: message-interrupted only; the new frame is then too large "
        "for a message and dropped without a second report, so its continuation is "
        "unexpected; the next message is delivered.",
        ["FW-MSG-13", "FW-MSG-8", "FW-MSG-10", "FW-HDR-8"],
        framing=DELIMITED,
        data=delimit(
            A1,
            frame(0x42, big, more=True),
            frame(0x42, b"end", cont=True),
            frame(0x41, b"x"),
        ),
        events=[
            error("message-interrupted"),
            error("unexpected-continuation"),
            message(0x41, b"x"),
        ],
        end=CLEAN,
        limits={"max_frame_size": 1024, "max_message_size": 256},
        tags=["check-order"],
    )


def truncated_message_cases(suite: Suite) -> None:
    """FW-MSG-11: end of input inside a message, at and inside a frame boundary."""
    for framing in FRAMINGS:
        decode(
            suite,
            GROUP,
            "eof-after-first-frame",
            "End of input at a frame boundary after the first frame of a message: "
            "truncated-message; the partial message is not delivered.",
            ["FW-MSG-11"],
            framing=framing,
            data=on_wire(framing, frame(0x41, b"x"), A1, A2),
            events=[message(0x41, b"x")],
            end=error("truncated-message"),
            tags=["eof"],
        )
        cut = on_wire(framing, A1) + on_wire(framing, A2)[:-3]
        decode(
            suite,
            GROUP,
            "eof-inside-frame-inside-message",
            "End of input inside the second frame of a message: only truncated-frame is "
            "reported (one end of input gives at most one error).",
            ["FW-MSG-11", "FW-LPF-4" if framing == LENGTH_PREFIXED else "FW-DLM-5"],
            framing=framing,
            data=cut,
            events=[],
            end=error("truncated-frame"),
            tags=["eof"],
        )
        decode(
            suite,
            GROUP,
            "message-in-progress-no-eof",
            "The first two frames of a message and no end of input: nothing delivered yet, "
            "no error (open).",
            ["FW-MSG-15", "FW-MSG-11"],
            framing=framing,
            data=on_wire(framing, A1, A2),
            events=[],
            end=OPEN,
            eof=False,
            tags=["eof"],
        )


# A streamed message of three frames with a PING inside, then a single-frame message.
UNLIMITED = {"max_frame_size": 256, "max_message_size": 0}
STREAM_FRAMES = [
    frame(0x60, b"p1", app=1, more=True),
    frame(PING, b"pingpong"),
    frame(0x60, b"", app=1, cont=True, more=True),
    frame(0x60, b"p3", app=1, cont=True),
    frame(0x61, b"solo"),
]
STREAM_EVENTS = [
    piece(b"p1", first=True, last=False, type_=0x60, app=1),
    message(PING, b"pingpong"),
    piece(b"", first=False, last=False, type_=0x60, app=1),
    piece(b"p3", first=False, last=True, type_=0x60, app=1),
    piece(b"solo", first=True, last=True, type_=0x61),
]


def streaming_cases(suite: Suite) -> None:
    """FW-MSG-15 / FW-LIM-5: one piece per data frame (assemble: false, optional)."""
    for framing in FRAMINGS:
        streamed_message(suite, framing)
        streaming_message_too_large(suite, framing)
    streaming_frame_error(suite)


def streamed_message(suite: Suite, framing: str) -> None:
    """The streamed message whole, and cut by end of input after its second frame."""
    decode(
        suite,
        GROUP,
        "streaming-pieces",
        "Streaming delivery, no message limit: one piece per data frame with first/last "
        "marks; a control frame in between is delivered whole.",
        ["FW-MSG-15", "FW-MSG-18", "FW-LIM-5", "FW-MSG-6"],
        framing=framing,
        data=on_wire(framing, *STREAM_FRAMES),
        events=STREAM_EVENTS,
        end=CLEAN,
        limits=UNLIMITED,
        assemble=False,
        tags=["streaming"],
    )
    decode(
        suite,
        GROUP,
        "streaming-truncated-message",
        "Streaming delivery: two pieces, then end of input at a frame boundary: the "
        "application learns that the message ended with truncated-message.",
        ["FW-MSG-15", "FW-MSG-18", "FW-MSG-11"],
        framing=framing,
        data=on_wire(framing, *STREAM_FRAMES[:3]),
        events=STREAM_EVENTS[:3],
        end=error("truncated-message"),
        limits=UNLIMITED,
        assemble=False,
        tags=["streaming", "eof"],
    )


def streaming_message_too_large(suite: Suite, framing: str) -> None:
    """FW-MSG-18: pieces already delivered stay delivered when the limit is hit."""
    is_lpf = framing == LENGTH_PREFIXED
    decode(
        suite,
        GROUP,
        "streaming-message-too-large",
        "Streaming delivery with max message 300: two pieces of 200 and 100 bytes are "
        "delivered, the third frame would exceed the limit.",
        ["FW-MSG-15", "FW-MSG-18", "FW-MSG-10"],
        framing=framing,
        data=on_wire(
            framing,
            frame(DATA, nonzero_bytes(200), more=True),
            frame(DATA, nonzero_bytes(100), cont=True, more=True),
            frame(DATA, b"!", cont=True),
        ),
        events=[
            piece(nonzero_bytes(200), first=True, last=False),
            piece(nonzero_bytes(100), first=False, last=False),
            *([] if is_lpf else [error("message-too-large")]),
        ],
        end=error("message-too-large") if is_lpf else CLEAN,
        limits={"max_frame_size": 256, "max_message_size": 300},
        assemble=False,
        tags=["streaming"],
    )


def streaming_frame_error(suite: Suite) -> None:
    """FW-MSG-14 while streaming: a bad frame drops the message its pieces belong to."""
    p1, p3 = STREAM_FRAMES[0], STREAM_FRAMES[3]
    decode(
        suite,
        GROUP,
        "streaming-frame-error-drops-message",
        "Streaming delivery: the first piece of a message is delivered, then its next frame "
        "fails its checksum: the error event tells the application that the message of "
        "that piece is dropped; its last frame is then an unexpected continuation, and no "
        "piece of it is delivered.",
        ["FW-MSG-18", "FW-MSG-15", "FW-MSG-14", "FW-CRC-3"],
        framing=DELIMITED,
        data=delimit(
            p1,
            corrupt_trailer(frame(0x60, b"p2", app=1, cont=True, more=True, checksum=True)),
            p3,
            frame(0x61, b"solo"),
        ),
        events=[
            piece(b"p1", first=True, last=False, type_=0x60, app=1),
            error("checksum-mismatch"),
            error("unexpected-continuation"),
            piece(b"solo", first=True, last=True, type_=0x61),
        ],
        end=CLEAN,
        limits=UNLIMITED,
        assemble=False,
        tags=["streaming"],
    )
