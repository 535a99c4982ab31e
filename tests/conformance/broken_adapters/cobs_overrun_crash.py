"""Broken: its COBS decoder overruns on invalid input and throws (breaks FW-COB-2, FW-ERR-8)."""

from mutation import replace

from framewire._codec import readers
from framewire._codec.cobs_codec import CobsDecodeError
from framewire.conformance.adapter import main


def overrunning_cobs_decode(data: bytes) -> bytes:
    try:
        decoded: bytes = original(data)
    except CobsDecodeError:
        raise IndexError("index out of range while copying a COBS block") from None
    return decoded


original = replace(readers, "cobs_decode", overrunning_cobs_decode)

if __name__ == "__main__":
    main()
