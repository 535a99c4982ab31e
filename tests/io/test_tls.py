"""Framewire over TLS (spec section 12) on real loopback sockets with real certificates.

Each scenario runs on both transports: ``sync`` (blocking) and ``aio`` (asyncio, over the
project's own TLS layer). The certificates come from ``trustme``, made at test time.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.io_peers import (
    DATA,
    FAST,
    async_echo,
    error_code_sent,
    frame,
    handshake_bytes,
    raw_connect,
)
from helpers.polling import wait_until, wait_until_async
from helpers.tls_peers import (
    TlsFiles,
    end_without_close_notify,
    raw_tls_connect,
    read_tls_to_end,
)

from framewire import Deadlines, Framing, aio, sync
from framewire._codec import schema
from framewire._io import tls_aio
from framewire.addresses import Address
from framewire.conformance import wire
from framewire.errors import (
    ErrorCode,
    RemoteProtocolError,
    TlsError,
    TlsTruncationError,
    UsageError,
)
from framewire.events import Message
from framewire.options import Options
from framewire.tls import ALPN_PROTOCOL, TlsLayer, check_alpn

pytestmark = pytest.mark.timeout(30)

MESSAGES = [Message(DATA, b""), Message(0x41, b"hello", 5), Message(0xFF, bytes(200_000), 15)]
WAIT = 5.0


@pytest.fixture(params=["sync", "aio"])
def transport(request: pytest.FixtureRequest) -> str:
    """The transport under test."""
    result: str = request.param
    return result


# -- running a server and a client on either transport ------------------------------


class Received:
    """What a server's handler received, and what ended its connections."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.errors: list[BaseException] = []


SyncHandler = Callable[[sync.Channel], None]


@pytest.fixture
def tls_server(
    transport: str, tls_files: TlsFiles, address: Address, framing: Framing
) -> Iterator[Callable[..., Address]]:
    """Start a TLS server on the transport under test; yields a starter that takes the
    blocking handler (the asyncio server runs the same logic, awaited)."""
    stops: list[Callable[[], None]] = []

    def start(handler: str, received: Received, deadlines: Deadlines | None = None) -> Address:
        if transport == "sync":
            server = sync.serve(
                address,
                SYNC_HANDLERS[handler](received),
                options=Options(framing),
                ssl=tls_files.server(),
                deadlines=deadlines,
            )
            received.errors = server.errors
            stops.append(server.shutdown)
            return server.address
        return _start_aio_server(
            address,
            handler,
            received,
            framing=framing,
            files=tls_files,
            deadlines=deadlines,
            stops=stops,
        )

    yield start
    for stop in stops:
        stop()


def _echo_after_end(received: Received) -> SyncHandler:
    def handle(channel: sync.Channel) -> None:
        received.messages.extend(channel)  # to the client's close_notify (FW-TLS-6)
        for message in received.messages:  # then answer: our direction is open
            channel.send(message)

    return handle


def _end_first(received: Received) -> SyncHandler:
    def handle(channel: sync.Channel) -> None:
        channel.send(Message(DATA, b"first"))
        channel.close_write()  # close_notify (FW-TLS-5), reading goes on
        received.messages.extend(channel)

    return handle


SYNC_HANDLERS: dict[str, Callable[[Received], SyncHandler]] = {
    "echo-after-end": _echo_after_end,
    "end-first": _end_first,
}


async def _aio_echo_after_end(channel: aio.AsyncChannel, received: Received) -> None:
    received.messages.extend([message async for message in channel])
    for message in received.messages:
        await channel.send(message)


async def _aio_end_first(channel: aio.AsyncChannel, received: Received) -> None:
    await channel.send(Message(DATA, b"first"))
    await channel.close_write()
    received.messages.extend([message async for message in channel])


AIO_HANDLERS = {"echo-after-end": _aio_echo_after_end, "end-first": _aio_end_first}


def _start_aio_server(
    address: Address,
    handler: str,
    received: Received,
    *,
    framing: Framing,
    files: TlsFiles,
    deadlines: Deadlines | None,
    stops: list[Callable[[], None]],
) -> Address:
    """Run an asyncio TLS server in a thread of its own; return its address."""
    ready: list[aio.AsyncServer] = []
    started = threading.Event()
    loop = asyncio.new_event_loop()

    async def handle(channel: aio.AsyncChannel) -> None:
        await AIO_HANDLERS[handler](channel, received)

    async def begin() -> None:
        server = await aio.start_server(
            address, handle, options=Options(framing), ssl=files.server(), deadlines=deadlines
        )
        received.errors = server.errors
        ready.append(server)
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(begin(), loop).result(WAIT)
    assert started.wait(WAIT)

    def stop() -> None:
        asyncio.run_coroutine_threadsafe(ready[0].shutdown(), loop).result(WAIT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(WAIT)
        loop.run_until_complete(asyncio.sleep(0))  # callbacks that close the last sockets
        loop.close()

    stops.append(stop)
    return ready[0].address


def wait_for_errors(received: Received) -> list[BaseException]:
    """The server's connection errors, once there is one."""
    return list(wait_until(lambda: received.errors, what="the server fails the connection"))


def client_exchange(
    transport: str,
    address: Address,
    framing: Framing,
    context: ssl.SSLContext,
    script: str,
    *,
    server_hostname: str = "localhost",
) -> list[Message]:
    """Connect over TLS and run ``script``: "send-then-end" sends MESSAGES, half-closes
    and reads to the server's end; "read-then-send" reads to the server's end, then sends
    one message and ends. Returns what was received."""
    if transport == "sync":
        with sync.connect(
            address, options=Options(framing), ssl=context, server_hostname=server_hostname
        ) as channel:
            if script == "send-then-end":
                for message in MESSAGES:
                    channel.send(message)
                channel.close_write()
                return list(channel)
            received = list(channel)
            channel.send(Message(DATA, b"after"))
            return received

    async def scenario() -> list[Message]:
        async with await aio.open_connection(
            address, options=Options(framing), ssl=context, server_hostname=server_hostname
        ) as channel:
            if script == "send-then-end":
                for message in MESSAGES:
                    await channel.send(message)
                await channel.close_write()
                return [message async for message in channel]
            received = [message async for message in channel]
            await channel.send(Message(DATA, b"after"))
            return received

    return asyncio.run(scenario())


# -- exchanges and the clean end ---------------------------------------------------------


def test_exchange_and_clean_end_client_first(
    transport: str, tls_server: Callable[..., Address], tls_files: TlsFiles, framing: Framing
) -> None:
    """The client half-closes with close_notify; the server still answers (FW-CLS-3)."""
    received = Received()
    address = tls_server("echo-after-end", received)
    replies = client_exchange(transport, address, framing, tls_files.client(), "send-then-end")
    assert replies == MESSAGES
    assert received.messages == MESSAGES
    assert received.errors == []


def test_clean_end_server_first(
    transport: str, tls_server: Callable[..., Address], tls_files: TlsFiles, framing: Framing
) -> None:
    """The server half-closes first; the client reads to it, then sends and ends."""
    received = Received()
    address = tls_server("end-first", received)
    replies = client_exchange(transport, address, framing, tls_files.client(), "read-then-send")
    assert replies == [Message(DATA, b"first")]
    wait_until(lambda: received.messages, what="the server receives the client's message")
    assert received.messages == [Message(DATA, b"after")]
    assert received.errors == []


def test_server_selects_the_framewire_alpn_id(
    tls_server: Callable[..., Address], tls_files: TlsFiles, framing: Framing
) -> None:
    address = tls_server("echo-after-end", Received())
    with raw_tls_connect(address, tls_files, framing, alpn=[ALPN_PROTOCOL, "h2"]) as sock:
        assert sock.selected_alpn_protocol() == ALPN_PROTOCOL  # FW-TLS-3


# -- truncation: the TCP stream ends without close_notify (FW-TLS-7) ---------------------


def test_server_reports_a_truncated_client(
    tls_server: Callable[..., Address], tls_files: TlsFiles, framing: Framing
) -> None:
    received = Received()
    address = tls_server("echo-after-end", received)
    with raw_tls_connect(address, tls_files, framing) as sock:
        sock.sendall(frame(framing, 0, DATA, b"kept"))
        end_without_close_notify(sock)  # at a frame boundary: over TCP, a clean end
        [error] = wait_for_errors(received)
    assert isinstance(error, TlsTruncationError), error  # not the clean end TCP would give


def test_client_reports_a_truncated_server(
    transport: str, tls_files: TlsFiles, framing: Framing
) -> None:
    listener = socket.create_server(("127.0.0.1", 0))

    def truncating_server() -> None:
        plain, _ = listener.accept()
        with tls_files.server().wrap_socket(plain, server_side=True) as sock:
            sock.sendall(handshake_bytes(framing) + frame(framing, 0, DATA, b"kept"))
            end_without_close_notify(sock)
            read_tls_to_end(sock)

    thread = threading.Thread(target=truncating_server, daemon=True)
    thread.start()
    address = listener.getsockname()
    try:
        with pytest.raises(TlsTruncationError, match="without close_notify"):
            client_exchange(transport, address, framing, tls_files.client(), "read-then-send")
    finally:
        thread.join(WAIT)
        listener.close()


# -- bad set-ups: one clear error -------------------------------------------------------


def test_untrusted_certificate(
    transport: str, tls_server: Callable[..., Address], tls_files: TlsFiles, framing: Framing
) -> None:
    received = Received()
    address = tls_server("echo-after-end", received)
    untrusting = tls_files.client(ca=tls_files.other_ca)
    with pytest.raises(TlsError, match="certificate was rejected: unable to get local issuer"):
        client_exchange(transport, address, framing, untrusting, "send-then-end")
    [error] = wait_for_errors(received)
    assert type(error) is TlsError  # not its truncation subclass, nor a protocol error
    assert "unknown ca" in str(error)


def test_hostname_mismatch(
    transport: str, tls_server: Callable[..., Address], tls_files: TlsFiles, framing: Framing
) -> None:
    address = tls_server("echo-after-end", Received())
    with pytest.raises(TlsError, match=r"Hostname mismatch.*'example\.org'"):
        client_exchange(
            transport,
            address,
            framing,
            tls_files.client(),
            "send-then-end",
            server_hostname="example.org",
        )


def test_plain_client_on_a_tls_server(tls_server: Callable[..., Address], framing: Framing) -> None:
    received = Received()
    address = tls_server("echo-after-end", received)
    # A plain client's preface and HELLO: the TLS server ends the connection without a
    # byte, which is a handshake cut short (FW-PRE-3). The channel sends them, once: a
    # second handshake written after the server had closed failed with EPIPE instead.
    plain = raw_connect(address, framing, send_handshake=False)
    with plain as sock, pytest.raises(RemoteProtocolError) as caught:
        sync.Channel(sock, Options(framing), deadlines=FAST).handshake()
    assert caught.value.code is ErrorCode.HANDSHAKE_INCOMPLETE
    [error] = wait_for_errors(received)
    assert type(error) is TlsError  # not its truncation subclass, nor a protocol error
    assert "does not speak TLS" in str(error)


def test_tls_client_on_a_plain_server(
    transport: str, tls_files: TlsFiles, address: Address, framing: Framing
) -> None:
    with (
        sync.serve(
            address, lambda channel: None, options=Options(framing), deadlines=FAST
        ) as server,
        pytest.raises(TlsError, match="does not speak TLS"),
    ):
        client_exchange(transport, server.address, framing, tls_files.client(), "x")


def test_context_allowing_tls_1_1_is_refused(tls_files: TlsFiles) -> None:
    context = tls_files.client()
    with pytest.warns(DeprecationWarning, match="TLSv1_1"):
        context.minimum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises(UsageError, match="FW-TLS-1"):
        sync.connect(("127.0.0.1", 1), ssl=context)


def test_unix_socket_needs_a_server_hostname(tls_files: TlsFiles, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="server_hostname"):
        sync.connect(str(tmp_path / "none.sock"), ssl=tls_files.client())


def test_a_different_alpn_choice_is_refused() -> None:
    check_alpn(None)  # no ALPN from the server: the preface still guards (FW-TLS-4)
    check_alpn(ALPN_PROTOCOL)
    with pytest.raises(TlsError, match="'h2'"):
        check_alpn("h2")


# -- hostile peers over TLS ---------------------------------------------------------------


def test_4_gib_header_over_tls_gets_frame_too_large_and_close_notify(
    tls_server: Callable[..., Address], tls_files: TlsFiles, framing: Framing
) -> None:
    if framing is not Framing.LENGTH_PREFIXED:
        pytest.skip("a length field is a length-prefixed frame's")
    address = tls_server("echo-after-end", Received())
    with raw_tls_connect(address, tls_files, framing) as sock:
        sock.sendall(wire.frame(wire.DATA, length=0xFFFFFFFF))
        stream, clean = read_tls_to_end(sock)
    assert error_code_sent(stream, framing) == ErrorCode.FRAME_TOO_LARGE
    assert clean  # the ERROR, then close_notify: the end is a clean one (FW-TLS-8)


def test_stall_mid_frame_over_tls_hits_the_frame_deadline(
    tls_server: Callable[..., Address], tls_files: TlsFiles, framing: Framing
) -> None:
    address = tls_server("echo-after-end", Received(), FAST)
    with raw_tls_connect(address, tls_files, framing) as sock:
        sock.sendall(frame(framing, 0, DATA, b"never finished")[:5])
        started = time.monotonic()
        stream, clean = read_tls_to_end(sock)
    assert error_code_sent(stream, framing) == ErrorCode.TIMEOUT
    assert clean
    assert time.monotonic() - started < WAIT


def test_asyncio_over_tls_on_uvloop(tls_files: TlsFiles, framing: Framing) -> None:
    """uvloop's transports do not derive from asyncio.Transport; TLS runs on them too."""
    uvloop = pytest.importorskip("uvloop")

    async def scenario() -> list[Message]:
        server_tls = tls_files.server()
        async with (
            await aio.start_server(
                ("127.0.0.1", 0), async_echo, options=Options(framing), ssl=server_tls
            ) as server,
            await aio.open_connection(
                server.address, options=Options(framing), ssl=tls_files.client()
            ) as channel,
        ):
            for message in MESSAGES:
                await channel.send(message)
            await channel.close_write()
            return [message async for message in channel]

    assert uvloop.run(scenario()) == MESSAGES


def test_asyncio_tls_connection_is_freed_when_it_ends_without_the_garbage_collector(
    tls_files: TlsFiles, framing: Framing
) -> None:
    """An ended connection's TLS state (its SSLObject, buffers, ciphertext buffer) goes
    when the connection ends, not at a later collection of reference cycles: a server
    that has served a burst of connections must not hold all of them until then."""

    def live_shims() -> int:
        return sum(isinstance(o, (tls_aio.TlsShim, TlsLayer)) for o in gc.get_objects())

    def stalled_then_gone(address: Address) -> None:
        """A frame never finished: the server's ERROR and close_notify, then our end
        without close_notify, which the server reads as it lingers."""
        with raw_tls_connect(address, tls_files, framing) as sock:
            sock.sendall(frame(framing, 0, DATA, b"never finished")[:5])
            read_tls_to_end(sock)

    async def clients(address: Address) -> None:
        assert not isinstance(address, str)
        host, port = address
        context = tls_files.client()
        faulty = frame(framing, schema.FLAG_R, DATA, b"")  # a reserved flag: an ERROR
        for opening in (handshake_bytes(framing), handshake_bytes(framing) + faulty, b""):
            reader, writer = await asyncio.open_connection(
                host, port, ssl=context, server_hostname="localhost"
            )
            writer.write(opening)
            await reader.read(schema.PREFACE_SIZE)
            writer.close()
        reader, writer = await asyncio.open_connection(
            host, port, ssl=context, server_hostname="localhost"
        )
        writer.write(handshake_bytes(framing))
        await reader.read(schema.PREFACE_SIZE)
        writer.get_extra_info("socket").shutdown(socket.SHUT_WR)  # a truncation (FW-TLS-7)
        with contextlib.suppress(ssl.SSLError):
            await reader.read()
        writer.close()
        await asyncio.to_thread(stalled_then_gone, address)
        reader, writer = await asyncio.open_connection(host, port)  # no TLS at all
        writer.write(b"not a TLS record" * 8)
        await reader.read()
        writer.close()

    async def scenario() -> None:
        async with await aio.start_server(
            ("127.0.0.1", 0), async_echo, options=Options(framing), ssl=tls_files.server(),
            deadlines=FAST,
        ) as server:  # fmt: skip
            await clients(server.address)
            await wait_until_async(lambda: live_shims() == 0, what="no TlsShim left")

    gc.collect()
    gc.disable()
    try:
        asyncio.run(scenario())
    finally:
        gc.enable()


def test_tls_layer_is_freed_when_a_truncated_connection_ends(
    tls_server: Callable[..., Address], tls_files: TlsFiles, framing: Framing
) -> None:
    """The failure a TLS layer keeps for its next read refers to the layer through its
    traceback: once the connection is gone, nothing may keep that cycle, with the
    session and buffers in it, for the garbage collector to find later."""
    address = tls_server("echo-after-end", Received(), FAST)
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            with raw_tls_connect(address, tls_files, framing) as sock:
                sock.sendall(frame(framing, 0, DATA, b"never finished")[:5])
                read_tls_to_end(sock)  # ERROR and close_notify; then our end, truncated
        wait_until(
            lambda: not any(isinstance(o, TlsLayer) for o in gc.get_objects()),
            what="no TlsLayer left",
        )
    finally:
        gc.enable()
