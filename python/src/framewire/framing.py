"""What the decoder and encoder share: the framings, the receiver's limits, the frame checks.

API summary:

- `Framing` -- `Framing.LENGTH_PREFIXED` ("length-prefixed") or `Framing.DELIMITED`
  ("delimited"); `.preface_byte` is the framing byte of the session preface (spec 6.2).
- `Limits(max_frame_size=1 MiB, max_message_size=16 MiB)` -- a receiver's limits
  (spec 7.1), validated per FW-LIM-2; `max_message_size=0` means no limit.
  `.encoded_frame_bound` is FW-DLM-4's bound on one encoded delimited frame.
- `header_fault(word, type, length, max_frame_size)` -- the first header fault in the order
  of FW-HDR-6, or None.
- `Admission` -- which frames a session's state accepts, as the decoder applies it;
  `ADMIT_ALL` for the bare codec.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from framewire import _schema
from framewire._cobs_codec import encoded_size_bound
from framewire._units import binary_size
from framewire.errors import ErrorCode, UsageError

# The public API; Fault, header_fault and is_control_type are the codec's own.
__all__ = ["Framing", "Limits"]


class Framing(enum.Enum):
    """How frames are delimited on the stream (spec 4)."""

    LENGTH_PREFIXED = "length-prefixed"
    DELIMITED = "delimited"

    @property
    def preface_byte(self) -> int:
        """The preface's framing byte: ASCII L or D (spec 6.2)."""
        return _PREFACE_BYTES[self]


_PREFACE_BYTES = {Framing.LENGTH_PREFIXED: ord("L"), Framing.DELIMITED: ord("D")}


@dataclass(frozen=True, slots=True)
class Limits:
    """A receiver's limits (spec 7.1); the defaults are FW-LIM-1's.

    Raises UsageError when a value is outside FW-LIM-2 (and, for the message size,
    outside what a HELLO can announce).
    """

    max_frame_size: int = _schema.MAX_FRAME_SIZE.default
    max_message_size: int = _schema.MAX_MESSAGE_SIZE.default

    def __post_init__(self) -> None:
        for setting, value in (
            (_schema.MAX_FRAME_SIZE, self.max_frame_size),
            (_schema.MAX_MESSAGE_SIZE, self.max_message_size),
        ):
            if not _schema.setting_value_valid(setting, value):
                raise UsageError(
                    f"{setting.name.lower()} {value} is out of range (FW-LIM-2): "
                    f"{setting.minimum} to {setting.maximum}"
                    + (", or 0 for no limit" if setting.zero_allowed else "")
                )

    @property
    def encoded_frame_bound(self) -> int:
        """FW-DLM-4's E: the most encoded bytes of one delimited frame a receiver buffers."""
        largest_frame = _schema.HEADER_SIZE + self.max_frame_size + _schema.TRAILER_SIZE
        return encoded_size_bound(largest_frame)

    def as_settings(self) -> dict[int, int]:
        """The HELLO settings that announce these limits (FW-HEL-6)."""
        return {
            _schema.MAX_FRAME_SIZE.id: self.max_frame_size,
            _schema.MAX_MESSAGE_SIZE.id: self.max_message_size,
        }


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
    return _schema.TYPE_HELLO <= frame_type <= _schema.TYPE_PONG


def header_fault(  # noqa: PLR0911 - one return per check, in the order of FW-HDR-6
    word: int, frame_type: int, length: int, max_frame_size: int
) -> Fault | None:
    """The first fault of a header, in the order of FW-HDR-6.

    `word` is magic, version and flags read as one big-endian 32-bit integer.
    """
    magic = (word >> 16).to_bytes(2, "big")
    if magic != _schema.MAGIC:
        return Fault(ErrorCode.BAD_MAGIC, "FW-HDR-4", f"magic is 0x{magic.hex()}, not 0x4657")
    version = (word >> 8) & 0xFF
    if version != _schema.VERSION:
        return Fault(ErrorCode.UNSUPPORTED_VERSION, "FW-HDR-5", f"version is {version}, not 1")
    flags = word & 0xFF
    if flags & _schema.FLAG_R:
        return Fault(
            ErrorCode.RESERVED_FLAG, "FW-FLG-1", f"reserved bit R set (flags 0x{flags:02x})"
        )
    control = is_control_type(frame_type)
    if not control and frame_type < _schema.FIRST_APPLICATION_TYPE:
        return Fault(ErrorCode.RESERVED_TYPE, "FW-TYP-2", f"type 0x{frame_type:02x} is reserved")
    if control and flags & _schema.APP_FLAGS_MASK:
        return Fault(
            ErrorCode.RESERVED_FLAG,
            "FW-FLG-2",
            f"application flags on control type 0x{frame_type:02x} (flags 0x{flags:02x})",
        )
    if control and flags & (_schema.FLAG_M | _schema.FLAG_N):
        return Fault(
            ErrorCode.FRAGMENTED_CONTROL,
            "FW-TYP-3",
            f"control type 0x{frame_type:02x} with M or N set (flags 0x{flags:02x})",
        )
    if length > _schema.FRAME_SIZE_CEILING:
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
