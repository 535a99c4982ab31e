"""Memory per idle connection and connection bring-up time: Framewire servers against bare ones.

Run: ``python python/benchmarks/scale.py [--quick] [-n N] [--repeats R] [--servers A,B]``
(``make bench`` runs ``--quick``). A script, not a test: it prints a table and the ratios
the project's targets are stated in.

What is measured. Each server runs in its own process, listening on 127.0.0.1; one client
driver (another process, asyncio over raw non-blocking sockets, the same code for every
server) opens N connections, at most ``--concurrency`` of them being set up at a time.
Each connection sends a Framewire preface, a HELLO and one 100-byte data message, and
reads until the echo of that message has arrived (a Framewire server answers with its own
preface and HELLO first; a bare echo server returns the client's bytes, which parse the
same way), then stays open and idle. Per server:

* *bring-up*: the time from the first connect to the N-th echo received;
* *RSS per idle connection*: the server's ``VmRSS`` (``/proc/PID/status``) once all N
  are idle, minus its ``VmRSS`` before the first of them connected, divided by N. That
  baseline is taken after a warm-up (some connections brought up and closed again), once
  the server's RSS has stopped moving, so that code loaded on first use is not counted.

Servers: ``bare-asyncio`` (an ``asyncio.Protocol`` that writes back what it receives),
``framewire-aio`` (``framewire.aio.start_server`` with the echo handler of the guide),
``framewire-sync`` (``framewire.sync.serve``: one thread per connection), ``bare-node``
(a Node ``net`` server that writes back what it receives) and ``framewire-js``
(``js/bin/echo-server.js``). Every figure is the median of ``--repeats`` rounds; the
servers take turns within a round so that a burst of load elsewhere hits all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from run_info import load_average, machine

from framewire import Encoder, Framing, Limits
from framewire._codec.schema import FLAG_C, HEADER_STRUCT
from framewire.events import Message

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
DATA = 0x40
ECHO_SIZE = 100
FULL_COUNT = 10_000
QUICK_COUNT = 1_000
CONNECT_TIMEOUT = 30.0
"""Seconds one connection may take to come up (connect, handshake, echo)."""
BRING_UP_TIMEOUT = 300.0
"""Seconds all N connections of one server may take to come up."""
SETTLE_LIMIT = 15.0
"""Seconds to wait for a server's RSS to stop moving before reading it anyway."""

GC_SIGNAL = signal.SIGUSR2
"""Each server runs a full garbage collection when it receives this signal, so that the
RSS read next is that of live memory, not of garbage a collector has yet to reclaim."""
NODE_GC_ON_SIGNAL = "data:text/javascript,process.on('SIGUSR2', () => globalThis.gc())"
"""Preloaded (``--import``) into a Node server started with ``--expose-gc``."""

BARE_NODE_SERVER = """
process.on('SIGUSR2', () => globalThis.gc());
const net = require('node:net');
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening 127.0.0.1:${server.address().port}\\n`);
});
"""


# --- the servers (each in its own process) -----------------------------------------------


class _BareEcho(asyncio.Protocol):
    """Writes back every chunk as it arrives: no framing, no buffer of its own."""

    transport: asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


def _announce(port: int) -> None:
    print(f"listening {HOST}:{port}", flush=True)


async def _serve_bare_asyncio() -> None:
    # asyncio's default backlog (100) drops the SYNs of a burst; the Framewire servers ask
    # for the system's largest by default, and so does this baseline.
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_BareEcho, HOST, 0, backlog=socket.SOMAXCONN)
    _announce(server.sockets[0].getsockname()[1])
    await asyncio.Event().wait()  # until the driver kills the process


async def _serve_framewire_aio() -> None:
    from framewire.aio import AsyncChannel, start_server  # noqa: PLC0415

    async def echo(channel: AsyncChannel) -> None:
        async for message in channel:
            await channel.send(message)

    server = await start_server((HOST, 0), echo)
    address = server.address
    assert not isinstance(address, str)
    _announce(address[1])
    await asyncio.Event().wait()


def _serve_framewire_sync() -> None:
    from framewire.sync import Channel, serve  # noqa: PLC0415

    def echo(channel: Channel) -> None:
        for message in channel:
            channel.send(message)

    server = serve((HOST, 0), echo)
    address = server.address
    assert not isinstance(address, str)
    _announce(address[1])
    while True:  # until the driver kills the process (pause() returns after each signal)
        signal.pause()


PYTHON_SERVERS: dict[str, Callable[[], None]] = {
    "bare-asyncio": lambda: asyncio.run(_serve_bare_asyncio()),
    "framewire-aio": lambda: asyncio.run(_serve_framewire_aio()),
    "framewire-sync": _serve_framewire_sync,
}


@dataclass(frozen=True)
class ServerKind:
    name: str
    description: str
    command: Callable[[], list[str]]


def _python_server(name: str) -> Callable[[], list[str]]:
    return lambda: [sys.executable, str(Path(__file__).resolve()), "--serve", name]


SERVERS = {
    kind.name: kind
    for kind in (
        ServerKind("bare-asyncio", "bare asyncio.Protocol echo", _python_server("bare-asyncio")),
        ServerKind(
            "framewire-aio", "framewire.aio.start_server echo", _python_server("framewire-aio")
        ),
        ServerKind(
            "framewire-sync",
            "framewire.sync.serve echo (a thread each)",
            _python_server("framewire-sync"),
        ),
        ServerKind(
            "bare-node",
            "bare Node net echo",
            lambda: ["node", "--expose-gc", "-e", BARE_NODE_SERVER],
        ),
        ServerKind(
            "framewire-js",
            "js/bin/echo-server.js",
            lambda: [
                "node",
                "--expose-gc",
                "--import",
                NODE_GC_ON_SIGNAL,
                str(REPO / "js" / "bin" / "echo-server.js"),
                "--quiet",
            ],
        ),
    )
}
BASELINE_OF = {
    "framewire-aio": "bare-asyncio",
    "framewire-sync": "bare-asyncio",
    "framewire-js": "bare-node",
}
"""The bare server each Framewire server is compared with."""


# --- the client driver (its own process) -------------------------------------------------

_HEADER = HEADER_STRUCT  # the layout, from the schemas
_TRAILER = 4


def _request() -> bytes:
    """What every connection sends: preface, HELLO, one data message."""
    encoder = Encoder(Framing.LENGTH_PREFIXED)
    message = Message(DATA, bytes(range(ECHO_SIZE)))
    return (
        Encoder.preface(Framing.LENGTH_PREFIXED) + encoder.hello(Limits()) + encoder.encode(message)
    )


def _echo_end(received: bytearray) -> bool:
    """True once ``received`` (a preface, then frames) holds a data frame: the echo."""
    offset = 8
    while len(received) - offset >= _HEADER.size:
        _magic, _version, flags, frame_type, length = _HEADER.unpack_from(received, offset)
        offset += _HEADER.size + length + (_TRAILER if flags & FLAG_C else 0)
        if frame_type >= DATA and offset <= len(received):
            return True
    return False


SOURCE_ADDRESSES = [f"127.0.0.{n}" for n in range(2, 34)]
"""Client connections are spread over these loopback source addresses. From a single
address, every connect() to the same server makes the kernel step over each local port
already connected there, so bringing up N connections would cost O(N^2) in the client."""


async def _connect_one(
    address: tuple[str, int], source: str, request: bytes, limit: asyncio.Semaphore
) -> socket.socket:
    loop = asyncio.get_running_loop()
    async with limit:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            # the local port is chosen at connect(), for this 4-tuple
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_BIND_ADDRESS_NO_PORT, 1)
            sock.bind((source, 0))
            async with asyncio.timeout(CONNECT_TIMEOUT):
                await loop.sock_connect(sock, address)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                await loop.sock_sendall(sock, request)
                received = bytearray()
                while not _echo_end(received):
                    chunk = await loop.sock_recv(sock, 4096)
                    if not chunk:
                        raise ConnectionError("closed before the echo")
                    received += chunk
        except BaseException:
            sock.close()
            raise
        return sock


async def _bring_up(
    address: tuple[str, int], count: int, concurrency: int
) -> tuple[list[socket.socket], float, dict[str, int]]:
    """Bring ``count`` connections up; return the sockets, the seconds taken, the failures."""
    request = _request()
    limit = asyncio.Semaphore(concurrency)
    started = time.perf_counter()
    tasks = [
        asyncio.ensure_future(
            _connect_one(address, SOURCE_ADDRESSES[n % len(SOURCE_ADDRESSES)], request, limit)
        )
        for n in range(count)
    ]
    done, pending = await asyncio.wait(tasks, timeout=BRING_UP_TIMEOUT)
    elapsed = time.perf_counter() - started
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    sockets: list[socket.socket] = []
    failures: dict[str, int] = {}
    for task in done:
        error = task.exception()
        if error is None:
            sockets.append(task.result())
        else:
            failures[type(error).__name__] = failures.get(type(error).__name__, 0) + 1
    if pending:
        failures["not up in time"] = len(pending)
    return sockets, elapsed, failures


async def _drive(address: tuple[str, int], count: int, warm_up: int, concurrency: int) -> None:
    """Warm up, wait for "go", bring ``count`` up, report, hold them until stdin closes."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    warm, _, warm_failures = await _bring_up(address, warm_up, concurrency)
    for sock in warm:
        sock.close()
    print(json.dumps({"warm": len(warm), "failures": warm_failures}), flush=True)
    await reader.readline()  # "go": the baseline has been read
    sockets, elapsed, failures = await _bring_up(address, count, concurrency)
    print(json.dumps({"up": len(sockets), "seconds": elapsed, "failures": failures}), flush=True)
    await reader.read()  # until the parent closes our stdin
    for sock in sockets:
        sock.close()


# --- the parent: one measurement per server ----------------------------------------------


def rss_kib(pid: int) -> int:
    """The process's resident set size in KiB, from /proc/PID/status."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def settled_rss_kib(pid: int) -> int:
    """RSS after a garbage collection, once two readings half a second apart agree within
    0.5% (or after SETTLE_LIMIT)."""
    os.kill(pid, GC_SIGNAL)
    deadline = time.monotonic() + SETTLE_LIMIT
    previous = rss_kib(pid)
    while True:
        time.sleep(0.5)
        current = rss_kib(pid)
        if abs(current - previous) <= previous / 200 or time.monotonic() > deadline:
            return current
        previous = current


@dataclass(frozen=True)
class Measurement:
    server: str
    asked: int
    up: int
    seconds: float
    rss_before_kib: int
    rss_after_kib: int
    failures: dict[str, int]

    @property
    def per_connection_kib(self) -> float:
        return (self.rss_after_kib - self.rss_before_kib) / max(self.up, 1)


@contextmanager
def _process(command: list[str], **options: object) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(command, text=True, **options)  # type: ignore[call-overload]
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def _listening_port(server: subprocess.Popen[str]) -> int:
    assert server.stdout is not None
    line = server.stdout.readline()
    if not line.startswith("listening "):
        raise RuntimeError(f"server did not start: {line!r}")
    return int(line.rsplit(":", 1)[1])


def _read_report(driver: subprocess.Popen[str]) -> dict[str, object]:
    assert driver.stdout is not None
    line = driver.stdout.readline()
    if not line:
        raise RuntimeError("the client driver ended early")
    report: dict[str, object] = json.loads(line)
    return report


def measure(kind: ServerKind, count: int, concurrency: int) -> Measurement:
    """Start the server and the driver, bring ``count`` connections up, read the RSS."""
    with _process(kind.command(), stdout=subprocess.PIPE, cwd=REPO) as server:
        port = _listening_port(server)
        warm_up = max(10, min(200, count // 10))
        driver_command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--drive",
            f"{HOST}:{port}",
            "-n",
            str(count),
            "--warm-up",
            str(warm_up),
            "--concurrency",
            str(concurrency),
        ]
        with _process(driver_command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as driver:
            assert driver.stdin is not None
            _read_report(driver)  # the warm-up is over
            before = settled_rss_kib(server.pid)
            driver.stdin.write("go\n")
            driver.stdin.flush()
            report = _read_report(driver)
            after = settled_rss_kib(server.pid)
            # The server goes first: were the driver's sockets closed first, every one of
            # the blocking server's threads would wake at once to see its end of input.
            server.kill()
            server.wait()
            driver.stdin.close()
            driver.wait(timeout=60)
    failures = report["failures"]
    assert isinstance(failures, dict)
    return Measurement(
        server=kind.name,
        asked=count,
        up=int(str(report["up"])),
        seconds=float(str(report["seconds"])),
        rss_before_kib=before,
        rss_after_kib=after,
        failures=failures,
    )


def raise_open_files(count: int) -> int:
    """Raise RLIMIT_NOFILE (within the hard limit) for ``count`` sockets in one process;
    children inherit it. Returns the largest count the limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count + 256
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted - 256


def _node_version() -> str:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return node.stdout.strip() or "not found"


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _ratio(value: float, baseline: float) -> str:
    """A ratio to two decimals, or n/a when the baseline is zero (a few idle connections can
    leave a bare server's RSS where it was)."""
    return f"{value / baseline:.2f}" if baseline > 0 else "n/a"


def report(rounds: dict[str, list[Measurement]], count: int) -> None:
    print(
        "\n| server | connections up | RSS per idle connection (KiB) | "
        "bring-up (s) | connections/s | RSS before, after (MiB) |"
    )
    print("|---|---|---|---|---|---|")
    per_kib: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for name, measurements in rounds.items():
        per_kib[name] = _median([m.per_connection_kib for m in measurements])
        seconds[name] = _median([m.seconds for m in measurements])
        up = min(m.up for m in measurements)
        before = _median([m.rss_before_kib for m in measurements]) / 1024
        after = _median([m.rss_after_kib for m in measurements]) / 1024
        failures = {key: n for m in measurements for key, n in m.failures.items()}
        note = f" (failed: {failures})" if failures else ""
        print(
            f"| {SERVERS[name].description} | {up:,} of {count:,}{note} | "
            f"{per_kib[name]:.1f} | {seconds[name]:.2f} | {up / seconds[name]:,.0f} | "
            f"{before:.1f}, {after:.1f} |"
        )
    print(
        "\n| server | RSS per idle connection vs its bare server "
        "| bring-up time vs its bare server |"
    )
    print("|---|---|---|")
    for name, bare in BASELINE_OF.items():
        if name in per_kib and bare in per_kib:
            print(
                f"| {name} vs {bare} | {_ratio(per_kib[name], per_kib[bare])} | "
                f"{_ratio(seconds[name], seconds[bare])} |"
            )
    print(f"\nload average at the end: {load_average()}")
    print("\nTargets (measured):")
    if "framewire-aio" in per_kib:
        print(f"- framewire-aio <= 8 KiB per idle connection: {per_kib['framewire-aio']:.1f} KiB")
    if "framewire-aio" in seconds and "bare-asyncio" in seconds:
        ratio = _ratio(seconds["framewire-aio"], seconds["bare-asyncio"])
        print(f"- framewire-aio bring-up <= 2 x bare asyncio: {ratio} x")
    if "framewire-js" in per_kib and "bare-node" in per_kib:
        ratio = _ratio(per_kib["framewire-js"], per_kib["bare-node"])
        print(f"- framewire-js <= 2 x bare Node RSS per idle connection: {ratio} x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_COUNT:,} connections, 1 round"
    )
    parser.add_argument("-n", type=int, help=f"connections per server (default {FULL_COUNT:,})")
    parser.add_argument("--repeats", type=int, help="rounds (default 3; 1 with --quick)")
    parser.add_argument("--concurrency", type=int, default=50, help="connections set up at a time")
    parser.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help=f"comma-separated subset of {','.join(SERVERS)}",
    )
    parser.add_argument("--serve", choices=sorted(PYTHON_SERVERS), help=argparse.SUPPRESS)
    parser.add_argument("--drive", metavar="HOST:PORT", help=argparse.SUPPRESS)
    parser.add_argument("--warm-up", type=int, default=100, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve:
        signal.signal(GC_SIGNAL, lambda _signal, _frame: gc.collect())
        PYTHON_SERVERS[args.serve]()
        return 0
    count = args.n or (QUICK_COUNT if args.quick else FULL_COUNT)
    if args.drive:
        host, port = args.drive.rsplit(":", 1)
        asyncio.run(_drive((host, int(port)), count, args.warm_up, args.concurrency))
        return 0

    names = args.servers.split(",")
    unknown = set(names) - set(SERVERS)
    if unknown:
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    if shutil.which("node") is None:
        names = [name for name in names if SERVERS[name].command()[0] != "node"]
        print("# node not found: the Node servers are left out")
    allowed = raise_open_files(count)
    if allowed < count:
        print(f"# RLIMIT_NOFILE allows {allowed:,} sockets per process: measuring {allowed:,}")
        count = allowed
    repeats = args.repeats or (1 if args.quick else 3)
    print(f"# Framewire scale, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"# {machine()}, Node {_node_version()}")
    print(
        f"# {count:,} connections per server, {args.concurrency} set up at a time; "
        f"median of {repeats} round(s); load average {load_average()}",
        flush=True,
    )
    rounds: dict[str, list[Measurement]] = {name: [] for name in names}
    for _ in range(repeats):
        for name in names:
            result = measure(SERVERS[name], count, args.concurrency)
            rounds[name].append(result)
            print(
                f"#   {name}: {result.up:,} up in {result.seconds:.2f} s, "
                f"{result.per_connection_kib:.1f} KiB each",
                flush=True,
            )
    report(rounds, count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
