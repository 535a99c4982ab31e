"""encode.json: the exact canonical encoder output, each decoded back (sections 3, 4, 5.1)."""

from __future__ import annotations

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


def cases(suite: Suite) -> None:
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
