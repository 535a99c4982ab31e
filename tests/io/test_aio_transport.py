"""The asyncio transport on real loopback sockets, and sessions across both transports."""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from helpers.io_peers import (
    DATA,
    FAST,
    error_code_sent,
    frame,
    handshake_bytes,
    raw_connect,
    read_to_eof,
    reset,
)
from helpers.io_peers import (
    async_echo as echo,
)
from helpers.io_peers import (
    echo as blocking_echo,
)
from helpers.polling import wait_until_async
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framewire import Framing, Limits
from framewire.addresses import Address
from framewire.aio import (
    AsyncChannel,
    AsyncServer,
    AsyncStreamingChannel,
    open_connection,
    start_server,
)
from framewire.conformance import wire
from framewire.errors import (
    ErrorCode,
    PeerError,
    RemoteProtocolError,
    TransportError,
)
from framewire.events import Message
from framewire.options import Options
from framewire.sync import connect, serve

pytestmark = pytest.mark.timeout(20)


T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


MESSAGES = [
    Message(DATA, b""),
    Message(0x41, b"hello", 5),
    Message(0xFF, bytes(range(256)) * 9, 15),
]


@pytest.mark.parametrize("checksum", [False, True])
def test_round_trip(address: Address, framing: Framing, checksum: bool) -> None:
    async def scenario() -> list[Message]:
        async with await start_server(
            address, echo, options=Options(framing), deadlines=FAST
        ) as server:
            async with await open_connection(
                server.address, options=Options(framing, limits=Limits(256), checksum=checksum)
            ) as channel:
                for message in MESSAGES:
                    await channel.send(message)
                await channel.close_write()
                received = [message async for message in channel]
            assert server.errors == []
            return received

    assert run(scenario()) == MESSAGES


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads=st.lists(st.binary(max_size=3000), max_size=6), checksum=st.booleans())
def test_any_messages_round_trip(payloads: list[bytes], checksum: bool) -> None:
    messages = [Message(DATA + i, payload, i % 16) for i, payload in enumerate(payloads)]

    async def scenario() -> list[Message]:
        async with (
            await start_server(("127.0.0.1", 0), echo) as server,
            await open_connection(
                server.address, options=Options(limits=Limits(256), checksum=checksum)
            ) as channel,
        ):
            for message in messages:
                await channel.send(message)
            await channel.close_write()
            return [message async for message in channel]

    assert run(scenario()) == messages


def test_blocking_client_and_asyncio_server(address: Address, framing: Framing) -> None:
    async def scenario() -> None:
        async with await start_server(
            address, echo, options=Options(framing), deadlines=FAST
        ) as server:

            def client() -> list[Message]:
                with connect(
                    server.address, options=Options(framing, limits=Limits(256))
                ) as channel:
                    for message in MESSAGES:
                        channel.send(message)
                    started = time.monotonic()
                    round_trip = channel.ping(timeout=2)
                    assert 0 < round_trip <= time.monotonic() - started
                    channel.close_write()
                    return list(channel)

            assert await asyncio.to_thread(client) == MESSAGES
            assert server.errors == []

    run(scenario())


def test_asyncio_client_and_blocking_server(address: Address, framing: Framing) -> None:
    async def client(server_address: Address) -> list[Message]:
        async with await open_connection(
            server_address, options=Options(framing, limits=Limits(256))
        ) as channel:
            for message in MESSAGES:
                await channel.send(message)
            started = time.monotonic()
            round_trip = await channel.ping(timeout=2)
            assert 0 < round_trip <= time.monotonic() - started
            await channel.close_write()
            return [message async for message in channel]

    with serve(address, blocking_echo, options=Options(framing), deadlines=FAST) as server:
        assert run(client(server.address)) == MESSAGES
    assert server.errors == []


def test_peer_reset_mid_frame_is_a_transport_error(framing: Framing) -> None:
    async def scenario() -> None:
        connected = asyncio.Event()

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(handshake_bytes(framing) + frame(framing, 0, DATA, b"x" * 100)[:20])
            await writer.drain()
            await connected.wait()  # the reset must not come before the client's handshake
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()

        raw_server = await asyncio.start_server(handler, "127.0.0.1", 0)
        port = raw_server.sockets[0].getsockname()[1]
        async with raw_server:
            channel = await open_connection(
                ("127.0.0.1", port), options=Options(framing), deadlines=FAST
            )
            connected.set()
            with pytest.raises(TransportError) as caught:
                await channel.recv(timeout=2)
            with pytest.raises(TransportError) as again:
                await channel.recv()
            assert again.value is caught.value  # FW-SES-4: failed for good, by that error
            await channel.close()

    run(scenario())


async def _serve_raw_peer(
    address: Address, framing: Framing, misbehave: bytes, pause: float = 0.0
) -> tuple[bytes, AsyncServer, Message | None]:
    """Run an echo server; a raw peer sends ``misbehave`` after its handshake while a
    well-behaved client keeps talking. Return what the raw peer received."""
    async with (
        await start_server(address, echo, options=Options(framing), deadlines=FAST) as server,
        await open_connection(server.address, options=Options(framing)) as bystander,
    ):

        def raw_peer() -> bytes:
            sock = raw_connect(server.address, framing)
            for index in range(len(misbehave)) if pause else [0]:
                chunk = misbehave[index : index + 1] if pause else misbehave
                try:
                    sock.sendall(chunk)
                except OSError:
                    break
                time.sleep(pause)  # the scenario: a peer that trickles its bytes
            received = read_to_eof(sock)
            sock.close()
            return received

        received = await asyncio.to_thread(raw_peer)
        await bystander.send(Message(DATA, b"unaffected"))
        reply = await bystander.recv(timeout=2)
    return received, server, reply


def test_4_gib_header_is_refused_and_others_go_on(address: Address) -> None:
    framing = Framing.LENGTH_PREFIXED
    received, server, reply = run(
        _serve_raw_peer(address, framing, wire.frame(wire.DATA, length=0xFFFFFFFF))
    )
    assert error_code_sent(received, framing) == ErrorCode.FRAME_TOO_LARGE
    assert reply == Message(DATA, b"unaffected")
    assert [getattr(e, "code", None) for e in server.errors] == [ErrorCode.FRAME_TOO_LARGE]


def test_trickling_peer_hits_the_frame_deadline(framing: Framing) -> None:
    started = time.monotonic()
    received, server, reply = run(
        _serve_raw_peer(
            ("127.0.0.1", 0), framing, frame(framing, 0, DATA, b"z" * 40)[:30], pause=0.05
        )
    )
    assert time.monotonic() - started < 5
    assert error_code_sent(received, framing) == ErrorCode.TIMEOUT
    assert reply == Message(DATA, b"unaffected")
    assert [getattr(e, "code", None) for e in server.errors] == [ErrorCode.TIMEOUT]


def test_reset_by_one_peer_leaves_the_others_alone(address: Address) -> None:
    async def scenario() -> tuple[Message | None, list[BaseException]]:
        async with (
            await start_server(address, echo, deadlines=FAST) as server,
            await open_connection(server.address) as survivor,
        ):
            victim = raw_connect(server.address, Framing.LENGTH_PREFIXED)
            victim.sendall(frame(Framing.LENGTH_PREFIXED, 0, DATA, b"y" * 50)[:12])
            reset(victim)
            await wait_until_async(
                lambda: server.errors, what="the server fails the reset connection"
            )
            await survivor.send(Message(DATA, b"still here"))
            return await survivor.recv(timeout=2), list(server.errors)

    reply, errors = run(scenario())
    assert reply == Message(DATA, b"still here")
    assert [type(error) for error in errors] == [TransportError]


def test_call_timeout_leaves_the_connection_usable() -> None:
    async def scenario() -> Message | None:
        async with (
            await start_server(("127.0.0.1", 0), echo, deadlines=FAST) as server,
            await open_connection(server.address, deadlines=FAST) as channel,
        ):
            with pytest.raises(TimeoutError):
                await channel.recv(timeout=0.05)
            await asyncio.sleep(0.4)  # the scenario: idle longer than the frame deadline
            await channel.send(Message(DATA, b"later"))
            return await channel.recv(timeout=2)

    assert run(scenario()) == Message(DATA, b"later")


def test_error_from_peer_raises_peer_error() -> None:
    async def refuse(channel: AsyncChannel) -> None:
        channel.fail(detail="no thanks")

    async def scenario() -> None:
        async with (
            await start_server(("127.0.0.1", 0), refuse, deadlines=FAST) as server,
            await open_connection(server.address, deadlines=FAST) as channel,
        ):
            with pytest.raises(PeerError) as caught:
                await channel.recv(timeout=2)
        assert caught.value.name == "internal-error"

    run(scenario())


def test_fail_with_a_str_where_the_code_goes_names_the_order() -> None:
    """As on the blocking channel: an old-order call is a TypeError and fails nothing."""

    async def scenario() -> Message | None:
        async with (
            await start_server(("127.0.0.1", 0), echo, deadlines=FAST) as server,
            await open_connection(server.address, deadlines=FAST) as channel,
        ):
            with pytest.raises(TypeError, match=r"fail\(code, detail\)"):
                channel.fail("the database is down")  # type: ignore[arg-type]
            await channel.send(Message(DATA, b"still open"))
            return await channel.recv(timeout=2)

    assert run(scenario()) == Message(DATA, b"still open")


def test_back_pressure_both_ways() -> None:
    """A slow reader: the sender's writes wait (pause_writing) instead of buffering
    without bound, and every message still arrives in order."""
    count, size = 40, 256 * 1024

    async def slow_echo(channel: AsyncChannel) -> None:
        async for message in channel:
            await asyncio.sleep(0.005)  # the scenario: a reader slower than the sender
            await channel.send(message)

    async def scenario() -> int:
        async with (
            await start_server(("127.0.0.1", 0), slow_echo) as server,
            await open_connection(server.address) as channel,
        ):

            async def producer() -> None:
                for index in range(count):
                    await channel.send(Message(DATA, bytes([index]) * size))
                await channel.close_write()

            task = asyncio.create_task(producer())
            received = 0
            async for message in channel:
                assert message.payload == bytes([received]) * size
                received += 1
            await task
            return received

    assert run(scenario()) == count


def test_protocol_error_raised_to_the_client() -> None:
    """Our own detected fault in the asyncio client: ERROR sent, then RemoteProtocolError."""

    async def scenario() -> bytes:
        seen: list[bytes] = []

        async def raw(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(
                handshake_bytes(Framing.LENGTH_PREFIXED)
                + wire.frame(wire.DATA, raw_flags=wire.FLAG_R)
            )
            seen.append(await reader.read(-1))
            writer.close()

        raw_server = await asyncio.start_server(raw, "127.0.0.1", 0)
        async with raw_server:
            port = raw_server.sockets[0].getsockname()[1]
            with pytest.raises(RemoteProtocolError) as caught:  # the bad frame follows the HELLO
                await open_connection(("127.0.0.1", port), deadlines=FAST)
            assert caught.value.code is ErrorCode.RESERVED_FLAG
            await wait_until_async(lambda: seen, what="the raw peer reads to the end")
        return seen[0]

    assert error_code_sent(run(scenario()), Framing.LENGTH_PREFIXED) == ErrorCode.RESERVED_FLAG


def test_streaming_receive_with_no_message_limit(address: Address) -> None:
    """streaming=True: pieces come as `Piece` events and go back out as a stream (FW-LIM-5)."""

    async def streaming_echo(channel: AsyncStreamingChannel) -> None:
        outgoing = None
        while (piece := await channel.recv_piece()) is not None:
            if piece.first:
                outgoing = await channel.start_message(piece.type, piece.flags)
            assert outgoing is not None
            await (outgoing.end if piece.last else outgoing.write)(piece.payload)

    payload = bytes(range(256)) * 2048  # 512 KiB in frames of 256 bytes

    async def scenario() -> Message | None:
        async with (
            await start_server(
                address,
                streaming_echo,
                options=Options(limits=Limits(max_frame_size=256, max_message_size=0)),
                streaming=True,
            ) as server,
            await open_connection(server.address) as channel,
        ):
            assert not hasattr(channel, "recv_piece")  # an AsyncChannel assembles
            await channel.send(Message(DATA, payload, 9))
            reply = await channel.recv(timeout=5)
        assert server.errors == []
        return reply

    assert run(scenario()) == Message(DATA, payload, 9)


def test_silent_peer_hits_the_handshake_deadline() -> None:
    async def scenario() -> bytes:
        async with await start_server(("127.0.0.1", 0), echo, deadlines=FAST) as server:

            def silent_peer() -> bytes:
                sock = raw_connect(server.address, Framing.LENGTH_PREFIXED, send_handshake=False)
                received = read_to_eof(sock)
                sock.close()
                return received

            started = time.monotonic()
            received = await asyncio.to_thread(silent_peer)
            assert 0.4 < time.monotonic() - started < 3
            return received

    assert error_code_sent(run(scenario()), Framing.LENGTH_PREFIXED) == ErrorCode.TIMEOUT
