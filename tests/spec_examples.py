"""Independent computation of every byte shown in spec/examples.md (Appendix B).

This module deliberately does not import the ``framewire`` package: it implements
CRC-32C (spec 3.6, FW-CRC-2) and COBS (spec 4.2.1, FW-COB-1) from the spec's own
definitions, so that the worked examples are a second opinion on the reference codec,
not a copy of its output. ``tests/test_spec_examples.py`` checks that the hex blocks of
the page equal what this module computes, and that the codec agrees with both.

Run it as a script to print each example's hex in the form the page uses::

    .venv/bin/python tests/spec_examples.py
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

MAGIC_AND_VERSION = b"FW\x01"
FLAG_CHECKSUM = 0x01
FLAG_MORE = 0x02
FLAG_CONTINUATION = 0x04
TYPE_HELLO = 0x01
TYPE_PING = 0x03
TYPE_PONG = 0x04
SETTING_MAX_FRAME_SIZE = 0x0001
SETTING_MAX_MESSAGE_SIZE = 0x0002
COBS_FULL_BLOCK = 254
DELIMITER = b"\x00"


def crc32c(data: bytes) -> int:
    """CRC-32C bit by bit, exactly as FW-CRC-2 defines it (reflected polynomial)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def cobs_encode(data: bytes) -> bytes:
    """COBS as the prose of 4.2.1 defines it: pieces split at zeros, then blocks of 254.

    FW-COB-1: the last piece of ``data`` gets no empty block after a final full block.
    """
    pieces = data.split(b"\x00")
    out = bytearray()
    for index, piece in enumerate(pieces):
        is_last_piece = index == len(pieces) - 1
        blocks = [piece[i : i + COBS_FULL_BLOCK] for i in range(0, len(piece), COBS_FULL_BLOCK)]
        remainder_is_empty = not blocks or len(blocks[-1]) == COBS_FULL_BLOCK
        if remainder_is_empty and not (is_last_piece and blocks):
            blocks.append(b"")
        for block in blocks:
            out.append(len(block) + 1)
            out += block
    return bytes(out)


def cobs_decode(encoded: bytes) -> bytes:
    """The decoder of FW-COB-2, used here only to check ``cobs_encode`` round trips."""
    out = bytearray()
    position = 0
    while position < len(encoded):
        code = encoded[position]
        block_end = position + code
        if code == 0 or block_end > len(encoded):
            raise ValueError("cobs-invalid: a code byte overruns the frame")
        out += encoded[position + 1 : block_end]
        position = block_end
        if code != 0xFF and position < len(encoded):
            out.append(0)
    return bytes(out)


def frame(
    frame_type: int,
    payload: bytes,
    *,
    app_flags: int = 0,
    more: bool = False,
    continuation: bool = False,
    checksum: bool = False,
) -> bytes:
    """One frame's bytes (spec 3.1): header, payload, and the CRC-32C trailer if C is set."""
    flags = app_flags << 4
    flags |= FLAG_CHECKSUM if checksum else 0
    flags |= FLAG_MORE if more else 0
    flags |= FLAG_CONTINUATION if continuation else 0
    body = MAGIC_AND_VERSION + struct.pack(">BBI", flags, frame_type, len(payload)) + payload
    return body + struct.pack(">I", crc32c(body)) if checksum else body


def delimited(frame_bytes: bytes) -> bytes:
    """A frame as delimited framing writes it (FW-DLM-1): COBS, then one 0x00."""
    return cobs_encode(frame_bytes) + DELIMITER


def preface(framing_letter: bytes) -> bytes:
    """The 8-byte session preface of 6.2 for framing ``b"L"`` or ``b"D"``."""
    return b"\x89FW1" + framing_letter + b"\r\n\x1a"


def hello_payload(settings: dict[int, int]) -> bytes:
    """The payload of a HELLO (6.3): 6 bytes per setting, in the given order."""
    return b"".join(struct.pack(">HI", key, value) for key, value in settings.items())


@dataclass(frozen=True)
class Message:
    """A message as the receiving application sees it (spec 2)."""

    type: int
    payload: bytes
    flags: int = 0


@dataclass(frozen=True)
class Example:
    """One worked example: its bytes on the wire and what a receiver delivers.

    ``chunks`` are the payload pieces a streaming sender wrote, one frame each, when the
    message was cut that way rather than as one frame. ``session`` marks the bytes one
    peer of a session sends: they start with the 8-byte preface, and ``messages`` then
    lists the control messages too, as a decoder without a session delivers them
    (FW-MOD-4).
    """

    name: str
    framing: str
    wire: bytes
    messages: list[Message] = field(default_factory=list)
    checksum: bool = False
    chunks: tuple[bytes, ...] = ()
    session: bool = False


HELLO_TEXT = b"hello"
NONZERO_254 = bytes(range(1, 255))
NONZERO_253 = bytes(range(1, 254))
PING_DATA = bytes.fromhex("0000000000000001")
A_SETTINGS = {SETTING_MAX_FRAME_SIZE: 65536, SETTING_MAX_MESSAGE_SIZE: 1048576}
B_SETTINGS = {SETTING_MAX_FRAME_SIZE: 16384, SETTING_MAX_MESSAGE_SIZE: 16777216}
A_MESSAGES = [
    Message(TYPE_HELLO, hello_payload(A_SETTINGS)),
    Message(0x40, b"temp=21.5"),
    Message(TYPE_PING, PING_DATA),
]
B_MESSAGES = [
    Message(TYPE_HELLO, hello_payload(B_SETTINGS)),
    Message(TYPE_PONG, PING_DATA),
    Message(0x41, b"ok", flags=0x1),
]


def _single_frames(messages: list[Message]) -> bytes:
    """Each message as one length-prefixed frame without checksum, back to back."""
    return b"".join(frame(m.type, m.payload, app_flags=m.flags) for m in messages)


def _examples() -> list[Example]:
    small = frame(0x40, HELLO_TEXT)
    small_message = Message(0x40, HELLO_TEXT)
    chunks = (b"Fram", b"ewir", b"e")
    return [
        Example("small-data-frame", "length-prefixed", small, [small_message]),
        Example("small-data-frame-delimited", "delimited", delimited(small), [small_message]),
        Example(
            "checksummed-frame",
            "length-prefixed",
            frame(0x40, HELLO_TEXT, checksum=True),
            [small_message],
            checksum=True,
        ),
        Example(
            "three-frame-message",
            "length-prefixed",
            frame(0x42, chunks[0], app_flags=0x3, more=True)
            + frame(0x42, chunks[1], app_flags=0x3, more=True, continuation=True)
            + frame(0x42, chunks[2], app_flags=0x3, continuation=True),
            [Message(0x42, b"".join(chunks), flags=0x3)],
            chunks=chunks,
        ),
        Example(
            "payload-254-delimited",
            "delimited",
            delimited(frame(0x40, NONZERO_254)),
            [Message(0x40, NONZERO_254)],
        ),
        Example(
            "payload-253-delimited",
            "delimited",
            delimited(frame(0x40, NONZERO_253)),
            [Message(0x40, NONZERO_253)],
        ),
        Example(
            "session-a-to-b",
            "length-prefixed",
            preface(b"L") + _single_frames(A_MESSAGES),
            A_MESSAGES,
            session=True,
        ),
        Example(
            "session-b-to-a",
            "length-prefixed",
            preface(b"L") + _single_frames(B_MESSAGES),
            B_MESSAGES,
            session=True,
        ),
    ]


EXAMPLES: dict[str, Example] = {example.name: example for example in _examples()}


def hex_block(data: bytes) -> str:
    """The page's hex layout: 16 space-separated bytes per line, lowercase."""
    return "\n".join(data[i : i + 16].hex(" ") for i in range(0, len(data), 16))


if __name__ == "__main__":
    for example in EXAMPLES.values():
        print(f'```text title="example: {example.name}"\n{hex_block(example.wire)}\n```\n')
