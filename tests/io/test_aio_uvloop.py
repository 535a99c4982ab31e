"""The asyncio transports on uvloop's event loop: an exchange, a clean end, failures.

uvloop implements the event loop (and ``BufferedProtocol``) in its own code, so the
transports' use of ``get_buffer``/``buffer_updated``, timers and flow control is checked
on it too. The dev extra installs uvloop where it exists (CPython, not Windows); elsewhere
these tests are skipped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from helpers.io_peers import DATA, FAST, error_code_sent, frame, raw_connect, read_to_eof

from framewire import Framing
from framewire.addresses import Address
from framewire.aio import AsyncChannel, open_connection, start_server
from framewire.conformance import wire
from framewire.errors import ErrorCode, PeerError
from framewire.events import Message
from framewire.options import Options

uvloop = pytest.importorskip("uvloop")

pytestmark = pytest.mark.timeout(20)

T = TypeVar("T")

MESSAGES = [
    Message(DATA, b""),
    Message(0x41, b"hello", 5),
    Message(0x42, bytes(range(256)) * 1200, 3),  # 300 KiB: several reads, several frames
]


def run_on_uvloop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on a uvloop loop, bounded in time from inside the loop: pytest-timeout's
    signal cannot interrupt uvloop while it waits for events."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(asyncio.wait_for(coroutine, 15))


async def echo(channel: AsyncChannel) -> None:
    assert isinstance(asyncio.get_running_loop(), uvloop.Loop)
    async for message in channel:
        await channel.send(message)


@pytest.mark.parametrize("checksum", [False, True])
def test_exchange_and_clean_end(address: Address, framing: Framing, checksum: bool) -> None:
    async def scenario() -> list[Message]:
        async with await start_server(
            address, echo, options=Options(framing), deadlines=FAST
        ) as server:
            async with await open_connection(
                server.address, options=Options(framing, checksum=checksum)
            ) as channel:
                for message in MESSAGES:
                    await channel.send(message)
                await channel.close_write()
                received = [message async for message in channel]  # ends at the clean end
                assert await channel.recv() is None
            assert server.errors == []
            return received

    assert run_on_uvloop(scenario()) == MESSAGES


def test_batched_receive() -> None:
    async def scenario() -> list[Message]:
        async with (
            await start_server(("127.0.0.1", 0), echo, deadlines=FAST) as server,
            await open_connection(server.address) as channel,
        ):
            sent = [Message(DATA, bytes([n]) * n) for n in range(200)]
            for message in sent:
                await channel.send(message)
            received: list[Message] = []
            while len(received) < len(sent):
                received += await channel.recv_batch()
            return received

    replies = run_on_uvloop(scenario())
    assert replies == [Message(DATA, bytes([n]) * n) for n in range(200)]


def test_oversized_header_fails_that_connection_only() -> None:
    async def scenario() -> tuple[bytes, list[BaseException], Message | None]:
        async with (
            await start_server(("127.0.0.1", 0), echo, deadlines=FAST) as server,
            await open_connection(server.address) as bystander,
        ):

            def raw_peer() -> bytes:
                with raw_connect(server.address, Framing.LENGTH_PREFIXED) as sock:
                    sock.sendall(wire.frame(wire.DATA, length=0xFFFFFFFF))
                    return read_to_eof(sock)

            received = await asyncio.to_thread(raw_peer)
            await bystander.send(Message(DATA, b"unaffected"))
            reply = await bystander.recv(timeout=2)
        return received, server.errors, reply

    received, errors, reply = run_on_uvloop(scenario())
    assert error_code_sent(received, Framing.LENGTH_PREFIXED) == ErrorCode.FRAME_TOO_LARGE
    assert [getattr(error, "code", None) for error in errors] == [ErrorCode.FRAME_TOO_LARGE]
    assert reply == Message(DATA, b"unaffected")


def test_frame_deadline_timer_fires() -> None:
    async def scenario() -> bytes:
        async with await start_server(("127.0.0.1", 0), echo, deadlines=FAST) as server:

            def trickle() -> bytes:
                with raw_connect(server.address, Framing.LENGTH_PREFIXED) as sock:
                    for byte in frame(Framing.LENGTH_PREFIXED, 0, DATA, b"z" * 40)[:30]:
                        try:
                            sock.sendall(bytes([byte]))
                        except OSError:
                            break
                        time.sleep(0.05)  # the scenario: a trickle that outlasts the frame deadline
                    return read_to_eof(sock)

            return await asyncio.to_thread(trickle)

    started = time.monotonic()
    received = run_on_uvloop(scenario())
    assert time.monotonic() - started < 5
    assert error_code_sent(received, Framing.LENGTH_PREFIXED) == ErrorCode.TIMEOUT


def test_error_from_the_peer_raises_peer_error() -> None:
    async def refuse(channel: AsyncChannel) -> None:
        channel.fail(detail="no thanks")

    async def scenario() -> str | None:
        async with (
            await start_server(("127.0.0.1", 0), refuse, deadlines=FAST) as server,
            await open_connection(server.address, deadlines=FAST) as channel,
        ):
            with pytest.raises(PeerError) as caught:
                await channel.recv(timeout=2)
        return caught.value.name

    assert run_on_uvloop(scenario()) == "internal-error"


def test_the_read_ahead_follows_the_reads_whatever_size_uvloop_suggests() -> None:
    """uvloop asks get_buffer() for libuv's fixed suggestion (64 KiB) where asyncio's loop
    passes -1: the room offered must still grow while reads fill it (up to 256 KiB,
    FW-LIM-4), or every read on uvloop is capped at 64 KiB."""
    count, payload = 1000, bytes(4096)
    offered: list[int] = []

    async def handler(channel: AsyncChannel) -> None:
        session = channel._protocol.session
        get_buffer = session.get_buffer

        def recording(sizehint: int = -1) -> memoryview:
            view = get_buffer(sizehint)
            offered.append(len(view))
            return view

        session.get_buffer = recording  # type: ignore[method-assign]
        for _ in range(count):
            assert await channel.recv() == Message(DATA, payload)

    async def scenario() -> None:
        async with (
            await start_server(("127.0.0.1", 0), handler) as server,
            await open_connection(server.address) as client,
        ):
            for _ in range(count):
                await client.send(Message(DATA, payload))

    run_on_uvloop(scenario())
    assert max(offered) > 128 * 1024, sorted(set(offered))[-5:]
