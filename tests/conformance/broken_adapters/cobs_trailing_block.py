"""Broken: its COBS encoder ends a final full 254-byte block with an extra empty block 0x01.

Decoders accept that form (FW-COB-3), but it is not the canonical encoding (breaks FW-COB-1).
"""

from mutation import replace

from framewire import encoder
from framewire.conformance.adapter import main

FULL_BLOCK = 0xFF


def last_code(encoded: bytes) -> int:
    index = code = 0
    while index < len(encoded):
        code = encoded[index]
        index += code
    return code


def cobs_encode_with_trailing_block(data: bytes) -> bytes:
    encoded: bytes = original(data)
    return encoded + b"\x01" if last_code(encoded) == FULL_BLOCK else encoded


original = replace(encoder, "cobs_encode", cobs_encode_with_trailing_block)

if __name__ == "__main__":
    main()
