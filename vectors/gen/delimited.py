"""delimited.json: delimiters, length checks, the encoded size bound, resynchronisation
and hunting (sections 4.2.2, 4.2.3, 4.3)."""

from __future__ import annotations

from casebuild import (
    CLEAN,
    OPEN,
    Fault,
    Json,
    Suite,
    corrupt_trailer,
    decode,
    error,
    frame_faults,
    message,
)

from framewire.conformance import wire
from framewire.conformance.wire import (
    DATA,
    DELIMITED,
    cobs_encode,
    delimit,
    frame,
    nonzero_bytes,
)

GROUP = "delimited"
# The encoded bound E of FW-DLM-4 for max frame size 256: n = 13 + 256.
BOUND = 269 + 1 + 269 // 254
AFTER = delimit(frame(DATA, b"after"))


def cases(suite: Suite) -> None:
    """Sections 4.2.2, 4.2.3 and 4.3."""
    delimiter_cases(suite)
    frame_faults(suite, GROUP, length_mismatches(), framings=[DELIMITED])
    encoded_bound_cases(suite)
    no_early_rejection_cases(suite)
    resync_cases(suite)
    truncated_cases(suite)


def delimiter_cases(suite: Suite) -> None:
    """FW-DLM-1, FW-DLM-2: lone delimiters, and frames moved from the other framing."""
    one, two = frame(DATA, b"one"), frame(0x41, b"two", checksum=True)
    decode(
        suite,
        GROUP,
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
        GROUP,
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
        GROUP,
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


def mismatch(key: str, description: str, bad: bytes, statements: list[str]) -> Fault:
    """A decoded frame whose size disagrees with its header: length-mismatch."""
    return Fault(key, description, ["FW-DLM-3", *statements], bad, "length-mismatch")


def length_mismatches() -> list[Fault]:
    """FW-DLM-3: the decoded size must be 9 + length (+ 4 with C)."""
    return [
        mismatch(
            "length-one-too-big",
            "Header length 4, payload 3 bytes (a byte lost on the way, no checksum).",
            frame(DATA, b"abc", length=4),
            ["FW-XFR-2"],
        ),
        mismatch(
            "length-one-too-small",
            "Header length 2, payload 3 bytes (a byte gained).",
            frame(DATA, b"abc", length=2),
            ["FW-XFR-2"],
        ),
        mismatch(
            "c-set-trailer-missing",
            "C flag set, length right, but no trailer bytes.",
            frame(DATA, b"abc", checksum=True)[:-4],
            [],
        ),
        mismatch(
            "trailer-without-c",
            "C flag clear, but 4 extra bytes after the payload.",
            frame(DATA, b"abc") + wire.crc32c(b"abc").to_bytes(4, "big"),
            [],
        ),
        mismatch(
            "eight-bytes",
            "A decoded frame of 8 bytes (one short of a header).",
            frame(DATA)[:8],
            ["FW-HDR-3"],
        ),
        mismatch("one-byte", "A decoded frame of 1 byte (0x46).", b"F", []),
        mismatch("zero-byte-frame", "A decoded frame of 1 byte 0x00 (encoded 01 01).", b"\x00", []),
        mismatch(
            "decodes-to-nothing",
            "An encoded frame 01 (decodes to no bytes): not an empty "
            "frame, since it has an encoded byte.",
            b"",
            ["FW-DLM-2"],
        ),
    ]


def bound_frames() -> tuple[bytes, bytes]:
    """Frames with header length 10 that encode to exactly E bytes and to E + 1.

    The header 46 57 01 00 40 00 00 00 0a encodes to 8 bytes before its last piece
    (0a + payload). A last piece of q bytes (254 < q < 508) encodes to q + 2 bytes, so a
    payload of p bytes gives 8 + (p + 1) + 2 = p + 11 encoded bytes.
    """
    at_bound = frame(DATA, nonzero_bytes(BOUND - 11), length=10)
    over_bound = frame(DATA, nonzero_bytes(BOUND - 10), length=10)
    if len(cobs_encode(at_bound)) != BOUND or len(cobs_encode(over_bound)) != BOUND + 1:
        raise AssertionError("encoded-bound arithmetic is wrong")
    return at_bound, over_bound


def encoded_bound_cases(suite: Suite) -> None:
    """FW-DLM-4 / FW-COB-4: E = n + 1 + floor(n / 254), n = 13 + 256 = 269, E = 271."""
    decode(
        suite,
        GROUP,
        "largest-frame-within-bound",
        "The largest frame max frame size 256 allows (C set, 269 bytes) stays within the "
        f"encoded bound E = {BOUND}.",
        ["FW-DLM-4", "FW-COB-4"],
        framing=DELIMITED,
        data=delimit(frame(DATA, nonzero_bytes(256), checksum=True)),
        events=[message(DATA, nonzero_bytes(256))],
        end=CLEAN,
        tags=["boundary"],
    )
    decoded_bound_cases(suite)
    at_and_over_bound_cases(suite)
    over_bound_without_delimiter_cases(suite)
    chunk_bound_cases(suite)
    too_large_in_message_cases(suite)


def at_and_over_bound_cases(suite: Suite) -> None:
    """E encoded bytes are decoded and checked; one more is frame-too-large at once."""
    at_bound, over_bound = bound_frames()
    decode(
        suite,
        GROUP,
        "encoded-size-at-bound",
        f"A frame of exactly E = {BOUND} encoded bytes whose header says length 10: within "
        "the bound, so it is decoded and fails with length-mismatch.",
        ["FW-DLM-4", "FW-DLM-3"],
        framing=DELIMITED,
        data=cobs_encode(at_bound) + b"\x00" + AFTER,
        events=[error("length-mismatch"), message(DATA, b"after")],
        end=CLEAN,
        tags=["boundary"],
    )
    decode(
        suite,
        GROUP,
        "encoded-size-over-bound",
        f"Encoded bytes exceed E = {BOUND} (header says length 10, 50 more bytes follow "
        "before the delimiter): frame-too-large at once; the rest up to the 0x00 is "
        "discarded; the next frame decodes.",
        ["FW-DLM-4", "FW-COB-4", "FW-LIM-4"],
        framing=DELIMITED,
        data=cobs_encode(over_bound) + nonzero_bytes(50) + b"\x00" + AFTER,
        events=[error("frame-too-large"), message(DATA, b"after")],
        end=CLEAN,
        tags=["boundary"],
    )


def over_bound_without_delimiter_cases(suite: Suite) -> None:
    """FW-DLM-4, FW-DLM-11: past E, however the bytes come and whether or not input ends."""
    over_bound = bound_frames()[1]
    ok = delimit(frame(DATA, b"ok"))
    decode(
        suite,
        GROUP,
        "encoded-size-over-bound-no-delimiter",
        f"Encoded bytes exceed E = {BOUND} and the input ends before any 0x00: "
        "frame-too-large at once, then the discarded bytes end without truncated-frame.",
        ["FW-DLM-4", "FW-DLM-5", "FW-DLM-11"],
        framing=DELIMITED,
        data=ok + cobs_encode(over_bound) + nonzero_bytes(20),
        events=[message(DATA, b"ok"), error("frame-too-large")],
        end=CLEAN,
        tags=["boundary", "eof"],
    )
    long_run = cobs_encode(over_bound) + nonzero_bytes(40)
    decode(
        suite,
        GROUP,
        "encoded-size-over-bound-one-chunk",
        f"A frame, then the first 10 bytes of a frame whose encoded bytes exceed E = {BOUND}, "
        "then the rest of it in one chunk with no 0x00, then a 0x00 and a frame: "
        "frame-too-large however much of the oversized frame one chunk brings; the bytes "
        "up to the 0x00 are discarded, the next frame decodes.",
        ["FW-DLM-4", "FW-LIM-4"],
        framing=DELIMITED,
        data=ok + long_run + b"\x00" + AFTER,
        chunks=[len(ok) + 10, len(long_run) - 10, 1 + len(AFTER)],
        events=[message(DATA, b"ok"), error("frame-too-large"), message(DATA, b"after")],
        end=CLEAN,
        tags=["boundary", "chunks"],
    )
    decode(
        suite,
        GROUP,
        "encoded-size-over-bound-one-chunk-eof",
        f"The same oversized frame (beyond E = {BOUND}), its rest in one chunk with no 0x00, "
        "then end of input: frame-too-large, then a clean end (FW-DLM-11).",
        ["FW-DLM-4", "FW-DLM-11", "FW-LIM-4"],
        framing=DELIMITED,
        data=ok + long_run,
        chunks=[len(ok) + 10, len(long_run) - 10],
        events=[message(DATA, b"ok"), error("frame-too-large")],
        end=CLEAN,
        tags=["boundary", "chunks", "eof"],
    )


def too_large_in_message_cases(suite: Suite) -> None:
    """frame-too-large inside a message, and from the header of a long frame."""
    decode(
        suite,
        GROUP,
        "encoded-size-over-bound-in-message-eof",
        f"The first frame of a message, then encoded bytes beyond E = {BOUND} and end of "
        "input before any 0x00: frame-too-large drops the frame and the message in "
        "progress, and the input then ends cleanly: neither truncated-frame (the "
        "discarded bytes are no frame) nor truncated-message (no message is in progress).",
        ["FW-DLM-11", "FW-DLM-4", "FW-MSG-14", "FW-MSG-11"],
        framing=DELIMITED,
        data=delimit(frame(DATA, b"first", more=True))
        + cobs_encode(bound_frames()[1])
        + nonzero_bytes(9),
        events=[error("frame-too-large")],
        end=CLEAN,
        tags=["boundary", "eof"],
    )
    decode(
        suite,
        GROUP,
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


def decoded_bound_cases(suite: Suite) -> None:
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
        GROUP,
        "decoded-over-frame-encoded-within-bound",
        f"Max frame 256: a frame of {len(long_decoded)} decoded bytes (more than 13 + 256) "
        f"whose encoding is exactly E = {bound} bytes, header length 10: the bound counts "
        "encoded bytes, so the frame is decoded and fails with length-mismatch, not "
        "frame-too-large.",
        ["FW-DLM-4", "FW-DLM-3", "FW-HDR-8"],
        framing=DELIMITED,
        data=cobs_encode(long_decoded) + b"\x00" + AFTER,
        events=[error("length-mismatch"), message(DATA, b"after")],
        end=CLEAN,
        tags=["boundary"],
    )
    bound_496_cases(suite)


def bound_496_cases(suite: Suite) -> None:
    """At max frame size 496, E uses floor(n / 254), which differs from floor(n / 255):
    a frame of exactly E encoded bytes is decoded and checked, one of E + 1 is refused."""
    max_frame = 496
    n = 13 + max_frame
    bound = n + 1 + n // 254
    if n // 254 == n // 255:
        raise AssertionError("254 and 255 must give different bounds here")
    rows = [
        (
            "encoded-size-at-bound-496",
            f"Max frame 496 (n = 509, E = 509 + 1 + floor(509 / 254) = {bound}; floor(509 / "
            f"255) would give {bound - 1}): a frame of exactly {bound} encoded bytes, header "
            "length 10: within the bound, so it is decoded and fails with length-mismatch.",
            ["FW-DLM-4", "FW-COB-4", "FW-DLM-3"],
            bound,
            "length-mismatch",
        ),
        (
            "encoded-size-over-bound-496",
            f"Max frame 496 (E = {bound}): a frame of {bound + 1} encoded bytes, one past E, "
            "header length 10: frame-too-large, whatever its header says; the rest up to the "
            "0x00 is discarded and the next frame decodes.",
            ["FW-DLM-4", "FW-COB-4", "FW-LIM-4"],
            bound + 1,
            "frame-too-large",
        ),
    ]
    for key, description, statements, encoded_size, name in rows:
        encoded = cobs_encode(frame(DATA, with_zeros(encoded_size - 10, 200), length=10))
        if len(encoded) != encoded_size:
            raise AssertionError(f"the frame must encode to exactly {encoded_size} bytes")
        decode(
            suite,
            GROUP,
            key,
            description,
            statements,
            framing=DELIMITED,
            data=encoded + b"\x00" + AFTER,
            events=[error(name), message(DATA, b"after")],
            end=CLEAN,
            limits={"max_frame_size": max_frame, "max_message_size": 1024},
            tags=["boundary"],
        )


def chunk_bound_cases(suite: Suite) -> None:
    """FW-DLM-4 bounds what is buffered of the frame being received, never a chunk: a
    chunk longer than E that ends the frame in progress is decoded whole."""
    first = cobs_encode(frame(DATA, bytes(range(2, 22))))
    following = [frame(DATA, nonzero_bytes(120, seed)) for seed in (2, 3)]
    rest = b"\x00" + delimit(*following)
    if len(rest) <= BOUND + 1 - len(first):
        raise AssertionError("the second chunk must exceed what E leaves of the first frame")
    decode(
        suite,
        GROUP,
        "chunk-longer-than-bound-starts-with-delimiter",
        f"A frame's encoded bytes in one chunk, then a chunk of {len(rest)} bytes that starts "
        "with that frame's 0x00 and carries two more frames: more than the encoded bound "
        f"E = {BOUND} leaves of the first frame, yet every byte after the 0x00 belongs to "
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
    filler = bytes(index % 254 + 2 for index in range(BOUND + 29))
    rest = first[len(head) :] + b"\x00" + filler + b"\x00"
    if b"\x01" in rest or len(rest) <= BOUND + 1 - len(head):
        raise AssertionError("the second chunk must hold no 0x01 and exceed the bound's rest")
    decode(
        suite,
        GROUP,
        "chunk-longer-than-bound-ends-frame-mid-way",
        "A frame cut after its first encoded bytes; the second chunk ends the frame with its "
        f"0x00, then brings {len(filler)} encoded bytes and a 0x00: the frame decodes, the "
        f"{len(filler)} bytes (beyond E = {BOUND}) fail with frame-too-large, and the input "
        "ends cleanly.",
        ["FW-DLM-4", "FW-LIM-4"],
        framing=DELIMITED,
        data=head + rest,
        chunks=[len(head), len(rest)],
        events=[message(DATA, bytes(range(2, 22))), error("frame-too-large")],
        end=CLEAN,
        tags=["boundary", "chunks"],
    )


def resync_cases(suite: Suite) -> None:
    """FW-DLM-6..8, FW-ERR-8: garbage, resynchronisation and hunting."""
    good = delimit(frame(DATA, b"good"))
    # Garbage 13 37 42: code 0x13 announces 18 bytes, only 2 follow: cobs-invalid.
    garbage = bytes.fromhex("133742")
    decode(
        suite,
        GROUP,
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
    hunting_cases(suite)
    resync_after_errors(suite)


def hunting_cases(suite: Suite) -> None:
    """FW-DLM-8: hunting discards everything up to and including the first 0x00."""
    good = delimit(frame(DATA, b"good"))
    garbage = bytes.fromhex("133742")
    hunt(
        suite,
        "hunting-discards-garbage",
        "Hunting state: the garbage before the first 0x00 is discarded silently.",
        ["FW-DLM-8"],
        data=garbage + b"\x00" + good,
        events=[message(DATA, b"good")],
        tags=["hunting"],
    )
    hunt(
        suite,
        "hunting-discards-first-whole-frame",
        "Hunting state: everything up to and including the first 0x00 is discarded, even "
        "a frame that would have been valid.",
        ["FW-DLM-8"],
        data=delimit(frame(DATA, b"lost")) + good,
        events=[message(DATA, b"good")],
        tags=["hunting"],
    )
    hunt(
        suite,
        "hunting-until-eof",
        "Hunting state and no 0x00 before end of input: everything was discarded, the "
        "input ends cleanly.",
        ["FW-DLM-8"],
        data=garbage + cobs_encode(frame(DATA, b"cut")),
        events=[],
        tags=["hunting", "eof"],
    )
    hunt(
        suite,
        "hunting-leading-delimiter",
        "Hunting state with input starting with 0x00: only that byte is discarded.",
        ["FW-DLM-8", "FW-DLM-1"],
        data=b"\x00" + good,
        events=[message(DATA, b"good")],
        tags=["hunting"],
    )
    hunt(
        suite,
        "hunting-discards-long-run",
        "Hunting state: 600 non-zero bytes (more than the encoded bound E = 271) before the "
        "first 0x00 are discarded silently: hunting buffers nothing, so E does not apply and "
        "there is no frame-too-large.",
        ["FW-DLM-8", "FW-DLM-4"],
        data=nonzero_bytes(600) + b"\x00" + good,
        events=[message(DATA, b"good")],
        tags=["hunting", "boundary"],
    )


def hunt(
    suite: Suite,
    key: str,
    description: str,
    statements: list[str],
    *,
    data: bytes,
    events: list[Json],
    tags: list[str],
) -> None:
    """A delimited decoder that starts hunting (FW-DLM-8) and ends cleanly."""
    decode(
        suite,
        GROUP,
        key,
        description,
        statements,
        framing=DELIMITED,
        data=data,
        events=events,
        end=CLEAN,
        hunting=True,
        tags=tags,
    )


def resync_after_errors(suite: Suite) -> None:
    """FW-DLM-6, FW-DLM-7: after any bad frame, decoding resumes at the next 0x00."""
    good = delimit(frame(DATA, b"good"))
    payload = b"joined mid-stream"
    joined = cobs_encode(frame(DATA, payload))
    tail = joined[-(2 + len(payload)) :]  # the last block: code, length byte, payload
    decode(
        suite,
        GROUP,
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
        GROUP,
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
        GROUP,
        "long-garbage-no-delimiter-then-eof",
        "Sixty-odd bytes of garbage with no 0x00, then end of input: truncated-frame.",
        ["FW-DLM-5", "FW-ERR-8"],
        framing=DELIMITED,
        data=good + random_garbage,
        events=[message(DATA, b"good")],
        end=error("truncated-frame"),
        tags=["garbage", "eof"],
    )


def no_early_rejection_cases(suite: Suite) -> None:
    """FW-DLM-4: within the bound E, a delimited frame is judged only once it is whole."""
    # 300 > max frame 256; the last COBS block is code 0x06 then 01 2c 61 62 63.
    too_long = cobs_encode(frame(DATA, b"abc", length=300))
    last_code = len(too_long) - 6
    if too_long[last_code] != len(too_long) - last_code:
        raise AssertionError("the last code byte must announce the rest of the frame")
    overrun = too_long[:last_code] + bytes([too_long[last_code] + 1]) + too_long[last_code + 1 :]
    decode(
        suite,
        GROUP,
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
        GROUP,
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


def truncated_cases(suite: Suite) -> None:
    """FW-DLM-5 without end of input: the decoder waits."""
    first, second = delimit(frame(DATA, b"one")), delimit(frame(0x41, b"two", checksum=True))
    decode(
        suite,
        GROUP,
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
        GROUP,
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
