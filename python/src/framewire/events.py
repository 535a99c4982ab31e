"""Immutable events produced by the decoder (`framewire.decoder`) and the session.

API summary:

Codec events (`framewire.Decoder.next_event()`):

- `Message(type, payload, flags=0)` -- a complete message; `flags` are its application
  flags 0..15 (never C, M or N, FW-FLG-3). Control frames come out of a bare codec as
  Messages of types 1..4; a `Session` turns them into the session events below.
- `Piece(type, flags, payload, first, last)` -- one frame's share of a data message when
  the decoder does not assemble (`Decoder(assemble=False)`, `Session(streaming=True)`,
  FW-MSG-15).
- `FrameDropped(error, message_dropped)` -- a recoverable error in delimited codec mode
  (FW-DLM-6); `message_dropped` tells a streaming consumer that the message it was receiving
  will never complete (FW-MSG-13, FW-MSG-14).

Session events (`framewire.Session.next_event()`):

- `PeerHello(max_frame_size, max_message_size)` -- the peer's limits (FW-HEL-2 defaults
  filled in; 0 means no message limit).
- `PingReceived(data)` -- a PING arrived; its PONG is already queued (FW-PNG-2).
- `PongReceived(data)` -- a PONG arrived (unsolicited ones are reported too; FW-PNG-3 only
  asks the session not to act on them).
- `PeerClosed()` -- the peer half-closed at a clean boundary (FW-CLS-2).

Plus two sentinels: `NEED_DATA` (feed more bytes) and `END` (clean end of input).

Every event derives from `Event`: two events of different kinds never compare equal,
none equals a plain tuple, and none is falsy. `Message` and `Piece`, made once per
message on the receive path, are tuple types built with `tuple.__new__`; every other event
is a frozen, slotted dataclass. Why: see the comment above `Message`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple, Self

from framewire.errors import RemoteProtocolError


class Event:
    """Base class of every event that a decoder or a session returns."""

    __slots__ = ()


# Message and Piece are tuple types, not dataclasses: the readers build one per message
# with `tuple.__new__`, which costs a fraction of a frozen dataclass's `__init__`
# (python/benchmarks/event_types.py; figures in python/benchmarks/RESULTS.md, "Event
# types"). These two functions keep the event discipline: equal only to the same type.
def _equal_and_same_type(self: tuple[object, ...], other: object) -> bool:
    return type(other) is type(self) and tuple.__eq__(self, other)


def _unequal_or_other_type(self: tuple[object, ...], other: object) -> bool:
    return not _equal_and_same_type(self, other)


_REPR_PAYLOAD_BYTES = 32
"""Payload bytes a repr shows: a log line or a test failure stays readable."""


def _payload_repr(payload: bytes) -> str:
    if len(payload) <= _REPR_PAYLOAD_BYTES:
        return repr(payload)
    return f"{bytes(payload[:_REPR_PAYLOAD_BYTES])!r}...<{len(payload)} bytes>"


class _MessageFields(NamedTuple):
    type: int
    payload: bytes
    flags: int = 0


class Message(_MessageFields, Event):
    """A complete message: its type, payload and application flags (0..15).

    Its repr shows the first 32 payload bytes and the size, never a whole large payload.
    """

    __slots__ = ()
    __eq__ = _equal_and_same_type
    __ne__ = _unequal_or_other_type
    __hash__ = tuple.__hash__

    def __new__(cls, type: int, payload: bytes, flags: int = 0) -> Self:
        """Check the fields where the message is made: a ``str`` payload or flags of 16
        would otherwise fail only when sent, far from the mistake. A bytes-like payload
        (``bytearray``, ``memoryview``) is copied to ``bytes``. The receive path builds
        its messages with ``tuple.__new__``, which skips the checks."""
        if payload.__class__ is not bytes:
            payload = _payload_bytes(payload)
        for name, value, top in (("type", type, 255), ("flags", flags, 15)):
            given: object = value  # annotated int, but the check is for callers who did not
            if not isinstance(given, int) or isinstance(given, bool):
                raise TypeError(f"Message {name} must be an int, not {given.__class__.__name__}")
            if not 0 <= value <= top:
                what = (
                    "a byte, 0 to 255"
                    if name == "type"
                    else "the application flags, 0 to 15 (FW-FLG-2)"
                )
                raise ValueError(f"Message {name} {value} is out of range: it is {what}")
        return tuple.__new__(cls, (type, payload, flags))

    def __repr__(self) -> str:
        return (
            f"Message(type={self.type}, payload={_payload_repr(self.payload)}, flags={self.flags})"
        )


def _payload_bytes(payload: object) -> bytes:
    """A payload as bytes: a copy of a bytes-like object; a TypeError that names the fix
    for anything else (text above all)."""
    if isinstance(payload, str):
        raise TypeError(
            "Message payload must be bytes, not str: encode the text, e.g. "
            f"Message(0x40, {payload[:20]!r}.encode())"
        )
    try:
        return bytes(memoryview(payload))  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"Message payload must be bytes (or bytes-like), not {payload.__class__.__name__}"
        ) from None


class _PieceFields(NamedTuple):
    type: int
    flags: int
    payload: bytes
    first: bool
    last: bool


class Piece(_PieceFields, Event):
    """One frame's piece of a data message, delivered as it arrives (FW-MSG-15).

    `first` is true on the start frame, `last` on the frame that ends the message; a
    single-frame message gives one Piece with both set.
    """

    __slots__ = ()
    __eq__ = _equal_and_same_type
    __ne__ = _unequal_or_other_type
    __hash__ = tuple.__hash__

    def __repr__(self) -> str:
        return (
            f"Piece(type={self.type}, flags={self.flags}, "
            f"payload={_payload_repr(self.payload)}, first={self.first}, last={self.last})"
        )


@dataclass(frozen=True, slots=True)
class FrameDropped(Event):
    """A frame (and perhaps the message in progress) was dropped: delimited codec only."""

    error: RemoteProtocolError
    message_dropped: bool = False


@dataclass(frozen=True, slots=True)
class PeerHello(Event):
    """The peer's HELLO: the limits it enforces on what we send (FW-HEL-5)."""

    max_frame_size: int
    max_message_size: int


@dataclass(frozen=True, slots=True)
class PingReceived(Event):
    """The peer sent PING with these 8 bytes; the PONG is already in `data_to_send()`."""

    data: bytes


@dataclass(frozen=True, slots=True)
class PongReceived(Event):
    """The peer sent PONG with these 8 bytes."""

    data: bytes


@dataclass(frozen=True, slots=True)
class PeerClosed(Event):
    """The peer half-closed at a clean boundary: it will send nothing more (FW-CLS-2)."""


class Sentinel(enum.Enum):
    """Non-event results of `next_event()`."""

    NEED_DATA = "need-data"
    """No complete event yet: feed more bytes (or the end of input)."""
    END = "end"
    """The input ended cleanly; no event will ever come again."""


NEED_DATA = Sentinel.NEED_DATA
"""next_event() has no complete event yet: feed more bytes (or the end of input)."""
END = Sentinel.END
"""next_event() after a clean end of input: nothing will ever come again."""

DecoderEvent = Message | Piece | FrameDropped | Sentinel
"""What Decoder.next_event() returns."""
