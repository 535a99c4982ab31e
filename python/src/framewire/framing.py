"""What the decoder and encoder share: the framings and the receiver's limits.

API summary:

- `Framing` -- `Framing.LENGTH_PREFIXED` ("length-prefixed") or `Framing.DELIMITED`
  ("delimited"); `.preface_byte` is the framing byte of the session preface (spec 6.2).
- `Limits(max_frame_size=1 MiB, max_message_size=16 MiB)` -- a receiver's limits
  (spec 7.1), validated per FW-LIM-2; `max_message_size=0` means no limit.
  `.encoded_frame_bound` is FW-DLM-4's bound on one encoded delimited frame.

The checks of a frame's header, which the codec applies, are `framewire._codec.checks`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from framewire._codec import schema
from framewire._codec.cobs_codec import encoded_size_bound
from framewire.errors import UsageError

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

    max_frame_size: int = schema.MAX_FRAME_SIZE.default
    max_message_size: int = schema.MAX_MESSAGE_SIZE.default

    def __post_init__(self) -> None:
        for setting, value in (
            (schema.MAX_FRAME_SIZE, self.max_frame_size),
            (schema.MAX_MESSAGE_SIZE, self.max_message_size),
        ):
            if not schema.setting_value_valid(setting, value):
                raise UsageError(
                    f"{setting.name.lower()} {value} is out of range (FW-LIM-2): "
                    f"{setting.minimum} to {setting.maximum}"
                    + (", or 0 for no limit" if setting.zero_allowed else "")
                )

    @property
    def encoded_frame_bound(self) -> int:
        """FW-DLM-4's E: the most encoded bytes of one delimited frame a receiver buffers."""
        largest_frame = schema.HEADER_SIZE + self.max_frame_size + schema.TRAILER_SIZE
        return encoded_size_bound(largest_frame)

    def as_settings(self) -> dict[int, int]:
        """The HELLO settings that announce these limits (FW-HEL-6)."""
        return {
            schema.MAX_FRAME_SIZE.id: self.max_frame_size,
            schema.MAX_MESSAGE_SIZE.id: self.max_message_size,
        }
