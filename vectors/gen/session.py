"""session.json: sessions over stream sockets (sections 6, 7.2); the implementation is one peer.

Each case gives what the other peer sends (`input`, from its first preface byte), and
what the implementation must deliver, send after its own preface and HELLO, and how the
session ends. Expectations are stated by hand from section 6; whether a fatal error is
announced with an ERROR frame comes from the registry's "ERROR frame" column.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from casebuild import (
    CLEAN,
    DEFAULT_LIMITS,
    OPEN,
    SHORT,
    SMALL_LIMITS,
    Json,
    Suite,
    corrupt_trailer,
    error,
    message,
    tags_for,
)
from specdata import error_registry

from framewire.conformance.wire import (
    DATA,
    DELIMITED,
    ERROR,
    FRAMINGS,
    HELLO,
    LENGTH_PREFIXED,
    PING,
    PONG,
    error_payload,
    frame,
    hello_payload,
    nonzero_bytes,
    on_wire,
    preface,
)

GROUP = "session"
PEER_HELLO = frame(HELLO, hello_payload((1, 1_048_576), (2, 16_777_216)))
# Long enough for a whole header (9 bytes), so a length-prefixed receiver has decided.
GARBAGE = bytes.fromhex("deadbeef") * 3
ANNOUNCES_ERROR = {entry.name: entry.sends_error_frame for entry in error_registry()}
HANDSHAKE_MS = 1000
"""The handshake deadline of the deadline cases: longer than FRAME_MS, so that a case can
tell the two apart (FW-LIM-9)."""
FRAME_MS = 300
"""The frame deadline of the deadline cases."""


def session(
    suite: Suite,
    key: str,
    description: str,
    statements: list[str],
    *,
    framing: str,
    data: bytes,
    events: list[Json],
    sent: list[Json],
    end: object,
    limits: Json | None = None,
    eof: bool = True,
    deadlines: Json | None = None,
    tags: Iterable[str] = (),
    hello_frame: bytes | None = None,
    pauses: list[Json] | None = None,
    after_end: bytes | None = None,
    read: str | None = None,
    control: bool = False,
    send: list[Json] | None = None,
) -> None:
    """Add one session case; `limits` are the implementation's own (default: section 7).

    `read`, `control`, `send` (adapter protocol version 2): read no event before the last
    chunk ("end", FW-CNF-34), report the peer's HELLO among the events (FW-CNF-35), send
    these messages once the peer's HELLO is read (FW-CNF-36).

    `hello_frame`: the exact HELLO frame FW-HEL-8 recommends (the case is then SHOULD).
    `pauses` and `after_end` (live-only cases): when the runner waits between writes, and
    what it writes once the implementation's output has ended.
    """
    limits = limits or DEFAULT_LIMITS
    names = [end["error"]] if isinstance(end, dict) and "error" in end else []
    extra = list(tags)
    if deadlines is not None or after_end is not None:
        extra.append("live-only")
    case: Json = {
        "description": description,
        "statements": list(dict.fromkeys(statements)),
        "level": "MUST",
        "tags": tags_for(GROUP, framing, names, extra),
        "kind": "session",
        "framing": framing,
        "limits": limits,
        "input": data.hex(),
        "eof": eof,
    }
    if deadlines is not None:
        case["deadlines"] = deadlines
    if pauses is not None:
        case["pauses"] = pauses
    if after_end is not None:
        case["after_end"] = after_end.hex()
    if read is not None:
        case["read"] = read
    if control:
        case["control"] = True
    if send is not None:
        case["send"] = send
    case["expect"] = {"hello": limits, "events": events, "sent": sent, "end": end}
    if hello_frame is not None:
        case["level"] = "SHOULD"
        case["expect"]["hello_frame"] = hello_frame.hex()
    suite.add(GROUP, f"{key}/{SHORT[framing]}", case)


def opening(framing: str, hello: bytes = PEER_HELLO) -> bytes:
    """The other peer's preface and HELLO."""
    return preface(framing) + on_wire(framing, hello)


def failure(name: str) -> tuple[list[Json], object]:
    """What a fatal error `name` sends (an ERROR frame, if the registry says so) and ends."""
    return ([{"error": name}] if ANNOUNCES_ERROR[name] else []), error(name)


def cases(suite: Suite) -> None:
    """Every session case, in both framings where the framing does not matter."""
    for framing in FRAMINGS:
        handshake_cases(suite, framing)
        hello_cases(suite, framing)
        error_frame_cases(suite, framing)
        ping_cases(suite, framing)
        preface_cases(suite, framing)
        end_of_input_cases(suite, framing)
        fatal_frame_cases(suite, framing)
        deadline_cases(suite, framing)
        reading_cases(suite, framing)
        state_order_cases(suite, framing)
        control_layout_order_cases(suite, framing)
        handshake_end_cases(suite, framing)
        ping_between_messages(suite, framing)
        application_cases(suite, framing)
    lone_delimiters(suite)
    zero_in_preface_cases(suite)
    worked_example(suite)
    hello_bytes_cases(suite)


def handshake_cases(suite: Suite, framing: str) -> None:
    """FW-SES-1, FW-SES-2, FW-PRE-1, FW-HEL-1, clean end (FW-CLS-*)."""
    session(
        suite,
        "nothing-received",
        "The other peer sends nothing yet: the implementation sends its preface and HELLO "
        "at once without waiting, and nothing else (no data, PING or PONG before the "
        "peer's HELLO).",
        ["FW-SES-1", "FW-SES-2", "FW-PRE-1", "FW-HEL-1"],
        framing=framing,
        data=b"",
        events=[],
        sent=[],
        end=OPEN,
        eof=False,
    )
    session(
        suite,
        "handshake-then-eof",
        "Preface and HELLO, then the peer half-closes: a clean end of that direction.",
        ["FW-SES-1", "FW-PRE-1", "FW-HEL-1", "FW-CLS-2", "FW-HEL-2"],
        framing=framing,
        data=opening(framing),
        events=[],
        sent=[],
        end=CLEAN,
    )
    session(
        suite,
        "handshake-no-eof",
        "Preface and HELLO, no end of input: the session is open.",
        ["FW-SES-1", "FW-HEL-1"],
        framing=framing,
        data=opening(framing),
        events=[],
        sent=[],
        end=OPEN,
        eof=False,
    )
    data_after_handshake(suite, framing)


def data_after_handshake(suite: Suite, framing: str) -> None:
    """Messages after the handshake, delivered in order, up to the announced limits."""
    multi = [
        frame(0x55, b"par", app=4, more=True),
        frame(0x55, b"ts", app=4, cont=True, checksum=True),
    ]
    session(
        suite,
        "data-then-eof",
        "Three data messages (one empty, one of two frames with application flags 4) then "
        "the peer half-closes: all delivered in order, then a clean end. (Live mode: the "
        "echo peer echoes them and then half-closes in turn.)",
        ["FW-CLS-2", "FW-CLS-1", "FW-CLS-3", "FW-MSG-1", "FW-FLG-3", "FW-MSG-16"],
        framing=framing,
        data=opening(framing) + on_wire(framing, frame(DATA, b"first"), frame(0x41), *multi),
        events=[message(DATA, b"first"), message(0x41), message(0x55, b"parts", 4)],
        sent=[],
        end=CLEAN,
        tags=["echo"],
    )
    session(
        suite,
        "announced-limits-exact",
        "The implementation announces max frame 256 and max message 1024 and accepts a "
        "message of 4 frames of 256 bytes (exactly both limits).",
        ["FW-HEL-6", "FW-LIM-3", "FW-MSG-10"],
        framing=framing,
        data=opening(framing)
        + on_wire(
            framing,
            frame(DATA, nonzero_bytes(256), more=True),
            frame(DATA, nonzero_bytes(256), cont=True, more=True),
            frame(DATA, nonzero_bytes(256), cont=True, more=True),
            frame(DATA, nonzero_bytes(256), cont=True),
        ),
        events=[message(DATA, nonzero_bytes(256) * 4)],
        sent=[],
        end=CLEAN,
        limits=SMALL_LIMITS,
        tags=["boundary"],
    )


class Malformed(NamedTuple):
    """A control payload that breaks its section 6 layout."""

    key: str
    description: str
    payload: bytes


class HelloRow(NamedTuple):
    """A valid HELLO payload, and the statements it checks besides FW-HEL-1."""

    key: str
    description: str
    payload: bytes
    statements: list[str]


def hello_cases(suite: Suite, framing: str) -> None:
    """FW-HEL-1..4, FW-HEL-7: valid and malformed HELLOs."""
    valid_hello_cases(suite, framing)
    hello_size_cases(suite, framing)
    malformed_hello_cases(suite, framing)
    early_frame_cases(suite, framing)


def after_hello(framing: str) -> bytes:
    """A data frame sent after the HELLO: delivered once the session is open."""
    return on_wire(framing, frame(DATA, b"after hello"))


def valid_hellos() -> list[HelloRow]:
    """HELLOs the receiver must accept: empty, reordered, unknown settings, extremes."""
    return [
        HelloRow("empty", "An empty HELLO (all settings default).", hello_payload(), ["FW-HEL-2"]),
        HelloRow(
            "reversed-order",
            "Settings in the order MAX_MESSAGE_SIZE, MAX_FRAME_SIZE.",
            hello_payload((2, 4096), (1, 256)),
            [],
        ),
        HelloRow(
            "unknown-settings",
            "Unknown settings 0x0003 and 0xFFFF are ignored.",
            hello_payload((3, 7), (1, 4096), (0xFFFF, 0xFFFFFFFF)),
            ["FW-HEL-4"],
        ),
        HelloRow(
            "minimum-values",
            "MAX_FRAME_SIZE 256 and MAX_MESSAGE_SIZE 256 (the minimums).",
            hello_payload((1, 256), (2, 256)),
            ["FW-HEL-3", "FW-LIM-2"],
        ),
        HelloRow(
            "maximum-values",
            "MAX_FRAME_SIZE 2^30 and MAX_MESSAGE_SIZE 2^32 - 1.",
            hello_payload((1, 1 << 30), (2, 0xFFFFFFFF)),
            ["FW-HEL-3", "FW-LIM-2"],
        ),
        HelloRow(
            "no-message-limit",
            "MAX_MESSAGE_SIZE 0 (no limit).",
            hello_payload((2, 0)),
            ["FW-HEL-3", "FW-LIM-2"],
        ),
    ]


def valid_hello_cases(suite: Suite, framing: str) -> None:
    """Each valid HELLO opens the session; so does one with a CRC trailer."""
    for row in valid_hellos():
        session(
            suite,
            f"hello-{row.key}",
            f"{row.description} The session opens; a data message is delivered.",
            ["FW-HEL-1", *row.statements],
            framing=framing,
            data=opening(framing, frame(HELLO, row.payload)) + after_hello(framing),
            events=[message(DATA, b"after hello")],
            sent=[],
            end=CLEAN,
            tags=["hello"],
        )
    session(
        suite,
        "hello-with-checksum",
        "A HELLO with a CRC trailer.",
        ["FW-HEL-1", "FW-CRC-4"],
        framing=framing,
        data=opening(framing, frame(HELLO, hello_payload((1, 65536)), checksum=True))
        + after_hello(framing),
        events=[message(DATA, b"after hello")],
        sent=[],
        end=CLEAN,
        tags=["hello"],
    )


def hello_size_cases(suite: Suite, framing: str) -> None:
    """FW-EXT-5: the largest HELLO that fits max frame 256, and one setting more."""
    after = after_hello(framing)
    many = [(1, 256), (2, 1024), *((0x100 + index, index) for index in range(40))]
    session(
        suite,
        "hello-42-settings",
        "A HELLO of 42 settings (252 bytes: the two known ones and 40 unknown), received "
        "with max frame 256: accepted.",
        ["FW-EXT-5", "FW-HEL-4"],
        framing=framing,
        data=opening(framing, frame(HELLO, hello_payload(*many))) + after,
        events=[message(DATA, b"after hello")],
        sent=[],
        end=CLEAN,
        limits=SMALL_LIMITS,
        tags=["hello", "boundary"],
    )
    sent, end = failure("frame-too-large")
    session(
        suite,
        "hello-43-settings",
        "A HELLO of 43 settings (258 bytes, more than FW-EXT-5 allows) received with max "
        "frame 256: frame-too-large from its header.",
        ["FW-EXT-5", "FW-LEN-3", "FW-HEL-6"],
        framing=framing,
        data=opening(framing, frame(HELLO, hello_payload(*many, (0x200, 0)))) + after,
        events=[],
        sent=sent,
        end=end,
        limits=SMALL_LIMITS,
        tags=["hello", "boundary"],
    )


def malformed_hellos() -> list[Malformed]:
    """HELLO payloads of a wrong length, with a duplicate setting or a value out of range."""
    return [
        Malformed("length-5", "A HELLO payload of 5 bytes.", hello_payload((1, 256))[:5]),
        Malformed(
            "length-7",
            "A HELLO payload of 7 bytes (one setting and one byte).",
            hello_payload((1, 256)) + b"\x00",
        ),
        Malformed("length-1", "A HELLO payload of 1 byte.", b"\x01"),
        Malformed(
            "duplicate-frame-size",
            "MAX_FRAME_SIZE twice (same value).",
            hello_payload((1, 4096), (1, 4096)),
        ),
        Malformed(
            "duplicate-unknown", "Unknown setting 0x0003 twice.", hello_payload((3, 1), (3, 1))
        ),
        Malformed("frame-size-255", "MAX_FRAME_SIZE 255.", hello_payload((1, 255))),
        Malformed("frame-size-0", "MAX_FRAME_SIZE 0.", hello_payload((1, 0))),
        Malformed(
            "frame-size-ceiling-plus-one",
            "MAX_FRAME_SIZE 2^30 + 1.",
            hello_payload((1, (1 << 30) + 1)),
        ),
        Malformed("frame-size-max-u32", "MAX_FRAME_SIZE 2^32 - 1.", hello_payload((1, 0xFFFFFFFF))),
        Malformed("message-size-255", "MAX_MESSAGE_SIZE 255.", hello_payload((2, 255))),
        Malformed("message-size-1", "MAX_MESSAGE_SIZE 1.", hello_payload((2, 1))),
    ]


def malformed_hello_cases(suite: Suite, framing: str) -> None:
    """FW-HEL-3: a malformed HELLO fails the connection with malformed-control."""
    sent, end = failure("malformed-control")
    for row in malformed_hellos():
        session(
            suite,
            f"hello-malformed-{row.key}",
            f"{row.description} The connection fails with malformed-control (ERROR sent).",
            ["FW-HEL-3", "FW-ERR-1", "FW-ERR-2"],
            framing=framing,
            data=opening(framing, frame(HELLO, row.payload)) + after_hello(framing),
            events=[],
            sent=sent,
            end=end,
            tags=["hello"],
        )


def early_frame_cases(suite: Suite, framing: str) -> None:
    """FW-HEL-1, FW-HEL-7: a HELLO comes first and once; anything else there is unexpected."""
    sent, end = failure("unexpected-message")
    session(
        suite,
        "second-hello",
        "A second HELLO after a data message: unexpected-message; the message before it "
        "stays delivered, limits are never renegotiated.",
        ["FW-HEL-1", "FW-HEL-7", "FW-SES-6", "FW-SES-3"],
        framing=framing,
        data=opening(framing)
        + on_wire(framing, frame(DATA, b"before"), frame(HELLO, hello_payload((1, 256)))),
        events=[message(DATA, b"before")],
        sent=sent,
        end=end,
        tags=["hello"],
    )
    for key, early in (
        ("data", frame(DATA, b"too early")),
        ("ping", frame(PING, b"12345678")),
        ("pong", frame(PONG, b"12345678")),
    ):
        session(
            suite,
            f"{key}-before-hello",
            f"A {key.upper()} frame right after the preface, before any HELLO: "
            "unexpected-message (and no PONG is sent).",
            ["FW-HEL-1", "FW-SES-6"],
            framing=framing,
            data=preface(framing) + on_wire(framing, early, PEER_HELLO),
            events=[],
            sent=sent,
            end=end,
            tags=["hello"],
        )


class PeerError(NamedTuple):
    """A valid ERROR from the peer: its code and reason are reported as they are."""

    key: str
    description: str
    code: int
    reason: str
    statements: list[str]


def error_frame_cases(suite: Suite, framing: str) -> None:
    """FW-ERR-3..5: the other peer sends ERROR, valid or malformed."""
    before = on_wire(framing, frame(DATA, b"before"))
    ignored = on_wire(framing, frame(DATA, b"ignored"))
    session(
        suite,
        "error-instead-of-hello",
        "The peer's first frame is an ERROR (code 300) instead of a HELLO: reported as the "
        "peer's error; nothing is sent in reply.",
        ["FW-ERR-5", "FW-ERR-3"],
        framing=framing,
        data=opening(framing, frame(ERROR, error_payload(300, b"bad preface"))),
        events=[],
        sent=[],
        end={"peer_error": {"code": 300, "reason": "bad preface"}},
        tags=["error-frame"],
    )
    for row in peer_errors():
        session(
            suite,
            f"error-{row.key}",
            f"{row.description} Nothing is sent in reply.",
            ["FW-ERR-3", *row.statements],
            framing=framing,
            data=opening(framing)
            + before
            + on_wire(framing, frame(ERROR, error_payload(row.code, row.reason.encode())))
            + ignored,
            events=[message(DATA, b"before")],
            sent=[],
            end={"peer_error": {"code": row.code, "reason": row.reason}},
            tags=["error-frame"],
        )
    error_inside_message(suite, framing)
    malformed_error_cases(suite, framing)


def peer_errors() -> list[PeerError]:
    """Valid ERRORs: known and unknown codes, reasons empty, long, multi-byte or hostile."""
    return [
        PeerError(
            "after-data",
            "An ERROR with code 203 after a data message; a data frame after it is not delivered.",
            203,
            "message-too-large (FW-MSG-10)",
            ["FW-SES-4"],
        ),
        PeerError(
            "unknown-code",
            "An ERROR with code 999 (not in the registry) and an empty "
            "reason: reported with its number.",
            999,
            "",
            ["FW-ERR-4"],
        ),
        PeerError(
            "utf8-reason",
            "An ERROR with a multi-byte UTF-8 reason.",
            305,
            "größe ≠ 254 ✓",
            ["FW-ERR-2"],
        ),
        PeerError(
            "max-reason",
            "An ERROR with a 254-byte reason (the longest allowed).",
            304,
            "t" * 254,
            ["FW-ERR-2"],
        ),
        PeerError(
            "long-reason",
            "An ERROR with a 300-byte reason (longer than a sender may write, within the "
            "receiver's max frame size): accepted.",
            203,
            "r" * 300,
            ["FW-ERR-2"],
        ),
        PeerError(
            "code-zero",
            "An ERROR with the reserved code 0: reported with its number, not an error in itself.",
            0,
            "zero",
            ["FW-ERR-4"],
        ),
        PeerError(
            "control-characters",
            "An ERROR whose reason holds an ANSI escape sequence, a bell "
            "and a line feed: reported as it is, never interpreted.",
            100,
            "\x1b[31mred\x1b[0m\x07\nnext line",
            ["FW-SEC-5"],
        ),
    ]


def error_inside_message(suite: Suite, framing: str) -> None:
    """FW-MSG-6: an ERROR inside a data message ends the session; the message is lost."""
    session(
        suite,
        "error-inside-message",
        "An ERROR between the frames of a data message: the partial message is never delivered.",
        ["FW-ERR-3", "FW-MSG-6", "FW-MSG-15"],
        framing=framing,
        data=opening(framing)
        + on_wire(
            framing,
            frame(DATA, b"half", more=True),
            frame(ERROR, error_payload(305, b"")),
            frame(DATA, b"rest", cont=True),
        ),
        events=[],
        sent=[],
        end={"peer_error": {"code": 305, "reason": ""}},
        tags=["error-frame"],
    )


def malformed_errors() -> list[Malformed]:
    """ERROR payloads too short for a code, or whose reason is not valid UTF-8."""
    return [
        Malformed("empty", "An empty ERROR payload.", b""),
        Malformed("one-byte", "A 1-byte ERROR payload.", b"\x00"),
        Malformed(
            "invalid-utf8", "A reason that is not UTF-8 (byte 0xFF).", error_payload(100, b"\xff")
        ),
        Malformed(
            "overlong-utf8",
            "A reason with an overlong UTF-8 form (C0 80).",
            error_payload(100, b"a\xc0\x80"),
        ),
        Malformed(
            "truncated-utf8",
            "A reason ending in the middle of a UTF-8 sequence (E2 82).",
            error_payload(100, b"cost \xe2\x82"),
        ),
        Malformed(
            "surrogate-utf8",
            "A reason holding an encoded UTF-16 surrogate (ED A0 80).",
            error_payload(100, b"\xed\xa0\x80"),
        ),
        Malformed(
            "beyond-unicode-utf8",
            "A reason holding a 4-byte form above U+10FFFF (F4 90 80 80), which RFC 3629 excludes.",
            error_payload(100, b"\xf4\x90\x80\x80"),
        ),
    ]


def malformed_error_cases(suite: Suite, framing: str) -> None:
    """FW-ERR-4: a malformed ERROR fails the connection, and no ERROR goes back."""
    before = on_wire(framing, frame(DATA, b"before"))
    for row in malformed_errors():
        session(
            suite,
            f"error-malformed-{row.key}",
            f"{row.description} malformed-control; the connection is failed by the peer, so "
            "no ERROR is sent back.",
            ["FW-ERR-4", "FW-ERR-3"],
            framing=framing,
            data=opening(framing) + before + on_wire(framing, frame(ERROR, row.payload)),
            events=[message(DATA, b"before")],
            sent=[],
            end=error("malformed-control"),
            tags=["error-frame"],
        )


# The 8-byte payloads of the PINGs the other peer sends.
PING_A = bytes.fromhex("0102030405060708")
PING_B = b"\xff" * 8


def ping_cases(suite: Suite, framing: str) -> None:
    """FW-PNG-1..3, FW-MSG-6, FW-CLS-3."""
    pong_cases(suite, framing)
    ping_among_messages(suite, framing)
    bad_ping_cases(suite, framing)


def pong_cases(suite: Suite, framing: str) -> None:
    """FW-PNG-2: each PING gets its PONG, even after the peer's end of input."""
    session(
        suite,
        "ping-pong",
        "A PING: answered by a PONG with the same 8 bytes.",
        ["FW-PNG-2", "FW-PNG-1", "FW-CLS-7"],
        framing=framing,
        data=opening(framing) + on_wire(framing, frame(PING, PING_A)),
        events=[],
        sent=[{"pong": PING_A.hex()}],
        end=OPEN,
        eof=False,
    )
    session(
        suite,
        "two-pings",
        "Two PINGs (the second with a CRC trailer): two PONGs, in order.",
        ["FW-PNG-2", "FW-MSG-16"],
        framing=framing,
        data=opening(framing)
        + on_wire(framing, frame(PING, PING_A), frame(PING, PING_B, checksum=True)),
        events=[],
        sent=[{"pong": PING_A.hex()}, {"pong": PING_B.hex()}],
        end=OPEN,
        eof=False,
    )
    session(
        suite,
        "ping-then-eof",
        "A PING, then the peer half-closes: the other direction is still open, so the PONG "
        "is sent; the session ends cleanly.",
        ["FW-PNG-2", "FW-CLS-3", "FW-CLS-2", "FW-CLS-7"],
        framing=framing,
        data=opening(framing) + on_wire(framing, frame(PING, PING_A)),
        events=[],
        sent=[{"pong": PING_A.hex()}],
        end=CLEAN,
    )


def ping_among_messages(suite: Suite, framing: str) -> None:
    """FW-MSG-6, FW-PNG-3: PINGs inside messages, PONGs nobody asked for."""
    session(
        suite,
        "ping-inside-message",
        "A PING between the frames of a data message: answered at once; the message is "
        "delivered when complete.",
        ["FW-MSG-6", "FW-PNG-2"],
        framing=framing,
        data=opening(framing)
        + on_wire(
            framing,
            frame(DATA, b"he", more=True),
            frame(PING, PING_B),
            frame(DATA, b"llo", cont=True),
        ),
        events=[message(DATA, b"hello")],
        sent=[{"pong": PING_B.hex()}],
        end=CLEAN,
    )
    session(
        suite,
        "unsolicited-pong",
        "A PONG that answers no PING: ignored; the next message is delivered.",
        ["FW-PNG-3"],
        framing=framing,
        data=opening(framing) + on_wire(framing, frame(PONG, PING_A), frame(DATA, b"next")),
        events=[message(DATA, b"next")],
        sent=[],
        end=CLEAN,
    )


def bad_ping_cases(suite: Suite, framing: str) -> None:
    """FW-PNG-1: a PING or PONG of the wrong size; a PONG owed before a failure."""
    pong_sent, end = failure("malformed-control")
    for type_, length in ((PING, 0), (PING, 7), (PING, 9), (PONG, 7), (PONG, 9)):
        name = "ping" if type_ == PING else "pong"
        session(
            suite,
            f"{name}-length-{length}",
            f"A {name.upper()} with a {length}-byte payload: malformed-control (ERROR "
            "sent, no PONG).",
            ["FW-PNG-1", "FW-ERR-1"],
            framing=framing,
            data=opening(framing) + on_wire(framing, frame(type_, nonzero_bytes(length))),
            events=[],
            sent=pong_sent,
            end=end,
        )
    sent, end = failure("bad-magic" if framing == LENGTH_PREFIXED else "cobs-invalid")
    session(
        suite,
        "ping-then-bad-frame",
        "A PING, then 12 bytes of garbage (de ad be ef, three times) and a 0x00: the PONG "
        "was owed before the failure, so it is sent, then the ERROR (bad-magic once the 9 "
        "header bytes are in; delimited: the code byte 0xde overruns, cobs-invalid).",
        ["FW-PNG-2", "FW-SES-3"],
        framing=framing,
        data=opening(framing) + on_wire(framing, frame(PING, PING_A)) + GARBAGE + b"\x00",
        events=[],
        sent=[{"pong": PING_A.hex()}, *sent],
        end=end,
    )


class WrongByte(NamedTuple):
    """A preface with one byte changed: where, and to what."""

    key: str
    description: str
    offset: int
    value: int


def preface_cases(suite: Suite, framing: str) -> None:
    """FW-PRE-1, FW-PRE-2: a wrong byte fails at once, without an ERROR frame."""
    good = preface(framing)
    other = DELIMITED if framing == LENGTH_PREFIXED else LENGTH_PREFIXED
    wrong = [
        WrongByte(
            "high-bit-stripped", "First byte 0x09 (high bit stripped by a 7-bit link).", 0, 0x09
        ),
        WrongByte("first-byte", "First byte 0x88.", 0, 0x88),
        WrongByte("version-digit", "Byte 3 is ASCII '2' (not Framewire/1).", 3, 0x32),
        WrongByte("other-framing", f"Framing byte of {other} framing.", 4, preface(other)[4]),
        WrongByte("cr-lf-to-lf", "CR LF converted to LF (byte 5 is 0x0A).", 5, 0x0A),
        WrongByte("guard-last-byte", "Last guard byte 0x1B instead of 0x1A.", 7, 0x1B),
    ]
    for row in wrong:
        broken = good[: row.offset] + bytes([row.value])
        rest = good[row.offset + 1 :] + on_wire(framing, PEER_HELLO)
        for cut, eof, how in ((broken, False, "at-byte"), (broken + rest, True, "whole")):
            session(
                suite,
                f"bad-preface-{row.key}-{how}",
                f"{row.description} bad-preface at that byte"
                f"{' (nothing after it has arrived yet)' if how == 'at-byte' else ''}; no "
                "ERROR frame is sent.",
                ["FW-PRE-2", "FW-PRE-1", "FW-ERR-1"],
                framing=framing,
                data=cut,
                events=[],
                sent=[],
                end=error("bad-preface"),
                eof=eof,
                tags=["preface"],
            )
    for key, description, data in (
        (
            "frame-without-preface",
            "A HELLO frame without any preface.",
            on_wire(framing, PEER_HELLO),
        ),
        ("http-request", "An HTTP request.", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ):
        session(
            suite,
            f"bad-preface-{key}",
            f"{description} bad-preface at the first byte; no ERROR frame.",
            ["FW-PRE-2"],
            framing=framing,
            data=data,
            events=[],
            sent=[],
            end=error("bad-preface"),
            tags=["preface"],
        )


def end_of_input_cases(suite: Suite, framing: str) -> None:
    """FW-PRE-3, FW-CLS-5, FW-MSG-11 in a session."""
    sent, end = failure("handshake-incomplete")
    for key, data, description in (
        ("empty", b"", "End of input before any byte."),
        ("partial-preface", preface(framing)[:5], "End of input after 5 preface bytes."),
        ("preface-only", preface(framing), "End of input after the preface, before HELLO."),
        (
            "partial-hello",
            opening(framing)[:-4],
            "End of input inside the HELLO frame (the HELLO has not been received).",
        ),
    ):
        session(
            suite,
            f"handshake-incomplete-{key}",
            f"{description} handshake-incomplete; no ERROR frame.",
            ["FW-PRE-3", "FW-CLS-5"],
            framing=framing,
            data=data,
            events=[],
            sent=sent,
            end=end,
            tags=["eof"],
        )
    handshake = opening(framing)
    sent, end = failure("handshake-incomplete")
    for offset in range(1, len(handshake)):  # 0 and the whole: cases above and earlier
        session(
            suite,
            f"handshake-eof-offset-{offset:02d}",
            f"End of input after {offset} of the {len(handshake)} bytes of the peer's "
            "preface and HELLO: handshake-incomplete, no ERROR frame.",
            ["FW-CLS-5", "FW-PRE-3" if offset < len(preface(framing)) else "FW-HEL-1"],
            framing=framing,
            data=handshake[:offset],
            events=[],
            sent=sent,
            end=end,
            tags=["eof", "every-offset"],
        )
    truncated_after_handshake(suite, framing)


def truncated_after_handshake(suite: Suite, framing: str) -> None:
    """FW-CLS-5: end of input inside a frame or a message, after the handshake."""
    sent, end = failure("truncated-frame")
    session(
        suite,
        "truncated-frame",
        "A data message, then end of input inside the next frame: the message is "
        "delivered, then truncated-frame; no ERROR frame.",
        ["FW-CLS-5", "FW-LPF-4" if framing == LENGTH_PREFIXED else "FW-DLM-5"],
        framing=framing,
        data=opening(framing)
        + on_wire(framing, frame(DATA, b"whole"))
        + on_wire(framing, frame(DATA, b"partial"))[:-3],
        events=[message(DATA, b"whole")],
        sent=sent,
        end=end,
        tags=["eof"],
    )
    sent, end = failure("truncated-message")
    session(
        suite,
        "truncated-message",
        "End of input after the first frame of a message: truncated-message; no ERROR "
        "frame; the partial message is not delivered.",
        ["FW-CLS-5", "FW-MSG-11"],
        framing=framing,
        data=opening(framing) + on_wire(framing, frame(DATA, b"half", more=True)),
        events=[],
        sent=sent,
        end=end,
        tags=["eof"],
    )


class SessionFault(NamedTuple):
    """Frames holding one fault that ends a session, the error the spec names for it, and
    the implementation's limits."""

    key: str
    frames: list[bytes]
    name: str
    statements: list[str]
    limits: Json = SMALL_LIMITS


def fatal_frame_cases(suite: Suite, framing: str) -> None:
    """Every frame and message error is fatal in a session (FW-SES-7, FW-DLM-9)."""
    for fault in [*fatal_frame_faults(), *fatal_message_faults()]:
        fatal_fault(suite, framing, fault)
    if framing == DELIMITED:
        fatal_fault(
            suite,
            framing,
            SessionFault(
                "length-mismatch", [frame(DATA, b"x", length=2)], "length-mismatch", ["FW-DLM-3"]
            ),
        )
        fatal_cobs_invalid(suite, framing)
    fatal_header_only(suite, framing)


def fatal_frame_faults() -> list[SessionFault]:
    """Faults of one frame: its header, its size, its checksum."""
    return [
        SessionFault("bad-magic", [frame(DATA, b"x", magic=b"FV")], "bad-magic", ["FW-HDR-4"]),
        SessionFault(
            "version",
            [frame(DATA, b"x", version=2)],
            "unsupported-version",
            ["FW-HDR-5", "FW-EXT-1"],
        ),
        SessionFault(
            "reserved-flag", [frame(DATA, b"x", raw_flags=0x08)], "reserved-flag", ["FW-FLG-1"]
        ),
        SessionFault(
            "control-app-flags", [frame(PING, bytes(8), app=1)], "reserved-flag", ["FW-FLG-2"]
        ),
        SessionFault("reserved-type", [frame(0x3F, b"x")], "reserved-type", ["FW-TYP-2"]),
        SessionFault(
            "fragmented-control",
            [frame(PONG, bytes(8), more=True)],
            "fragmented-control",
            ["FW-TYP-3"],
        ),
        SessionFault(
            "frame-too-large",
            [frame(DATA, nonzero_bytes(257))],
            "frame-too-large",
            ["FW-LEN-3", "FW-HEL-6"],
        ),
        SessionFault(
            "checksum-mismatch",
            [corrupt_trailer(frame(DATA, b"x", checksum=True))],
            "checksum-mismatch",
            ["FW-CRC-3"],
        ),
    ]


def fatal_message_faults() -> list[SessionFault]:
    """Faults of the message rules of section 5."""
    start = frame(DATA, b"start", more=True)
    return [
        SessionFault(
            "unexpected-continuation",
            [frame(DATA, b"x", cont=True)],
            "unexpected-continuation",
            ["FW-MSG-7"],
        ),
        SessionFault(
            "message-interrupted", [start, frame(DATA, b"x")], "message-interrupted", ["FW-MSG-8"]
        ),
        SessionFault(
            "continuation-mismatch",
            [start, frame(0x41, b"x", cont=True)],
            "continuation-mismatch",
            ["FW-MSG-9"],
        ),
        SessionFault(
            "message-too-large",
            [frame(DATA, nonzero_bytes(256), more=True), frame(DATA, b"x", cont=True)],
            "message-too-large",
            ["FW-MSG-10", "FW-HEL-6"],
            {"max_frame_size": 256, "max_message_size": 256},
        ),
    ]


def fatal_fault(suite: Suite, framing: str, fault: SessionFault) -> None:
    """A message, the fault, a message: the first is delivered, then the session fails."""
    sent, end = failure(fault.name)
    rules = [*fault.statements, "FW-SES-7", "FW-SES-3", "FW-SES-4", "FW-ERR-1", "FW-ERR-2"]
    if framing == DELIMITED:
        rules.append("FW-DLM-9")
    session(
        suite,
        f"fatal-{fault.key}",
        f"A data message, then a {fault.name} fault, then another message: the first is "
        "delivered, the connection fails (ERROR sent), nothing after is delivered.",
        rules,
        framing=framing,
        data=opening(framing)
        + on_wire(framing, frame(DATA, b"before"), *fault.frames, frame(DATA, b"after")),
        events=[message(DATA, b"before")],
        sent=sent,
        end=end,
        limits=fault.limits,
    )


def fatal_cobs_invalid(suite: Suite, framing: str) -> None:
    """FW-DLM-9: in a session, even cobs-invalid is fatal."""
    sent, end = failure("cobs-invalid")
    session(
        suite,
        "fatal-cobs-invalid",
        "A data message, then a frame whose COBS code byte overruns: the connection "
        "fails with cobs-invalid (ERROR sent).",
        ["FW-SES-7", "FW-DLM-9", "FW-COB-2", "FW-ERR-1"],
        framing=framing,
        data=opening(framing)
        + on_wire(framing, frame(DATA, b"before"))
        + b"\x30\x46\x57\x00"
        + on_wire(framing, frame(DATA, b"after")),
        events=[message(DATA, b"before")],
        sent=sent,
        end=end,
        limits=SMALL_LIMITS,
    )


def fatal_header_only(suite: Suite, framing: str) -> None:
    """FW-HEL-6: a frame over the announced maximum fails from its header alone."""
    sent, end = failure("frame-too-large")
    session(
        suite,
        "frame-too-large-header-only",
        "Implementation limits max frame 256: the peer's frame header announces 2^32 - 1: "
        "the connection fails at once (before any payload, no end of input).",
        ["FW-HEL-6", "FW-LEN-3", "FW-LIM-3", "FW-SES-7"],
        framing=framing,
        data=opening(framing) + frame(DATA, length=0xFFFFFFFF)
        if framing == LENGTH_PREFIXED
        else opening(framing) + on_wire(framing, frame(DATA, length=0xFFFFFFFF)),
        events=[],
        sent=sent,
        end=end,
        limits=SMALL_LIMITS,
        eof=False,
        tags=["header-only"],
    )


def deadline_cases(suite: Suite, framing: str) -> None:
    """FW-LIM-6 (live-only): the handshake and frame deadlines end in `timeout`."""
    sent, end = failure("timeout")
    session(
        suite,
        "handshake-deadline",
        f"Handshake deadline {HANDSHAKE_MS} ms: the peer sends its preface and then "
        "nothing: timeout, ERROR sent.",
        ["FW-LIM-6", "FW-SES-3"],
        framing=framing,
        data=preface(framing),
        events=[],
        sent=sent,
        end=end,
        eof=False,
        deadlines={"handshake_ms": HANDSHAKE_MS},
    )
    for key, data, what in (
        ("handshake-deadline-partial-preface", preface(framing)[:3], "3 of the 8 preface bytes"),
        ("handshake-deadline-silent", b"", "nothing at all"),
    ):
        session(
            suite,
            key,
            f"Handshake deadline {HANDSHAKE_MS} ms: the peer sends {what} and stops: timeout, "
            "and an ERROR is sent (FW-LIM-8: only bytes that differ from the preface, FW-PRE-2, "
            "spare the ERROR).",
            ["FW-LIM-8", "FW-LIM-6", "FW-SES-3"],
            framing=framing,
            data=data,
            events=[],
            sent=sent,
            end=end,
            eof=False,
            deadlines={"handshake_ms": HANDSHAKE_MS},
        )
    session(
        suite,
        "frame-deadline",
        f"Frame deadline {FRAME_MS} ms: the peer sends 5 bytes of a frame and stops: timeout, "
        "ERROR sent; the message before it is delivered.",
        ["FW-LIM-6", "FW-SES-3"],
        framing=framing,
        data=opening(framing)
        + on_wire(framing, frame(DATA, b"before"))
        + on_wire(framing, frame(DATA, b"stalled"))[:5],
        events=[message(DATA, b"before")],
        sent=sent,
        end=end,
        eof=False,
        deadlines={"frame_ms": FRAME_MS},
    )
    session(
        suite,
        "idle-is-not-a-frame",
        f"Frame deadline {FRAME_MS} ms, an idle open session (no frame started; delimited: "
        "after a lone 0x00): no timeout; the runner waits at least 3 times the deadline.",
        ["FW-LIM-6"],
        framing=framing,
        # Delimited: a lone 0x00 is an empty frame, which does not start a frame deadline.
        data=opening(framing)
        + on_wire(framing, frame(DATA, b"then idle"))
        + (b"\x00" if framing == DELIMITED else b""),
        events=[message(DATA, b"then idle")],
        sent=[],
        end=OPEN,
        eof=False,
        deadlines={"frame_ms": FRAME_MS},
    )


def reading_cases(suite: Suite, framing: str) -> None:
    """Cases that decide readings of section 6 and 7.2 an implementation could otherwise
    take either way: each fails an implementation that takes the other one."""
    ping_then_error_cases(suite, framing)
    hello_setting_cases(suite, framing)
    control_above_message_limit(suite, framing)
    timing_reading_cases(suite, framing)


def ping_then_error_cases(suite: Suite, framing: str) -> None:
    """FW-PNG-6: a PING that arrived before the peer's ERROR is answered, in every chunking."""
    ping = b"aaaaaaaa"
    data = opening(framing) + on_wire(framing, frame(PING, ping))
    session(
        suite,
        "ping-then-error-one-read",
        "A PING, then a valid ERROR (code 97, empty reason) in the same read: the PONG owed "
        "for the PING is still sent, then nothing; the end is the peer's error.",
        ["FW-PNG-6", "FW-PNG-2", "FW-ERR-3", "FW-CNF-12"],
        framing=framing,
        data=data + on_wire(framing, frame(ERROR, error_payload(97, b""))),
        events=[],
        sent=[{"pong": ping.hex()}],
        end={"peer_error": {"code": 97, "reason": ""}},
        tags=["error-frame", "ping"],
    )
    session(
        suite,
        "ping-then-malformed-error-one-read",
        "A PING, then an ERROR with an empty payload in the same read: the PONG owed for "
        "the PING is still sent; malformed-control, and no ERROR in reply.",
        ["FW-PNG-6", "FW-PNG-2", "FW-ERR-4", "FW-CNF-12"],
        framing=framing,
        data=data + on_wire(framing, frame(ERROR, b"")),
        events=[],
        sent=[{"pong": ping.hex()}],
        end=error("malformed-control"),
        tags=["error-frame", "ping"],
    )


def hello_setting_cases(suite: Suite, framing: str) -> None:
    """FW-HEL-9 (identifier 0x0000) and FW-HEL-10 (at most 42 settings)."""
    after = on_wire(framing, frame(DATA, b"after hello"))
    session(
        suite,
        "hello-setting-id-zero",
        "A HELLO whose first setting has the reserved identifier 0x0000 (value 7): ignored "
        "as an unknown setting, not malformed-control.",
        ["FW-HEL-9", "FW-HEL-4"],
        framing=framing,
        data=opening(framing, frame(HELLO, hello_payload((0, 7), (1, 1 << 20)))) + after,
        events=[message(DATA, b"after hello")],
        sent=[],
        end=CLEAN,
        tags=["hello"],
    )
    sent, end = failure("malformed-control")
    session(
        suite,
        "hello-setting-id-zero-twice",
        "A HELLO with the reserved identifier 0x0000 twice: a duplicate like any other "
        "(FW-HEL-3): malformed-control.",
        ["FW-HEL-9", "FW-HEL-3"],
        framing=framing,
        data=opening(framing, frame(HELLO, hello_payload((0, 7), (0, 7)))) + after,
        events=[],
        sent=sent,
        end=end,
        tags=["hello"],
    )
    many = [(1, 1 << 20), (2, 1 << 24), *((0x100 + index, index) for index in range(41))]
    session(
        suite,
        "hello-43-settings-default-limits",
        "A HELLO of 43 settings (258 bytes) received with the default max frame size, "
        "which the frame fits: more settings than FW-HEL-10 allows: malformed-control.",
        ["FW-HEL-10", "FW-EXT-5", "FW-HEL-3"],
        framing=framing,
        data=opening(framing, frame(HELLO, hello_payload(*many))) + after,
        events=[],
        sent=sent,
        end=end,
        tags=["hello", "boundary"],
    )


ABOVE_MESSAGE_LIMIT: Json = {"max_frame_size": 1024, "max_message_size": 256}
"""Limits with a message limit below the frame limit (allowed by the settings table)."""


def control_above_message_limit(suite: Suite, framing: str) -> None:
    """FW-MSG-19: control frames are bounded by the frame size alone."""
    reason = b"r" * 300
    session(
        suite,
        "error-reason-above-message-limit",
        "Max frame 1024, max message 256: an ERROR with a 300-byte reason (302 bytes of "
        "payload, more than the message limit) is a control frame, bounded by the frame "
        "size alone: reported as the peer's error, not message-too-large.",
        ["FW-MSG-19", "FW-ERR-2", "FW-ERR-3"],
        framing=framing,
        data=opening(framing) + on_wire(framing, frame(ERROR, error_payload(300, reason))),
        events=[],
        sent=[],
        end={"peer_error": {"code": 300, "reason": reason.decode()}},
        limits=ABOVE_MESSAGE_LIMIT,
        tags=["error-frame", "boundary"],
    )
    session(
        suite,
        "message-at-limit-with-ping",
        "Max frame 1024, max message 256: a message of 256 bytes in two frames with a PING "
        "between them: the PING does not count toward the message, which is delivered.",
        ["FW-MSG-19", "FW-MSG-10", "FW-MSG-6"],
        framing=framing,
        data=opening(framing)
        + on_wire(
            framing,
            frame(DATA, nonzero_bytes(250), more=True),
            frame(PING, bytes(8)),
            frame(DATA, nonzero_bytes(6, 2), cont=True),
        ),
        events=[message(DATA, nonzero_bytes(250) + nonzero_bytes(6, 2))],
        sent=[{"pong": bytes(8).hex()}],
        end=CLEAN,
        limits=ABOVE_MESSAGE_LIMIT,
        tags=["boundary", "echo"],
    )


def timing_reading_cases(suite: Suite, framing: str) -> None:
    """FW-LIM-9, FW-LIM-6, FW-SES-8: what a deadline covers, and the linger after ERROR."""
    hello = on_wire(framing, PEER_HELLO)
    head = preface(framing) + hello[:5]
    session(
        suite,
        "hello-under-handshake-deadline-only",
        f"Handshake deadline {HANDSHAKE_MS} ms, frame deadline {FRAME_MS} ms: the first 5 "
        "bytes of the peer's HELLO, a pause of 600 ms, then the rest and a data message: the "
        "HELLO is bounded by the handshake deadline alone, not by a frame deadline; the "
        "message is echoed and the session ends cleanly.",
        ["FW-LIM-9", "FW-LIM-6"],
        framing=framing,
        data=head + hello[5:] + on_wire(framing, frame(DATA, b"after a slow hello")),
        events=[message(DATA, b"after a slow hello")],
        sent=[],
        end=CLEAN,
        deadlines={"handshake_ms": HANDSHAKE_MS, "frame_ms": FRAME_MS},
        pauses=[{"offset": len(head), "ms": 600}],
        tags=["deadline", "echo"],
    )
    start = opening(framing)
    slow = on_wire(framing, frame(DATA, b"one byte every 100 ms"))
    sent, end = failure("timeout")
    session(
        suite,
        "frame-deadline-not-per-read",
        f"Frame deadline {FRAME_MS} ms: a frame whose bytes come one every 100 ms (each "
        "read well within the deadline, the whole frame not): timeout, ERROR sent, nothing "
        "delivered. A timeout per read would let the frame through.",
        ["FW-LIM-6"],
        framing=framing,
        data=start + slow,
        events=[],
        sent=sent,
        end=end,
        eof=False,
        deadlines={"frame_ms": FRAME_MS},
        pauses=[{"offset": len(start) + index, "ms": 100} for index in range(1, len(slow))],
        tags=["deadline"],
    )
    sent, end = failure("bad-magic")
    bad = on_wire(framing, b"XX" + frame(DATA, b"bad magic")[2:])
    session(
        suite,
        "linger-after-error",
        "A frame with bad magic: the implementation sends its ERROR and half-closes, then "
        "reads and discards what the other peer still sends (here 8 bytes, one per write, "
        "after the ERROR and its end of input have arrived) until that peer's end of input: "
        "none of those writes meets a closed socket.",
        ["FW-SES-8", "FW-SES-3", "FW-CLS-4"],
        framing=framing,
        data=opening(framing) + bad,
        events=[],
        sent=sent,
        end=end,
        eof=False,
        after_end=b"lingered",
        tags=["linger"],
    )


def worked_example_input() -> bytes:
    """Peer A's bytes of the worked session example (spec/examples.md, B.7)."""
    return (
        preface(LENGTH_PREFIXED)
        + frame(HELLO, hello_payload((1, 65_536), (2, 1_048_576)))
        + frame(DATA, b"temp=21.5")
        + frame(PING, (1).to_bytes(8, "big"))
    )


def worked_example(suite: Suite) -> None:
    """The session of the spec's worked example, seen from peer B (receiving only)."""
    session(
        suite,
        "worked-example",
        "Peer B of the worked example (appendix B): max frame 16384; A sends its "
        "preface, HELLO, a data message and a PING, then half-closes. B delivers the "
        "message, answers the PING, and sees a clean end.",
        ["FW-SES-1", "FW-PNG-2", "FW-CLS-3", "FW-HEL-2"],
        framing=LENGTH_PREFIXED,
        data=worked_example_input(),
        events=[message(DATA, b"temp=21.5")],
        sent=[{"pong": (1).to_bytes(8, "big").hex()}],
        end=CLEAN,
        limits={"max_frame_size": 16_384, "max_message_size": 16_777_216},
    )


def state_order_cases(suite: Suite, framing: str) -> None:
    """FW-HDR-7/8 in a session: where the state check (FW-SES-6) falls in the order."""
    early_bad_crc = corrupt_trailer(frame(DATA, b"early", checksum=True))
    is_lpf = framing == LENGTH_PREFIXED
    name = "unexpected-message" if is_lpf else "checksum-mismatch"
    sent, end = failure(name)
    session(
        suite,
        "order-state-vs-checksum",
        "Before the HELLO, a data frame with a wrong CRC: length-prefixed makes the state "
        "check from the header (unexpected-message), delimited checks integrity first "
        f"(checksum-mismatch). Reported: {name}.",
        ["FW-HDR-7" if is_lpf else "FW-HDR-8", "FW-SES-6"],
        framing=framing,
        data=preface(framing) + on_wire(framing, early_bad_crc, PEER_HELLO),
        events=[],
        sent=sent,
        end=end,
        tags=["check-order", "multi-fault"],
    )
    sent, end = failure("reserved-flag")
    session(
        suite,
        "order-header-before-state",
        "Before the HELLO, a data frame with the R bit set: the header checks come before "
        "the state check. Reported: reserved-flag.",
        ["FW-HDR-7" if is_lpf else "FW-HDR-8", "FW-FLG-1", "FW-SES-6"],
        framing=framing,
        data=preface(framing) + on_wire(framing, frame(DATA, b"x", raw_flags=0x08), PEER_HELLO),
        events=[],
        sent=sent,
        end=end,
        tags=["check-order", "multi-fault"],
    )
    sent, end = failure("unexpected-message")
    session(
        suite,
        "order-state-before-message-rules",
        "Before the HELLO, a continuation frame: the state check comes before the message "
        "rules. Reported: unexpected-message.",
        ["FW-HDR-7" if is_lpf else "FW-HDR-8", "FW-SES-6"],
        framing=framing,
        data=preface(framing) + on_wire(framing, frame(DATA, b"x", cont=True), PEER_HELLO),
        events=[],
        sent=sent,
        end=end,
        tags=["check-order", "multi-fault"],
    )


def lone_delimiters(suite: Suite) -> None:
    """FW-DLM-1 in a session: lone 0x00 bytes at frame boundaries are ignored."""
    session(
        suite,
        "lone-delimiters",
        "Delimited session: lone 0x00 bytes after the preface and between frames are ignored.",
        ["FW-DLM-1", "FW-DLM-2", "FW-DLM-10"],
        framing=DELIMITED,
        data=preface(DELIMITED)
        + b"\x00"
        + on_wire(DELIMITED, PEER_HELLO)
        + b"\x00\x00"
        + on_wire(DELIMITED, frame(DATA, b"x")),
        events=[message(DATA, b"x")],
        sent=[],
        end=CLEAN,
    )
    session(
        suite,
        "lone-delimiters-inside-message",
        "Delimited session: lone 0x00 bytes between the frames of a data message and "
        "around a PING are ignored; the message is delivered and the PING answered.",
        ["FW-DLM-10", "FW-DLM-2", "FW-DLM-1"],
        framing=DELIMITED,
        data=opening(DELIMITED)
        + on_wire(DELIMITED, frame(DATA, b"ab", more=True))
        + b"\x00"
        + on_wire(DELIMITED, frame(PING, bytes(8)))
        + b"\x00\x00"
        + on_wire(DELIMITED, frame(DATA, b"cd", cont=True)),
        events=[message(DATA, b"abcd")],
        sent=[{"pong": bytes(8).hex()}],
        end=CLEAN,
    )
    sent, end = failure("handshake-incomplete")
    session(
        suite,
        "lone-delimiter-before-hello-eof",
        "Delimited session: the preface, one lone 0x00, then end of input: the lone 0x00 is "
        "no frame, so the HELLO never arrived: handshake-incomplete (not length-mismatch).",
        ["FW-DLM-10", "FW-DLM-2", "FW-CLS-5"],
        framing=DELIMITED,
        data=preface(DELIMITED) + b"\x00",
        events=[],
        sent=sent,
        end=end,
        tags=["eof"],
    )


def zero_in_preface_cases(suite: Suite) -> None:
    """FW-PRE-4: the preface is not framed, so a lone 0x00 there is a wrong preface byte."""
    good = preface(DELIMITED)
    for key, description, data in (
        ("before", "a lone 0x00 before the preface", b"\x00" + good),
        ("inside", "a lone 0x00 after 3 preface bytes", good[:3] + b"\x00" + good[3:]),
    ):
        session(
            suite,
            f"lone-delimiter-{key}-preface",
            f"Delimited session: {description}: the preface is not framed, so the 0x00 is a "
            "preface byte that differs: bad-preface, no ERROR frame.",
            ["FW-PRE-4", "FW-PRE-2", "FW-DLM-10"],
            framing=DELIMITED,
            data=data + on_wire(DELIMITED, PEER_HELLO),
            events=[],
            sent=[],
            end=error("bad-preface"),
            tags=["preface"],
        )


class LayoutOrder(NamedTuple):
    """A control frame whose layout is wrong and which also fails an earlier check."""

    key: str
    description: str
    data: bytes
    name: str


def layout_orders(framing: str) -> list[LayoutOrder]:
    """Control frames with a wrong layout and a wrong checksum, or cut by end of input."""
    nine = bytes(range(9))
    return [
        LayoutOrder(
            "ping-length-9-bad-checksum",
            "A PING of 9 bytes with a wrong CRC: checksum-mismatch (the frame is checked "
            "before its layout), not malformed-control.",
            opening(framing) + on_wire(framing, corrupt_trailer(frame(PING, nine, checksum=True))),
            "checksum-mismatch",
        ),
        LayoutOrder(
            "hello-length-7-bad-checksum",
            "A HELLO of 7 bytes with a wrong CRC: checksum-mismatch, not malformed-control.",
            preface(framing)
            + on_wire(framing, corrupt_trailer(frame(HELLO, bytes(7), checksum=True))),
            "checksum-mismatch",
        ),
        LayoutOrder(
            "error-length-1-bad-checksum",
            "An ERROR of 1 byte with a wrong CRC: checksum-mismatch, which this side "
            "detected, so it sends an ERROR (a malformed ERROR would send none).",
            opening(framing)
            + on_wire(framing, corrupt_trailer(frame(ERROR, b"\x01", checksum=True))),
            "checksum-mismatch",
        ),
        LayoutOrder(
            "ping-length-9-cut",
            "A PING announcing 9 bytes, cut after 4 payload bytes by the end of input: "
            "truncated-frame (no ERROR), not malformed-control.",
            opening(framing) + on_wire(framing, frame(PING, nine))[:-6],
            "truncated-frame",
        ),
    ]


def control_layout_order_cases(suite: Suite, framing: str) -> None:
    """FW-HDR-9: a control payload's layout is checked only once the frame has passed every
    frame check, its checksum included, so a frame error or the end of input comes first."""
    nine = bytes(range(9))
    for row in layout_orders(framing):
        sent, end = failure(row.name)
        session(
            suite,
            f"order-{row.key}",
            row.description,
            [
                "FW-HDR-9",
                "FW-PNG-1"
                if "ping" in row.key
                else "FW-HEL-3"
                if "hello" in row.key
                else "FW-ERR-4",
            ],
            framing=framing,
            data=row.data,
            events=[],
            sent=sent,
            end=end,
            tags=["check-order", "multi-fault"]
            if "checksum" in row.key
            else ["check-order", "eof"],
        )
    session(
        suite,
        "order-ping-length-9-waits",
        "A PING header announcing 9 bytes and 4 payload bytes, no end of input: nothing is "
        "decided yet (open); malformed-control may only come once the frame is complete.",
        ["FW-HDR-9", "FW-PNG-1"],
        framing=framing,
        data=opening(framing) + frame(PING, nine)[:-5]
        if framing == LENGTH_PREFIXED
        else opening(framing) + on_wire(framing, frame(PING, nine))[:-6],
        events=[],
        sent=[],
        end=OPEN,
        eof=False,
        tags=["check-order"],
    )


def handshake_end_cases(suite: Suite, framing: str) -> None:
    """FW-CLS-5: end of input inside a first frame that is an ERROR, and a lone delimiter,
    are still before the HELLO; end of input inside a header is never a header error."""
    sent, end = failure("handshake-incomplete")
    error_frame = on_wire(framing, frame(ERROR, error_payload(300, b"bye")))
    for key, cut, what in (
        ("payload", error_frame[:-3], "inside its reason"),
        ("header", error_frame[:6], "inside its header"),
    ):
        session(
            suite,
            f"error-instead-of-hello-cut-{key}",
            f"The peer's first frame is an ERROR, and the input ends {what}: "
            "handshake-incomplete (the HELLO never arrived), not truncated-frame; no ERROR.",
            ["FW-CLS-5", "FW-ERR-5"],
            framing=framing,
            data=preface(framing) + cut,
            events=[],
            sent=sent,
            end=end,
            tags=["eof", "error-frame"],
        )
    sent, end = failure("truncated-frame")
    session(
        suite,
        "bad-magic-inside-header-eof",
        "After the handshake, 5 bytes of a header whose magic is wrong, then end of input: "
        "truncated-frame (no ERROR); the header checks wait for all 9 bytes (FW-HDR-7).",
        ["FW-HDR-7", "FW-CLS-5"],
        framing=framing,
        data=opening(framing) + on_wire(framing, frame(DATA, b"x", magic=b"XW"))[:5],
        events=[],
        sent=sent,
        end=end,
        tags=["eof", "check-order"],
    )


def ping_between_messages(suite: Suite, framing: str) -> None:
    """FW-PNG-2, FW-CNF-29: PONGs and echoes are two sequences, each in order."""
    ping = bytes.fromhex("a1a2a3a4a5a6a7a8")
    session(
        suite,
        "ping-between-messages",
        "A data message, a PING and another data message in one write, then the peer "
        "half-closes: both messages delivered, one PONG. (Live mode: the PONG may come "
        "before the echo of the first message, FW-PNG-2; the echoes and the PONGs are "
        "each checked in order, not against each other.)",
        ["FW-PNG-5", "FW-PNG-2", "FW-CNF-29", "FW-MSG-16"],
        framing=framing,
        data=opening(framing)
        + on_wire(framing, frame(DATA, b"one"), frame(PING, ping), frame(DATA, b"two")),
        events=[message(DATA, b"one"), message(DATA, b"two")],
        sent=[{"pong": ping.hex()}],
        end=CLEAN,
        tags=["echo"],
    )


def hello_bytes_cases(suite: Suite) -> None:
    """FW-HEL-8 (SHOULD): the HELLO carries both settings, ascending, defaults included."""
    for framing in FRAMINGS:
        for key, limits in (("default-limits", DEFAULT_LIMITS), ("small-limits", SMALL_LIMITS)):
            hello = frame(
                HELLO,
                hello_payload((1, limits["max_frame_size"]), (2, limits["max_message_size"])),
            )
            session(
                suite,
                f"hello-bytes-{key}",
                "The implementation's own HELLO, byte for byte: MAX_FRAME_SIZE then "
                "MAX_MESSAGE_SIZE, each present even at its default value, no other "
                "setting, no checksum trailer (the session sends none).",
                ["FW-HEL-8", "FW-HEL-2"],
                framing=framing,
                data=b"",
                events=[],
                sent=[],
                end=OPEN,
                eof=False,
                limits=limits,
                tags=["hello"],
                hello_frame=on_wire(framing, hello),
            )


def application_cases(suite: Suite, framing: str) -> None:
    """Adapter protocol version 2 (FW-CNF-34 to 36): the peer's HELLO as the application
    sees it, messages the application sends, and what the peer's ERROR cancels."""
    small_hello = frame(HELLO, hello_payload((1, 256), (2, 0)))
    session(
        suite,
        "hello-event",
        "The peer's HELLO (MAX_FRAME_SIZE 256, no message limit) reaches the application "
        "with the limits it announced, before the data message that follows it.",
        ["FW-HEL-5", "FW-SES-2", "FW-CNF-35"],
        framing=framing,
        data=opening(framing, small_hello) + on_wire(framing, frame(DATA, b"after hello")),
        events=[
            {"hello": {"max_frame_size": 256, "max_message_size": 0}},
            message(DATA, b"after hello"),
        ],
        sent=[],
        end=CLEAN,
        control=True,
    )
    session(
        suite,
        "hello-event-defaults",
        "A HELLO with no settings reaches the application with the default limits, then a "
        "PING (reported where the implementation reports PINGs), which is answered; read "
        "only once the whole input is in.",
        ["FW-HEL-2", "FW-PNG-2", "FW-CNF-35", "FW-CNF-34"],
        framing=framing,
        data=opening(framing, frame(HELLO, b"")) + on_wire(framing, frame(PING, PING_A)),
        events=[{"hello": dict(DEFAULT_LIMITS)}, {"ping": PING_A.hex()}],
        sent=[{"pong": PING_A.hex()}],
        end=OPEN,
        eof=False,
        control=True,
        read="end",
    )
    long_message = message(DATA + 1, nonzero_bytes(600), app=5)
    session(
        suite,
        "send-after-hello",
        "The application sends a 600-byte message once it has read the peer's HELLO, "
        "which announced MAX_FRAME_SIZE 256: it goes out in frames of at most 256 bytes.",
        ["FW-HEL-5", "FW-SES-2", "FW-CNF-36"],
        framing=framing,
        data=opening(framing, small_hello),
        events=[],
        sent=[long_message],
        end=CLEAN,
        send=[long_message["message"]],
    )
    session(
        suite,
        "error-cancels-unsent-message",
        "The peer's HELLO, a PING and its ERROR are all in before the application reads: "
        "the message it sends on reading the HELLO has not started when the ERROR is read, "
        "so it is not sent, while the PONG owed for the PING is.",
        ["FW-ERR-3", "FW-PNG-6", "FW-CNF-34", "FW-CNF-36"],
        framing=framing,
        data=opening(framing)
        + on_wire(framing, frame(PING, PING_A), frame(ERROR, error_payload(400, b"bye"))),
        events=[{"hello": dict(DEFAULT_LIMITS)}, {"ping": PING_A.hex()}],
        sent=[{"pong": PING_A.hex()}],
        end={"peer_error": {"code": 400, "reason": "bye"}},
        eof=False,
        read="end",
        control=True,
        send=[message(DATA, b"too late")["message"]],
        tags=["error-frame"],
    )
