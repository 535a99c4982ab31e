# The compiled receive path's module (fastpath.c); absent from a pure-Python install.
from typing import Any

HEADER_SIZE: int
TRAILER_SIZE: int
FLAG_C: int
FIRST_DATA_TYPE: int
APP_FLAGS_SHIFT: int

def decode_run(
    data: bytearray,
    start: int,
    end: int,
    largest: int,
    message_class: type,
    batch: list[Any],
    most: int,
    plain: int,
    mask: int,
    /,
) -> int: ...
