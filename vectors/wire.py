"""Framewire/1 wire primitives for building test vectors, written from the spec alone.

This is deliberately NOT the `framewire` package: the vectors are the independent
reference that every implementation (including the Python one) is judged against, so
their bytes are computed here from the definitions of spec sections 3, 4 and 6.
Stdlib only. The CRC-32C and COBS functions check themselves against the spec's check
values when this module is imported (`_self_check`), so a wrong table or a wrong block
rule cannot silently produce wrong vectors.
"""

from __future__ import annotations

import struct

# --- CRC-32C (FW-CRC-2): reflected polynomial 0x82F63B78, init and final XOR 0xFFFFFFFF.

CRC32C_REFLECTED_POLY = 0x82F63B78
CRC32C_CHECK_VALUE = 0xE3069283  # over ASCII "123456789" (FW-CRC-2)


def _crc32c_table() -> tuple[int, ...]:
    """One entry per byte value: that byte's 8 reflected shift-and-XOR steps, precomputed."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ CRC32C_REFLECTED_POLY if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC32C_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C of `data` as FW-CRC-2 defines it."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# --- COBS as section 4.2.1 defines it (canonical form, FW-COB-1).

FULL_BLOCK = 254  # a block of 254 bytes is written with code 0xFF and implies no zero
FULL_BLOCK_CODE = 0xFF


def cobs_encode(data: bytes) -> bytes:
    """Encode `data` exactly as section 4.2.1 says, block by block."""
    pieces = data.split(b"\x00")
    out = bytearray()
    for index, piece in enumerate(pieces):
        is_last_piece = index == len(pieces) - 1
        blocks = [piece[start : start + FULL_BLOCK] for start in range(0, len(piece), FULL_BLOCK)]
        # A piece of 254*k bytes keeps an empty remainder block, except as the last piece.
        if len(piece) % FULL_BLOCK == 0 and not (is_last_piece and piece):
            blocks.append(b"")
        for block in blocks:
            out.append(FULL_BLOCK_CODE if len(block) == FULL_BLOCK else len(block) + 1)
            out += block
    return bytes(out)


def cobs_decode(encoded: bytes) -> bytes:
    """Decode per FW-COB-2/FW-COB-3; raises ValueError on an overrunning code byte.

    Used only to check the generator's own encodings, never to compute an expectation.
    """
    out = bytearray()
    position = 0
    while position < len(encoded):
        code = encoded[position]
        if code == 0 or position + code > len(encoded):
            raise ValueError("code byte overruns the frame")
        out += encoded[position + 1 : position + code]
        position += code
        if code != FULL_BLOCK_CODE and position < len(encoded):
            out.append(0)
    return bytes(out)


# --- Frames (section 3).

MAGIC = b"FW"
VERSION = 0x01
HEADER = struct.Struct(">2sBBBI")  # magic, version, flags, type, length
FLAG_C, FLAG_M, FLAG_N, FLAG_R = 0x01, 0x02, 0x04, 0x08
DATA = 0x40  # the first application data type
HELLO, ERROR, PING, PONG = 0x01, 0x02, 0x03, 0x04


def frame(
    type_: int = DATA,
    payload: bytes = b"",
    *,
    app: int = 0,
    checksum: bool = False,
    more: bool = False,
    cont: bool = False,
    raw_flags: int | None = None,
    length: int | None = None,
    magic: bytes = MAGIC,
    version: int = VERSION,
) -> bytes:
    """The bytes of one frame; keyword overrides build frames with exactly one fault.

    `raw_flags` replaces the whole flags byte (to set R); `length` replaces the header's
    length field without changing the payload. The trailer is always computed over the
    bytes actually written, so a fault injected elsewhere stays the only fault.
    """
    if raw_flags is None:
        raw_flags = app << 4
        raw_flags |= (FLAG_C if checksum else 0) | (FLAG_M if more else 0)
        raw_flags |= FLAG_N if cont else 0
    body = HEADER.pack(magic, version, raw_flags, type_, len(payload) if length is None else length)
    body += payload
    if raw_flags & FLAG_C:
        body += crc32c(body).to_bytes(4, "big")
    return body


def delimit(*frames: bytes) -> bytes:
    """Delimited framing (FW-DLM-1): each frame COBS-encoded and followed by one 0x00."""
    return b"".join(cobs_encode(one) + b"\x00" for one in frames)


LENGTH_PREFIXED = "length-prefixed"
DELIMITED = "delimited"
FRAMINGS = (LENGTH_PREFIXED, DELIMITED)


def on_wire(framing: str, *frames: bytes) -> bytes:
    """The frames as they travel in `framing`: back to back, or COBS + delimiter each."""
    return b"".join(frames) if framing == LENGTH_PREFIXED else delimit(*frames)


# --- Session pieces (section 6).

FRAMING_BYTE = {LENGTH_PREFIXED: 0x4C, DELIMITED: 0x44}
MAX_FRAME_SIZE_ID, MAX_MESSAGE_SIZE_ID = 0x0001, 0x0002


def preface(framing: str) -> bytes:
    """The 8-byte preface of section 6.2 for `framing`."""
    return b"\x89FW1" + bytes([FRAMING_BYTE[framing]]) + b"\r\n\x1a"


def hello_payload(*settings: tuple[int, int]) -> bytes:
    """A HELLO payload: 6-byte (id, value) settings, big-endian (section 6.3)."""
    return b"".join(struct.pack(">HI", ident, value) for ident, value in settings)


def error_payload(code: int, reason: bytes) -> bytes:
    """An ERROR payload: 2-byte code, then the UTF-8 reason (section 6.4)."""
    return code.to_bytes(2, "big") + reason


def nonzero_bytes(count: int, seed: int = 1) -> bytes:
    """A fixed, varied byte string with no 0x00 (so COBS block sizes are predictable)."""
    return bytes((seed + index * 37) % 255 + 1 for index in range(count))


def _self_check() -> None:
    """Refuse to run with primitives that disagree with the spec's check values."""
    if crc32c(b"123456789") != CRC32C_CHECK_VALUE or crc32c(b"") != 0:
        raise AssertionError("CRC-32C disagrees with the check values of FW-CRC-2")
    # Section 4.2.1 examples worked by hand: zeros, a 254-byte piece at the end (no 0x01,
    # FW-COB-1), the same piece before a zero (empty block kept), 255 bytes.
    full = nonzero_bytes(254)
    expected = {
        b"": b"\x01",
        b"\x00": b"\x01\x01",
        b"\x11\x00\x22": b"\x02\x11\x02\x22",
        full: b"\xff" + full,
        full + b"\x00": b"\xff" + full + b"\x01\x01",
        full + b"\x33": b"\xff" + full + b"\x02\x33",
    }
    for data, encoding in expected.items():
        if cobs_encode(data) != encoding or cobs_decode(encoding) != data:
            raise AssertionError(f"COBS disagrees with section 4.2.1 for {data[:8]!r}...")
    if cobs_decode(b"\xff" + full + b"\x01") != full:
        raise AssertionError("COBS decoder rejects the FW-COB-3 trailing empty block")


_self_check()
