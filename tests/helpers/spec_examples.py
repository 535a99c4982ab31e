"""Independent computation of every byte shown in spec/examples.md (Appendix B).

The bytes come from the wire oracle (``framewire.conformance.wire``: standard library
only, its own CRC-32C and COBS, written from the spec), never from the reference codec,
so that the worked examples are a second opinion on the codec, not a copy of its output.
``tests/docs/test_spec_examples.py`` checks that the hex blocks of the page equal what this
module computes, and that the codec agrees with both.

Run it as a script to print each example's hex in the form the page uses::

    .venv/bin/python tests/helpers/spec_examples.py
"""

from __future__ import annotations

from dataclasses import dataclass, field

from framewire.conformance import wire
from framewire.conformance.wire import DELIMITED, HELLO, LENGTH_PREFIXED, PING, PONG, delimit


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
    return wire.frame(
        frame_type, payload, app=app_flags, more=more, cont=continuation, checksum=checksum
    )


def hello_payload(settings: dict[int, int]) -> bytes:
    """The payload of a HELLO (6.3): 6 bytes per setting, in the given order."""
    return wire.hello_payload(*settings.items())


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
FULL_PIECE_THEN_MORE = NONZERO_253 + b"\x00!"
PING_DATA = bytes.fromhex("0000000000000001")
A_SETTINGS = {wire.SETTING_MAX_FRAME: 65536, wire.SETTING_MAX_MESSAGE: 1048576}
B_SETTINGS = {wire.SETTING_MAX_FRAME: 16384, wire.SETTING_MAX_MESSAGE: 16777216}
A_MESSAGES = [
    Message(HELLO, hello_payload(A_SETTINGS)),
    Message(0x40, b"temp=21.5"),
    Message(PING, PING_DATA),
]
B_MESSAGES = [
    Message(HELLO, hello_payload(B_SETTINGS)),
    Message(PONG, PING_DATA),
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
        Example("small-data-frame", LENGTH_PREFIXED, small, [small_message]),
        Example("small-data-frame-delimited", DELIMITED, delimit(small), [small_message]),
        Example(
            "checksummed-frame",
            LENGTH_PREFIXED,
            frame(0x40, HELLO_TEXT, checksum=True),
            [small_message],
            checksum=True,
        ),
        Example(
            "three-frame-message",
            LENGTH_PREFIXED,
            frame(0x42, chunks[0], app_flags=0x3, more=True)
            + frame(0x42, chunks[1], app_flags=0x3, more=True, continuation=True)
            + frame(0x42, chunks[2], app_flags=0x3, continuation=True),
            [Message(0x42, b"".join(chunks), flags=0x3)],
            chunks=chunks,
        ),
        Example(
            "payload-254-delimited",
            DELIMITED,
            delimit(frame(0x40, NONZERO_254)),
            [Message(0x40, NONZERO_254)],
        ),
        Example(
            "payload-253-delimited",
            DELIMITED,
            delimit(frame(0x40, NONZERO_253)),
            [Message(0x40, NONZERO_253)],
        ),
        Example(
            "full-piece-not-last-delimited",
            DELIMITED,
            delimit(frame(0x40, FULL_PIECE_THEN_MORE)),
            [Message(0x40, FULL_PIECE_THEN_MORE)],
        ),
        Example(
            "session-a-to-b",
            LENGTH_PREFIXED,
            wire.preface(LENGTH_PREFIXED) + _single_frames(A_MESSAGES),
            A_MESSAGES,
            session=True,
        ),
        Example(
            "session-b-to-a",
            LENGTH_PREFIXED,
            wire.preface(LENGTH_PREFIXED) + _single_frames(B_MESSAGES),
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
