"""The edges of a server's life: descriptors that run out, a thread that cannot start,
peers that never read, the listen backlog.

A server under a lowered ``RLIMIT_NOFILE`` (or unable to start threads) runs in a process
of its own, since the limit is the process's; its clients are real loopback sockets of
the test process.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.io_peers import DATA, handshake_bytes, read_to_eof
from helpers.polling import wait_until, wait_until_async

from framewire import Deadlines, Encoder, Framing, Message
from framewire.aio import AsyncChannel, start_server
from framewire.errors import ErrorCode, LocalFailureError
from framewire.sync import Channel, connect, serve

pytestmark = pytest.mark.timeout(60)

_SERVER_PRELUDE = """
import asyncio, logging, os, resource, sys
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s: %(message)s")
logging.getLogger("framewire.connections").setLevel(logging.WARNING)

def limit_descriptors(spare):
    # RLIMIT_NOFILE bounds descriptor numbers: allow `spare` above the highest in use.
    highest = max(int(fd) for fd in os.listdir("/proc/self/fd"))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 1 + spare, hard))
"""

_SYNC_SERVER = """
from framewire.sync import serve

def echo(channel):
    for message in channel:
        channel.send(message)

with serve(("127.0.0.1", 0), echo) as server:
    limit_descriptors(2)
    print(server.address[1], flush=True)
    sys.stdin.read()
"""

_ASYNC_SERVER = """
from framewire.aio import start_server

async def echo(channel):
    async for message in channel:
        await channel.send(message)

async def main():
    server = await start_server(("127.0.0.1", 0), echo)
    async with server:
        limit_descriptors(2)
        print(server.address[1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main())
"""


_SYNC_SERVER_WITHOUT_THREADS = """
import threading
from framewire.sync import serve

def echo(channel):
    for message in channel:
        channel.send(message)

with serve(("127.0.0.1", 0), echo) as server:
    print(server.address[1], flush=True)
    for line in sys.stdin:  # "stop": no thread can start (a stack of a terabyte); "go"
        threading.stack_size(1 << 40 if line.strip() == "stop" else 0)
        print("done", flush=True)
"""


@contextlib.contextmanager
def _server_process(code: str, log: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    script = textwrap.dedent(_SERVER_PRELUDE) + textwrap.dedent(code)
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    assert process.stdout is not None
    assert process.stdin is not None
    try:
        port = int(process.stdout.readline() or 0)
        assert port, f"the server did not start: {log.read_text()}"
        yield process, port
    finally:
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
        try:
            process.wait(10)
        finally:
            process.kill()
            process.wait()
            process.stdout.close()


def _exchange(port: int) -> bytes:
    with connect(("127.0.0.1", port)) as channel:
        channel.send(Message(DATA, b"after the shortage"))
        reply = channel.recv(timeout=10)
    assert reply is not None
    return reply.payload


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc (Linux)")
@pytest.mark.parametrize("kind", ["threaded", "asyncio"])
def test_server_backs_off_while_descriptors_run_out_then_serves_again(
    kind: str, tmp_path: Path
) -> None:
    """With every descriptor taken, connections wait in the backlog: the accept loop
    waits and retries (a few log lines, not one per spin, and no traceback from the
    threaded server), and once descriptors are free again it serves every one of them."""
    log = tmp_path / "server.log"
    code = _SYNC_SERVER if kind == "threaded" else _ASYNC_SERVER
    framing = Framing.LENGTH_PREFIXED
    opening = handshake_bytes(framing) + Encoder(framing).encode(Message(DATA, b"queued"))
    with _server_process(code, log) as (process, port), contextlib.ExitStack() as clients:
        socks = [
            clients.enter_context(socket.create_connection(("127.0.0.1", port), timeout=30))
            for _ in range(8)  # more than the two spare descriptors
        ]
        for sock in socks:
            sock.sendall(opening)
        wait_until(lambda: "open files" in log.read_text(), what="the server logs the shortage")
        time.sleep(2.0)  # what the server does meanwhile: spin, or wait
        lines = log.read_text().count("\n")
        assert lines <= 10, f"{lines} log lines in 2 s:\n{log.read_text()[:2000]}"
        for sock in socks:  # each clean end frees a descriptor for the next in the queue
            sock.shutdown(socket.SHUT_WR)
        for sock in socks:
            assert b"queued" in read_to_eof(sock, 30)
        assert _exchange(port) == b"after the shortage"
        assert process.poll() is None
    if kind == "threaded":
        assert "Traceback" not in log.read_text(), log.read_text()[:2000]


def test_default_send_deadline_is_the_documented_one() -> None:
    guide = (Path(__file__).resolve().parents[2] / "spec" / "guide" / "limits.md").read_text()
    [row] = [line for line in guide.splitlines() if line.startswith("| `send` |")]
    assert row.split(" | ")[3] == f"{Deadlines().send:g} s"


def test_threaded_server_fails_a_peer_that_never_reads_at_the_send_deadline() -> None:
    """The handler's send() blocks on a peer that reads nothing; the send deadline ends
    it with `timeout`, without an ERROR after what may be part of a frame."""
    deadline = 0.5

    def flood(channel: Channel) -> None:
        while True:
            channel.send(Message(DATA, bytes(65536)))

    with (
        serve(("127.0.0.1", 0), flood, deadlines=Deadlines(send=deadline)) as server,
        socket.socket() as sock,
    ):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(server.address)
        sock.sendall(handshake_bytes(Framing.LENGTH_PREFIXED))
        started = time.monotonic()
        wait_until(lambda: server.errors, what="the connection failed", timeout=20)
        elapsed = time.monotonic() - started
        error = server.errors[0]
    assert isinstance(error, LocalFailureError), repr(error)
    assert error.code is ErrorCode.TIMEOUT
    assert "send deadline" in error.detail
    assert deadline <= elapsed < deadline + 10


def test_asyncio_server_fails_a_peer_that_never_reads_at_the_send_deadline() -> None:
    deadline = 0.5

    async def flood(channel: AsyncChannel) -> None:
        while True:
            await channel.send(Message(DATA, bytes(65536)))

    async def scenario() -> BaseException:
        server = await start_server(("127.0.0.1", 0), flood, deadlines=Deadlines(send=deadline))
        async with server:
            with socket.socket() as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                sock.connect(server.address)
                sock.sendall(handshake_bytes(Framing.LENGTH_PREFIXED))
                await wait_until_async(
                    lambda: server.errors, what="the connection failed", timeout=20
                )
                # The connection is gone, its queued data dropped: the peer sees the end.
                sock.settimeout(20)
                with contextlib.suppress(ConnectionResetError):
                    while sock.recv(1 << 20):
                        pass
        return server.errors[0]

    error = asyncio.run(scenario())
    assert isinstance(error, LocalFailureError), repr(error)
    assert error.code is ErrorCode.TIMEOUT
    assert "send deadline" in error.detail


def test_default_backlog_is_the_systems_largest_as_the_guide_says() -> None:
    somaxconn = Path("/proc/sys/net/core/somaxconn")
    expected = int(somaxconn.read_text()) if somaxconn.exists() else 4096
    for function in (serve, start_server):
        assert inspect.signature(function).parameters["backlog"].default == expected
    guide = (Path(__file__).resolve().parents[2] / "spec" / "guide" / "asyncio.md").read_text()
    assert "`net.core.somaxconn`" in guide
    assert "4096 where it cannot be read" in guide


def test_threaded_server_survives_a_connection_thread_that_cannot_start(tmp_path: Path) -> None:
    """A thread that cannot start (no memory for its stack) costs its connection, not
    the accept loop: once threads can start again, the server serves."""
    log = tmp_path / "server.log"
    with _server_process(_SYNC_SERVER_WITHOUT_THREADS, log) as (process, port):
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write("stop\n")
        process.stdin.flush()
        assert process.stdout.readline() == "done\n"
        with socket.create_connection(("127.0.0.1", port)) as refused:
            assert read_to_eof(refused, 10) == b""  # closed unserved
        process.stdin.write("go\n")
        process.stdin.flush()
        assert process.stdout.readline() == "done\n"
        assert _exchange(port) == b"after the shortage"
    assert "Traceback" not in log.read_text(), log.read_text()[:2000]
