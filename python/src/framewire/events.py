"""Immutable events produced by the decoder (`framewire.codec`) and the session.

API summary:

Codec events (`Decoder.next_event()`):

- `Message(type, payload, flags=0)` -- a complete message; `flags` are its application
  flags 0..15 (never C, M or N, FW-FLG-3). Control frames come out of a bare codec as
  Messages of types 1..4; a `Session` turns them into the session events below.
- `Fragment(type, flags, payload, first, last)` -- one frame's share of a data message when
  the decoder streams (`assemble=False`, FW-MSG-15).
- `FrameDropped(error, message_dropped)` -- a recoverable error in delimited codec mode
  (FW-DLM-6); `message_dropped` tells a streaming consumer that the message it was receiving
  will never complete (FW-MSG-13, FW-MSG-14).

Session events (`Session.next_event()`):

- `PeerHello(max_frame_size, max_message_size)` -- the peer's limits (FW-HEL-2 defaults
  filled in; 0 means no message limit).
- `PingReceived(data)` -- a PING arrived; its PONG is already queued (FW-PNG-2).
- `PongReceived(data)` -- a PONG arrived (unsolicited ones are reported too; FW-PNG-3 only
  asks the session not to act on them).
- `PeerClosed()` -- the peer half-closed at a clean boundary (FW-CLS-2).

Plus two sentinels: `NEED_DATA` (feed more bytes) and `END` (clean end of input).

Why NamedTuple: events are created once per message on the hot path. Measured on the
project machine (2 shared cores, CPython 3.11, `timeit`, best of 5 x 500k, 3 fields):
frozen+slots dataclass 388 ns, slots dataclass (mutable) 120 ns, NamedTuple via its
constructor 197 ns, NamedTuple via `tuple.__new__(cls, (...))` 121 ns, plain tuple subclass
with a Python `__new__` 220 ns. NamedTuple is immutable, typed, and as cheap as a mutable
dataclass when the decoder builds it with `tuple.__new__` (which it does).
Caveat of tuples: two events of different classes with equal fields compare equal; compare
`type(event)` too when that matters.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from framewire.errors import ProtocolError


class Message(NamedTuple):
    """A complete message: its type, payload and application flags (0..15)."""

    type: int
    payload: bytes
    flags: int = 0


class Fragment(NamedTuple):
    """One frame's piece of a data message, delivered as it arrives (FW-MSG-15).

    `first` is true on the start frame, `last` on the frame that ends the message; a
    single-frame message gives one Fragment with both set.
    """

    type: int
    flags: int
    payload: bytes
    first: bool
    last: bool


class FrameDropped(NamedTuple):
    """A frame (and perhaps the message in progress) was dropped: delimited codec only."""

    error: ProtocolError
    message_dropped: bool = False


class PeerHello(NamedTuple):
    """The peer's HELLO: the limits it enforces on what we send (FW-HEL-5)."""

    max_frame_size: int
    max_message_size: int


class PingReceived(NamedTuple):
    """The peer sent PING with these 8 bytes; the PONG is already in `data_to_send()`."""

    data: bytes


class PongReceived(NamedTuple):
    """The peer sent PONG with these 8 bytes."""

    data: bytes


class PeerClosed(NamedTuple):
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

DecoderEvent = Message | Fragment | FrameDropped | Sentinel
"""What Decoder.next_event() returns."""
