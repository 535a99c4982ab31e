"""The edges of a connection's life, alike in every transport: a server's shutdown with
idle clients, a send after the connection is lost, a close after a reset, the serial
port's close, the heap trim and the per-connection log (framewire._io.lifecycle drives them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from helpers.io_peers import (
    DATA,
    FAST,
    async_echo,
    check_connection_log,
    echo,
    handshake_bytes,
    raw_connect,
    read_to_eof,
    reset,
)
from helpers.polling import wait_until
from helpers.serial_line import SerialLine

from framewire import Encoder, Framing
from framewire._io import heap
from framewire._io.connlog import LOGGER_NAME
from framewire._io.lifecycle import Ending, Lifecycle
from framewire.addresses import Address
from framewire.aio import open_connection, start_server
from framewire.errors import (
    ErrorCode,
    LocalFailureError,
    PeerError,
    TransportError,
    UsageError,
)
from framewire.events import Message
from framewire.serial import SerialLink
from framewire.sync import connect, serve

pytestmark = pytest.mark.timeout(30)

T = TypeVar("T")

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


@pytest.fixture(params=["asyncio", "uvloop"])
def loop_factory(request: pytest.FixtureRequest) -> LoopFactory:
    """The event loops the asyncio transport runs on: asyncio's own, and uvloop's."""
    if request.param == "asyncio":
        return asyncio.new_event_loop
    uvloop = pytest.importorskip("uvloop")
    factory: LoopFactory = uvloop.new_event_loop
    return factory


def run_on(loop_factory: LoopFactory, coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on a new loop, bounded from inside it (pytest-timeout's signal
    cannot interrupt uvloop while it waits)."""
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(asyncio.wait_for(coroutine, 20))


SHUTDOWN_SLACK = 1.5
"""Seconds a shutdown may overrun its timeout on a loaded machine."""


# -- the state ----------------------------------------------------------------------------


def _flags(life: Lifecycle) -> tuple[bool, bool, bool]:
    return life.can_send, life.usable, life.discarding


def test_lifecycle_decides_how_a_connection_ends() -> None:
    life = Lifecycle()
    assert _flags(life) == (True, True, False)
    assert life.half_closed()
    assert not life.half_closed()  # once
    assert _flags(life) == (False, True, False)
    error = LocalFailureError(ErrorCode.TIMEOUT, "too slow")
    assert life.fail(error) is Ending.LINGER  # flush the ERROR, half-close, linger
    assert life.fail(TransportError("later")) is None
    assert not life.lost(TransportError("after the failure"))
    with pytest.raises(LocalFailureError) as caught:
        life.check()
    assert caught.value is error  # FW-SES-4
    assert Lifecycle().fail(TransportError("reset")) is Ending.CLOSE_NOW
    lost = Lifecycle()
    assert lost.lost(TransportError("reset"))
    assert isinstance(lost.failure, TransportError)
    assert lost.discarding
    ours = Lifecycle()
    assert ours.lingering()
    assert not ours.lost(TransportError("during our own close"))  # not a failure
    with pytest.raises(UsageError, match="closed"):
        ours.check()
    ours.closed()
    assert not ours.lingering()
    assert ours.fail(error) is None


# -- shutdown -------------------------------------------------------------------------


@pytest.mark.serial  # measures how long a shutdown takes
def test_asyncio_shutdown_with_an_idle_client_returns_within_its_timeout(
    loop_factory: LoopFactory,
) -> None:
    """asyncio.Server.wait_closed() waits for every connection since 3.12.1: the server
    must end its connections before it waits on the listener, or an idle client holds
    shutdown for ever."""

    async def scenario() -> float:
        server = await start_server(("127.0.0.1", 0), async_echo, deadlines=FAST)
        client = await open_connection(server.address, deadlines=FAST)
        started = time.monotonic()
        await asyncio.wait_for(server.shutdown(timeout=1.0), 1.0 + 4 * SHUTDOWN_SLACK)
        elapsed = time.monotonic() - started
        with pytest.raises(PeerError, match="internal-error"):  # a cancelled handler (FW-ERR-6)
            await client.recv(timeout=2)
        await client.close()
        return elapsed

    elapsed = run_on(loop_factory, scenario())
    assert 0.9 < elapsed < 1.0 + SHUTDOWN_SLACK


@pytest.mark.serial  # measures how long a shutdown takes
def test_asyncio_shutdown_ends_a_peer_that_never_answers(loop_factory: LoopFactory) -> None:
    """A raw peer that reads nothing and never ends: shutdown still returns, within its
    timeout plus the linger deadline of the cancelled handler."""

    async def scenario() -> tuple[float, bytes]:
        server = await start_server(("127.0.0.1", 0), async_echo, deadlines=FAST)
        sock = await asyncio.to_thread(raw_connect, server.address, Framing.LENGTH_PREFIXED)
        await asyncio.sleep(0.1)  # the handshake is done: the handler waits in recv()
        started = time.monotonic()
        await asyncio.wait_for(server.shutdown(timeout=0.5), 0.5 + 4 * SHUTDOWN_SLACK)
        elapsed = time.monotonic() - started
        received = await asyncio.to_thread(read_to_eof, sock)
        sock.close()
        return elapsed, received

    elapsed, received = run_on(loop_factory, scenario())
    assert elapsed < 0.5 + FAST.linger + SHUTDOWN_SLACK
    assert received.startswith(handshake_bytes(Framing.LENGTH_PREFIXED)[:4])


# -- a send after the connection is lost ------------------------------------------------


@contextlib.contextmanager
def half_close_then_reset_peer() -> Iterator[tuple[Address, Callable[[], None]]]:
    """A raw server peer: handshake, a clean half-close (FW-CLS-2), then a reset. Yields
    its address and the call that says its end was seen: it resets then, and the call
    returns once the reset is done."""
    listener = socket.create_server(("127.0.0.1", 0))
    seen_end = threading.Event()
    reset_done = threading.Event()
    hello = handshake_bytes(Framing.LENGTH_PREFIXED)

    def peer() -> None:
        conn, _ = listener.accept()
        conn.settimeout(5)
        conn.sendall(hello)
        received = b""
        while len(received) < len(hello):
            received += conn.recv(len(hello) - len(received))
        conn.shutdown(socket.SHUT_WR)
        seen_end.wait(5)
        reset(conn)
        reset_done.set()

    def end_seen() -> None:
        seen_end.set()
        assert reset_done.wait(5)

    thread = threading.Thread(target=peer, daemon=True)
    thread.start()
    try:
        host, port = listener.getsockname()
        yield (host, port), end_seen
    finally:
        seen_end.set()
        thread.join(5)
        listener.close()


def test_blocking_send_after_a_clean_end_and_a_reset_raises_transport_error() -> None:
    with half_close_then_reset_peer() as (address, end_seen):
        channel = connect(address, deadlines=FAST)
        assert channel.recv(timeout=5) is None  # the peer's clean end
        end_seen()
        with pytest.raises(TransportError) as caught:
            channel.send(Message(DATA, b"nowhere"))
        with pytest.raises(TransportError) as again:
            channel.send(Message(DATA, b"nowhere"))
        assert again.value is caught.value  # FW-SES-4
        channel.close()


def test_asyncio_send_after_a_clean_end_and_a_reset_raises_transport_error(
    loop_factory: LoopFactory,
) -> None:
    """The asyncio transport saw no failure here: its send returned and the bytes went
    nowhere. Now it raises as the blocking transport does."""

    async def scenario() -> None:
        with half_close_then_reset_peer() as (address, end_seen):
            channel = await open_connection(address, deadlines=FAST)
            assert await channel.recv(timeout=5) is None
            await asyncio.to_thread(end_seen)
            with pytest.raises(TransportError) as caught:
                await channel.send(Message(DATA, b"nowhere"))
            with pytest.raises(TransportError) as again:
                await channel.send(Message(DATA, b"nowhere"))
            assert again.value is caught.value  # FW-SES-4
            await channel.close()

    run_on(loop_factory, scenario())


# -- the half-close after a reset ---------------------------------------------------------


def test_asyncio_close_after_a_clean_end_and_a_reset_does_not_raise(
    loop_factory: LoopFactory,
) -> None:
    """Our half-close meets a connection the peer reset (ENOTCONN): close() still ends
    the channel, as the blocking transport's does, without an OSError."""

    async def scenario() -> None:
        with half_close_then_reset_peer() as (address, end_seen):
            channel = await open_connection(address, deadlines=FAST)
            assert await channel.recv(timeout=5) is None
            await asyncio.to_thread(end_seen)
            await channel.close()

    run_on(loop_factory, scenario())


def test_asyncio_cancelled_block_after_a_reset_stays_cancelled(loop_factory: LoopFactory) -> None:
    """A block cancelled after the peer reset: leaving the channel fails it (FW-ERR-6) on
    a dead connection, and the cancellation is what the task ends with."""

    async def scenario() -> None:
        with half_close_then_reset_peer() as (address, end_seen):
            channel = await open_connection(address, deadlines=FAST)
            waiting = asyncio.Event()

            async def block() -> None:
                async with channel:
                    assert await channel.recv(timeout=5) is None
                    await asyncio.to_thread(end_seen)
                    waiting.set()
                    await asyncio.sleep(30)

            task = asyncio.create_task(block())
            await waiting.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    run_on(loop_factory, scenario())


# -- the serial port's close --------------------------------------------------------------


def _descriptors_on(path: str) -> int:
    """How many of this process's file descriptors are open on ``path``."""
    count = 0
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            # A pty whose other side has gone reads as "PATH (deleted)".
            count += os.readlink(f"/proc/self/fd/{name}").removesuffix(" (deleted)") == path
    return count


def test_serial_close_closes_the_port_when_the_last_write_fails() -> None:
    """With ``answer=True`` the preface waits for the peer; closing before it came writes
    it then, on a port that has hung up. That write fails, and the port is closed all the
    same."""
    with SerialLine() as line:
        port = line.ports[0]
        link = SerialLink.open(port, session=True, answer=True)
        line.close()  # the other end hangs up: every write to the port now fails
        assert _descriptors_on(port) == 1
        link.close()
        assert _descriptors_on(port) == 0


def test_serial_send_after_a_hang_up_raises_the_same_transport_error() -> None:
    with SerialLine() as line, SerialLink.open(line.ports[0]) as link:
        line.close()
        with pytest.raises(TransportError) as caught:
            link.send(Message(DATA, b"nowhere"))
        with pytest.raises(TransportError) as again:
            link.send(Message(DATA, b"nowhere"))
        assert again.value is caught.value  # FW-SES-4, as on a socket


# -- the heap trim is opt-in --------------------------------------------------------------


@pytest.fixture
def trims(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every malloc_trim call from now on, by the name of the thread that made it."""
    calls: list[str] = []

    def record(pad: int) -> int:
        calls.append(threading.current_thread().name)
        return 0

    monkeypatch.setattr(heap, "_MALLOC_TRIM", record)
    return calls


def _one_exchange(address: Address) -> None:
    with connect(address, deadlines=FAST) as channel:
        channel.send(Message(DATA, b"trim"))
        assert channel.recv(timeout=5) == Message(DATA, b"trim")


@pytest.mark.parametrize("trim_heap", [False, True])
def test_blocking_server_trims_the_heap_only_when_asked(trims: list[str], trim_heap: bool) -> None:
    with serve(("127.0.0.1", 0), echo, deadlines=FAST, trim_heap=trim_heap) as server:
        _one_exchange(server.address)
        if trim_heap:
            wait_until(lambda: trims, what="a trim once the last connection ended")
        else:
            time.sleep(0.2)  # the connection's thread has ended by now
    assert bool(trims) is trim_heap


@pytest.mark.parametrize("trim_heap", [False, True])
def test_asyncio_server_trims_the_heap_only_when_asked_and_off_the_loop(
    trims: list[str], trim_heap: bool
) -> None:
    async def scenario() -> None:
        server = await start_server(("127.0.0.1", 0), async_echo, trim_heap=trim_heap)
        async with server:
            await asyncio.to_thread(_one_exchange, server.address)
            await asyncio.sleep(0.2)

    asyncio.run(scenario())
    assert bool(trims) is trim_heap
    assert threading.main_thread().name not in trims  # never on the event loop


# -- one connection log for both servers ---------------------------------------------------


def test_asyncio_server_logs_each_connection_as_the_threaded_one(
    address: Address, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)

    async def scenario() -> None:
        async with await start_server(address, async_echo, deadlines=FAST) as server:
            await asyncio.to_thread(_one_exchange, server.address)

            def bad_preface() -> None:
                with raw_connect(server.address, Framing.DELIMITED, send_handshake=False) as sock:
                    sock.sendall(Encoder.preface(Framing.DELIMITED))
                    read_to_eof(sock)

            await asyncio.to_thread(bad_preface)
            await asyncio.sleep(0.1)

    asyncio.run(scenario())
    check_connection_log(caplog, address)
