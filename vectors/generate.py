"""Write every vectors/<group>.json file from the spec's rules (stdlib only).

Run: `.venv/bin/python vectors/generate.py`. The output is deterministic: the only state
is vectors/ids.json, which gives each case (by its internal key) a stable random id the
first time the case appears and never changes it afterwards. Ids of removed cases stay in
ids.json so they are never handed out again.

Every expectation below is stated by hand from the spec (which frame is faulty, which
error the spec names for it, what is delivered before and after); nothing is computed by
running a decoder. The wire oracle (`framewire.conformance.wire`) only builds the input
bytes, `casebuild.py` turns the expectations into cases, `session_vectors.py` holds the
session group.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parent))

from casebuild import (
    CEILING,
    CLEAN,
    DEFAULT_LIMITS,
    OPEN,
    SHORT,
    SMALL_LIMITS,
    Json,
    Suite,
    corrupt_trailer,
    decode,
    error,
    frame_fault,
    header_only,
    message,
    piece,
    valid_frames,
)
from session_vectors import session_cases
from specdata import VECTORS_DIR

from framewire.conformance import wire
from framewire.conformance.wire import (
    DATA,
    DELIMITED,
    ERROR,
    FLAG_C,
    FLAG_M,
    FLAG_N,
    FLAG_R,
    FRAMINGS,
    HELLO,
    LENGTH_PREFIXED,
    PING,
    PONG,
    cobs_encode,
    delimit,
    frame,
    nonzero_bytes,
    on_wire,
)

# ===================================================================== header.json


def header_cases(suite: Suite) -> None:
    """Section 3.1-3.4 and 3.7."""
    group = "header"
    valid_frames(
        suite,
        group,
        "empty-data-frame",
        "The smallest frame: type 0x40, no flags, length 0, nothing after the header.",
        ["FW-HDR-1", "FW-LEN-2", "FW-LPF-2"],
        frames=[frame(DATA)],
        events=[message(DATA)],
        tags=["boundary"],
    )
    valid_frames(
        suite,
        group,
        "three-frames-back-to-back",
        "Three frames one after another: each next frame starts right after the previous.",
        ["FW-HDR-1", "FW-LPF-1", "FW-LPF-2", "FW-LEN-1"],
        frames=[frame(DATA, b"one"), frame(0x41, b""), frame(0x42, b"three")],
        events=[message(DATA, b"one"), message(0x41), message(0x42, b"three")],
    )
    valid_frames(
        suite,
        group,
        "application-flags-all-values",
        "Sixteen frames carrying application flags 0 to 15: delivered unchanged as flags "
        ">> 4; the C/M/N bits never appear in message flags.",
        ["FW-FLG-2", "FW-FLG-3", "FW-MOD-3"],
        frames=[frame(DATA, bytes([app]), app=app) for app in range(16)],
        events=[message(DATA, bytes([app]), app) for app in range(16)],
    )
    valid_frames(
        suite,
        group,
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
        group,
        "application-type-range",
        "Types 0x40, 0x7F, 0x80 and 0xFF are application data: payloads delivered opaque.",
        ["FW-TYP-1", "FW-MOD-3"],
        frames=[frame(t, bytes([t, 0, 0xFF])) for t in (0x40, 0x7F, 0x80, 0xFF)],
        events=[message(t, bytes([t, 0, 0xFF])) for t in (0x40, 0x7F, 0x80, 0xFF)],
        tags=["boundary"],
    )
    control = [
        (HELLO, wire.hello_payload((1, 1_048_576), (2, 16_777_216))),
        (ERROR, wire.error_payload(105, b"too big")),
        (PING, bytes(range(8))),
        (PONG, bytes(range(8))),
    ]
    valid_frames(
        suite,
        group,
        "control-frames-pass-through-codec",
        "The codec delivers HELLO, ERROR, PING and PONG frames as messages of types 1-4 "
        "with their raw payloads (their layouts are the session's business).",
        ["FW-TYP-1", "FW-TYP-3", "FW-MOD-4"],
        frames=[frame(t, p) for t, p in control],
        events=[message(t, p) for t, p in control],
    )
    odd_control = [(HELLO, b"\x00\x01\x00"), (ERROR, b"\x01"), (PING, b"abc"), (PONG, b"")]
    valid_frames(
        suite,
        group,
        "control-payloads-not-interpreted",
        "Without a session, control frames whose payloads break the section 6 layouts (a "
        "3-byte HELLO, a 1-byte ERROR, a 3-byte PING, an empty PONG) pass the frame checks "
        "and are delivered unchanged.",
        ["FW-MOD-4"],
        frames=[frame(t, p) for t, p in odd_control],
        events=[message(t, p) for t, p in odd_control],
    )

    faults: list[tuple[str, str, list[str], bytes, str]] = [
        (
            "bad-magic-first-byte",
            "First magic byte 0x66 instead of 0x46.",
            ["FW-HDR-4"],
            frame(DATA, b"x", magic=b"fW"),
            "bad-magic",
        ),
        (
            "bad-magic-second-byte",
            "Second magic byte 0x77 instead of 0x57.",
            ["FW-HDR-4"],
            frame(DATA, b"x", magic=b"Fw"),
            "bad-magic",
        ),
        (
            "bad-magic-swapped",
            "Magic bytes swapped (0x57 0x46).",
            ["FW-HDR-4"],
            frame(DATA, b"x", magic=b"WF"),
            "bad-magic",
        ),
        (
            "bad-magic-zero",
            "Magic 0x00 0x00.",
            ["FW-HDR-4"],
            frame(DATA, b"x", magic=b"\x00\x00"),
            "bad-magic",
        ),
        (
            "version-0",
            "Version byte 0x00.",
            ["FW-HDR-5"],
            frame(DATA, b"x", version=0),
            "unsupported-version",
        ),
        (
            "version-2",
            "Version byte 0x02 (a different protocol).",
            ["FW-HDR-5"],
            frame(DATA, b"x", version=2),
            "unsupported-version",
        ),
        (
            "version-255",
            "Version byte 0xFF.",
            ["FW-HDR-5"],
            frame(DATA, b"x", version=0xFF),
            "unsupported-version",
        ),
        (
            "reserved-bit-data",
            "R bit (0x08) set on a data frame.",
            ["FW-FLG-1"],
            frame(DATA, b"x", raw_flags=FLAG_R),
            "reserved-flag",
        ),
        (
            "reserved-bit-with-app-flags",
            "R bit set on a data frame that also has application flags 0xF and C.",
            ["FW-FLG-1"],
            frame(DATA, b"x", raw_flags=0xF0 | FLAG_R | FLAG_C),
            "reserved-flag",
        ),
        (
            "reserved-bit-ping",
            "R bit set on a PING.",
            ["FW-FLG-1"],
            frame(PING, bytes(8), raw_flags=FLAG_R),
            "reserved-flag",
        ),
        ("reserved-type-0x00", "Type 0x00.", ["FW-TYP-2"], frame(0x00, b"x"), "reserved-type"),
        (
            "reserved-type-0x05",
            "Type 0x05, the first reserved protocol type.",
            ["FW-TYP-2"],
            frame(0x05, b"x"),
            "reserved-type",
        ),
        (
            "reserved-type-0x3f",
            "Type 0x3F, the last reserved protocol type.",
            ["FW-TYP-2"],
            frame(0x3F, b"x"),
            "reserved-type",
        ),
    ]
    for app_bit, (ctype, payload) in zip((0x1, 0x2, 0x4, 0x8), control, strict=True):
        faults.append(
            (
                f"app-flag-{app_bit:x}-on-control-{ctype}",
                f"Application flag bit 0x{app_bit << 4:02X} set on a control frame of "
                f"type {ctype}, otherwise valid.",
                ["FW-FLG-2"],
                frame(ctype, payload, app=app_bit),
                "reserved-flag",
            )
        )
    for flags, what in ((FLAG_M, "M"), (FLAG_N, "N"), (FLAG_M | FLAG_N, "M and N")):
        for ctype, payload in control:
            faults.append(
                (
                    f"fragmented-control-{ctype}-{flags}",
                    f"Control frame of type {ctype} with {what} set.",
                    ["FW-TYP-3", "FW-MSG-4"],
                    frame(ctype, payload, raw_flags=flags),
                    "fragmented-control",
                )
            )
    for key, description, statements, bad, name in faults:
        frame_fault(suite, group, key, description, statements, bad=bad, name=name, tags=["header"])

    # Every reserved type, each its own case (length-prefixed: 61 small cases).
    for type_ in [0x00, *range(0x05, 0x40)]:
        frame_fault(
            suite,
            group,
            f"each-reserved-type-{type_:02x}",
            f"Type 0x{type_:02X} is reserved for the protocol: rejected, never ignored.",
            ["FW-TYP-2"],
            bad=frame(type_, b"x"),
            name="reserved-type",
            framings=[LENGTH_PREFIXED],
        )

    # Length-prefixed has no delimiter: a stray 0x00 before a frame is a broken frame.
    decode(
        suite,
        group,
        "stray-zero-before-frame",
        "Length-prefixed input starting with a 0x00 byte before a valid frame: the stream "
        "must start with a frame, so the frame read at offset 0 has a bad magic.",
        ["FW-LPF-1", "FW-HDR-4"],
        framing=LENGTH_PREFIXED,
        data=b"\x00" + frame(DATA, b"x"),
        events=[],
        end=error("bad-magic"),
    )
    split_header_chunks(suite, group)
    check_order_cases(suite, group)
    partial_header_cases(suite, group)


def partial_header_cases(suite: Suite, group: str) -> None:
    """FW-HDR-7: no header check before all 9 header bytes are in (length-prefixed)."""
    good = frame(DATA, b"ok")
    bad_start = frame(DATA, b"x", magic=b"XW")[:5]
    decode(
        suite,
        group,
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
        group,
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


def split_header_chunks(suite: Suite, group: str) -> None:
    """Suggested splits inside the header (runners also try every byte boundary)."""
    first = frame(DATA, b"split", checksum=True)
    second = frame(0x41, b"header", app=3)
    data = first + second
    decode(
        suite,
        group,
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


def check_order_cases(suite: Suite, group: str) -> None:
    """FW-HDR-6..8: two faults in one frame, the earlier check wins.

    These are the only cases with more than one fault (tag `multi-fault`). Rows: key,
    description, frame, error in length-prefixed framing, error in delimited framing
    (None: the case applies to length-prefixed framing only), limits.
    """
    limits_256 = {"max_frame_size": 256, "max_message_size": 256}
    big_frames = {"max_frame_size": 1024, "max_message_size": 256}
    # 258 payload bytes: over max frame 256, yet 269 encoded bytes, within E = 271 of
    # FW-DLM-4, so a delimited receiver decodes the frame and applies FW-HDR-8.
    over = nonzero_bytes(258)
    rows: list[tuple[str, str, bytes, str | None, str | None, Json]] = [
        (
            "magic-before-version",
            "Bad magic and version 2.",
            frame(DATA, b"x", magic=b"XW", version=2),
            "bad-magic",
            "bad-magic",
            limits_256,
        ),
        (
            "version-before-reserved-flag",
            "Version 2 and the R bit set.",
            frame(DATA, b"x", version=2, raw_flags=FLAG_R),
            "unsupported-version",
            "unsupported-version",
            limits_256,
        ),
        (
            "reserved-flag-before-reserved-type",
            "R bit set and type 0x05.",
            frame(0x05, b"x", raw_flags=FLAG_R),
            "reserved-flag",
            "reserved-flag",
            limits_256,
        ),
        (
            "reserved-type-before-too-large",
            "Type 0x05 with length 258 > max frame 256.",
            frame(0x05, over),
            "reserved-type",
            "reserved-type",
            limits_256,
        ),
        (
            "control-app-flags-before-fragmented",
            "PING with application flag 0x10 and M set.",
            frame(PING, bytes(8), raw_flags=0x10 | FLAG_M),
            "reserved-flag",
            "reserved-flag",
            limits_256,
        ),
        (
            "fragmented-before-too-large",
            "PING with M set and length 258 > max frame 256.",
            frame(PING, over, more=True),
            "fragmented-control",
            "fragmented-control",
            limits_256,
        ),
        (
            "too-large-before-continuation",
            "Continuation frame (no message in progress) with length 258 > max frame 256.",
            frame(DATA, over, cont=True),
            "frame-too-large",
            "frame-too-large",
            limits_256,
        ),
        (
            "too-large-before-message-too-large",
            "Frame of length 257 > max frame 256 that also exceeds max message 256.",
            frame(DATA, nonzero_bytes(257)),
            "frame-too-large",
            "frame-too-large",
            limits_256,
        ),
        (
            "continuation-before-checksum",
            "Continuation frame with no message in progress and "
            "a wrong CRC: length-prefixed decides the message rules from the header, "
            "delimited checks integrity first.",
            corrupt_trailer(frame(DATA, b"x", checksum=True, cont=True)),
            "unexpected-continuation",
            "checksum-mismatch",
            limits_256,
        ),
        (
            "message-too-large-before-checksum",
            "A single-frame message of 300 bytes > max "
            "message 256 (max frame 1024) with a wrong CRC.",
            corrupt_trailer(frame(DATA, nonzero_bytes(300), checksum=True)),
            "message-too-large",
            "checksum-mismatch",
            big_frames,
        ),
        (
            "too-large-vs-length-mismatch",
            "Header length 300 > max frame 256, actual "
            "payload 5 bytes (delimited: the header checks come before the size check).",
            frame(DATA, b"short", length=300),
            None,
            "frame-too-large",
            limits_256,
        ),
        (
            "version-before-length-mismatch",
            "Version 2 and a length one more than the payload.",
            frame(DATA, b"abc", version=2, length=4),
            None,
            "unsupported-version",
            limits_256,
        ),
        (
            "length-mismatch-before-checksum",
            "A checksummed frame whose length field is one more than its payload.",
            frame(DATA, b"abc", checksum=True, length=4),
            None,
            "length-mismatch",
            limits_256,
        ),
        (
            "length-mismatch-before-continuation",
            "A continuation frame with no message in "
            "progress whose length field is one less than its payload.",
            frame(DATA, b"abc", cont=True, length=2),
            None,
            "length-mismatch",
            limits_256,
        ),
        (
            "short-frame-before-magic",
            "A 5-byte frame with a bad magic: a frame shorter "
            "than the header fails with length-mismatch before anything else in it.",
            b"XY\x01\x00\x40",
            None,
            "length-mismatch",
            limits_256,
        ),
    ]
    for key, description, bad, lpf_name, dlm_name, limits in rows:
        for framing, name in ((LENGTH_PREFIXED, lpf_name), (DELIMITED, dlm_name)):
            if name is None:
                continue
            frame_fault(
                suite,
                group,
                f"order-{key}",
                f"Order of checks: {description} Reported: {name}.",
                ["FW-HDR-6", ORDER_RULE[framing]],
                bad=bad,
                name=name,
                limits=limits,
                tags=["check-order", "multi-fault"],
                framings=[framing],
            )
    overrun = cobs_encode(frame(DATA, b"abc", magic=b"XY"))
    decode(
        suite,
        group,
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


# =============================================================== length-limits.json


def length_limit_cases(suite: Suite) -> None:
    """Sections 3.5 and 7.1: exact limits, one past them, and the 2^30 ceiling."""
    group = "length-limits"
    valid_frames(
        suite,
        group,
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
            group,
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
        group,
        "max-frame-size-plus-one",
        "A frame of length 257 (payload present) with max frame size 256.",
        ["FW-LEN-3", "FW-LIM-3"],
        bad=frame(DATA, nonzero_bytes(257)),
        name="frame-too-large",
        tags=["boundary"],
    )
    header_only(
        suite,
        group,
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
        group,
        "max-frame-size-exact-header-only",
        "Only the header of a frame of length 256 (max 256): accepted, waiting for payload.",
        ["FW-LEN-3", "FW-HDR-3"],
        length=256,
        end=OPEN,
        limits=SMALL_LIMITS,
    )
    header_only(
        suite,
        group,
        "default-max-frame-size-exact",
        "Default limits: header of a frame of length 1,048,576 is accepted (waiting).",
        ["FW-LIM-1", "FW-LEN-3"],
        length=1_048_576,
        end=OPEN,
        limits=DEFAULT_LIMITS,
    )
    header_only(
        suite,
        group,
        "default-max-frame-size-plus-one",
        "Default limits: header of a frame of length 1,048,577 is rejected at once.",
        ["FW-LIM-1", "FW-LEN-3", "FW-LIM-3"],
        length=1_048_577,
        end=error("frame-too-large"),
        limits=DEFAULT_LIMITS,
    )
    header_only(
        suite,
        group,
        "ceiling-over-own-max",
        "Default limits: length 2^30 is within the ceiling but above the receiver's own "
        "maximum: rejected at once.",
        ["FW-LEN-3", "FW-LIM-3"],
        length=CEILING,
        end=error("frame-too-large"),
        limits=DEFAULT_LIMITS,
    )
    ceiling_limits = {"max_frame_size": CEILING, "max_message_size": 0}
    for length, end, extra, description in (
        (CEILING, OPEN, [], "length 2^30 is accepted (waiting for the payload)"),
        (CEILING + 1, error("frame-too-large"), ["FW-LIM-3"], "length 2^30 + 1 is rejected"),
        (0x7FFFFFFF, error("frame-too-large"), ["FW-LEN-4"], "length 2^31 - 1 is rejected"),
        (
            0x80000000,
            error("frame-too-large"),
            ["FW-LEN-4"],
            "length 2^31 (sign bit set) is rejected without overflow",
        ),
        (
            0xFFFFFFF3,
            error("frame-too-large"),
            ["FW-LEN-4"],
            "length 2^32 - 13 (9 + length + 4 wraps to 0 in 32 bits) is rejected",
        ),
        (0xFFFFFFFF, error("frame-too-large"), ["FW-LEN-4"], "length 2^32 - 1 is rejected"),
    ):
        header_only(
            suite,
            group,
            f"ceiling-{length:08x}",
            f"Max frame size 2^30 (the ceiling), no message limit: {description}, from "
            "the header alone.",
            ["FW-LEN-3", "FW-HDR-3", *extra],
            length=length,
            end=end,
            limits=ceiling_limits,
        )
    for length in (CEILING + 1, 0xFFFFFFFF):
        decode(
            suite,
            group,
            f"ceiling-{length:08x}",
            f"Delimited, max frame size 2^30: a header announcing length {length:#x} "
            "(payload absent, so the size also disagrees): frame-too-large is checked "
            "first.",
            ["FW-LEN-3", "FW-HDR-6", "FW-DLM-4"],
            framing=DELIMITED,
            data=delimit(frame(DATA, length=length), frame(DATA, b"next")),
            events=[error("frame-too-large"), message(DATA, b"next")],
            end=CLEAN,
            limits=ceiling_limits,
            tags=["boundary", "multi-fault"],
        )
    message_limit_cases(suite, group)
    control_frame_size_cases(suite, group)


def control_frame_size_cases(suite: Suite, group: str) -> None:
    """FW-MSG-19: a control frame is bounded by the maximum frame size alone, never by the
    maximum message size, and does not count toward the data message it interrupts."""
    limits = {"max_frame_size": 1024, "max_message_size": 256}
    big = nonzero_bytes(300, 3)
    valid_frames(
        suite,
        group,
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
        group,
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


def message_limit_cases(suite: Suite, group: str) -> None:
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
        group,
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
            group,
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
        group,
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
    single = {"max_frame_size": 1024, "max_message_size": 300}
    valid_frames(
        suite,
        group,
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
        group,
        "single-frame-message-plus-one",
        "Max frame 1024, max message 300: a single frame of 301 bytes is message-too-large "
        "(not frame-too-large).",
        ["FW-MSG-10", "FW-LIM-3"],
        bad=frame(DATA, nonzero_bytes(301)),
        name="message-too-large",
        limits=single,
        tags=["boundary"],
    )
    unlimited = {"max_frame_size": 256, "max_message_size": 0}
    frames = [frame(DATA, full, more=True)]
    frames += [frame(DATA, full, cont=True, more=True) for _ in range(4)]
    frames.append(frame(DATA, b"end", cont=True))
    valid_frames(
        suite,
        group,
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
        group,
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
        group,
        "default-max-message-size-plus-one",
        "Max frame 2^30, default max message: a frame header of length 16,777,217 is "
        "message-too-large at once.",
        ["FW-LIM-1", "FW-MSG-10", "FW-LIM-3"],
        length=16_777_217,
        end=error("message-too-large"),
        limits=big_frames,
    )


# ========================================================================= crc.json


def crc_cases(suite: Suite) -> None:
    """Section 3.6."""
    group = "crc"
    valid_frames(
        suite,
        group,
        "empty-payload",
        "CRC over an empty payload: the trailer covers the 9 header bytes (C set).",
        ["FW-CRC-1", "FW-CRC-2", "FW-LEN-2", "FW-HDR-1"],
        frames=[frame(DATA, checksum=True)],
        events=[message(DATA)],
        tags=["boundary"],
    )
    valid_frames(
        suite,
        group,
        "check-string",
        "CRC over a frame carrying the ASCII check string 123456789.",
        ["FW-CRC-1", "FW-CRC-2"],
        frames=[frame(0x41, b"123456789", checksum=True, app=9)],
        events=[message(0x41, b"123456789", 9)],
    )
    valid_frames(
        suite,
        group,
        "checksum-on-control-frames",
        "A PING and a PONG with CRC trailers.",
        ["FW-CRC-1", "FW-CRC-4"],
        frames=[frame(PING, b"pingpong", checksum=True), frame(PONG, b"pingpong")],
        events=[message(PING, b"pingpong"), message(PONG, b"pingpong")],
    )
    following = frame(DATA, b"next")
    lookalike = payload_with_crc(b"no trailer", int.from_bytes(following[:4], "big"), app=1)
    valid_frames(
        suite,
        group,
        "no-trailer-without-c",
        "A frame without C whose CRC-32C happens to equal the next 4 bytes (the next "
        "frame's magic, version and flags): C is clear, so no trailer follows and those "
        "bytes start the next frame.",
        ["FW-HDR-1", "FW-CRC-1"],
        frames=[frame(DATA, lookalike, app=1), following],
        events=[message(DATA, lookalike, 1), message(DATA, b"next")],
    )
    valid_frames(
        suite,
        group,
        "mixed-within-message",
        "One message of three frames: with, without, and with a CRC trailer.",
        ["FW-CRC-4", "FW-MSG-2"],
        frames=[
            frame(DATA, b"one", checksum=True, more=True),
            frame(DATA, b"two", cont=True, more=True),
            frame(DATA, b"three", checksum=True, cont=True),
        ],
        events=[message(DATA, b"onetwothree")],
    )
    good = frame(DATA, b"checked", checksum=True)
    header = good[:9]
    faults = [
        ("trailer-bit-flipped", "One bit of the trailer flipped.", corrupt_trailer(good)),
        (
            "payload-bit-flipped",
            "One payload bit flipped in transit (trailer unchanged).",
            good[:9] + b"checkee" + good[-4:],
        ),
        ("trailer-little-endian", "Trailer written little-endian.", good[:-4] + good[-4:][::-1]),
        (
            "crc-without-c-flag",
            "CRC computed over the header with the C flag cleared.",
            header
            + b"checked"
            + wire.crc32c(
                header[:3] + bytes([header[3] & ~FLAG_C]) + header[4:] + b"checked"
            ).to_bytes(4, "big"),
        ),
        (
            "crc-over-payload-only",
            "CRC computed over the payload only.",
            header + b"checked" + wire.crc32c(b"checked").to_bytes(4, "big"),
        ),
        (
            "crc-no-final-xor",
            "CRC without the final XOR with 0xFFFFFFFF.",
            good[:-4] + (int.from_bytes(good[-4:], "big") ^ 0xFFFFFFFF).to_bytes(4, "big"),
        ),
        (
            "trailer-zero",
            "Trailer 0x00000000 (the CRC of no bytes) on a non-empty frame.",
            good[:-4] + bytes(4),
        ),
    ]
    for key, description, bad in faults:
        frame_fault(
            suite,
            group,
            key,
            description,
            ["FW-CRC-3", "FW-CRC-1", "FW-CRC-2"],
            bad=bad,
            name="checksum-mismatch",
        )
    frame_fault(
        suite,
        group,
        "empty-payload-bad-trailer",
        "An empty checksummed frame whose trailer is wrong.",
        ["FW-CRC-3"],
        bad=corrupt_trailer(frame(DATA, checksum=True)),
        name="checksum-mismatch",
        tags=["boundary"],
    )
    streaming_bad_crc(suite, group)


def payload_with_crc(head: bytes, target: int, *, app: int) -> bytes:
    """`head` and 4 more bytes, chosen so that the CRC-32C of the frame (DATA, no C, `app`
    flags) carrying it is `target`. CRC-32C is affine in its input bits over GF(2), so the
    4 bytes solve a 32 x 32 linear system."""

    def crc_with(tail: int) -> int:
        return wire.crc32c(frame(DATA, head + tail.to_bytes(4, "big"), app=app))

    base = crc_with(0)
    pivots: dict[int, tuple[int, int]] = {}  # highest bit -> (column combination, tail bits)
    for bit in range(32):
        column, tail = crc_with(1 << bit) ^ base, 1 << bit
        for pivot in sorted(pivots, reverse=True):
            if column >> pivot & 1:
                column ^= pivots[pivot][0]
                tail ^= pivots[pivot][1]
        if column:
            pivots[column.bit_length() - 1] = (column, tail)
    wanted, tail = target ^ base, 0
    for pivot in sorted(pivots, reverse=True):
        if wanted >> pivot & 1:
            wanted ^= pivots[pivot][0]
            tail ^= pivots[pivot][1]
    if wanted or crc_with(tail) != target:
        raise AssertionError("no 4 bytes give that CRC-32C")
    return head + tail.to_bytes(4, "big")


def streaming_bad_crc(suite: Suite, group: str) -> None:
    """FW-CRC-3 with streaming delivery: no piece of the faulty frame is delivered."""
    first = frame(DATA, b"first", more=True)
    bad = corrupt_trailer(frame(DATA, b"second", checksum=True, cont=True))
    for framing in FRAMINGS:
        if framing == LENGTH_PREFIXED:
            events = [piece(b"first", first=True, last=False)]
            end: object = error("checksum-mismatch")
            data = first + bad
        else:
            events = [
                piece(b"first", first=True, last=False),
                error("checksum-mismatch"),
                piece(b"new", first=True, last=True),
            ]
            end = CLEAN
            data = delimit(first, bad, frame(DATA, b"new"))
        decode(
            suite,
            group,
            "streaming-bad-crc-piece-withheld",
            "Streaming delivery: the first piece of a message is delivered; the second "
            "frame has a wrong CRC, so none of its payload is delivered and the error ends "
            "the message.",
            ["FW-CRC-3", "FW-MSG-15"],
            framing=framing,
            data=data,
            events=events,
            end=end,
            assemble=False,
            tags=["streaming"],
        )


# ======================================================================== cobs.json


def payload_for_last_piece(size: int) -> bytes:
    """A non-zero payload that makes the frame's last COBS piece exactly `size` bytes.

    The length field is 00 00 HI LO: while HI is zero the last piece is LO + payload,
    after that HI LO + payload (LO not zero). Both candidates are checked, not assumed.
    """
    for length_bytes in (1, 2):
        payload = nonzero_bytes(size - length_bytes)
        if len(frame(DATA, payload).split(b"\x00")[-1]) == size:
            return payload
    raise AssertionError(f"no payload gives a last COBS piece of {size} bytes")


def cobs_cases(suite: Suite) -> None:
    """Section 4.2.1 (decode side; encode.json has the exact encoder outputs)."""
    group = "cobs"
    big = {"max_frame_size": 1024, "max_message_size": 0}
    for last_piece in (253, 254, 255, 508, 509):
        payload = payload_for_last_piece(last_piece)
        decode(
            suite,
            group,
            f"last-piece-{last_piece}",
            f"A frame whose last COBS piece is {last_piece} bytes (the non-zero length "
            f"bytes and {len(payload)} non-zero payload bytes), canonically encoded.",
            ["FW-COB-1", "FW-COB-2", "FW-DLM-1"],
            framing=DELIMITED,
            data=delimit(frame(DATA, payload)),
            events=[message(DATA, payload)],
            end=CLEAN,
            limits=big,
            tags=["cobs", "boundary"],
        )
    for zeros in (1, 2, 254, 255, 600):
        payload = bytes(zeros)
        decode(
            suite,
            group,
            f"run-of-{zeros}-zeros",
            f"A payload of {zeros} zero bytes.",
            ["FW-COB-2", "FW-DLM-1"],
            framing=DELIMITED,
            data=delimit(frame(DATA, payload)),
            events=[message(DATA, payload)],
            end=CLEAN,
            limits=big,
            tags=["cobs", "boundary"],
        )
    block = nonzero_bytes(254, seed=7)
    for where, payload in (
        ("middle", b"\x00" + block + b"\x00\x01"),
        ("end", b"\x00" + block + b"\x00"),
    ):
        decode(
            suite,
            group,
            f"full-block-before-zero-{where}",
            "A 254-byte piece followed by a zero: its 0xFF block is followed by an empty "
            "block 0x01 that stands for the zero.",
            ["FW-COB-1", "FW-COB-2"],
            framing=DELIMITED,
            data=delimit(frame(DATA, payload)),
            events=[message(DATA, payload)],
            end=CLEAN,
            limits=big,
            tags=["cobs", "boundary"],
        )
    for last_piece in (254, 508):
        payload = payload_for_last_piece(last_piece)
        canonical = cobs_encode(frame(DATA, payload))
        if wire.cobs_decode(canonical + b"\x01") != frame(DATA, payload):
            raise AssertionError("the trailing empty block must follow a 0xFF block")
        decode(
            suite,
            group,
            f"trailing-empty-block-{last_piece}",
            f"Non-canonical encoding: the final 0xFF block of a {last_piece}-byte last "
            "piece is followed by an empty block 0x01. Accepted, decodes to the same frame.",
            ["FW-COB-3"],
            framing=DELIMITED,
            data=canonical + b"\x01\x00" + delimit(frame(DATA, b"next")),
            events=[message(DATA, payload), message(DATA, b"next")],
            end=CLEAN,
            limits=big,
            tags=["cobs", "boundary", "non-canonical"],
        )
    plain = cobs_encode(frame(DATA, b"abc"))  # last block: code 0x05 then 03 61 62 63
    last_code = len(plain) - 5
    overruns = [
        (
            "last-code-overruns-by-one",
            "The last code byte announces one byte more than remains before the delimiter.",
            plain[:last_code] + bytes([plain[last_code] + 1]) + plain[last_code + 1 :],
        ),
        (
            "code-byte-alone-at-end",
            "A final code byte 0x02 with no data byte after it.",
            plain + b"\x02",
        ),
        (
            "full-block-short",
            "A 0xFF code byte followed by only 10 bytes.",
            plain + b"\xff" + nonzero_bytes(10),
        ),
        (
            "first-code-overruns",
            "The first code byte announces 200 bytes; 12 remain.",
            b"\xc9" + plain[1:],
        ),
    ]
    for key, description, encoded in overruns:
        for after, events in (
            (b"", [message(DATA, b"ok"), error("cobs-invalid")]),
            (
                delimit(frame(DATA, b"next")),
                [message(DATA, b"ok"), error("cobs-invalid"), message(DATA, b"next")],
            ),
        ):
            decode(
                suite,
                group,
                f"{key}{'-then-frame' if after else ''}",
                f"{description} Rejected with cobs-invalid"
                f"{'; the next frame decodes normally' if after else ''}.",
                ["FW-COB-2", "FW-DLM-6"],
                framing=DELIMITED,
                data=delimit(frame(DATA, b"ok")) + encoded + b"\x00" + after,
                events=events,
                end=CLEAN,
                tags=["cobs"],
            )


# =================================================================== delimited.json


def delimited_cases(suite: Suite) -> None:
    """Sections 4.2.2, 4.2.3 and 4.3."""
    group = "delimited"
    one, two = frame(DATA, b"one"), frame(0x41, b"two", checksum=True)
    decode(
        suite,
        group,
        "lone-delimiters-ignored",
        "A lone 0x00 at the start, two between frames and one at the end: empty frames are "
        "silently ignored.",
        ["FW-DLM-1", "FW-DLM-2"],
        framing=DELIMITED,
        data=b"\x00" + delimit(one) + b"\x00\x00" + delimit(two) + b"\x00",
        events=[message(DATA, b"one"), message(0x41, b"two")],
        end=CLEAN,
    )
    decode(
        suite,
        group,
        "only-delimiters",
        "Input of three 0x00 bytes: no frame, no error, clean end.",
        ["FW-DLM-2"],
        framing=DELIMITED,
        data=b"\x00\x00\x00",
        events=[],
        end=CLEAN,
        tags=["boundary"],
    )
    decode(
        suite,
        group,
        "same-frame-both-framings",
        "The checksummed frames of a two-frame message, moved to delimited framing "
        "unchanged: same message.",
        ["FW-XFR-1", "FW-DLM-1"],
        framing=DELIMITED,
        data=delimit(
            frame(0x90, b"relay", app=1, checksum=True, more=True),
            frame(0x90, b"ed", app=1, checksum=True, cont=True),
        ),
        events=[message(0x90, b"relayed", 1)],
        end=CLEAN,
    )
    mismatches = [
        (
            "length-one-too-big",
            "Header length 4, payload 3 bytes (a byte lost on the way, no checksum).",
            frame(DATA, b"abc", length=4),
            ["FW-XFR-2"],
        ),
        (
            "length-one-too-small",
            "Header length 2, payload 3 bytes (a byte gained).",
            frame(DATA, b"abc", length=2),
            ["FW-XFR-2"],
        ),
        (
            "c-set-trailer-missing",
            "C flag set, length right, but no trailer bytes.",
            frame(DATA, b"abc", checksum=True)[:-4],
            [],
        ),
        (
            "trailer-without-c",
            "C flag clear, but 4 extra bytes after the payload.",
            frame(DATA, b"abc") + wire.crc32c(b"abc").to_bytes(4, "big"),
            [],
        ),
        (
            "eight-bytes",
            "A decoded frame of 8 bytes (one short of a header).",
            frame(DATA)[:8],
            ["FW-HDR-3"],
        ),
        ("one-byte", "A decoded frame of 1 byte (0x46).", b"F", []),
        ("zero-byte-frame", "A decoded frame of 1 byte 0x00 (encoded 01 01).", b"\x00", []),
        (
            "decodes-to-nothing",
            "An encoded frame 01 (decodes to no bytes): not an empty "
            "frame, since it has an encoded byte.",
            b"",
            ["FW-DLM-2"],
        ),
    ]
    for key, description, bad, extra in mismatches:
        frame_fault(
            suite,
            group,
            key,
            description,
            ["FW-DLM-3", *extra],
            bad=bad,
            name="length-mismatch",
            framings=[DELIMITED],
        )
    encoded_bound_cases(suite, group)
    no_early_rejection_cases(suite, group)
    resync_cases(suite, group)
    truncated_cases(suite, group)


def encoded_bound_cases(suite: Suite, group: str) -> None:
    """FW-DLM-4 / FW-COB-4: E = n + 1 + floor(n / 254), n = 13 + 256 = 269, E = 271.

    The header 46 57 01 00 40 00 00 00 0a encodes to 8 bytes before its last piece
    (0a + payload). A last piece of q bytes (254 < q < 508) encodes to q + 2 bytes, so a
    payload of p bytes gives 8 + (p + 1) + 2 = p + 11 encoded bytes.
    """
    bound = 269 + 1 + 269 // 254
    valid_max = frame(DATA, nonzero_bytes(256), checksum=True)
    decode(
        suite,
        group,
        "largest-frame-within-bound",
        "The largest frame max frame size 256 allows (C set, 269 bytes) stays within the "
        f"encoded bound E = {bound}.",
        ["FW-DLM-4", "FW-COB-4"],
        framing=DELIMITED,
        data=delimit(valid_max),
        events=[message(DATA, nonzero_bytes(256))],
        end=CLEAN,
        tags=["boundary"],
    )
    at_bound = frame(DATA, nonzero_bytes(bound - 11), length=10)
    over_bound = frame(DATA, nonzero_bytes(bound - 10), length=10)
    if len(cobs_encode(at_bound)) != bound or len(cobs_encode(over_bound)) != bound + 1:
        raise AssertionError("encoded-bound arithmetic is wrong")
    after = delimit(frame(DATA, b"after"))
    decoded_bound_cases(suite, group, after)
    decode(
        suite,
        group,
        "encoded-size-at-bound",
        f"A frame of exactly E = {bound} encoded bytes whose header says length 10: within "
        "the bound, so it is decoded and fails with length-mismatch.",
        ["FW-DLM-4", "FW-DLM-3"],
        framing=DELIMITED,
        data=cobs_encode(at_bound) + b"\x00" + after,
        events=[error("length-mismatch"), message(DATA, b"after")],
        end=CLEAN,
        tags=["boundary"],
    )
    decode(
        suite,
        group,
        "encoded-size-over-bound",
        f"Encoded bytes exceed E = {bound} (header says length 10, 50 more bytes follow "
        "before the delimiter): frame-too-large at once; the rest up to the 0x00 is "
        "discarded; the next frame decodes.",
        ["FW-DLM-4", "FW-COB-4", "FW-LIM-4"],
        framing=DELIMITED,
        data=cobs_encode(over_bound) + nonzero_bytes(50) + b"\x00" + after,
        events=[error("frame-too-large"), message(DATA, b"after")],
        end=CLEAN,
        tags=["boundary"],
    )
    decode(
        suite,
        group,
        "encoded-size-over-bound-no-delimiter",
        f"Encoded bytes exceed E = {bound} and the input ends before any 0x00: "
        "frame-too-large at once, then the discarded bytes end without truncated-frame.",
        ["FW-DLM-4", "FW-DLM-5", "FW-DLM-11"],
        framing=DELIMITED,
        data=delimit(frame(DATA, b"ok")) + cobs_encode(over_bound) + nonzero_bytes(20),
        events=[message(DATA, b"ok"), error("frame-too-large")],
        end=CLEAN,
        tags=["boundary", "eof"],
    )
    ok = delimit(frame(DATA, b"ok"))
    long_run = cobs_encode(over_bound) + nonzero_bytes(40)
    decode(
        suite,
        group,
        "encoded-size-over-bound-one-chunk",
        f"A frame, then the first 10 bytes of a frame whose encoded bytes exceed E = {bound}, "
        "then the rest of it in one chunk with no 0x00, then a 0x00 and a frame: "
        "frame-too-large however much of the oversized frame one chunk brings; the bytes "
        "up to the 0x00 are discarded, the next frame decodes.",
        ["FW-DLM-4", "FW-LIM-4"],
        framing=DELIMITED,
        data=ok + long_run + b"\x00" + after,
        chunks=[len(ok) + 10, len(long_run) - 10, 1 + len(after)],
        events=[message(DATA, b"ok"), error("frame-too-large"), message(DATA, b"after")],
        end=CLEAN,
        tags=["boundary", "chunks"],
    )
    decode(
        suite,
        group,
        "encoded-size-over-bound-one-chunk-eof",
        f"The same oversized frame (beyond E = {bound}), its rest in one chunk with no 0x00, "
        "then end of input: frame-too-large, then a clean end (FW-DLM-11).",
        ["FW-DLM-4", "FW-DLM-11", "FW-LIM-4"],
        framing=DELIMITED,
        data=ok + long_run,
        chunks=[len(ok) + 10, len(long_run) - 10],
        events=[message(DATA, b"ok"), error("frame-too-large")],
        end=CLEAN,
        tags=["boundary", "chunks", "eof"],
    )
    chunk_bound_cases(suite, group, bound)
    decode(
        suite,
        group,
        "encoded-size-over-bound-in-message-eof",
        f"The first frame of a message, then encoded bytes beyond E = {bound} and end of "
        "input before any 0x00: frame-too-large drops the frame and the message in "
        "progress, and the input then ends cleanly: neither truncated-frame (the "
        "discarded bytes are no frame) nor truncated-message (no message is in progress).",
        ["FW-DLM-11", "FW-DLM-4", "FW-MSG-14", "FW-MSG-11"],
        framing=DELIMITED,
        data=delimit(frame(DATA, b"first", more=True)) + cobs_encode(over_bound) + nonzero_bytes(9),
        events=[error("frame-too-large")],
        end=CLEAN,
        tags=["boundary", "eof"],
    )
    decode(
        suite,
        group,
        "too-large-from-header-then-discard",
        "Header announces length 1000 (max 256) and 1000 payload bytes follow: "
        "frame-too-large (from the header or from the bound), nothing else reported for "
        "that frame; the next frame decodes.",
        ["FW-DLM-4", "FW-LEN-3"],
        framing=DELIMITED,
        data=delimit(frame(DATA, nonzero_bytes(1000)), frame(DATA, b"after")),
        events=[error("frame-too-large"), message(DATA, b"after")],
        end=CLEAN,
    )


def with_zeros(count: int, every: int) -> bytes:
    """`count` bytes with a 0x00 every `every` bytes: COBS adds one byte per piece only."""
    return bytes(0 if index % every == every - 1 else 0x61 for index in range(count))


def decoded_bound_cases(suite: Suite, group: str, after: bytes) -> None:
    """FW-DLM-4 counts encoded bytes: a frame that decodes to more than 13 + M bytes but
    whose encoding stays within E is decoded and checked, not refused for its size; and E
    uses floor(n / 254), which differs from floor(n / 255) at max frame size 496."""
    n = 13 + 256
    bound = n + 1 + n // 254
    long_decoded = frame(DATA, with_zeros(261, 130), length=10)
    if len(long_decoded) <= n or len(cobs_encode(long_decoded)) != bound:
        raise AssertionError("the frame must decode beyond 13 + M and encode to exactly E")
    decode(
        suite,
        group,
        "decoded-over-frame-encoded-within-bound",
        f"Max frame 256: a frame of {len(long_decoded)} decoded bytes (more than 13 + 256) "
        f"whose encoding is exactly E = {bound} bytes, header length 10: the bound counts "
        "encoded bytes, so the frame is decoded and fails with length-mismatch, not "
        "frame-too-large.",
        ["FW-DLM-4", "FW-DLM-3", "FW-HDR-8"],
        framing=DELIMITED,
        data=cobs_encode(long_decoded) + b"\x00" + after,
        events=[error("length-mismatch"), message(DATA, b"after")],
        end=CLEAN,
        tags=["boundary"],
    )
    max_frame = 496
    n = 13 + max_frame
    bound = n + 1 + n // 254
    at_bound = frame(DATA, with_zeros(bound - 10, 200), length=10)
    if len(cobs_encode(at_bound)) != bound or n // 254 == n // 255:
        raise AssertionError("the frame must encode to exactly E, where 254 and 255 differ")
    decode(
        suite,
        group,
        "encoded-size-at-bound-496",
        f"Max frame 496 (n = 509, E = 509 + 1 + floor(509 / 254) = {bound}; floor(509 / 255) "
        f"would give {bound - 1}): a frame of exactly {bound} encoded bytes, header length "
        "10: within the bound, so it is decoded and fails with length-mismatch.",
        ["FW-DLM-4", "FW-COB-4", "FW-DLM-3"],
        framing=DELIMITED,
        data=cobs_encode(at_bound) + b"\x00" + after,
        events=[error("length-mismatch"), message(DATA, b"after")],
        end=CLEAN,
        limits={"max_frame_size": max_frame, "max_message_size": 1024},
        tags=["boundary"],
    )


def chunk_bound_cases(suite: Suite, group: str, bound: int) -> None:
    """FW-DLM-4 bounds what is buffered of the frame being received, never a chunk: a
    chunk longer than E that ends the frame in progress is decoded whole."""
    first = cobs_encode(frame(DATA, bytes(range(2, 22))))
    following = [frame(DATA, nonzero_bytes(120, seed)) for seed in (2, 3)]
    rest = b"\x00" + delimit(*following)
    if len(rest) <= bound + 1 - len(first):
        raise AssertionError("the second chunk must exceed what E leaves of the first frame")
    decode(
        suite,
        group,
        "chunk-longer-than-bound-starts-with-delimiter",
        f"A frame's encoded bytes in one chunk, then a chunk of {len(rest)} bytes that starts "
        "with that frame's 0x00 and carries two more frames: more than the encoded bound "
        f"E = {bound} leaves of the first frame, yet every byte after the 0x00 belongs to "
        "other frames, so all three frames decode.",
        ["FW-DLM-4", "FW-DLM-1"],
        framing=DELIMITED,
        data=first + rest,
        chunks=[len(first), len(rest)],
        events=[message(DATA, bytes(range(2, 22)))]
        + [message(DATA, nonzero_bytes(120, seed)) for seed in (2, 3)],
        end=CLEAN,
        tags=["boundary", "chunks"],
    )
    # The first frame's last 0x01 (a COBS code byte for a zero of its length field) ends
    # the first chunk; the second holds no 0x01 at all, so only its 0x00 tells a decoder
    # that the frame in progress ends inside it.
    head = first[: first.rindex(b"\x01") + 1]
    filler = bytes(index % 254 + 2 for index in range(bound + 29))
    rest = first[len(head) :] + b"\x00" + filler + b"\x00"
    if b"\x01" in rest or len(rest) <= bound + 1 - len(head):
        raise AssertionError("the second chunk must hold no 0x01 and exceed the bound's rest")
    decode(
        suite,
        group,
        "chunk-longer-than-bound-ends-frame-mid-way",
        "A frame cut after its first encoded bytes; the second chunk ends the frame with its "
        f"0x00, then brings {len(filler)} encoded bytes and a 0x00: the frame decodes, the "
        f"{len(filler)} bytes (beyond E = {bound}) fail with frame-too-large, and the input "
        "ends cleanly.",
        ["FW-DLM-4", "FW-LIM-4"],
        framing=DELIMITED,
        data=head + rest,
        chunks=[len(head), len(rest)],
        events=[message(DATA, bytes(range(2, 22))), error("frame-too-large")],
        end=CLEAN,
        tags=["boundary", "chunks"],
    )


def resync_cases(suite: Suite, group: str) -> None:
    """FW-DLM-6..8, FW-ERR-8: garbage, resynchronisation and hunting."""
    good = delimit(frame(DATA, b"good"))
    # Garbage 13 37 42: code 0x13 announces 18 bytes, only 2 follow: cobs-invalid.
    garbage = bytes.fromhex("133742")
    decode(
        suite,
        group,
        "garbage-then-frame",
        "Three bytes of garbage (13 37 42) then 0x00 and a frame: the garbage is one bad "
        "frame (cobs-invalid); decoding resumes right after its 0x00.",
        ["FW-DLM-6", "FW-DLM-8", "FW-ERR-8"],
        framing=DELIMITED,
        data=garbage + b"\x00" + good,
        events=[error("cobs-invalid"), message(DATA, b"good")],
        end=CLEAN,
        tags=["garbage", "resync"],
    )
    decode(
        suite,
        group,
        "hunting-discards-garbage",
        "Hunting state: the garbage before the first 0x00 is discarded silently.",
        ["FW-DLM-8"],
        framing=DELIMITED,
        data=garbage + b"\x00" + good,
        events=[message(DATA, b"good")],
        end=CLEAN,
        hunting=True,
        tags=["hunting"],
    )
    decode(
        suite,
        group,
        "hunting-discards-first-whole-frame",
        "Hunting state: everything up to and including the first 0x00 is discarded, even "
        "a frame that would have been valid.",
        ["FW-DLM-8"],
        framing=DELIMITED,
        data=delimit(frame(DATA, b"lost")) + good,
        events=[message(DATA, b"good")],
        end=CLEAN,
        hunting=True,
        tags=["hunting"],
    )
    decode(
        suite,
        group,
        "hunting-until-eof",
        "Hunting state and no 0x00 before end of input: everything was discarded, the "
        "input ends cleanly.",
        ["FW-DLM-8"],
        framing=DELIMITED,
        data=garbage + cobs_encode(frame(DATA, b"cut")),
        events=[],
        end=CLEAN,
        hunting=True,
        tags=["hunting", "eof"],
    )
    decode(
        suite,
        group,
        "hunting-leading-delimiter",
        "Hunting state with input starting with 0x00: only that byte is discarded.",
        ["FW-DLM-8", "FW-DLM-1"],
        framing=DELIMITED,
        data=b"\x00" + good,
        events=[message(DATA, b"good")],
        end=CLEAN,
        hunting=True,
        tags=["hunting"],
    )
    decode(
        suite,
        group,
        "hunting-discards-long-run",
        "Hunting state: 600 non-zero bytes (more than the encoded bound E = 271) before the "
        "first 0x00 are discarded silently: hunting buffers nothing, so E does not apply and "
        "there is no frame-too-large.",
        ["FW-DLM-8", "FW-DLM-4"],
        framing=DELIMITED,
        data=nonzero_bytes(600) + b"\x00" + good,
        events=[message(DATA, b"good")],
        end=CLEAN,
        hunting=True,
        tags=["hunting", "boundary"],
    )
    payload = b"joined mid-stream"
    joined = cobs_encode(frame(DATA, payload))
    tail = joined[-(2 + len(payload)) :]  # the last block: code, length byte, payload
    decode(
        suite,
        group,
        "joined-mid-frame-not-hunting",
        "Not hunting: the tail of a frame (its last COBS block: length byte 0x11 and 17 "
        "payload bytes) before the first 0x00 is a frame of its own, decoded to 18 bytes "
        "starting 11 6a: bad-magic.",
        ["FW-DLM-8", "FW-HDR-4"],
        framing=DELIMITED,
        data=tail + b"\x00" + good,
        events=[error("bad-magic"), message(DATA, b"good")],
        end=CLEAN,
        tags=["resync"],
    )
    sequence = [
        (frame(DATA, b"1"), [message(DATA, b"1")]),
        (b"\xff\xfe\xfd", [error("cobs-invalid")]),
        (frame(DATA, b"2", checksum=True), [message(DATA, b"2")]),
        (corrupt_trailer(frame(DATA, b"3", checksum=True)), [error("checksum-mismatch")]),
        (frame(DATA, b"4"), [message(DATA, b"4")]),
    ]
    data = b""
    events: list[Json] = []
    for bytes_, expected in sequence:
        data += (bytes_ + b"\x00") if bytes_.startswith(b"\xff") else delimit(bytes_)
        events += expected
    decode(
        suite,
        group,
        "errors-between-good-frames",
        "Good and bad frames alternating: each error is reported once, every good frame "
        "before and after is delivered, in order.",
        ["FW-DLM-6", "FW-DLM-7", "FW-MSG-16"],
        framing=DELIMITED,
        data=data,
        events=events,
        end=CLEAN,
        tags=["resync"],
    )
    random_garbage = bytes((index * 89 + 17) % 256 for index in range(64)).replace(b"\x00", b"")
    decode(
        suite,
        group,
        "long-garbage-no-delimiter-then-eof",
        "Sixty-odd bytes of garbage with no 0x00, then end of input: truncated-frame.",
        ["FW-DLM-5", "FW-ERR-8"],
        framing=DELIMITED,
        data=good + random_garbage,
        events=[message(DATA, b"good")],
        end=error("truncated-frame"),
        tags=["garbage", "eof"],
    )


def no_early_rejection_cases(suite: Suite, group: str) -> None:
    """FW-DLM-4: within the bound E, a delimited frame is judged only once it is whole."""
    # 300 > max frame 256; the last COBS block is code 0x06 then 01 2c 61 62 63.
    too_long = cobs_encode(frame(DATA, b"abc", length=300))
    last_code = len(too_long) - 6
    if too_long[last_code] != len(too_long) - last_code:
        raise AssertionError("the last code byte must announce the rest of the frame")
    overrun = too_long[:last_code] + bytes([too_long[last_code] + 1]) + too_long[last_code + 1 :]
    decode(
        suite,
        group,
        "no-early-size-rejection-cobs",
        "A header announcing length 300 (max 256) in a frame whose last COBS code byte "
        "overruns: the frame is judged when its delimiter arrives, and cobs-invalid comes "
        "first (FW-HDR-8), not frame-too-large.",
        ["FW-DLM-4", "FW-HDR-8", "FW-COB-2"],
        framing=DELIMITED,
        data=overrun + b"\x00" + delimit(frame(DATA, b"after")),
        events=[error("cobs-invalid"), message(DATA, b"after")],
        end=CLEAN,
        tags=["multi-fault", "check-order"],
    )
    decode(
        suite,
        group,
        "no-early-size-rejection-eof",
        "A header announcing length 300 (max 256), then end of input before the delimiter "
        "(well within the bound E): truncated-frame, never frame-too-large.",
        ["FW-DLM-4", "FW-DLM-5"],
        framing=DELIMITED,
        data=delimit(frame(DATA, b"ok")) + too_long,
        events=[message(DATA, b"ok")],
        end=error("truncated-frame"),
        tags=["eof"],
    )


def truncated_cases(suite: Suite, group: str) -> None:
    """FW-DLM-5 without end of input: the decoder waits."""
    first, second = delimit(frame(DATA, b"one")), delimit(frame(0x41, b"two", checksum=True))
    decode(
        suite,
        group,
        "chunks-at-block-and-delimiter-edges",
        "Two frames fed in pieces cut right before and after a delimiter, between a COBS "
        "code byte and its data, and inside the trailer: same result as whole.",
        ["FW-DLM-2", "FW-COB-2"],
        framing=DELIMITED,
        data=first + second,
        chunks=[1, len(first) - 2, 1, 1, 4, len(second) - 7, 2],
        events=[message(DATA, b"one"), message(0x41, b"two")],
        end=CLEAN,
        tags=["chunks"],
    )
    decode(
        suite,
        group,
        "partial-frame-no-eof",
        "Bytes after the last 0x00 and no end of input: nothing reported yet (open).",
        ["FW-DLM-5"],
        framing=DELIMITED,
        data=delimit(frame(DATA, b"a")) + cobs_encode(frame(DATA, b"b")),
        events=[message(DATA, b"a")],
        end=OPEN,
        eof=False,
        tags=["eof"],
    )


# ================================================================ continuation.json


def continuation_cases(suite: Suite) -> None:
    """Section 5."""
    group = "continuation"
    a1 = frame(DATA, b"a1-", app=2, more=True)
    a2 = frame(DATA, b"a2-", app=2, cont=True, more=True)
    a3 = frame(DATA, b"a3", app=2, cont=True)
    whole_a = message(DATA, b"a1-a2-a3", 2)
    valid_frames(
        suite,
        group,
        "three-frames",
        "A message of a start, a middle and a last frame: payloads concatenated.",
        ["FW-MSG-1", "FW-MSG-2", "FW-MSG-3"],
        frames=[a1, a2, a3],
        events=[whole_a],
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
        group,
        "same-message-different-splits",
        "The same message sent whole, in three frames, and in four frames with empty ends "
        "and mixed checksums: three identical messages.",
        ["FW-MOD-1", "FW-MOD-2", "FW-MSG-2", "FW-CRC-4"],
        frames=[one for way in split_ways for one in way],
        events=[message(0x47, b"abcdef", 6)] * len(split_ways),
    )
    valid_frames(
        suite,
        group,
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
        group,
        "all-frames-empty",
        "A message of two empty frames: one empty message.",
        ["FW-MSG-2"],
        frames=[frame(DATA, more=True), frame(DATA, cont=True)],
        events=[message(DATA)],
        tags=["boundary"],
    )
    valid_frames(
        suite,
        group,
        "control-between-frames",
        "A PING and a PONG between the frames of a data message: each delivered at once, "
        "the data message when its last frame arrives.",
        ["FW-MSG-6", "FW-MSG-16"],
        frames=[a1, frame(PING, b"12345678"), a2, frame(PONG, b"abcdefgh"), a3],
        events=[message(PING, b"12345678"), message(PONG, b"abcdefgh"), whole_a],
    )
    valid_frames(
        suite,
        group,
        "messages-in-order",
        "A single-frame message, a two-frame message, another single-frame message.",
        ["FW-MSG-16", "FW-MSG-5"],
        frames=[frame(0x41, b"x"), a1, a3, frame(0x42, b"y")],
        events=[message(0x41, b"x"), message(DATA, b"a1-a3", 2), message(0x42, b"y")],
    )
    if_dlm = continuation_faults(a1, a3)
    for key, description, statements, frames, lpf_events, lpf_error, dlm_events in if_dlm:
        for framing in FRAMINGS:
            is_lpf = framing == LENGTH_PREFIXED
            decode(
                suite,
                group,
                key,
                description,
                [*statements, "FW-LPF-3" if is_lpf else "FW-DLM-6"],
                framing=framing,
                data=on_wire(framing, *frames),
                events=lpf_events if is_lpf else dlm_events,
                end=error(lpf_error) if is_lpf else CLEAN,
            )
    frame_errors_in_message(suite, group, a1, a3)
    interrupting_frame_too_large(suite, group, a1)
    truncated_message_cases(suite, group, a1, a2)
    streaming_cases(suite, group)


FaultRow = tuple[str, str, list[str], list[bytes], list[Json], str, list[Json]]


def continuation_faults(a1: bytes, a3: bytes) -> list[FaultRow]:
    """Rows: key, description, statements, frames, lpf events, lpf error, dlm events."""
    x = frame(0x41, b"x")
    b1, b2 = frame(0x42, b"b1-", more=True), frame(0x42, b"b2", cont=True)
    return [
        (
            "continuation-without-start-last",
            "A last continuation frame (N set, M clear) with no message in progress: dropped "
            "alone.",
            ["FW-MSG-7", "FW-MSG-12"],
            [frame(DATA, b"stray", cont=True), x],
            [],
            "unexpected-continuation",
            [error("unexpected-continuation"), message(0x41, b"x")],
        ),
        (
            "continuation-without-start-middle",
            "A middle continuation frame (N and M set) with no message in progress: dropped alone.",
            ["FW-MSG-7", "FW-MSG-12"],
            [frame(DATA, b"stray", cont=True, more=True), x],
            [],
            "unexpected-continuation",
            [error("unexpected-continuation"), message(0x41, b"x")],
        ),
        (
            "continuation-after-complete-message",
            "A continuation frame right after a complete single-frame message.",
            ["FW-MSG-7", "FW-MSG-12"],
            [x, frame(0x41, b"y", cont=True), x],
            [message(0x41, b"x")],
            "unexpected-continuation",
            [message(0x41, b"x"), error("unexpected-continuation"), message(0x41, b"x")],
        ),
        (
            "start-interrupts-message-single",
            "A single-frame message starts while a message is in progress: the old message is "
            "dropped, the new frame is delivered.",
            ["FW-MSG-8", "FW-MSG-13", "FW-MSG-5"],
            [a1, x],
            [],
            "message-interrupted",
            [error("message-interrupted"), message(0x41, b"x")],
        ),
        (
            "start-interrupts-message-multi",
            "A new multi-frame message starts while one is in progress: the old one is "
            "dropped, the new one assembles normally.",
            ["FW-MSG-8", "FW-MSG-13"],
            [a1, b1, b2],
            [],
            "message-interrupted",
            [error("message-interrupted"), message(0x42, b"b1-b2")],
        ),
        (
            "start-interrupts-then-stray-last",
            "A start frame interrupts message A, then A's last frame arrives: it now "
            "continues the new message B (types differ).",
            ["FW-MSG-8", "FW-MSG-13", "FW-MSG-9"],
            [a1, b1, a3, b2],
            [],
            "message-interrupted",
            [
                error("message-interrupted"),
                error("continuation-mismatch"),
                error("unexpected-continuation"),
            ],
        ),
        (
            "continuation-type-mismatch",
            "A continuation frame of type 0x41 in a message of type 0x40: the frame and the "
            "message are dropped; the message's last frame is then unexpected.",
            ["FW-MSG-9", "FW-MSG-3", "FW-MSG-14"],
            [a1, frame(0x41, b"a2-", app=2, cont=True, more=True), a3, x],
            [],
            "continuation-mismatch",
            [error("continuation-mismatch"), error("unexpected-continuation"), message(0x41, b"x")],
        ),
        (
            "continuation-flags-mismatch",
            "A continuation frame with application flags 3 in a message with flags 2.",
            ["FW-MSG-9", "FW-MSG-3", "FW-MSG-14"],
            [a1, frame(DATA, b"a2-", app=3, cont=True, more=True), a3, x],
            [],
            "continuation-mismatch",
            [error("continuation-mismatch"), error("unexpected-continuation"), message(0x41, b"x")],
        ),
        (
            "last-frame-flags-mismatch",
            "The last frame (N set, M clear) has application flags 0 in a message with flags 2.",
            ["FW-MSG-9", "FW-MSG-3", "FW-MSG-14"],
            [a1, frame(DATA, b"a3", cont=True), x],
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


def frame_errors_in_message(suite: Suite, group: str, a1: bytes, a3: bytes) -> None:
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
            group,
            f"frame-error-in-message-{name}",
            f"A {name} frame in the middle of a message: the frame and the message are "
            "dropped; the message's last frame is then an unexpected continuation; the "
            "next message is delivered.",
            ["FW-MSG-14", "FW-DLM-6"],
            framing=DELIMITED,
            data=delimit(a1) + encoded + delimit(a3, x),
            events=[error(name), error("unexpected-continuation"), message(0x41, b"x")],
            end=CLEAN,
        )
    limits = {"max_frame_size": 256, "max_message_size": 300}
    decode(
        suite,
        group,
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


def interrupting_frame_too_large(suite: Suite, group: str, a1: bytes) -> None:
    """FW-MSG-13: the frame kept after message-interrupted fails message-too-large."""
    big = nonzero_bytes(300)
    decode(
        suite,
        group,
        "interrupting-start-too-large",
        "Max frame 1024, max message 256: a start frame of 300 bytes (M set) interrupts "
        "message A. Reported: message-interrupted only; the new frame is then too large "
        "for a message and dropped without a second report, so its continuation is "
        "unexpected; the next message is delivered.",
        ["FW-MSG-13", "FW-MSG-8", "FW-MSG-10", "FW-HDR-8"],
        framing=DELIMITED,
        data=delimit(
            a1,
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


def truncated_message_cases(suite: Suite, group: str, a1: bytes, a2: bytes) -> None:
    """FW-MSG-11: end of input inside a message, at and inside a frame boundary."""
    for framing in FRAMINGS:
        decode(
            suite,
            group,
            "eof-after-first-frame",
            "End of input at a frame boundary after the first frame of a message: "
            "truncated-message; the partial message is not delivered.",
            ["FW-MSG-11"],
            framing=framing,
            data=on_wire(framing, frame(0x41, b"x"), a1, a2),
            events=[message(0x41, b"x")],
            end=error("truncated-message"),
            tags=["eof"],
        )
        cut = on_wire(framing, a1) + on_wire(framing, a2)[:-3]
        decode(
            suite,
            group,
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
            group,
            "message-in-progress-no-eof",
            "The first two frames of a message and no end of input: nothing delivered yet, "
            "no error (open).",
            ["FW-MSG-15", "FW-MSG-11"],
            framing=framing,
            data=on_wire(framing, a1, a2),
            events=[],
            end=OPEN,
            eof=False,
            tags=["eof"],
        )


def streaming_cases(suite: Suite, group: str) -> None:
    """FW-MSG-15 / FW-LIM-5: one piece per data frame (assemble: false, optional)."""
    unlimited = {"max_frame_size": 256, "max_message_size": 0}
    frames = [
        frame(0x60, b"p1", app=1, more=True),
        frame(PING, b"pingpong"),
        frame(0x60, b"", app=1, cont=True, more=True),
        frame(0x60, b"p3", app=1, cont=True),
        frame(0x61, b"solo"),
    ]
    events = [
        piece(b"p1", first=True, last=False, type_=0x60, app=1),
        message(PING, b"pingpong"),
        piece(b"", first=False, last=False, type_=0x60, app=1),
        piece(b"p3", first=False, last=True, type_=0x60, app=1),
        piece(b"solo", first=True, last=True, type_=0x61),
    ]
    for framing in FRAMINGS:
        decode(
            suite,
            group,
            "streaming-pieces",
            "Streaming delivery, no message limit: one piece per data frame with first/last "
            "marks; a control frame in between is delivered whole.",
            ["FW-MSG-15", "FW-MSG-18", "FW-LIM-5", "FW-MSG-6"],
            framing=framing,
            data=on_wire(framing, *frames),
            events=events,
            end=CLEAN,
            limits=unlimited,
            assemble=False,
            tags=["streaming"],
        )
        is_lpf = framing == LENGTH_PREFIXED
        decode(
            suite,
            group,
            "streaming-truncated-message",
            "Streaming delivery: two pieces, then end of input at a frame boundary: the "
            "application learns that the message ended with truncated-message.",
            ["FW-MSG-15", "FW-MSG-18", "FW-MSG-11"],
            framing=framing,
            data=on_wire(framing, *frames[:3]),
            events=events[:3],
            end=error("truncated-message"),
            limits=unlimited,
            assemble=False,
            tags=["streaming", "eof"],
        )
        decode(
            suite,
            group,
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
    p1, p3 = frames[0], frames[3]
    decode(
        suite,
        group,
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
        limits=unlimited,
        assemble=False,
        tags=["streaming"],
    )


# ========================================================================= eof.json


def eof_cases(suite: Suite) -> None:
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


# ====================================================================== encode.json


def encoder_frames(
    type_: int, payload: bytes, app: int, checksum: bool, max_frame: int
) -> list[bytes]:
    """The canonical split of section 5.1 and the encode format: full frames, remainder."""
    if not payload:
        return [frame(type_, b"", app=app, checksum=checksum)]
    parts = [payload[start : start + max_frame] for start in range(0, len(payload), max_frame)]
    return [
        frame(
            type_,
            part,
            app=app,
            checksum=checksum,
            more=index < len(parts) - 1,
            cont=index > 0,
        )
        for index, part in enumerate(parts)
    ]


def encode_cases(suite: Suite) -> None:
    """Exact encoder output; each also decoded back (round trip) as a decode case."""
    group = "encode"
    rows: list[tuple[str, str, int, bytes, int, int, list[str]]] = [
        (
            "empty",
            "An empty payload: one frame of length 0.",
            DATA,
            b"",
            0,
            256,
            ["FW-LEN-2", "FW-MSG-2"],
        ),
        ("hello-world", "A short payload.", DATA, b"hello, world", 0, 256, ["FW-HDR-1"]),
        (
            "app-flags",
            "Type 0xC3 with application flags 0xA.",
            0xC3,
            b"\x00\x01\x02",
            0xA,
            256,
            ["FW-FLG-2", "FW-HDR-2"],
        ),
        ("type-ff", "Type 0xFF, flags 15.", 0xFF, b"\xff" * 4, 15, 256, ["FW-TYP-1"]),
        (
            "exact-max-frame",
            "256 bytes with max frame 256: one frame, no empty frame after.",
            DATA,
            nonzero_bytes(256),
            0,
            256,
            ["FW-MSG-1", "FW-MSG-17", "FW-HEL-5"],
        ),
        (
            "max-frame-plus-one",
            "257 bytes with max frame 256: 256 + 1.",
            DATA,
            nonzero_bytes(257),
            0,
            256,
            ["FW-MSG-1", "FW-MSG-17", "FW-HEL-5"],
        ),
        (
            "two-full-frames",
            "512 bytes with max frame 256: exactly two frames, no trailing empty frame.",
            DATA,
            nonzero_bytes(512),
            3,
            256,
            ["FW-MSG-1", "FW-MSG-3"],
        ),
        (
            "three-frames",
            "600 bytes with max frame 256: 256 + 256 + 88.",
            0x7E,
            nonzero_bytes(600),
            1,
            256,
            ["FW-MSG-1", "FW-MSG-2", "FW-MSG-3"],
        ),
        (
            "zeros",
            "600 zero bytes with max frame 256.",
            DATA,
            bytes(600),
            0,
            256,
            ["FW-MSG-1", "FW-COB-1"],
        ),
        (
            "ping",
            "A PING control frame: 8 bytes, never split.",
            PING,
            b"\x01" * 8,
            0,
            256,
            ["FW-PNG-1", "FW-TYP-3"],
        ),
        (
            "hello",
            "A HELLO with both settings.",
            HELLO,
            wire.hello_payload((1, 256), (2, 0)),
            0,
            256,
            ["FW-HEL-2", "FW-HDR-2"],
        ),
        (
            "error",
            "An ERROR with code 203 and a reason.",
            ERROR,
            wire.error_payload(203, b"message-too-large (FW-MSG-10)"),
            0,
            256,
            ["FW-ERR-2"],
        ),
    ]
    for last_piece in (252, 253, 254, 255, 256, 508, 509):
        rows.append(
            (
                f"cobs-last-piece-{last_piece}",
                f"A payload of {len(payload_for_last_piece(last_piece))} non-zero bytes: the "
                f"last COBS piece (non-zero length bytes + payload) is {last_piece} bytes.",
                DATA,
                payload_for_last_piece(last_piece),
                0,
                1024,
                ["FW-COB-1"],
            )
        )
    rows.append(
        (
            "cobs-full-block-then-zero",
            "A 254-byte non-zero run then a zero: 0xFF block, then the empty block 0x01.",
            DATA,
            b"\x00" + nonzero_bytes(254) + b"\x00",
            0,
            1024,
            ["FW-COB-1"],
        )
    )
    rows.append(
        (
            "max-frame-below-256",
            "200 bytes with max frame 100, below what a receiver may announce but a split "
            "size an encoder accepts (FW-LIM-12): 100 + 100.",
            DATA,
            nonzero_bytes(200),
            0,
            100,
            ["FW-LIM-12", "FW-MSG-17"],
        )
    )
    for key, description, type_, payload, app, max_frame, statements in rows:
        for framing in FRAMINGS:
            for checksum in (False, True):
                frames = encoder_frames(type_, payload, app, checksum, max_frame)
                if framing == LENGTH_PREFIXED and key.startswith("cobs"):
                    continue
                variant = f"{key}{'/crc' if checksum else ''}"
                rules = (
                    [*statements, "FW-COB-1", "FW-DLM-1"]
                    if framing == DELIMITED
                    else [
                        *statements,
                        "FW-LPF-1",
                    ]
                )
                if checksum:
                    rules.append("FW-CRC-1")
                rules = list(dict.fromkeys(rules))
                suite.add(
                    group,
                    f"{variant}/{SHORT[framing]}",
                    {
                        "description": f"{description}{' With CRC trailers.' if checksum else ''}",
                        "statements": rules,
                        "level": "MUST",
                        "tags": [group, framing, "valid", *(["crc"] if checksum else [])],
                        "kind": "encode",
                        "framing": framing,
                        "message": {"type": type_, "flags": app, "payload": payload.hex()},
                        "options": {"checksum": checksum, "max_frame_size": max_frame},
                        "expect": {"output": on_wire(framing, *frames).hex()},
                    },
                )
                decode(
                    suite,
                    group,
                    f"{variant}/round-trip",
                    f"Decoding the canonical encoding: {description}",
                    [*rules, "FW-MSG-2"],
                    framing=framing,
                    data=on_wire(framing, *frames),
                    events=[message(type_, payload, app)],
                    end=CLEAN,
                    limits={"max_frame_size": max(max_frame, 256), "max_message_size": 0},
                    tags=["round-trip"],
                )


def build_suite() -> Suite:
    """Every case of every group, with ids from the committed ids.json."""
    suite = Suite(VECTORS_DIR / "ids.json")
    builders: list[Callable[[Suite], None]] = [
        header_cases,
        length_limit_cases,
        crc_cases,
        cobs_cases,
        delimited_cases,
        continuation_cases,
        eof_cases,
        encode_cases,
        session_cases,
    ]
    for build in builders:
        build(suite)
    return suite


def main(argv: list[str] | None = None) -> None:
    """Write the files into vectors/, or into the directory given as the one argument.

    Writing elsewhere lets a test regenerate and compare with the committed files.
    """
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else VECTORS_DIR
    suite = build_suite()
    suite.write(out_dir)
    total = sum(len(cases) for cases in suite.groups.values())
    print(f"wrote {total} cases in {len(suite.groups)} groups to {out_dir}")


if __name__ == "__main__":
    main()
