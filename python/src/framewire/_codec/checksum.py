"""CRC-32C (Castagnoli) of spec 3.6: the C-backed `crc32c` package, checked at import.

API summary: `crc32c(data, value=0) -> int` (pass the previous result as `value` to extend
a running checksum over more bytes; `data` is any buffer, a memoryview slice included, so
a frame is checksummed where it lies, without a copy); `CHECK_VALUE` is the spec's check
value over b"123456789" (FW-CRC-2), verified at import so a broken build of the C
extension is caught before it can accept a corrupt frame.

`crc32c` is the C function itself, not a Python wrapper around it: the decoder calls it
once per checksummed frame, and a wrapper's extra call would weigh on a small frame's
decode.
"""

from __future__ import annotations

from crc32c import crc32c

__all__ = ["CHECK_VALUE", "crc32c"]

CHECK_VALUE = 0xE3069283
"""CRC-32C of the ASCII string 123456789 (FW-CRC-2)."""

if crc32c(b"123456789") != CHECK_VALUE or crc32c(b"") != 0:  # pragma: no cover
    raise ImportError("the crc32c package does not compute CRC-32C (FW-CRC-2)")
