"""CRC-32C (Castagnoli) of spec 3.6, a thin wrapper over the C-backed `crc32c` package.

API summary: `crc32c(data, value=0) -> int` (pass the previous result as `value` to extend
a running checksum over more bytes); `CHECK_VALUE` is the spec's check value over
b"123456789" (FW-CRC-2), verified at import so a broken build of the C extension is caught
before it can accept a corrupt frame.
"""

from __future__ import annotations

import crc32c as _crc32c

from framewire._typing import BytesLike

CHECK_VALUE = 0xE3069283
"""CRC-32C of the ASCII string 123456789 (FW-CRC-2)."""


def crc32c(data: BytesLike, value: int = 0) -> int:
    """CRC-32C of `data`; `value` is the CRC of the bytes before it, to checksum in pieces."""
    result: int = _crc32c.crc32c(data, value)
    return result


if crc32c(b"123456789") != CHECK_VALUE or crc32c(b"") != 0:  # pragma: no cover
    raise ImportError("the crc32c package does not compute CRC-32C (FW-CRC-2)")
