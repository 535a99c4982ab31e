"""cobs.json: COBS decoding at block boundaries (section 4.2.1)."""

from __future__ import annotations

from typing import NamedTuple

from casebuild import (
    CLEAN,
    Json,
    Suite,
    decode,
    error,
    message,
    payload_for_last_piece,
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

GROUP = "cobs"
BIG = {"max_frame_size": 1024, "max_message_size": 0}


def cases(suite: Suite) -> None:
    """Section 4.2.1 (decode side; encode.json has the exact encoder outputs)."""
    block_boundary_cases(suite)
    trailing_empty_block_cases(suite)
    overrun_cases(suite)


def one_frame(
    suite: Suite, key: str, description: str, statements: list[str], payload: bytes
) -> None:
    """One canonically encoded data frame carrying `payload`, decoded unchanged."""
    decode(
        suite,
        GROUP,
        key,
        description,
        statements,
        framing=DELIMITED,
        data=delimit(frame(DATA, payload)),
        events=[message(DATA, payload)],
        end=CLEAN,
        limits=BIG,
        tags=["cobs", "boundary"],
    )


def block_boundary_cases(suite: Suite) -> None:
    """Pieces at and around the 254-byte block size, runs of zeros, a full block then 0."""
    for last_piece in (253, 254, 255, 508, 509):
        payload = payload_for_last_piece(last_piece)
        one_frame(
            suite,
            f"last-piece-{last_piece}",
            f"A frame whose last COBS piece is {last_piece} bytes (the non-zero length "
            f"bytes and {len(payload)} non-zero payload bytes), canonically encoded.",
            ["FW-COB-1", "FW-COB-2", "FW-DLM-1"],
            payload,
        )
    for zeros in (1, 2, 254, 255, 600):
        one_frame(
            suite,
            f"run-of-{zeros}-zeros",
            f"A payload of {zeros} zero bytes.",
            ["FW-COB-2", "FW-DLM-1"],
            bytes(zeros),
        )
    block = nonzero_bytes(254, seed=7)
    for where, payload in (
        ("middle", b"\x00" + block + b"\x00\x01"),
        ("end", b"\x00" + block + b"\x00"),
    ):
        one_frame(
            suite,
            f"full-block-before-zero-{where}",
            "A 254-byte piece followed by a zero: its 0xFF block is followed by an empty "
            "block 0x01 that stands for the zero.",
            ["FW-COB-1", "FW-COB-2"],
            payload,
        )


def trailing_empty_block_cases(suite: Suite) -> None:
    """FW-COB-3: a decoder accepts the one non-canonical form, an empty block after 0xFF."""
    for last_piece in (254, 508):
        payload = payload_for_last_piece(last_piece)
        canonical = cobs_encode(frame(DATA, payload))
        if wire.cobs_decode(canonical + b"\x01") != frame(DATA, payload):
            raise AssertionError("the trailing empty block must follow a 0xFF block")
        decode(
            suite,
            GROUP,
            f"trailing-empty-block-{last_piece}",
            f"Non-canonical encoding: the final 0xFF block of a {last_piece}-byte last "
            "piece is followed by an empty block 0x01. Accepted, decodes to the same frame.",
            ["FW-COB-3"],
            framing=DELIMITED,
            data=canonical + b"\x01\x00" + delimit(frame(DATA, b"next")),
            events=[message(DATA, payload), message(DATA, b"next")],
            end=CLEAN,
            limits=BIG,
            tags=["cobs", "boundary", "non-canonical"],
        )


class Overrun(NamedTuple):
    """Encoded bytes whose code bytes announce more than there is before the delimiter."""

    key: str
    description: str
    encoded: bytes


def overruns() -> list[Overrun]:
    """Each way a code byte can reach past the frame's end."""
    plain = cobs_encode(frame(DATA, b"abc"))  # last block: code 0x05 then 03 61 62 63
    last_code = len(plain) - 5
    return [
        Overrun(
            "last-code-overruns-by-one",
            "The last code byte announces one byte more than remains before the delimiter.",
            plain[:last_code] + bytes([plain[last_code] + 1]) + plain[last_code + 1 :],
        ),
        Overrun(
            "code-byte-alone-at-end",
            "A final code byte 0x02 with no data byte after it.",
            plain + b"\x02",
        ),
        Overrun(
            "full-block-short",
            "A 0xFF code byte followed by only 10 bytes.",
            plain + b"\xff" + nonzero_bytes(10),
        ),
        Overrun(
            "first-code-overruns",
            "The first code byte announces 200 bytes; 12 remain.",
            b"\xc9" + plain[1:],
        ),
    ]


def overrun_cases(suite: Suite) -> None:
    """FW-COB-2: each overrun is cobs-invalid, alone and with a good frame after it."""
    followed: list[tuple[bytes, list[Json]]] = [
        (b"", [message(DATA, b"ok"), error("cobs-invalid")]),
        (
            delimit(frame(DATA, b"next")),
            [message(DATA, b"ok"), error("cobs-invalid"), message(DATA, b"next")],
        ),
    ]
    for row in overruns():
        for after, events in followed:
            decode(
                suite,
                GROUP,
                f"{row.key}{'-then-frame' if after else ''}",
                f"{row.description} Rejected with cobs-invalid"
                f"{'; the next frame decodes normally' if after else ''}.",
                ["FW-COB-2", "FW-DLM-6"],
                framing=DELIMITED,
                data=delimit(frame(DATA, b"ok")) + row.encoded + b"\x00" + after,
                events=events,
                end=CLEAN,
                tags=["cobs"],
            )
