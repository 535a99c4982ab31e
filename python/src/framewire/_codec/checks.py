"""The checks of a frame that the codec applies: a header's faults in the order of
FW-HDR-6, and which frames a session's state admits.

- `header_fault(word, type, length, max_frame_size)` -- the first header fault, or None.
- `Admission` -- which frames a session's state accepts, as the decoder applies it;
  `ADMIT_ALL` for the bare codec.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from framewire._codec import schema
from framewire._codec.units import binary_size
from framewire.errors import ErrorCode


class Fault(NamedTuple):
    """A check that failed: the registry code, the statement broken, and what was seen."""

    code: ErrorCode
    statement: str
    detail: str


class Admission(Protocol):
    """Which frames are accepted now: the rule of a session's state (spec 6.8).

    The decoder applies it from each frame's header, before the payload is buffered, and
    knows nothing of the states behind it: a session passes its own (FW-SES-6).
    """

    @property
    def data(self) -> bool:
        """Whether data frames are accepted (the fast paths run only while they are)."""
        ...

    def fault(self, frame_type: int) -> Fault | None:
        """The fault for a frame of this type, or None when it is accepted."""
        ...


class AdmitAll:
    """The codec's admission: every frame that passes the frame checks (no session)."""

    data = True

    @staticmethod
    def fault(frame_type: int) -> Fault | None:
        """None: the codec refuses no type for the state it is in (it has none)."""
        return None


ADMIT_ALL = AdmitAll()
"""The one `AdmitAll`: a decoder's admission until a session gives it its own."""


def is_control_type(frame_type: int) -> bool:
    """Types 0x01-0x04 are control frames (spec 3.4)."""
    return schema.TYPE_HELLO <= frame_type <= schema.TYPE_PONG


def header_fault(  # noqa: PLR0911 - one return per check, in the order of FW-HDR-6
    word: int, frame_type: int, length: int, max_frame_size: int
) -> Fault | None:
    """The first fault of a header, in the order of FW-HDR-6.

    `word` is magic, version and flags read as one big-endian 32-bit integer.
    """
    magic = (word >> 16).to_bytes(2, "big")
    if magic != schema.MAGIC:
        return Fault(ErrorCode.BAD_MAGIC, "FW-HDR-4", f"magic is 0x{magic.hex()}, not 0x4657")
    version = (word >> 8) & 0xFF
    if version != schema.VERSION:
        return Fault(ErrorCode.UNSUPPORTED_VERSION, "FW-HDR-5", f"version is {version}, not 1")
    flags = word & 0xFF
    if flags & schema.FLAG_R:
        return Fault(
            ErrorCode.RESERVED_FLAG, "FW-FLG-1", f"reserved bit R set (flags 0x{flags:02x})"
        )
    control = is_control_type(frame_type)
    if not control and frame_type < schema.FIRST_APPLICATION_TYPE:
        return Fault(ErrorCode.RESERVED_TYPE, "FW-TYP-2", f"type 0x{frame_type:02x} is reserved")
    if control and flags & schema.APP_FLAGS_MASK:
        return Fault(
            ErrorCode.RESERVED_FLAG,
            "FW-FLG-2",
            f"application flags on control type 0x{frame_type:02x} (flags 0x{flags:02x})",
        )
    if control and flags & (schema.FLAG_M | schema.FLAG_N):
        return Fault(
            ErrorCode.FRAGMENTED_CONTROL,
            "FW-TYP-3",
            f"control type 0x{frame_type:02x} with M or N set (flags 0x{flags:02x})",
        )
    if length > schema.FRAME_SIZE_CEILING:
        return Fault(
            ErrorCode.FRAME_TOO_LARGE,
            "FW-LEN-3",
            f"length {length} exceeds the protocol ceiling of 2^30",
        )
    if length > max_frame_size:
        return Fault(
            ErrorCode.FRAME_TOO_LARGE,
            "FW-LIM-3",
            f"a frame of {length} bytes{binary_size(length)} is larger than this side's "
            f"MAX_FRAME_SIZE {max_frame_size}{binary_size(max_frame_size)}; the sender "
            "must split messages into frames of at most that size",
        )
    return None
