"""header.json: the header fields and the order of the header checks (sections 3.1-3.4, 3.7)."""

from __future__ import annotations

from typing import NamedTuple

from casebuild import (
    CLEAN,
    OPEN,
    Fault,
    Json,
    Suite,
    corrupt_trailer,
    decode,
    error,
    frame_fault,
    frame_faults,
    message,
    valid_frames,
)

from framewire.conformance import wire
from framewire.conformance.wire import (
    DATA,
    DELIMITED,
    ERROR,
    FLAG_C,
    FLAG_M,
    FLAG_N,
    FLAG_R,
    HELLO,
    LENGTH_PREFIXED,
    PING,
    PONG,
    cobs_encode,
    frame,
    nonzero_bytes,
)

GROUP = "header"
# One valid frame of each control type, with its section 6 payload.
CONTROL = [
    (HELLO, wire.hello_payload((1, 1_048_576), (2, 16_777_216))),
    (ERROR, wire.error_payload(105, b"too big")),
    (PING, bytes(range(8))),
    (PONG, bytes(range(8))),
]


def cases(suite: Suite) -> None:
    """Section 3.1-3.4 and 3.7."""
    data_frame_cases(suite)
    control_pass_through_cases(suite)
    frame_faults(suite, GROUP, [*field_faults(), *control_faults()], tags=["header"])
    each_reserved_type(suite)
    stray_zero_before_frame(suite)
    split_header_chunks(suite)
    check_order_cases(suite)
    partial_header_cases(suite)


def data_frame_cases(suite: Suite) -> None:
    """Valid data frames: sizes, application flags, types."""
    valid_frames(
        suite,
        GROUP,
        "empty-data-frame",
        "The smallest frame: type 0x40, no flags, length 0, nothing after the header.",
        ["FW-HDR-1", "FW-LEN-2", "FW-LPF-2"],
        frames=[frame(DATA)],
        events=[message(DATA)],
        tags=["boundary"],
    )
    valid_frames(
        suite,
        GROUP,
        "three-frames-back-to-back",
        "Three frames one after another: each next frame starts right after the previous.",
        ["FW-HDR-1", "FW-LPF-1", "FW-LPF-2", "FW-LEN-1"],
        frames=[frame(DATA, b"one"), frame(0x41, b""), frame(0x42, b"three")],
        events=[message(DATA, b"one"), message(0x41), message(0x42, b"three")],
    )
    valid_frames(
        suite,
        GROUP,
        "application-flags-all-values",
        "Sixteen frames carrying application flags 0 to 15: delivered unchanged as flags "
        ">> 4; the C/M/N bits never appear in message flags.",
        ["FW-FLG-2", "FW-FLG-3", "FW-MOD-3"],
        frames=[frame(DATA, bytes([app]), app=app) for app in range(16)],
        events=[message(DATA, bytes([app]), app) for app in range(16)],
    )
    valid_frames(
        suite,
        GROUP,
        "frame-flags-not-message-flags",
        "A checksummed two-frame message with application flags 0x5: the message has "
        "flags 5, not the raw flags byte.",
        ["FW-FLG-3", "FW-MSG-3"],
        frames=[
            frame(DATA, b"ab", app=5, checksum=True, more=True),
            frame(DATA, b"cd", app=5, checksum=True, cont=True),
        ],
        events=[message(DATA, b"abcd", 5)],
    )
    valid_frames(
        suite,
        GROUP,
        "application-type-range",
        "Types 0x40, 0x7F, 0x80 and 0xFF are application data: payloads delivered opaque.",
        ["FW-TYP-1", "FW-MOD-3"],
        frames=[frame(t, bytes([t, 0, 0xFF])) for t in (0x40, 0x7F, 0x80, 0xFF)],
        events=[message(t, bytes([t, 0, 0xFF])) for t in (0x40, 0x7F, 0x80, 0xFF)],
        tags=["boundary"],
    )


def control_pass_through_cases(suite: Suite) -> None:
    """FW-MOD-4: the codec delivers control frames raw, whatever their payloads hold."""
    valid_frames(
        suite,
        GROUP,
        "control-frames-pass-through-codec",
        "The codec delivers HELLO, ERROR, PING and PONG frames as messages of types 1-4 "
        "with their raw payloads (their layouts are the session's business).",
        ["FW-TYP-1", "FW-TYP-3", "FW-MOD-4"],
        frames=[frame(t, p) for t, p in CONTROL],
        events=[message(t, p) for t, p in CONTROL],
    )
    odd_control = [(HELLO, b"\x00\x01\x00"), (ERROR, b"\x01"), (PING, b"abc"), (PONG, b"")]
    valid_frames(
        suite,
        GROUP,
        "control-payloads-not-interpreted",
        "Without a session, control frames whose payloads break the section 6 layouts (a "
        "3-byte HELLO, a 1-byte ERROR, a 3-byte PING, an empty PONG) pass the frame checks "
        "and are delivered unchanged.",
        ["FW-MOD-4"],
        frames=[frame(t, p) for t, p in odd_control],
        events=[message(t, p) for t, p in odd_control],
    )


def magic(key: str, description: str, value: bytes) -> Fault:
    """A data frame with the magic `value`."""
    return Fault(key, description, ["FW-HDR-4"], frame(DATA, b"x", magic=value), "bad-magic")


def version(key: str, description: str, value: int) -> Fault:
    """A data frame with the version byte `value`."""
    bad = frame(DATA, b"x", version=value)
    return Fault(key, description, ["FW-HDR-5"], bad, "unsupported-version")


def reserved_type(key: str, description: str, type_: int) -> Fault:
    """A frame of the reserved type `type_`."""
    return Fault(key, description, ["FW-TYP-2"], frame(type_, b"x"), "reserved-type")


def field_faults() -> list[Fault]:
    """One wrong header field each: magic, version, the R bit, a reserved type."""
    return [
        magic("bad-magic-first-byte", "First magic byte 0x66 instead of 0x46.", b"fW"),
        magic("bad-magic-second-byte", "Second magic byte 0x77 instead of 0x57.", b"Fw"),
        magic("bad-magic-swapped", "Magic bytes swapped (0x57 0x46).", b"WF"),
        magic("bad-magic-zero", "Magic 0x00 0x00.", b"\x00\x00"),
        version("version-0", "Version byte 0x00.", 0),
        version("version-2", "Version byte 0x02 (a different protocol).", 2),
        version("version-255", "Version byte 0xFF.", 0xFF),
        Fault(
            "reserved-bit-data",
            "R bit (0x08) set on a data frame.",
            ["FW-FLG-1"],
            frame(DATA, b"x", raw_flags=FLAG_R),
            "reserved-flag",
        ),
        Fault(
            "reserved-bit-with-app-flags",
            "R bit set on a data frame that also has application flags 0xF and C.",
            ["FW-FLG-1"],
            frame(DATA, b"x", raw_flags=0xF0 | FLAG_R | FLAG_C),
            "reserved-flag",
        ),
        Fault(
            "reserved-bit-ping",
            "R bit set on a PING.",
            ["FW-FLG-1"],
            frame(PING, bytes(8), raw_flags=FLAG_R),
            "reserved-flag",
        ),
        reserved_type("reserved-type-0x00", "Type 0x00.", 0x00),
        reserved_type("reserved-type-0x05", "Type 0x05, the first reserved protocol type.", 0x05),
        reserved_type("reserved-type-0x3f", "Type 0x3F, the last reserved protocol type.", 0x3F),
    ]


def control_faults() -> list[Fault]:
    """Control frames with application flags (FW-FLG-2) or M/N set (FW-MSG-4)."""
    faults = [
        Fault(
            f"app-flag-{app_bit:x}-on-control-{ctype}",
            f"Application flag bit 0x{app_bit << 4:02X} set on a control frame of "
            f"type {ctype}, otherwise valid.",
            ["FW-FLG-2"],
            frame(ctype, payload, app=app_bit),
            "reserved-flag",
        )
        for app_bit, (ctype, payload) in zip((0x1, 0x2, 0x4, 0x8), CONTROL, strict=True)
    ]
    for flags, what in ((FLAG_M, "M"), (FLAG_N, "N"), (FLAG_M | FLAG_N, "M and N")):
        faults += [
            Fault(
                f"fragmented-control-{ctype}-{flags}",
                f"Control frame of type {ctype} with {what} set.",
                ["FW-TYP-3", "FW-MSG-4"],
                frame(ctype, payload, raw_flags=flags),
                "fragmented-control",
            )
            for ctype, payload in CONTROL
        ]
    return faults


def each_reserved_type(suite: Suite) -> None:
    """Every reserved type, each its own case (length-prefixed only: many small cases)."""
    for type_ in [0x00, *range(0x05, 0x40)]:
        frame_fault(
            suite,
            GROUP,
            f"each-reserved-type-{type_:02x}",
            f"Type 0x{type_:02X} is reserved for the protocol: rejected, never ignored.",
            ["FW-TYP-2"],
            bad=frame(type_, b"x"),
            name="reserved-type",
            framings=[LENGTH_PREFIXED],
        )


def stray_zero_before_frame(suite: Suite) -> None:
    """Length-prefixed has no delimiter: a stray 0x00 before a frame is a broken frame."""
    decode(
        suite,
        GROUP,
        "stray-zero-before-frame",
        "Length-prefixed input starting with a 0x00 byte before a valid frame: the stream "
        "must start with a frame, so the frame read at offset 0 has a bad magic.",
        ["FW-LPF-1", "FW-HDR-4"],
        framing=LENGTH_PREFIXED,
        data=b"\x00" + frame(DATA, b"x"),
        events=[],
        end=error("bad-magic"),
    )


def partial_header_cases(suite: Suite) -> None:
    """FW-HDR-7: no header check before all 9 header bytes are in (length-prefixed)."""
    good = frame(DATA, b"ok")
    bad_start = frame(DATA, b"x", magic=b"XW")[:5]
    decode(
        suite,
        GROUP,
        "bad-magic-inside-header-eof",
        "A valid frame, then 5 bytes of a header whose magic is wrong, then end of input: "
        "the header checks wait for all 9 bytes, so this is truncated-frame, not bad-magic.",
        ["FW-HDR-7", "FW-LPF-4"],
        framing=LENGTH_PREFIXED,
        data=good + bad_start,
        events=[message(DATA, b"ok")],
        end=error("truncated-frame"),
        tags=["eof", "check-order"],
    )
    decode(
        suite,
        GROUP,
        "bad-magic-inside-header-no-eof",
        "A valid frame, then 5 bytes of a header whose magic is wrong, and no end of input: "
        "nothing is reported yet (open); bad-magic may only come with the 9th byte.",
        ["FW-HDR-7"],
        framing=LENGTH_PREFIXED,
        data=good + bad_start,
        events=[message(DATA, b"ok")],
        end=OPEN,
        eof=False,
        tags=["check-order"],
    )


def split_header_chunks(suite: Suite) -> None:
    """Suggested splits inside the header (runners also try every byte boundary)."""
    first = frame(DATA, b"split", checksum=True)
    second = frame(0x41, b"header", app=3)
    data = first + second
    decode(
        suite,
        GROUP,
        "split-inside-header",
        "Two frames delivered in pieces cut inside each header, the length field and the "
        "trailer: same result as whole.",
        ["FW-HDR-3", "FW-LPF-2"],
        framing=LENGTH_PREFIXED,
        data=data,
        chunks=[2, 4, 5, 1, 2, 4, 3, 6, 1, len(data) - 28],
        events=[message(DATA, b"split"), message(0x41, b"header", 3)],
        end=CLEAN,
        tags=["chunks"],
    )


ORDER_RULE = {LENGTH_PREFIXED: "FW-HDR-7", DELIMITED: "FW-HDR-8"}


class Order(NamedTuple):
    """Two faults in one frame, and which one each framing reports (None: not checked in
    that framing)."""

    key: str
    description: str
    bad: bytes
    length_prefixed: str | None
    delimited: str | None
    limits: Json


ORDER_RULE = {LENGTH_PREFIXED: "FW-HDR-7", DELIMITED: "FW-HDR-8"}
LIMITS_256 = {"max_frame_size": 256, "max_message_size": 256}
# 258 payload bytes: over max frame 256, yet 269 encoded bytes, within E = 271 of
# FW-DLM-4, so a delimited receiver decodes the frame and applies FW-HDR-8.
OVER = nonzero_bytes(258)


def check_order_cases(suite: Suite) -> None:
    """FW-HDR-6..8: two faults in one frame, the earlier check wins.

    These are the only cases with more than one fault (tag `multi-fault`).
    """
    for row in [*header_orders(), *integrity_orders(), *delimited_orders()]:
        for framing, name in ((LENGTH_PREFIXED, row.length_prefixed), (DELIMITED, row.delimited)):
            if name is None:
                continue
            frame_fault(
                suite,
                GROUP,
                f"order-{row.key}",
                f"Order of checks: {row.description} Reported: {name}.",
                ["FW-HDR-6", ORDER_RULE[framing]],
                bad=row.bad,
                name=name,
                limits=row.limits,
                tags=["check-order", "multi-fault"],
                framings=[framing],
            )
    cobs_invalid_first(suite)


def both(key: str, description: str, bad: bytes, name: str) -> Order:
    """A pair of faults both framings report the same way, with max frame 256."""
    return Order(key, description, bad, name, name, LIMITS_256)


def header_orders() -> list[Order]:
    """The header checks, in the order of FW-HDR-6."""
    return [
        both(
            "magic-before-version",
            "Bad magic and version 2.",
            frame(DATA, b"x", magic=b"XW", version=2),
            "bad-magic",
        ),
        both(
            "version-before-reserved-flag",
            "Version 2 and the R bit set.",
            frame(DATA, b"x", version=2, raw_flags=FLAG_R),
            "unsupported-version",
        ),
        both(
            "reserved-flag-before-reserved-type",
            "R bit set and type 0x05.",
            frame(0x05, b"x", raw_flags=FLAG_R),
            "reserved-flag",
        ),
        both(
            "reserved-type-before-too-large",
            "Type 0x05 with length 258 > max frame 256.",
            frame(0x05, OVER),
            "reserved-type",
        ),
        both(
            "control-app-flags-before-fragmented",
            "PING with application flag 0x10 and M set.",
            frame(PING, bytes(8), raw_flags=0x10 | FLAG_M),
            "reserved-flag",
        ),
        both(
            "fragmented-before-too-large",
            "PING with M set and length 258 > max frame 256.",
            frame(PING, OVER, more=True),
            "fragmented-control",
        ),
        both(
            "too-large-before-continuation",
            "Continuation frame (no message in progress) with length 258 > max frame 256.",
            frame(DATA, OVER, cont=True),
            "frame-too-large",
        ),
        both(
            "too-large-before-message-too-large",
            "Frame of length 257 > max frame 256 that also exceeds max message 256.",
            frame(DATA, nonzero_bytes(257)),
            "frame-too-large",
        ),
    ]


def integrity_orders() -> list[Order]:
    """The checksum against the message rules: the framings differ (FW-HDR-7, FW-HDR-8)."""
    return [
        Order(
            "continuation-before-checksum",
            "Continuation frame with no message in progress and "
            "a wrong CRC: length-prefixed decides the message rules from the header, "
            "delimited checks integrity first.",
            corrupt_trailer(frame(DATA, b"x", checksum=True, cont=True)),
            length_prefixed="unexpected-continuation",
            delimited="checksum-mismatch",
            limits=LIMITS_256,
        ),
        Order(
            "message-too-large-before-checksum",
            "A single-frame message of 300 bytes > max "
            "message 256 (max frame 1024) with a wrong CRC.",
            corrupt_trailer(frame(DATA, nonzero_bytes(300), checksum=True)),
            length_prefixed="message-too-large",
            delimited="checksum-mismatch",
            limits={"max_frame_size": 1024, "max_message_size": 256},
        ),
    ]


def delimited_only(key: str, description: str, bad: bytes, name: str) -> Order:
    """A pair of faults only delimited framing can hold (the size disagrees with the header)."""
    return Order(key, description, bad, None, name, LIMITS_256)


def delimited_orders() -> list[Order]:
    """The size check of delimited framing against the header checks and the checksum."""
    return [
        delimited_only(
            "too-large-vs-length-mismatch",
            "Header length 300 > max frame 256, actual "
            "payload 5 bytes (delimited: the header checks come before the size check).",
            frame(DATA, b"short", length=300),
            "frame-too-large",
        ),
        delimited_only(
            "version-before-length-mismatch",
            "Version 2 and a length one more than the payload.",
            frame(DATA, b"abc", version=2, length=4),
            "unsupported-version",
        ),
        delimited_only(
            "length-mismatch-before-checksum",
            "A checksummed frame whose length field is one more than its payload.",
            frame(DATA, b"abc", checksum=True, length=4),
            "length-mismatch",
        ),
        delimited_only(
            "length-mismatch-before-continuation",
            "A continuation frame with no message in "
            "progress whose length field is one less than its payload.",
            frame(DATA, b"abc", cont=True, length=2),
            "length-mismatch",
        ),
        delimited_only(
            "short-frame-before-magic",
            "A 5-byte frame with a bad magic: a frame shorter "
            "than the header fails with length-mismatch before anything else in it.",
            b"XY\x01\x00\x40",
            "length-mismatch",
        ),
    ]


def cobs_invalid_first(suite: Suite) -> None:
    """FW-HDR-8: a COBS fault comes before every header check."""
    overrun = cobs_encode(frame(DATA, b"abc", magic=b"XY"))
    decode(
        suite,
        GROUP,
        "order-cobs-invalid-first/overrun-and-bad-magic",
        "Order of checks: a frame with a bad magic whose last COBS code byte overruns the "
        "delimiter: cobs-invalid comes first.",
        ["FW-HDR-8", "FW-COB-2"],
        framing=DELIMITED,
        data=overrun[:-5] + bytes([overrun[-5] + 1]) + overrun[-4:] + b"\x00",
        events=[error("cobs-invalid")],
        end=CLEAN,
        tags=["check-order", "multi-fault"],
    )
