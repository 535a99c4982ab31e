"""encode.json: the exact canonical encoder output, each decoded back (sections 3, 4, 5.1)."""

from __future__ import annotations

from typing import NamedTuple

from casebuild import (
    CLEAN,
    SHORT,
    Suite,
    decode,
    message,
    payload_for_last_piece,
)

from framewire.conformance import wire
from framewire.conformance.wire import (
    DATA,
    DELIMITED,
    ERROR,
    FRAMINGS,
    HELLO,
    LENGTH_PREFIXED,
    PING,
    frame,
    nonzero_bytes,
    on_wire,
)

GROUP = "encode"


class Encoding(NamedTuple):
    """A message to encode, and the largest frame the encoder may produce."""

    key: str
    description: str
    type_: int
    payload: bytes
    statements: list[str]
    app: int = 0
    max_frame: int = 256

    def frames(self, checksum: bool) -> list[bytes]:
        """The canonical split of section 5.1: full frames, then the remainder."""
        if not self.payload:
            return [frame(self.type_, b"", app=self.app, checksum=checksum)]
        size = self.max_frame
        parts = [self.payload[start : start + size] for start in range(0, len(self.payload), size)]
        return [
            frame(
                self.type_,
                part,
                app=self.app,
                checksum=checksum,
                more=index < len(parts) - 1,
                cont=index > 0,
            )
            for index, part in enumerate(parts)
        ]


def cases(suite: Suite) -> None:
    """Exact encoder output; each also decoded back (round trip) as a decode case."""
    for row in [*message_encodings(), *cobs_encodings()]:
        for framing in FRAMINGS:
            if framing == LENGTH_PREFIXED and row.key.startswith("cobs"):
                continue
            for checksum in (False, True):
                encode_and_decode(suite, row, framing, checksum)


def message_encodings() -> list[Encoding]:
    """Sizes around the frame limit, types, flags and control frames."""
    return [
        Encoding(
            "empty", "An empty payload: one frame of length 0.", DATA, b"", ["FW-LEN-2", "FW-MSG-2"]
        ),
        Encoding("hello-world", "A short payload.", DATA, b"hello, world", ["FW-HDR-1"]),
        Encoding(
            "app-flags",
            "Type 0xC3 with application flags 0xA.",
            0xC3,
            b"\x00\x01\x02",
            ["FW-FLG-2", "FW-HDR-2"],
            app=0xA,
        ),
        Encoding("type-ff", "Type 0xFF, flags 15.", 0xFF, b"\xff" * 4, ["FW-TYP-1"], app=15),
        Encoding(
            "exact-max-frame",
            "256 bytes with max frame 256: one frame, no empty frame after.",
            DATA,
            nonzero_bytes(256),
            ["FW-MSG-1", "FW-MSG-17", "FW-HEL-5"],
        ),
        Encoding(
            "max-frame-plus-one",
            "257 bytes with max frame 256: 256 + 1.",
            DATA,
            nonzero_bytes(257),
            ["FW-MSG-1", "FW-MSG-17", "FW-HEL-5"],
        ),
        Encoding(
            "two-full-frames",
            "512 bytes with max frame 256: exactly two frames, no trailing empty frame.",
            DATA,
            nonzero_bytes(512),
            ["FW-MSG-1", "FW-MSG-3"],
            app=3,
        ),
        Encoding(
            "three-frames",
            "600 bytes with max frame 256: 256 + 256 + 88.",
            0x7E,
            nonzero_bytes(600),
            ["FW-MSG-1", "FW-MSG-2", "FW-MSG-3"],
            app=1,
        ),
        Encoding(
            "zeros",
            "600 zero bytes with max frame 256.",
            DATA,
            bytes(600),
            ["FW-MSG-1", "FW-COB-1"],
        ),
        *control_encodings(),
    ]


def control_encodings() -> list[Encoding]:
    """Control frames: never split, whatever their payloads."""
    return [
        Encoding(
            "ping",
            "A PING control frame: 8 bytes, never split.",
            PING,
            b"\x01" * 8,
            ["FW-PNG-1", "FW-TYP-3"],
        ),
        Encoding(
            "hello",
            "A HELLO with both settings.",
            HELLO,
            wire.hello_payload((1, 256), (2, 0)),
            ["FW-HEL-2", "FW-HDR-2"],
        ),
        Encoding(
            "error",
            "An ERROR with code 203 and a reason.",
            ERROR,
            wire.error_payload(203, b"message-too-large (FW-MSG-10)"),
            ["FW-ERR-2"],
        ),
    ]


def cobs_encodings() -> list[Encoding]:
    """COBS block boundaries (delimited only), and a split size below 256."""
    rows = [
        Encoding(
            f"cobs-last-piece-{last_piece}",
            f"A payload of {len(payload_for_last_piece(last_piece))} non-zero bytes: the "
            f"last COBS piece (non-zero length bytes + payload) is {last_piece} bytes.",
            DATA,
            payload_for_last_piece(last_piece),
            ["FW-COB-1"],
            max_frame=1024,
        )
        for last_piece in (252, 253, 254, 255, 256, 508, 509)
    ]
    return [
        *rows,
        Encoding(
            "cobs-full-block-then-zero",
            "A 254-byte non-zero run then a zero: 0xFF block, then the empty block 0x01.",
            DATA,
            b"\x00" + nonzero_bytes(254) + b"\x00",
            ["FW-COB-1"],
            max_frame=1024,
        ),
        Encoding(
            "max-frame-below-256",
            "200 bytes with max frame 100, below what a receiver may announce but a split "
            "size an encoder accepts (FW-LIM-12): 100 + 100.",
            DATA,
            nonzero_bytes(200),
            ["FW-LIM-12", "FW-MSG-17"],
            max_frame=100,
        ),
    ]


def encode_and_decode(suite: Suite, row: Encoding, framing: str, checksum: bool) -> None:
    """The encode case, and the decode case that reads its output back."""
    output = on_wire(framing, *row.frames(checksum))
    framing_rules = ["FW-COB-1", "FW-DLM-1"] if framing == DELIMITED else ["FW-LPF-1"]
    rules = [*row.statements, *framing_rules, *(["FW-CRC-1"] if checksum else [])]
    rules = list(dict.fromkeys(rules))
    variant = f"{row.key}{'/crc' if checksum else ''}"
    suite.add(
        GROUP,
        f"{variant}/{SHORT[framing]}",
        {
            "description": f"{row.description}{' With CRC trailers.' if checksum else ''}",
            "statements": rules,
            "level": "MUST",
            "tags": [GROUP, framing, "valid", *(["crc"] if checksum else [])],
            "kind": "encode",
            "framing": framing,
            "message": {"type": row.type_, "flags": row.app, "payload": row.payload.hex()},
            "options": {"checksum": checksum, "max_frame_size": row.max_frame},
            "expect": {"output": output.hex()},
        },
    )
    decode(
        suite,
        GROUP,
        f"{variant}/round-trip",
        f"Decoding the canonical encoding: {row.description}",
        [*rules, "FW-MSG-2"],
        framing=framing,
        data=output,
        events=[message(row.type_, row.payload, row.app)],
        end=CLEAN,
        limits={"max_frame_size": max(row.max_frame, 256), "max_message_size": 0},
        tags=["round-trip"],
    )
