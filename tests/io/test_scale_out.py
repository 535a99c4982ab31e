"""Servers that scale out: the socket options of ``asyncio.start_server`` on both servers,
``framewire echo --workers N`` on one port with SO_REUSEPORT, and a shutdown that lets an
exchange under way finish."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.io_peers import DATA, async_echo, echo
from helpers.polling import wait_until

from framewire import Message
from framewire.addresses import Address
from framewire.aio import AsyncChannel, open_connection, start_server
from framewire.errors import TransportError, UsageError
from framewire.sync import connect, serve

pytestmark = pytest.mark.timeout(60)


def _listeners_on(port: int) -> int:
    """Sockets in LISTEN state on `port` (IPv4), from the kernel's own table."""
    with Path("/proc/net/tcp").open() as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return sum(1 for row in rows if row[1].endswith(f":{port:04X}") and row[3] == "0A")


def _tcp(address: Address) -> tuple[str, int]:
    assert not isinstance(address, str)
    return address


def _exchange(address: Address) -> bytes:
    with connect(address) as channel:
        channel.send(Message(DATA, b"scale"))
        reply = channel.recv(timeout=5)
    assert reply is not None
    return reply.payload


def test_blocking_servers_share_a_port_with_reuse_port() -> None:
    first = serve(("127.0.0.1", 0), echo, reuse_port=True)
    with first, serve(first.address, echo, reuse_port=True) as second:
        assert second.address == first.address
        assert _listeners_on(_tcp(first.address)[1]) == 2
        assert {_exchange(first.address) for _ in range(8)} == {b"scale"}


def test_without_reuse_port_a_second_server_cannot_take_the_port() -> None:
    with (
        serve(("127.0.0.1", 0), echo, reuse_port=True) as first,
        pytest.raises(TransportError, match=r"listening on 127\.0\.0\.1"),
    ):
        serve(first.address, echo)


def test_blocking_server_on_a_socket_already_bound() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    with serve(None, echo, sock=sock, backlog=5) as server:
        assert server.address == sock.getsockname()
        assert _exchange(server.address) == b"scale"


def test_an_address_and_a_socket_together_are_refused() -> None:
    with socket.socket() as sock, pytest.raises(UsageError, match="either"):
        serve(("127.0.0.1", 0), echo, sock=sock)


def test_asyncio_servers_share_a_port_and_take_a_bound_socket() -> None:
    async def scenario() -> None:
        first = await start_server(("127.0.0.1", 0), async_echo, reuse_port=True, backlog=10)
        second = await start_server(first.address, async_echo, reuse_port=True)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        third = await start_server(None, async_echo, sock=sock)
        async with first, second, third:
            assert _listeners_on(_tcp(first.address)[1]) == 2
            for address in (first.address, third.address):
                client = await open_connection(address)
                await client.send(Message(DATA, b"async"))
                reply = await client.recv(timeout=5)
                await client.close()
                assert reply == Message(DATA, b"async")

    asyncio.run(scenario())


def test_asyncio_shutdown_lets_an_exchange_under_way_finish() -> None:
    """shutdown(timeout) stops accepting, then waits for the handlers still running: a
    reply the handler is about to send still arrives."""

    async def scenario() -> None:
        started = asyncio.Event()

        async def slowecho(channel: AsyncChannel) -> None:
            message = await channel.recv()
            assert message is not None
            started.set()
            await asyncio.sleep(0.3)  # the application's own work, during the shutdown
            await channel.send(message)

        server = await start_server(("127.0.0.1", 0), slowecho)
        address = server.address
        client = await open_connection(address)
        await client.send(Message(DATA, b"in flight"))
        await started.wait()
        shutdown = asyncio.create_task(server.shutdown(timeout=5))
        reply = await client.recv(timeout=5)
        assert reply == Message(DATA, b"in flight")
        assert await client.recv(timeout=5) is None  # then the server's clean end
        await client.close()
        await shutdown
        with pytest.raises(TransportError, match="while connecting"):
            await open_connection(address)  # no longer accepting

    asyncio.run(scenario())


def testecho_workers_share_one_port_and_end_together() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "framewire", "echo", "127.0.0.1:0", "--workers", "2"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    assert process.stderr is not None
    try:
        line = process.stderr.readline().decode()
        assert line.endswith("(2 workers)\n"), line
        port = int(line.split()[2].rsplit(":", 1)[1])
        wait_until(lambda: _listeners_on(port) >= 2, what="both workers listen", timeout=10)
        assert _listeners_on(port) == 2
        assert {_exchange(("127.0.0.1", port)) for _ in range(10)} == {b"scale"}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0  # a clean stop, as without --workers
        assert _listeners_on(port) == 0
    finally:
        process.kill()
        process.wait()
        process.stderr.close()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["unix:never.sock", "--workers", "2"], "TCP address"),
        (["127.0.0.1:0", "--workers", "2", "--once"], "--once"),
        (["127.0.0.1:0", "--workers", "0"], "at least 1"),
    ],
)
def test_workers_usage_errors(arguments: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "framewire", "echo", *arguments],
        capture_output=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr.decode()
