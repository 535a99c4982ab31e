"""The receive fast paths give exactly what the general paths give.

The decoder's batched loop (``next_events``), its checksummed fast path, the bounded
read-ahead of ``get_buffer``, the frame deadline under a stream that never pauses at a
frame boundary, and the asyncio ``recv_batch``: each is checked against the plain,
one-event-at-a-time behaviour, on arbitrary input and arbitrary read sizes.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
from helpers.codec import raw_frame
from helpers.io_peers import DATA, handshake_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framewire import Deadlines, Decoder, Encoder, Framing, Limits, Message, RemoteProtocolError
from framewire.aio import AsyncChannel, _protocol_factory, open_connection, start_server
from framewire.conformance import wire
from framewire.conformance.wire import FLAG_M, FLAG_N
from framewire.events import FrameDropped, Piece, Sentinel
from framewire.options import Options
from framewire.sync import Channel

Event = Message | Piece | FrameDropped

SMALL = Limits(max_frame_size=256, max_message_size=600)
"""Limits under which the snapshot window is capped by the largest allowed frame."""

# Frames of every kind the fast paths must take, or must leave to the general path.
frames = st.one_of(
    st.builds(raw_frame, st.integers(0x40, 0xFF), st.binary(max_size=300)),
    st.builds(
        lambda p, f: raw_frame(0x41, p, flags=f << 4, checksum=True),
        st.binary(max_size=300),
        st.integers(0, 15),
    ),
    st.builds(lambda p: raw_frame(0x42, p, flags=0x30), st.binary(max_size=40)),
    st.just(raw_frame(0x03, b"12345678")),  # PING: a control frame ends a batch
    st.just(raw_frame(0x50, b"first", flags=FLAG_M) + raw_frame(0x50, b"last", flags=FLAG_N)),
    st.just(raw_frame(0x40, b"bad crc", checksum=True, crc=0)),
    st.just(raw_frame(0x40, b"bad magic", magic=b"XX")),
    st.just(raw_frame(0x40, length=100_000)),  # too large for SMALL and for the window
)


def _pieces(data: bytes, cuts: list[int]) -> list[tuple[int, int]]:
    """The (start, end) pieces `data` arrives in, cut at `cuts`."""
    pieces = []
    position = 0
    for cut in [*sorted(cuts), len(data)]:
        if cut > position:
            pieces.append((position, cut))
            position = cut
    return pieces


def _one_by_one(limits: Limits, data: bytes, cuts: list[int]) -> tuple[list[Event], str]:
    decoder = Decoder(Framing.LENGTH_PREFIXED, limits, recover=False)
    events: list[Event] = []
    try:
        for start, end in _pieces(data, cuts):
            decoder.feed(data[start:end])
            while not isinstance(event := decoder.next_event(), Sentinel):
                events.append(event)
        decoder.feed_eof()
        while not isinstance(event := decoder.next_event(), Sentinel):
            events.append(event)
    except RemoteProtocolError as error:
        return events, error.name
    return events, "end"


def _batched(limits: Limits, data: bytes, cuts: list[int]) -> tuple[list[Event], str]:
    """The same input through get_buffer() (bounded views) and next_events()."""
    decoder = Decoder(Framing.LENGTH_PREFIXED, limits, recover=False)
    events: list[Event] = []
    try:
        for start, end in _pieces(data, cuts):
            position = start
            while position < end:
                view = decoder.get_buffer(end - position)
                count = min(len(view), end - position)
                view[:count] = data[position : position + count]
                decoder.buffer_updated(count)
                position += count
                while batch := decoder.next_events():  # a control message ends a batch
                    events.extend(batch)
        decoder.feed_eof()
        while batch := decoder.next_events():
            events.extend(batch)
        assert decoder.next_event() is Sentinel.END  # or it raises the error kept for it
    except RemoteProtocolError as error:
        return events, error.name
    return events, "end"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(frames, max_size=12),
    st.lists(st.integers(0, 4000), max_size=6),
    st.sampled_from([Limits(), SMALL]),
)
def test_batched_fast_path_equals_one_by_one(
    receive_loop: str, pieces: list[bytes], cuts: list[int], limits: Limits
) -> None:
    """Same events, same order, same error, however the input is split (spec 4.1)."""
    data = b"".join(pieces)
    cuts = [cut for cut in cuts if cut < len(data)]
    assert _batched(limits, data, cuts) == _one_by_one(limits, data, cuts)


def test_checksummed_stream_delivers_everything_before_a_bad_checksum(receive_loop: str) -> None:
    """FW-CRC-3 on the fast path: the messages before the bad frame come out first, then
    checksum-mismatch, for good (FW-LPF-3)."""
    encoder = Encoder(checksum=True)
    good = [Message(0x40 + index % 3, bytes([index]) * index, index % 16) for index in range(50)]
    data = b"".join(encoder.encode(message) for message in good)
    data += raw_frame(0x40, b"x" * 20, checksum=True, crc=1) + encoder.encode(good[1])
    decoder = Decoder(Framing.LENGTH_PREFIXED, recover=False)
    decoder.feed(data)
    assert decoder.next_events() == good
    with pytest.raises(RemoteProtocolError) as caught:
        decoder.next_events()
    assert (caught.value.name, caught.value.statement) == (
        "checksum-mismatch",
        "FW-CRC-3",
    )
    with pytest.raises(RemoteProtocolError) as again:
        decoder.next_event()
    assert again.value is caught.value


def test_next_event_fast_path_checks_the_checksum() -> None:
    decoder = Decoder(Framing.LENGTH_PREFIXED, recover=False)
    decoder.feed(Encoder(checksum=True).encode(Message(0x40, b"ok", 3)))
    decoder.feed(raw_frame(0x40, b"ok", checksum=True, crc=7))
    assert decoder.next_event() == Message(0x40, b"ok", 3)
    with pytest.raises(RemoteProtocolError, match="checksum-mismatch"):
        decoder.next_event()


@pytest.mark.parametrize("payload", [10, 65536, 3 * 65536, 5 * 65536])
def test_read_ahead_is_bounded_beyond_the_frame(payload: int) -> None:
    """FW-LIM-4: get_buffer() offers the rest of the frame being received plus at most
    256 KiB, whatever the hint, and never reports room it did not give."""
    read_ahead = 256 * 1024
    stream = Encoder(max_frame_size=1 << 20).encode(Message(DATA, b"\x07" * payload)) * 3
    decoder = Decoder(Framing.LENGTH_PREFIXED, Limits(max_frame_size=1 << 20), recover=False)
    received = 0
    messages = 0
    while received < len(stream):
        rest_of_frame = 0
        if decoder.buffered >= wire.HEADER_SIZE:  # the header of the frame being received is in
            frame_start = received - decoder.buffered
            length = wire.HEADER.unpack_from(stream, frame_start)[-1]
            rest_of_frame = wire.HEADER_SIZE + length - decoder.buffered
        view = decoder.get_buffer(1 << 22)
        assert len(view) <= max(rest_of_frame, 0) + read_ahead
        count = min(len(view), len(stream) - received)
        view[:count] = stream[received : received + count]
        decoder.buffer_updated(count)
        received += count
        messages += len(decoder.next_events())
        decoder.next_event()
    assert messages == 3


def _stream_without_boundaries(sock: socket.socket, seconds: float) -> int:
    """Send small frames for `seconds`, every write ending inside a frame: at no read
    is there a frame boundary, yet frames complete all the time. Returns the count."""
    encoder = Encoder()
    frame = encoder.encode(Message(DATA, b"m" * 16))
    block = frame * 200
    sock.sendall(handshake_bytes(Framing.LENGTH_PREFIXED) + frame[:5])
    stop = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < stop:
        sock.sendall(block[5:] + block[:5])  # ends 5 bytes into the next frame
        sent += 200
        time.sleep(0.002)  # the scenario: many writes, each ending inside a frame
    sock.sendall(frame[5:])
    sock.shutdown(socket.SHUT_WR)
    return sent + 1


STREAM_DEADLINES = Deadlines(handshake=2.0, frame=0.3, linger=0.2)


@pytest.mark.timeout(20)
def test_blocking_frame_deadline_bounds_each_frame_not_the_stream() -> None:
    """FW-LIM-6: a continuous stream longer than the frame deadline is not a timeout,
    even when every read ends inside a frame."""
    ours, theirs = socket.socketpair()
    sent: list[int] = []
    sender = threading.Thread(
        target=lambda: sent.append(_stream_without_boundaries(theirs, 1.0)), daemon=True
    )
    with ours, theirs:
        sender.start()
        with Channel(ours, deadlines=STREAM_DEADLINES) as channel:
            received = sum(1 for _ in channel)
        sender.join()
    assert received == sent[0]


@pytest.mark.timeout(20)
def test_asyncio_frame_deadline_bounds_each_frame_not_the_stream() -> None:
    async def scenario() -> tuple[int, int]:
        ours, theirs = socket.socketpair()
        with ours, theirs:
            sender = asyncio.create_task(asyncio.to_thread(_stream_without_boundaries, theirs, 1.0))
            async with await start_server_on_socket(ours) as channel:
                received = sum(len(batch) for batch in await batches(channel))
            sent = await sender
        return received, sent

    received, sent = asyncio.run(scenario())
    assert received == sent


async def start_server_on_socket(sock: socket.socket) -> AsyncChannel:
    """An AsyncChannel over an already connected socket (the socketpair's end), made
    by the protocol factory that open_connection() and start_server() use."""
    loop = asyncio.get_running_loop()
    channels: list[AsyncChannel] = []
    factory = _protocol_factory(AsyncChannel, Message, None, STREAM_DEADLINES, channels.append)
    await loop.connect_accepted_socket(factory, sock)
    return channels[-1]


async def batches(channel: AsyncChannel) -> list[list[Message]]:
    """Every recv_batch() until the peer's end (the empty batch)."""
    result = []
    while batch := await channel.recv_batch(timeout=5):
        result.append(batch)
    return result


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sizes=st.lists(st.integers(0, 3000), max_size=40),
    calls=st.lists(st.booleans(), min_size=1, max_size=60),
)
def test_recv_batch_and_recv_give_the_same_messages_in_order(
    receive_loop: str, sizes: list[int], calls: list[bool]
) -> None:
    """recv_batch() returns what recv() would, in order; any mix of the two."""
    sent = [
        Message(DATA + index % 5, bytes([index % 256]) * size) for index, size in enumerate(sizes)
    ]

    async def source(channel: AsyncChannel) -> None:
        for message in sent:
            await channel.send(message)

    async def scenario() -> list[Message]:
        received: list[Message] = []
        async with (
            await start_server(("127.0.0.1", 0), source) as server,
            await open_connection(server.address) as channel,
        ):
            index = 0
            while True:
                batched = calls[index % len(calls)]
                index += 1
                if batched:
                    batch = await channel.recv_batch(timeout=5)
                    if not batch:
                        break
                    received.extend(batch)
                elif (message := await channel.recv(timeout=5)) is not None:
                    received.append(message)
                else:
                    break
            assert await channel.recv_batch() == []
        return received

    assert asyncio.run(scenario()) == sent


def test_a_streaming_channel_has_no_recv_batch() -> None:
    async def idle(channel: AsyncChannel) -> None:
        await channel.recv()

    async def scenario() -> None:
        async with (
            await start_server(("127.0.0.1", 0), idle) as server,
            await open_connection(
                server.address, options=Options(limits=Limits(max_message_size=0)), streaming=True
            ) as channel,
        ):
            assert not hasattr(channel, "recv_batch")  # it receives with recv_piece()

    asyncio.run(scenario())
