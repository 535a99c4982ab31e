"""COBS of spec 4.2.1, a thin wrapper over the C-backed `cobs` package.

API summary: `cobs_encode(data) -> bytes` (the one canonical encoding of FW-COB-1, without
the 0x00 delimiter); `cobs_decode(encoded) -> bytes`, which raises `CobsDecodeError` for
every overrun (FW-COB-2) and accepts the non-canonical final empty block after a 0xFF block
(FW-COB-3). `encoded_size_bound(n)` is FW-COB-4's `n + 1 + floor(n / 254)`.

The C package takes bytes and bytearray but not memoryview, so callers pass one of those.
Its decoder raises `cobs.cobs.DecodeError` both for a code byte that runs past the end and
for a 0x00 inside the input; the framing layer never passes a 0x00 (it splits at them), so
every DecodeError here means `cobs-invalid`.
"""

from __future__ import annotations

from cobs import cobs as _cobs  # type: ignore[import-untyped]

BLOCK_SIZE = 254
"""Data bytes in a full COBS block (code byte 0xFF)."""


class CobsDecodeError(ValueError):
    """The encoded bytes are not valid COBS: a code byte announces more than remains."""


def cobs_encode(data: bytes | bytearray) -> bytes:
    """The canonical COBS encoding of `data` (FW-COB-1), without a delimiter."""
    encoded: bytes = _cobs.encode(data)
    return encoded


def cobs_decode(encoded: bytes | bytearray) -> bytes:
    """Decode one COBS-encoded frame (no delimiter, no 0x00 inside)."""
    try:
        decoded: bytes = _cobs.decode(encoded)
    except _cobs.DecodeError as exc:
        raise CobsDecodeError(str(exc)) from None
    return decoded


def encoded_size_bound(size: int) -> int:
    """The longest COBS encoding of `size` bytes (FW-COB-4)."""
    return size + 1 + size // BLOCK_SIZE
