"""Servers under attack, the attacks, and the honest client beside them
(tests/hostile/test_hostile.py).

Each server runs as its own process (the threaded ``framewire echo``, the asyncio server
of tests/helpers/aio_echo_server.py, js/bin/echo-server.js), so that its memory (RSS) and file
descriptors can be read from /proc alone, over a transport of ``TRANSPORTS``: loopback
TCP, a Unix socket, or TLS over loopback TCP with a test PKI made by trustme. Attacks are
raw sockets of the server's transport that misbehave in one way each; they return what
the server answered.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import select
import socket
import ssl
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from framewire import Framing
from framewire._codec import schema
from framewire.addresses import Address, format_address, parse_address
from framewire.conformance import wire
from framewire.events import Message
from framewire.options import Options
from framewire.sync import connect
from helpers.io_peers import error_code_sent, handshake_bytes, read_to_eof
from helpers.js_peers import JS_BIN, NODE
from helpers.polling import wait_until
from helpers.tls_peers import TlsFiles, make_tls_files

SERVER_KINDS = ("threaded", "asyncio", "javascript")
TRANSPORTS = ("tcp", "unix", "tls")
"""What a server listens on: loopback TCP, a Unix socket, TLS over loopback TCP."""
SERVER_DEADLINE = 1.0
"""Seconds of the servers' handshake and frame deadlines: short, so slowloris ends fast."""
WAIT = 20.0
"""Seconds any wait on a server may take (well inside pytest's timeout)."""
STALLED = 3.0
"""Seconds without progress after which a flood counts the server as no longer reading."""
RSS_SLACK_KIB = 10 * 1024
"""How far above its baseline a server's RSS may stay once the attack is over: after a
thousand hostile connections too, hundreds of them open at once."""

_TESTS = Path(__file__).resolve().parent
_LISTENING = re.compile(r"listening (?:on )?(\S+)\n")
"""A server's ready line, whole (a line being written may end mid-address)."""


@dataclass
class RunningServer:
    """A server process under test, with what /proc says about it."""

    kind: str
    framing: Framing
    process: subprocess.Popen[bytes]
    address: Address
    log_path: Path
    tls: TlsFiles | None = None
    """The test PKI, when the server speaks TLS."""

    @property
    def transport(self) -> str:
        """One of TRANSPORTS."""
        return "tls" if self.tls is not None else "unix" if isinstance(self.address, str) else "tcp"

    def client_context(self) -> ssl.SSLContext | None:
        """What a client passes as ``ssl=`` to reach this server (None: no TLS)."""
        return None if self.tls is None else self.tls.client()

    def rss_kib(self) -> int:
        """The server's resident memory, in KiB (Linux /proc)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        assert match is not None
        return int(match.group(1))

    def fd_count(self) -> int:
        """How many file descriptors the server holds open."""
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def log(self) -> str:
        """Everything the server wrote on stdout and stderr so far."""
        return self.log_path.read_text(errors="replace")


def server_command(
    kind: str,
    framing: Framing,
    address: Address,
    *,
    once: bool,
    deadline: float,
    tls: TlsFiles | None = None,
) -> list[str]:
    """The command line that runs a server of ``kind`` on ``address`` (over TLS with the
    certificate of ``tls``), with ``deadline`` seconds for the handshake and each frame."""
    where = format_address(address)
    certificate = [] if tls is None else ["--certfile", str(tls.cert), "--keyfile", str(tls.key)]
    if kind == "threaded":
        command = [sys.executable, "-m", "framewire", "echo", where, "--framing", framing.value]
        tls_args = ["--tls", *certificate] if certificate else []
        return [*command, "--timeout", str(deadline), *(["--once"] if once else []), *tls_args]
    if kind == "asyncio":
        script = str(_TESTS / "aio_echo_server.py")
        command = [sys.executable, script, where, "--framing", framing.value]
        return [*command, "--timeout", str(deadline), *certificate]
    assert NODE is not None
    millis = str(int(deadline * 1000))
    command = [NODE, str(JS_BIN / "echo-server.js"), "--framing", framing.value]
    location = ["--unix", address] if isinstance(address, str) else ["--port", str(address[1])]
    tls_args = ["--tls", *certificate] if certificate else []
    deadlines = ["--handshake-timeout", millis, "--frame-timeout", millis]
    return [*command, *location, *deadlines, *tls_args]


@contextlib.contextmanager
def running_server(
    kind: str,
    framing: Framing,
    log_dir: Path,
    *,
    once: bool = False,
    deadline: float = SERVER_DEADLINE,
    transport: str = "tcp",
) -> Iterator[RunningServer]:
    """Start a server of ``kind`` on a free loopback port, or a Unix socket in ``log_dir``,
    over ``transport``; stop it when the block ends."""
    name = f"{kind}-{framing.value}-{transport}"
    log_path = log_dir / f"{name}.log"
    address: Address = str(log_dir / f"{name}.sock") if transport == "unix" else ("127.0.0.1", 0)
    tls = make_tls_files(log_dir / f"{name}-pki") if transport == "tls" else None
    command = server_command(kind, framing, address, once=once, deadline=deadline, tls=tls)
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        address = _wait_listening(process, log_path)
        yield RunningServer(kind, framing, process, address, log_path, tls)
    finally:
        process.terminate()
        process.wait(WAIT)


def _wait_listening(process: subprocess.Popen[bytes], log_path: Path) -> Address:
    def listening() -> re.Match[str] | None:
        assert process.poll() is None, f"server exited: {log_path.read_text()}"
        return _LISTENING.search(log_path.read_text(errors="replace"))

    match = wait_until(listening, what=f"the server says it listens ({log_path})", timeout=WAIT)
    return parse_address(match.group(1))


# -- the honest client ---------------------------------------------------------------------


def honest_exchange(server: RunningServer, count: int, seed: int) -> int:
    """Send ``count`` random messages (0 to 64 KiB) one by one and check every echoed byte;
    return how many came back intact."""
    rng = random.Random(seed)
    intact = 0
    options = Options(server.framing)
    with connect(server.address, options=options, ssl=server.client_context()) as channel:
        for index in range(count):
            size = rng.choice((0, 1, rng.randrange(64 * 1024 + 1)))
            sent = Message(0x40 + index % 0xC0, rng.randbytes(size), rng.randrange(16))
            channel.send(sent)
            echoed = channel.recv(timeout=WAIT)
            assert echoed == sent, f"message {index} of {size} bytes came back different"
            intact += 1
    return intact


# -- building what attackers send --------------------------------------------------------------


def raw_frame(framing: Framing, header: bytes, payload: bytes = b"") -> bytes:
    """A frame from a hand-made header, faults and all, framed for ``framing``."""
    return wire.on_wire(framing.value, header + payload)


def header(
    frame_type: int,
    length: int,
    *,
    flags: int = 0,
    magic: bytes = wire.MAGIC,
    version: int = wire.VERSION,
) -> bytes:
    """Nine header bytes with any field forced (magic, version, flags, type, length)."""
    return wire.HEADER.pack(magic, version, flags, frame_type, length)


def attack(server: RunningServer, data: bytes, *, then: str = "read") -> bytes:
    """Connect, send ``data``, then read to the end (``read``), half-close and read
    (``half-close``) or reset (``reset``) once the server's preface is in, so that the
    server holds the connection when it ends; return what the server sent."""
    with raw_socket(server) as sock:
        sock.sendall(data)
        if then == "reset":
            received = b""
            while len(received) < schema.PREFACE_SIZE:
                chunk = sock.recv(4096)  # bounded by the socket's timeout (WAIT)
                assert chunk, "the server ended the connection before its preface"
                received += chunk
            reset_on_close(sock)
            return received
        if then == "half-close":
            assert server.tls is None, "Python's ssl cannot half-close and read on"
            sock.shutdown(socket.SHUT_WR)
        return read_to_eof(sock, WAIT)


@contextlib.contextmanager
def raw_socket(
    server: RunningServer, *, receive_buffer: int | None = None
) -> Iterator[socket.socket]:
    """A socket connected to ``server`` over its transport (TLS: handshake done, nothing
    sent); a small ``receive_buffer`` makes a peer that does not read show it to the
    server at once."""
    address = server.address
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as plain:
        if receive_buffer is not None:
            plain.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        plain.settimeout(WAIT)
        deadline = time.monotonic() + WAIT
        while True:
            try:
                plain.connect(address)
                break
            except BlockingIOError:  # a Unix socket's backlog is full: wait for accept()
                assert time.monotonic() < deadline, f"{address} accepted nothing for {WAIT} s"
                time.sleep(0.01)
        context = server.client_context()
        if context is None:
            yield plain
            return
        with context.wrap_socket(plain, server_hostname="localhost") as secured:
            yield secured


def reset_on_close(sock: socket.socket) -> None:
    """Make closing ``sock`` send RST instead of FIN (SO_LINGER 0)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def code_of(answer: bytes, framing: Framing) -> int | None:
    """The code of the ERROR the server sent in ``answer``, if any."""
    return error_code_sent(answer, framing) if len(answer) >= schema.PREFACE_SIZE else None


def flood_unread(server: RunningServer, unit: bytes, total: int) -> int:
    """Send ``unit`` again and again, never reading, until ``total`` bytes are out or the
    server stops taking them (no progress for ``STALLED`` seconds); return the bytes sent."""
    with raw_socket(server, receive_buffer=4096) as sock:
        sock.sendall(handshake_bytes(server.framing))
        sock.setblocking(False)
        chunk = unit * max(1, 65536 // len(unit))
        sent, pending = 0, b""
        progress_at = time.monotonic()
        while sent < total and time.monotonic() - progress_at < STALLED:
            pending = pending or chunk
            try:
                count = sock.send(pending)
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                select.select([], [sock], [], STALLED)  # until the server reads again
                continue
            sent, pending = sent + count, pending[count:]
            progress_at = time.monotonic()
        reset_on_close(sock)
        return sent
