"""crc.json: the CRC-32C trailer (section 3.6)."""

from __future__ import annotations

from casebuild import (
    CLEAN,
    Fault,
    Suite,
    corrupt_trailer,
    decode,
    error,
    frame_fault,
    frame_faults,
    message,
    piece,
    valid_frames,
)

from framewire.conformance import wire
from framewire.conformance.wire import (
    DATA,
    FLAG_C,
    FRAMINGS,
    LENGTH_PREFIXED,
    PING,
    PONG,
    delimit,
    frame,
)

GROUP = "crc"
# What every wrong trailer breaks: the trailer is the CRC-32C, big-endian, of header and
# payload, and a mismatch is checksum-mismatch.
TRAILER_RULES = ["FW-CRC-3", "FW-CRC-1", "FW-CRC-2"]


def cases(suite: Suite) -> None:
    """Section 3.6."""
    valid_trailer_cases(suite)
    no_trailer_cases(suite)
    frame_faults(suite, GROUP, trailer_faults())
    frame_fault(
        suite,
        GROUP,
        "empty-payload-bad-trailer",
        "An empty checksummed frame whose trailer is wrong.",
        ["FW-CRC-3"],
        bad=corrupt_trailer(frame(DATA, checksum=True)),
        name="checksum-mismatch",
        tags=["boundary"],
    )
    streaming_bad_crc(suite)


def valid_trailer_cases(suite: Suite) -> None:
    """Frames with right trailers: empty, the check string, control frames."""
    valid_frames(
        suite,
        GROUP,
        "empty-payload",
        "CRC over an empty payload: the trailer covers the 9 header bytes (C set).",
        ["FW-CRC-1", "FW-CRC-2", "FW-LEN-2", "FW-HDR-1"],
        frames=[frame(DATA, checksum=True)],
        events=[message(DATA)],
        tags=["boundary"],
    )
    valid_frames(
        suite,
        GROUP,
        "check-string",
        "CRC over a frame carrying the ASCII check string 123456789.",
        ["FW-CRC-1", "FW-CRC-2"],
        frames=[frame(0x41, b"123456789", checksum=True, app=9)],
        events=[message(0x41, b"123456789", 9)],
    )
    valid_frames(
        suite,
        GROUP,
        "checksum-on-control-frames",
        "A PING and a PONG with CRC trailers.",
        ["FW-CRC-1", "FW-CRC-4"],
        frames=[frame(PING, b"pingpong", checksum=True), frame(PONG, b"pingpong")],
        events=[message(PING, b"pingpong"), message(PONG, b"pingpong")],
    )


def no_trailer_cases(suite: Suite) -> None:
    """FW-CRC-1, FW-CRC-4: C alone says whether a trailer follows, frame by frame."""
    following = frame(DATA, b"next")
    lookalike = payload_with_crc(b"no trailer", int.from_bytes(following[:4], "big"), app=1)
    valid_frames(
        suite,
        GROUP,
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
        GROUP,
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


def trailer_faults() -> list[Fault]:
    """Wrong trailers on a checksummed frame: each a mistake a sender could make."""
    good = frame(DATA, b"checked", checksum=True)
    header, trailer = good[:9], good[-4:]
    without_c = header[:3] + bytes([header[3] & ~FLAG_C]) + header[4:]
    return [
        wrong_trailer(
            "trailer-bit-flipped", "One bit of the trailer flipped.", corrupt_trailer(good)
        ),
        wrong_trailer(
            "payload-bit-flipped",
            "One payload bit flipped in transit (trailer unchanged).",
            header + b"checkee" + trailer,
        ),
        wrong_trailer(
            "trailer-little-endian", "Trailer written little-endian.", good[:-4] + trailer[::-1]
        ),
        wrong_trailer(
            "crc-without-c-flag",
            "CRC computed over the header with the C flag cleared.",
            header + b"checked" + crc_bytes(without_c + b"checked"),
        ),
        wrong_trailer(
            "crc-over-payload-only",
            "CRC computed over the payload only.",
            header + b"checked" + crc_bytes(b"checked"),
        ),
        wrong_trailer(
            "crc-no-final-xor",
            "CRC without the final XOR with 0xFFFFFFFF.",
            good[:-4] + (int.from_bytes(trailer, "big") ^ 0xFFFFFFFF).to_bytes(4, "big"),
        ),
        wrong_trailer(
            "trailer-zero",
            "Trailer 0x00000000 (the CRC of no bytes) on a non-empty frame.",
            good[:-4] + bytes(4),
        ),
    ]


def wrong_trailer(key: str, description: str, bad: bytes) -> Fault:
    """A frame whose trailer disagrees with its bytes: checksum-mismatch."""
    return Fault(key, description, TRAILER_RULES, bad, "checksum-mismatch")


def crc_bytes(data: bytes) -> bytes:
    """The CRC-32C of `data` as a big-endian trailer."""
    return wire.crc32c(data).to_bytes(4, "big")


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


def streaming_bad_crc(suite: Suite) -> None:
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
            GROUP,
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
