"""The receive buffer's memory follows the traffic (FW-LEN-4, FW-LIM-4, spec 9).

An idle connection holds no buffer; reads that fill the room offered make the next ones
larger, short reads make them smaller; a frame's payload is given room only as fast as it
arrives, so an announced frame that never comes costs nothing; and whatever the sizes of
the reads, the events are those of one whole feed().
"""

from __future__ import annotations

import asyncio
import tracemalloc

import pytest
from helpers.codec import raw_frame
from helpers.io_peers import DATA
from hypothesis import given, settings
from hypothesis import strategies as st

from framewire import Decoder, Encoder, Framing, Limits, Message, UsageError
from framewire._codec.receive_buffer import MAX_READ_AHEAD, MIN_READ_AHEAD, ReceiveBuffer
from framewire.aio import AsyncChannel, open_connection, start_server
from framewire.events import PeerHello, Sentinel
from framewire.options import Options
from framewire.session import Session

MIB = 1024 * 1024
IDLE_BOUND = 8 * 1024
"""The most an idle session may keep for receiving (issue target, spec 9 guidance)."""


def _read(buffer: ReceiveBuffer, available: bytes) -> int:
    """One read, as recv_into() would do it: as much of `available` as the room takes."""
    view = buffer.offer(0, -1)
    count = min(len(view), len(available))
    view[:count] = available[:count]
    buffer.commit(count)
    return len(view)


def test_a_new_buffer_holds_nothing() -> None:
    assert ReceiveBuffer().capacity == 0
    assert Decoder().capacity == 0


def test_read_ahead_grows_on_full_reads_and_shrinks_after_short_ones() -> None:
    buffer = ReceiveBuffer()
    offered = [_read(buffer, b"\x01" * MIB) for _ in range(6)]  # a busy peer: reads fill
    assert offered[0] == MIN_READ_AHEAD
    assert offered == sorted(offered)
    assert offered[-1] == MAX_READ_AHEAD
    buffer.start = buffer.end  # all decoded
    shrinking = [_read(buffer, b"\x01" * 10) for _ in range(20)]  # the peer slows down
    buffer.start = buffer.end
    assert shrinking[-1] == MIN_READ_AHEAD
    assert shrinking == sorted(shrinking, reverse=True)


def test_an_empty_buffer_is_kept_while_reads_fill_and_released_when_they_do_not() -> None:
    buffer = ReceiveBuffer()
    offered = _read(buffer, b"\x01" * MIB)
    buffer.start = buffer.end
    buffer.settle()
    assert buffer.capacity == offered == MIN_READ_AHEAD  # the read filled its room: more comes
    _read(buffer, b"\x01" * 10)
    buffer.start = buffer.end
    buffer.settle()
    assert buffer.capacity == 0  # the peer had nothing more: give the memory back


def test_commit_beyond_the_room_offered_is_refused() -> None:
    buffer = ReceiveBuffer()
    view = buffer.offer(0, 100)
    with pytest.raises(UsageError, match="beyond the buffer"):
        buffer.commit(len(view) + 1)


@pytest.mark.parametrize("announced", [MIB, 2**30])
def test_an_announced_frame_that_stalls_costs_what_arrived(announced: int) -> None:
    """The header of a large allowed frame and 1 KiB of it, then nothing: the decoder
    allocates room in proportion to what arrived, never to what was announced."""
    decoder = Decoder(Framing.LENGTH_PREFIXED, Limits(2**30, 0), assemble=False)
    stalled = raw_frame(DATA, length=announced)[:9] + b"\x00" * 1024
    tracemalloc.start()
    try:
        view = decoder.get_buffer(-1)
        view[: len(stalled)] = stalled
        decoder.buffer_updated(len(stalled))
        assert decoder.next_event() is Sentinel.NEED_DATA
        for _ in range(3):  # the transport keeps offering room; nothing comes
            decoder.get_buffer(-1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert decoder.capacity <= 4 * (len(stalled) + MIN_READ_AHEAD)
    assert peak < 64 * 1024


def _receive_in_reads(session: Session, stream: bytes) -> list[object]:
    """Receive `stream` through get_buffer()/buffer_updated(), reads as large as offered
    (a peer that keeps the socket full), decoding after each read as a transport does."""
    events: list[object] = []
    position = 0
    while position < len(stream):
        view = session.get_buffer(-1)
        count = min(len(view), len(stream) - position)
        view[:count] = stream[position : position + count]
        session.buffer_updated(count)
        position += count
        while batch := session.next_events():
            events.extend(batch)
        assert session.next_event() is Sentinel.NEED_DATA
    return events


def test_after_a_burst_of_1_mib_messages_an_idle_session_holds_at_most_8_kib() -> None:
    limits = Limits(max_frame_size=MIB, max_message_size=16 * MIB)
    sender = Session(Options(limits=limits))
    receiver = Session(Options(limits=limits))
    receiver.receive_data(sender.data_to_send())
    sender.receive_data(receiver.data_to_send())
    announced = PeerHello(max_frame_size=MIB, max_message_size=16 * MIB)
    assert receiver.next_events() == [announced]
    assert sender.next_event() == announced
    payloads = [bytes([n]) * MIB for n in range(8)]
    for payload in payloads:
        sender.send(Message(DATA, payload))
    events = _receive_in_reads(receiver, sender.data_to_send())
    assert [event.payload for event in events if isinstance(event, Message)] == payloads
    assert receiver.receive_capacity <= IDLE_BOUND


@settings(max_examples=60, deadline=None)
@given(
    payloads=st.lists(st.binary(max_size=3000), max_size=20),
    reads=st.lists(st.integers(1, 5000), min_size=1, max_size=40),
)
def test_any_read_sizes_give_the_events_of_one_feed(
    payloads: list[bytes], reads: list[int]
) -> None:
    stream = b"".join(Encoder(max_frame_size=1024).encode(Message(DATA, p)) for p in payloads)
    whole = Decoder()
    whole.feed(stream)
    whole.feed_eof()
    expected = list(whole.events())
    decoder = Decoder()
    received: list[object] = []
    position = 0
    turn = 0
    while position < len(stream):
        view = decoder.get_buffer(reads[turn % len(reads)])
        turn += 1
        count = min(len(view), len(stream) - position, reads[turn % len(reads)])
        view[:count] = stream[position : position + count]
        decoder.buffer_updated(count)
        position += count
        received.extend(decoder.next_events())
    decoder.feed_eof()
    received.extend(decoder.events())
    assert received == expected
    assert decoder.capacity == 0  # ended: nothing held


def test_idle_asyncio_connections_hold_no_receive_buffer_after_a_burst() -> None:
    """Over real loopback sockets: a server that has received a burst of 1 MiB
    messages, then nothing, keeps no receive buffer for the idle connection."""
    limits = Limits(max_frame_size=MIB, max_message_size=16 * MIB)
    capacities: list[int] = []

    async def scenario() -> None:
        received = asyncio.Event()
        idle = asyncio.Event()

        async def handler(channel: AsyncChannel) -> None:
            for n in range(8):
                assert await channel.recv() == Message(DATA, bytes([n]) * MIB)
            received.set()
            await idle.wait()
            capacities.append(channel._protocol.session.receive_capacity)

        async with await start_server(
            ("127.0.0.1", 0), handler, options=Options(limits=limits)
        ) as server:
            client = await open_connection(server.address, options=Options(limits=limits))
            for n in range(8):
                await client.send(Message(DATA, bytes([n]) * MIB))
            await asyncio.wait_for(received.wait(), 30)
            idle.set()
            await client.close()

    asyncio.run(scenario())
    assert len(capacities) == 1
    assert capacities[0] <= IDLE_BOUND
