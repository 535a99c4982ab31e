"""Encoder -> decoder round trips in both framings, whatever the chunking (hypothesis)."""

from __future__ import annotations

import tracemalloc

import pytest
from helpers.codec import decode, summarise
from helpers.strategies import chunkings, data_messages, framings, limits, ping_messages, split_at
from hypothesis import given, settings
from hypothesis import strategies as st

from framewire import Decoder, Encoder, Framing, Limits, Message, Piece, UsageError
from framewire.conformance import wire
from framewire.conformance.wire import FLAG_C, FLAG_M, FLAG_N, HEADER_SIZE
from framewire.events import NEED_DATA

messages_lists = st.lists(st.one_of(data_messages(), ping_messages), max_size=6)


@pytest.mark.usefixtures("receive_loop")
@settings(max_examples=150)
@given(st.data(), framings, limits(), st.booleans(), messages_lists)
def test_round_trip_any_chunking(
    data: st.DataObject, framing: Framing, receiver: Limits, checksum: bool, messages: list[Message]
) -> None:
    """On each receive loop; events taken one by one or in batches (the batched path
    reaches the compiled loop)."""
    messages = [
        m
        for m in messages
        if not receiver.max_message_size or len(m.payload) <= receiver.max_message_size
    ]
    encoder = Encoder(framing, checksum=checksum, max_frame_size=receiver.max_frame_size)
    wire = b"".join(encoder.encode(message) for message in messages)
    chunks = data.draw(chunkings(wire))
    batched = data.draw(st.booleans(), label="batched")
    result = decode(Decoder(framing, receiver), chunks, batched=batched)
    assert result.outcome == "end"
    assert result.events == [summarise(message) for message in messages]


@settings(max_examples=100)
@given(st.data(), framings, st.booleans(), st.lists(data_messages(), max_size=4))
def test_streaming_pieces_rebuild_the_messages(
    data: st.DataObject, framing: Framing, checksum: bool, messages: list[Message]
) -> None:
    encoder = Encoder(framing, checksum=checksum, max_frame_size=256)
    wire = b"".join(encoder.encode(message) for message in messages)
    decoder = Decoder(framing, Limits(256, 0), assemble=False)
    rebuilt: list[Message] = []
    parts: list[bytes] = []
    for chunk in data.draw(chunkings(wire)):
        decoder.feed(chunk)
        for piece in decoder.events():
            assert isinstance(piece, Piece)
            assert len(piece.payload) <= 256
            assert piece.first == (not parts)
            parts.append(piece.payload)
            if piece.last:
                rebuilt.append(Message(piece.type, b"".join(parts), piece.flags))
                parts = []
    assert rebuilt == messages


@given(framings, st.booleans(), data_messages(), st.lists(st.integers(0, 1200), max_size=6))
def test_stream_writer_output_equals_encode(
    framing: Framing, checksum: bool, message: Message, cuts: list[int]
) -> None:
    """Writing a message in pieces gives exactly the canonical frames of encode()."""
    encoder = Encoder(framing, checksum=checksum, max_frame_size=256)
    writer = encoder.start_message(message.type, message.flags)
    pieces = split_at(message.payload, cuts)
    wire = b"".join(writer.write(piece) for piece in pieces[:-1]) + writer.end(pieces[-1])
    assert wire == encoder.encode(message)
    assert writer.size == len(message.payload)


@pytest.mark.parametrize("frame_size", [1, 256])
def test_a_streamed_write_returns_every_full_frame_but_keeps_the_last_byte_back(
    frame_size: int,
) -> None:
    """A write returns the frames that are complete and known not to be the last (M set):
    a frame is not held once one byte more has come, and the last byte waits for end()."""
    encoder = Encoder(max_frame_size=frame_size)
    first, second = encoder.encode_frames(Message(0x40, b"x" * 2 * frame_size))
    writer = encoder.start_message(0x40)
    assert writer.write(b"x" * frame_size) == b""
    assert writer.write(b"x") == first
    assert writer.end(b"x" * (frame_size - 1)) == second


def test_an_encoder_streams_one_message_at_a_time() -> None:
    """FW-MSG-5: no second streamed message while one is open; once it has ended, the
    next may start, and the ended writer takes no more bytes."""
    encoder = Encoder(max_frame_size=256)
    writer = encoder.start_message(0x40)
    with pytest.raises(UsageError, match="FW-MSG-5"):
        encoder.start_message(0x41)
    writer.end(b"one")
    with pytest.raises(UsageError, match="already ended"):
        writer.end(b"again")
    with pytest.raises(UsageError, match="already ended"):
        writer.write(b"again")
    assert encoder.start_message(0x41).end(b"two") == encoder.encode(Message(0x41, b"two"))


@given(st.integers(0, 3 * 256 + 1), st.sampled_from([256, 300]), st.booleans())
def test_canonical_splitting(size: int, frame_size: int, checksum: bool) -> None:
    """Frames of exactly max_frame_size, the last the remainder; an empty payload is one
    empty frame; an exact multiple gets no extra empty frame."""
    encoder = Encoder(checksum=checksum, max_frame_size=frame_size)
    frames = encoder.encode_frames(Message(0x41, b"z" * size, 5))
    expected_count = max(1, -(-size // frame_size))
    assert len(frames) == expected_count
    trailer = wire.TRAILER_SIZE if checksum else 0
    for index, frame in enumerate(frames):
        _, _, flags, _, length = wire.HEADER.unpack_from(frame)
        last = index == expected_count - 1
        assert flags >> wire.APPLICATION_FLAGS_SHIFT == 5
        assert bool(flags & FLAG_C) == checksum
        assert bool(flags & FLAG_N) == (index > 0)
        assert bool(flags & FLAG_M) == (not last)
        assert len(frame) == HEADER_SIZE + length + trailer
        assert length == (size - index * frame_size if last else frame_size)


def test_a_message_of_empty_frames_holds_no_memory_per_frame() -> None:
    """FW-SEC-1: 100,000 empty continuation frames must not cost a record each."""
    encoder = Encoder(Framing.LENGTH_PREFIXED)
    decoder = Decoder(Framing.LENGTH_PREFIXED)
    decoder.feed(encoder.frame(FLAG_M, 0x40, b"x"))
    empty_frame = encoder.frame(FLAG_N | FLAG_M, 0x40, b"")
    assert len(empty_frame) == HEADER_SIZE  # a real, empty continuation frame
    tracemalloc.start()
    try:
        for _ in range(100_000):
            decoder.feed(empty_frame)
            assert decoder.next_event() is NEED_DATA
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024, f"{peak} bytes held for a 1-byte message"
    decoder.feed(encoder.frame(FLAG_N, 0x40, b"y"))
    assert decoder.next_event() == Message(0x40, b"xy")
