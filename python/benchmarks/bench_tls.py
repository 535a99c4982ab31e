"""Receive throughput over TLS: the Framewire transports against baselines over TLS.

Run: ``python python/benchmarks/bench_tls.py [--repeats N] [--quick]`` (part of
``make bench``). A script, not a test: it prints a table and the ratios to the baselines.

What is measured. A sender in a separate process connects over 127.0.0.1 with TLS (the
standard library's ``ssl`` socket, TLS 1.3, a ``trustme`` test certificate made at the
start) and writes pre-encoded bytes as fast as TLS and the kernel take them: a session
preface and HELLO, then N single-frame data messages of one payload size. Each receiver
in this process is a TLS server; the clock runs from the end of the handshakes to the
N-th message. Receivers:

* ``tls-null``        - ``SSLSocket.recv_into`` counting bytes: the ceiling of TLS itself,
                        and the check that the sender outpaces every reader.
* ``struct``          - a hand-written framer (struct header, ``recv_into``) over the
                        standard library's ``SSLSocket``: the blocking baseline.
* ``blocking``        - ``framewire.sync`` (``serve(ssl=...)``, ``Channel.recv``).
* ``readexactly``     - ``asyncio.start_server(ssl=...)`` with ``StreamReader.readexactly``:
                        the asyncio baseline.
* ``asyncio``         - ``framewire.aio`` (``start_server(ssl=...)``, ``recv``).
* ``aio-batch``       - the same with ``recv_batch``.

The two baselines use the TLS of the standard library, which has no half-close;
Framewire runs its own TLS layer over memory buffers to keep the clean end
(spec section 12), and this table shows what that costs. Each cell is the median of
``--repeats`` interleaved runs; MB/s counts payload bytes (10^6 bytes).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import ssl
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trustme
from bench import (  # the same load as the plain-TCP benchmark
    DATA,
    MAGIC,
    OPTIONS,
    VERSION,
    Workload,
)

from framewire import Deadlines
from framewire._codec import schema
from framewire.aio import AsyncChannel, start_server
from framewire.sync import Channel, serve
from framewire.tls import client_context, server_context

SIZES = {16: 200_000, 65536: 3_000}
"""Payload size: messages per run (a run takes a few tenths of a second)."""
DEADLINES = Deadlines(handshake=30.0, frame=30.0, linger=1.0)
BUFFER_BYTES = 256 * 1024
HEADER = schema.HEADER_STRUCT  # the layout, from the schemas


@dataclass(frozen=True)
class Certificates:
    """A test CA and a server certificate for 127.0.0.1, as PEM files."""

    ca: str
    cert: str
    key: str

    @staticmethod
    def make(folder: Path) -> Certificates:
        authority = trustme.CA()
        issued = authority.issue_cert("127.0.0.1")
        files = Certificates(
            str(folder / "ca.pem"), str(folder / "server.pem"), str(folder / "server.key")
        )
        authority.cert_pem.write_to_path(files.ca)
        issued.cert_chain_pems[0].write_to_path(files.cert)
        issued.private_key_pem.write_to_path(files.key)
        return files

    def server(self) -> ssl.SSLContext:
        return server_context(self.cert, self.key)


def _sender(port: int, ca: str, load: Workload) -> None:
    """The separate process: a TLS client that writes the load and reads to the end."""
    with (
        socket.create_connection(("127.0.0.1", port)) as plain,
        client_context(ca).wrap_socket(plain, server_hostname="127.0.0.1") as sock,
    ):
        sock.sendall(load.prefix)
        for _ in range(load.repeats):
            sock.sendall(load.block)
        try:
            while sock.recv(65536):
                pass
        except (OSError, ssl.SSLError):
            pass  # the receivers end as they please: not part of the measurement


def _start_sender(
    port: int, certificates: Certificates, load: Workload
) -> multiprocessing.process.BaseProcess:
    process = multiprocessing.get_context("fork").Process(
        target=_sender, args=(port, certificates.ca, load), daemon=True
    )
    process.start()
    return process


# --- blocking receivers ---------------------------------------------------------------


def _stdlib_tls_server(
    certificates: Certificates, load: Workload, receive: Callable[[ssl.SSLSocket, Workload], None]
) -> float:
    """Accept one TLS connection with the standard library and time ``receive`` on it."""
    context = certificates.server()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        sender = _start_sender(listener.getsockname()[1], certificates, load)
        plain, _ = listener.accept()
        with context.wrap_socket(plain, server_side=True) as sock:
            started = time.perf_counter()
            receive(sock, load)
            elapsed = time.perf_counter() - started
    sender.join()
    return elapsed


def receive_null(sock: ssl.SSLSocket, load: Workload) -> None:
    buffer = bytearray(BUFFER_BYTES)
    remaining = len(load.prefix) + len(load.block) * load.repeats
    while remaining > 0:
        received = sock.recv_into(buffer)
        if not received:
            raise EOFError
        remaining -= received


def receive_struct(sock: ssl.SSLSocket, load: Workload) -> None:
    """A minimal hand-written length-prefix framer, handing out each payload."""
    buffer = bytearray(max(BUFFER_BYTES, 2 * (load.size + 64)))
    view = memoryview(buffer)
    start = end = 0
    preface_left = 8
    messages = 0
    fw_magic, fw_version = MAGIC, VERSION
    while messages < load.count:
        if start == end:
            start = end = 0
        elif end == len(buffer):
            view[: end - start] = view[start:end]
            end, start = end - start, 0
        received = sock.recv_into(view[end:])
        if not received:
            raise EOFError
        end += received
        skipped = min(preface_left, end - start)
        start, preface_left = start + skipped, preface_left - skipped
        while end - start >= HEADER.size:
            magic, version, _flags, frame_type, length = HEADER.unpack_from(buffer, start)
            if magic != fw_magic or version != fw_version or length > 1 << 20:
                raise ValueError("bad header")
            if start + HEADER.size + length > end:
                break
            payload = bytes(view[start + HEADER.size : start + HEADER.size + length])
            start += HEADER.size + length
            messages += frame_type >= DATA and payload is not None


def framewire_blocking(certificates: Certificates, load: Workload) -> float:
    """``framewire.sync.serve(ssl=...)``: the handler times its ``recv`` loop."""
    timing: list[float] = []
    done = threading.Event()

    def handler(channel: Channel) -> None:
        started = time.perf_counter()
        recv = channel.recv
        for _ in range(load.count):
            if recv() is None:
                raise EOFError
        timing.append(time.perf_counter() - started)
        done.set()

    with serve(
        ("127.0.0.1", 0), handler, options=OPTIONS, deadlines=DEADLINES, ssl=certificates.server()
    ) as server:
        address = server.address
        assert not isinstance(address, str)
        sender = _start_sender(address[1], certificates, load)
        done.wait(60)
    sender.join()
    return timing[0]


# --- asyncio receivers ----------------------------------------------------------------


async def _readexactly(certificates: Certificates, load: Workload) -> float:
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        started = time.perf_counter()
        await reader.readexactly(8)
        messages = 0
        fw_magic, fw_version = MAGIC, VERSION
        while messages < load.count:
            magic, version, _flags, frame_type, length = HEADER.unpack(
                await reader.readexactly(HEADER.size)
            )
            if magic != fw_magic or version != fw_version or length > 1 << 20:
                raise ValueError("bad header")
            await reader.readexactly(length)
            messages += frame_type >= DATA
        done.set_result(time.perf_counter() - started)
        writer.close()

    server = await asyncio.start_server(
        handle, "127.0.0.1", 0, ssl=certificates.server(), limit=BUFFER_BYTES
    )
    async with server:
        sender = _start_sender(server.sockets[0].getsockname()[1], certificates, load)
        elapsed = await done
    await asyncio.to_thread(sender.join)
    return elapsed


async def _framewire_asyncio(certificates: Certificates, load: Workload, *, batched: bool) -> float:
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    async def handle(channel: AsyncChannel) -> None:
        started = time.perf_counter()
        received = 0
        while received < load.count:
            if batched:
                batch = await channel.recv_batch()
                received += len(batch) or load.count + 1
            else:
                received += 1 if await channel.recv() is not None else load.count + 1
        if received > load.count:
            raise EOFError
        done.set_result(time.perf_counter() - started)

    server = await start_server(
        ("127.0.0.1", 0), handle, options=OPTIONS, deadlines=DEADLINES, ssl=certificates.server()
    )
    async with server:
        address = server.address
        assert not isinstance(address, str)
        sender = _start_sender(address[1], certificates, load)
        elapsed = await done
    await asyncio.to_thread(sender.join)
    return elapsed


# --- the table ------------------------------------------------------------------------

Receiver = Callable[[Certificates, Workload], float]
RECEIVERS: dict[str, Receiver] = {
    "tls-null": lambda c, w: _stdlib_tls_server(c, w, receive_null),
    "struct": lambda c, w: _stdlib_tls_server(c, w, receive_struct),
    "blocking": framewire_blocking,
    "readexactly": lambda c, w: asyncio.run(_readexactly(c, w)),
    "asyncio": lambda c, w: asyncio.run(_framewire_asyncio(c, w, batched=False)),
    "aio-batch": lambda c, w: asyncio.run(_framewire_asyncio(c, w, batched=True)),
}
RATIOS = [("blocking", "struct"), ("asyncio", "readexactly"), ("aio-batch", "readexactly")]
"""(Framewire receiver, its baseline over TLS)."""


def measure(certificates: Certificates, size: int, count: int, repeats: int) -> dict[str, float]:
    """Median messages per second of every receiver at one size, runs interleaved."""
    load = Workload.build(size, count, checksum=False)
    seconds: dict[str, list[float]] = {name: [] for name in RECEIVERS}
    for _ in range(repeats):
        for name, receive in RECEIVERS.items():
            seconds[name].append(receive(certificates, load))
    return {name: load.count / statistics.median(times) for name, times in seconds.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per cell (median)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the messages")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        certificates = Certificates.make(Path(folder))
        version = _negotiated_version(certificates)
        print(f"TLS receive throughput over 127.0.0.1 ({version}, {ssl.OPENSSL_VERSION})")
        print(f"median of {args.repeats} runs; msgs/s, and MB/s of payload")
        print(f"{'receiver':<12}" + "".join(f"{f'{size} B':>22}" for size in SIZES))
        results = {
            size: measure(certificates, size, count // (10 if args.quick else 1), args.repeats)
            for size, count in SIZES.items()
        }
    for name in RECEIVERS:
        cells = [
            f"{results[size][name]:>12,.0f} {results[size][name] * size / 1e6:>7.1f} MB/s"
            for size in SIZES
        ]
        print(f"{name:<12}" + "".join(f"{cell:>22}" for cell in cells))
    print("ratios to the baseline over TLS (same run):")
    for contender, baseline in RATIOS:
        ratios = "  ".join(
            f"{size} B: {results[size][contender] / results[size][baseline]:.2f}" for size in SIZES
        )
        print(f"  {contender} / {baseline}: {ratios}")
    return 0


def _negotiated_version(certificates: Certificates) -> str:
    """The TLS version the sender and the receivers agree on (for the table's title)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        result: list[str] = []

        def accept() -> None:
            plain, _ = listener.accept()
            with certificates.server().wrap_socket(plain, server_side=True) as sock:
                result.append(sock.version() or "?")

        thread = threading.Thread(target=accept)
        thread.start()
        with (
            socket.create_connection(("127.0.0.1", port)) as plain,
            client_context(certificates.ca).wrap_socket(plain, server_hostname="127.0.0.1"),
        ):
            thread.join()
    return result[0]


if __name__ == "__main__":
    raise SystemExit(main())
