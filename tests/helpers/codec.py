"""Helpers shared by the codec and session tests: run a decoder over chunks, summarise."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from framewire import END, Decoder, FrameDropped, Framing, Message, Piece, RemoteProtocolError
from framewire.conformance import wire

Outcome = str
"""How decoding ended: "end" (clean), "open" (needs more data) or an error's wire name."""


class Decoded(NamedTuple):
    """Everything a decoder produced for one input, in a form easy to compare."""

    events: list[tuple[object, ...]]
    outcome: Outcome


def summarise(event: Message | Piece | FrameDropped) -> tuple[object, ...]:
    """An event as a plain tuple; FrameDropped by its error name (errors differ in detail)."""
    if isinstance(event, FrameDropped):
        return ("dropped", event.error.name, event.message_dropped)
    return (type(event).__name__, *event)


def decode(
    decoder: Decoder,
    chunks: Iterable[bytes],
    *,
    eof: bool = True,
    drain_each: bool = True,
    batched: bool = False,
) -> Decoded:
    """Feed `chunks` (draining events after each unless not `drain_each`), then the end
    of input if `eof`; events taken one by one (`events()`), or with `next_events()` if
    `batched` (the path of the compiled loop, framewire._codec.fastpath)."""
    events: list[tuple[object, ...]] = []

    def drain() -> None:
        if not batched:
            events.extend(summarise(event) for event in decoder.events())
            return
        while batch := decoder.next_events():
            events.extend(summarise(event) for event in batch)

    try:
        for chunk in chunks:
            decoder.feed(chunk)
            if drain_each:
                drain()
        if eof:
            decoder.feed_eof()
        drain()
        outcome = "end" if decoder.next_event() is END else "open"
    except RemoteProtocolError as error:
        # Recoverable errors must come out as FrameDropped events, never be raised.
        outcome = error.name if not error.recoverable else f"raised recoverable {error.name}"
    return Decoded(events, outcome)


def raw_frame(
    frame_type: int,
    payload: bytes = b"",
    *,
    flags: int = 0,
    checksum: bool = False,
    magic: bytes = wire.MAGIC,
    version: int = wire.VERSION,
    length: int | None = None,
    crc: int | None = None,
) -> bytes:
    """The bytes of one frame, any field forced to any value (no framing applied).

    Built by the wire oracle, not by the codec under test. The CRC is computed from the
    bytes as built unless `crc` forces it.
    """
    return wire.frame(
        frame_type,
        payload,
        raw_flags=flags | (wire.FLAG_C if checksum else 0),
        magic=magic,
        version=version,
        length=length,
        crc=crc,
    )


def framed(framing: Framing, *frames: bytes) -> bytes:
    """Raw frames put on the wire in `framing` (COBS and a delimiter when delimited)."""
    return wire.on_wire(framing.value, *frames)
