"""Receive throughput of the Framewire transports over loopback TCP, against baselines.

Run: ``python python/benchmarks/bench.py [--quick] [--repeats N] [--profile NAME:SIZE]``
(``make bench``). A script, not a test: it prints a table and the ratios the project's
targets are stated in.

What is measured. For each payload size, a sender in a *separate process* (so it does not
compete for this process's GIL) connects over 127.0.0.1 and writes pre-encoded bytes as
fast as the kernel takes them: a session preface and HELLO, then N single-frame data
messages. Each contender in this process receives them; the clock runs from the accepted
connection to the N-th message. Every contender reads exactly the same bytes:

* ``raw``          - recv_into() into one buffer, counting bytes: loopback's ceiling, and
                     the check that the sender outpaces every reader (a "null reader").
* ``struct``       - a hand-written framer: struct header unpack + recv_into, minimal checks.
* ``blocking``     - framewire.sync.Channel.recv() (the full session: all checks).
* ``blocking+crc`` - the same, with every frame carrying a CRC-32C trailer.
* ``aio-null``     - an asyncio BufferedProtocol that counts and discards: the event
                     loop's ceiling (the null reader of the asyncio contenders).
* ``readexactly``  - asyncio StreamReader.readexactly(9) then readexactly(length).
* ``asyncio``      - framewire.aio.AsyncChannel.recv(), one await per message.
* ``aio-batch``    - framewire.aio.AsyncChannel.recv_batch(), one await per read.
* ``aio-framer``   - a hand-written length-prefix framer on asyncio (the asyncio
                     counterpart of ``struct``): a ``BufferedProtocol`` with its own
                     bytearray, struct header unpack, magic/version/length checked,
                     ``bytes()`` of each payload; each read's payloads go as one list on an
                     ``asyncio.Queue`` that the consumer awaits (one await per read).
* ``uv:...``       - the asyncio contenders once more on uvloop's event loop (when uvloop
                     can be imported).
* ``pure:...``     - ``blocking``, ``asyncio`` and ``uv:asyncio`` once more on the
                     pure-Python receive path (the others run the compiled one,
                     ``framewire._codec.fastpath``, when it is built: the table's header says).

Each cell is the median of ``--repeats`` runs. MB/s counts payload bytes (10^6 bytes),
except the null readers', which count every byte on the wire.

The checksum cost at 64 KiB is stated as the issue's target has it: the extra time per
message of ``blocking+crc`` over ``blocking``, divided by the time of one ``crc32c()``
call over the same bytes (the frame's header and payload, from the CPU cache: the receive
path checks bytes it has just read), timed in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import multiprocessing
import os
import pstats
import socket
import statistics
import sys
import time
import timeit
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import cast

from run_info import load_average, machine

from framewire import Deadlines, Encoder, Framing, Limits, Options
from framewire._codec import compiled, schema
from framewire._codec.checksum import crc32c
from framewire.aio import AsyncChannel, start_server
from framewire.events import Message
from framewire.sync import Channel

SIZES = [16, 256, 4096, 65536, 1 << 20]
# Messages per run, chosen so one run takes roughly 0.1-0.4 s on a 2-core machine.
COUNTS = {16: 300_000, 256: 200_000, 4096: 40_000, 65536: 3_000, 1 << 20: 200}
BLOCK_TARGET = 1 << 20
"""The sender writes the frames in blocks of about this many bytes."""
RECV_SIZE = 256 * 1024
DATA = 0x40
LIMITS = Limits(max_frame_size=1 << 20, max_message_size=1 << 24)
OPTIONS = Options(limits=LIMITS)
DEADLINES = Deadlines(handshake=30.0, frame=30.0, linger=1.0)


# --- the sender (a separate process) ---------------------------------------------------


def _send(port: int, prefix: bytes, block: bytes, repeats: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(prefix)
        for _ in range(repeats):
            sock.sendall(block)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):  # the receiver's preface and HELLO, then its end
            pass


@dataclass(frozen=True)
class Workload:
    """The bytes one run sends: ``prefix`` once, then ``block`` ``repeats`` times."""

    size: int
    count: int
    prefix: bytes
    block: bytes
    repeats: int

    @staticmethod
    def build(size: int, count: int, *, checksum: bool) -> Workload:
        encoder = Encoder(Framing.LENGTH_PREFIXED, checksum=checksum, max_frame_size=1 << 20)
        frame = encoder.encode(Message(DATA, os.urandom(size)))
        per_block = max(1, BLOCK_TARGET // len(frame))
        repeats = max(1, count // per_block)
        prefix = Encoder.preface(Framing.LENGTH_PREFIXED) + encoder.hello(LIMITS)
        return Workload(size, per_block * repeats, prefix, frame * per_block, repeats)

    @property
    def wire_bytes(self) -> int:
        return len(self.prefix) + len(self.block) * self.repeats


def _start_sender(port: int, work: Workload) -> multiprocessing.process.BaseProcess:
    process = multiprocessing.get_context("fork").Process(
        target=_send, args=(port, work.prefix, work.block, work.repeats), daemon=True
    )
    process.start()
    return process


# --- blocking receivers ------------------------------------------------------------------


def _buffer_size(payload_size: int) -> int:
    """Receive buffer of the baselines: at least two frames, at least RECV_SIZE (a
    cache-sized buffer: much larger ones are slower to fill, not faster)."""
    return max(RECV_SIZE, 2 * (payload_size + 64))


def recv_raw(sock: socket.socket, work: Workload) -> None:
    buffer = bytearray(_buffer_size(work.size))
    remaining = work.wire_bytes
    while remaining > 0:
        received = sock.recv_into(buffer)
        if not received:
            raise EOFError
        remaining -= received


_HEADER = schema.HEADER_STRUCT  # the layout, from the schemas
# The framers below bind these to locals, as cheap in their loops as literals would be.
HEADER_SIZE, MAGIC, VERSION = schema.HEADER_SIZE, schema.MAGIC, schema.VERSION


def recv_struct(sock: socket.socket, work: Workload) -> None:
    """A minimal, hand-written length-prefix framer (the baseline of the targets)."""
    buffer = bytearray(_buffer_size(work.size))
    view = memoryview(buffer)
    start = end = 0
    skip = 8  # the preface
    messages = 0
    header_size, fw_magic, fw_version = HEADER_SIZE, MAGIC, VERSION
    while messages < work.count:
        if end == len(buffer) or start == end:
            if start == end:
                start = end = 0
            elif start:
                view[: end - start] = view[start:end]
                end -= start
                start = 0
        received = sock.recv_into(view[end:])
        if not received:
            raise EOFError
        end += received
        if skip:
            taken = min(skip, end - start)
            start += taken
            skip -= taken
        while end - start >= header_size:
            magic, version, _flags, frame_type, length = _HEADER.unpack_from(buffer, start)
            if magic != fw_magic or version != fw_version or length > 1 << 20:
                raise ValueError("bad header")
            frame_end = start + header_size + length
            if frame_end > end:
                break
            payload = bytes(view[start + header_size : frame_end])  # what a framer hands out
            start = frame_end
            if frame_type >= DATA and payload is not None:
                messages += 1


def recv_channel(sock: socket.socket, work: Workload) -> None:
    channel = Channel(sock, OPTIONS, deadlines=DEADLINES)
    recv = channel.recv
    for _ in range(work.count):
        if recv() is None:
            raise EOFError


def run_blocking(receiver: Callable[[socket.socket, Workload], None], work: Workload) -> float:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        sender = _start_sender(listener.getsockname()[1], work)
        sock, _ = listener.accept()
        with sock:
            started = time.perf_counter()
            receiver(sock, work)
            elapsed = time.perf_counter() - started
    sender.join()
    return elapsed


# --- asyncio receivers -------------------------------------------------------------------


async def _readexactly(work: Workload) -> float:
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        started = time.perf_counter()
        await reader.readexactly(8)
        messages = 0
        header_size, fw_magic, fw_version = HEADER_SIZE, MAGIC, VERSION
        unpack = _HEADER.unpack
        while messages < work.count:
            magic, version, _flags, frame_type, length = unpack(
                await reader.readexactly(header_size)
            )
            if magic != fw_magic or version != fw_version or length > 1 << 20:
                raise ValueError("bad header")
            await reader.readexactly(length)
            if frame_type >= DATA:
                messages += 1
        done.set_result(time.perf_counter() - started)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, limit=RECV_SIZE)
    async with server:
        sender = _start_sender(server.sockets[0].getsockname()[1], work)
        elapsed = await done
    await asyncio.to_thread(sender.join)
    return elapsed


class _NullProtocol(asyncio.BufferedProtocol):
    """Receives into one buffer and counts: what the event loop alone costs."""

    def __init__(self, work: Workload, done: asyncio.Future[float]) -> None:
        self.remaining = work.wire_bytes
        self.buffer = bytearray(_buffer_size(work.size))
        self.done = done
        self.started = time.perf_counter()

    def get_buffer(self, sizehint: int) -> bytearray:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.remaining -= nbytes
        if self.remaining <= 0 and not self.done.done():
            self.done.set_result(time.perf_counter() - self.started)


async def _aio_null(work: Workload) -> float:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[float] = loop.create_future()
    server = await loop.create_server(lambda: _NullProtocol(work, done), "127.0.0.1", 0)
    async with server:
        sender = _start_sender(server.sockets[0].getsockname()[1], work)
        elapsed = await done
    await asyncio.to_thread(sender.join)
    return elapsed


async def _asyncio_channel(work: Workload, *, batched: bool = False) -> float:
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    async def handle(channel: AsyncChannel) -> None:
        started = time.perf_counter()
        if batched:
            received = 0
            while received < work.count:
                batch = await channel.recv_batch()
                if not batch:
                    raise EOFError
                received += len(batch)
        else:
            recv = channel.recv
            for _ in range(work.count):
                if await recv() is None:
                    raise EOFError
        done.set_result(time.perf_counter() - started)

    server = await start_server(("127.0.0.1", 0), handle, options=OPTIONS, deadlines=DEADLINES)
    async with server:
        address = server.address
        assert not isinstance(address, str)
        sender = _start_sender(address[1], work)
        elapsed = await done
    await asyncio.to_thread(sender.join)
    return elapsed


QUEUED_BATCHES = 64
"""The asyncio framer pauses reading while this many reads' messages wait unconsumed."""


class _FramerProtocol(asyncio.BufferedProtocol):
    """A minimal length-prefix framer written for asyncio: the baseline of ``asyncio``.

    The loop reads straight into the free tail of its bytearray; every complete frame's
    header is unpacked and checked (magic, version, length) and its payload copied out
    with ``bytes()``, as ``struct`` does. A real application awaits its messages, so the
    payloads of each read go as one list on a queue (one ``put_nowait`` per read), with
    reading paused while the consumer is behind.
    """

    def __init__(self, work: Workload, queue: asyncio.Queue[list[bytes] | None]) -> None:
        self.buffer = bytearray(_buffer_size(work.size))
        self.view = memoryview(self.buffer)
        self.start = self.end = 0
        self.skip = 8  # the preface
        self.queue = queue
        self.transport: asyncio.Transport | None = None
        self.paused = False
        self.started = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.started = time.perf_counter()
        self.transport = cast(asyncio.Transport, transport)  # uvloop's: not a subclass

    def get_buffer(self, sizehint: int) -> memoryview:
        if self.start == self.end:
            self.start = self.end = 0
        elif self.end - self.start < self.start:  # a partial frame: move it to the front
            self.view[: self.end - self.start] = self.view[self.start : self.end]
            self.end -= self.start
            self.start = 0
        return self.view[self.end :]

    def buffer_updated(self, nbytes: int) -> None:
        self.end += nbytes
        if self.skip:
            taken = min(self.skip, self.end - self.start)
            self.start += taken
            self.skip -= taken
        buffer, view, start, end = self.buffer, self.view, self.start, self.end
        payloads = []
        unpack_from = _HEADER.unpack_from
        header_size, fw_magic, fw_version = HEADER_SIZE, MAGIC, VERSION
        while end - start >= header_size:
            magic, version, _flags, frame_type, length = unpack_from(buffer, start)
            if magic != fw_magic or version != fw_version or length > 1 << 20:
                raise ValueError("bad header")
            frame_end = start + header_size + length
            if frame_end > end:
                break
            if frame_type >= DATA:
                payloads.append(bytes(view[start + header_size : frame_end]))
            start = frame_end
        self.start = start
        if payloads:
            self.queue.put_nowait(payloads)
            if self.queue.qsize() >= QUEUED_BATCHES and not self.paused:
                assert self.transport is not None
                self.transport.pause_reading()
                self.paused = True

    def resume(self) -> None:
        """The consumer has caught up."""
        if self.paused:
            assert self.transport is not None
            self.transport.resume_reading()
            self.paused = False

    def connection_lost(self, exc: Exception | None) -> None:
        self.queue.put_nowait(None)


async def _aio_framer(work: Workload) -> float:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[list[bytes] | None] = asyncio.Queue()
    protocols: list[_FramerProtocol] = []

    def factory() -> _FramerProtocol:
        protocols.append(_FramerProtocol(work, queue))
        return protocols[-1]

    server = await loop.create_server(factory, "127.0.0.1", 0)
    async with server:
        sender = _start_sender(server.sockets[0].getsockname()[1], work)
        received = 0
        batch = await queue.get()
        while True:
            if batch is None:
                raise EOFError
            for payload in batch:
                if payload is not None:
                    received += 1
            if received >= work.count:
                break
            if queue.qsize() < QUEUED_BATCHES // 2:
                protocols[0].resume()
            batch = await queue.get()
        elapsed = time.perf_counter() - protocols[0].started
        protocols[0].resume()
    await asyncio.to_thread(sender.join)
    return elapsed


# --- the table ---------------------------------------------------------------------------

ASYNCIO_MAINS: dict[str, Callable[[Workload], Coroutine[None, None, float]]] = {
    "aio-null": _aio_null,
    "readexactly": _readexactly,
    "asyncio": _asyncio_channel,
    "aio-batch": lambda w: _asyncio_channel(w, batched=True),
    "aio-framer": _aio_framer,
}
ASYNCIO_READERS = ("readexactly", "asyncio", "aio-batch", "aio-framer")

try:
    import uvloop
except ImportError:  # not on every platform: the uv: rows are left out
    LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {"": asyncio.new_event_loop}
else:
    LOOPS = {"": asyncio.new_event_loop, "uv:": uvloop.new_event_loop}


def _on_loop(
    loop_factory: Callable[[], asyncio.AbstractEventLoop],
    main: Callable[[Workload], Coroutine[None, None, float]],
) -> Callable[[Workload], float]:
    def run(work: Workload) -> float:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            return runner.run(main(work))

    return run


def _pure(run: Callable[[Workload], float]) -> Callable[[Workload], float]:
    """``run`` on the pure-Python receive path: its decoders are made without the
    compiled loop (each takes the path in force when it is made)."""

    def run_pure(work: Workload) -> float:
        saved = compiled.DECODE_RUN
        compiled.DECODE_RUN = None
        try:
            return run(work)
        finally:
            compiled.DECODE_RUN = saved

    return run_pure


CONTENDERS: dict[str, tuple[Callable[[Workload], float], bool]] = {
    "raw": (lambda w: run_blocking(recv_raw, w), False),
    "struct": (lambda w: run_blocking(recv_struct, w), False),
    "blocking": (lambda w: run_blocking(recv_channel, w), False),
    "blocking+crc": (lambda w: run_blocking(recv_channel, w), True),
    **{
        prefix + name: (_on_loop(factory, main), False)
        for prefix, factory in LOOPS.items()
        for name, main in ASYNCIO_MAINS.items()
    },
}
PURE_CONTENDERS = ("blocking", *(f"{prefix}asyncio" for prefix in LOOPS))
"""The contenders run once more on the pure-Python receive path, as ``pure:NAME``."""
CONTENDERS.update(
    {f"pure:{name}": (_pure(CONTENDERS[name][0]), CONTENDERS[name][1]) for name in PURE_CONTENDERS}
)


NULL_READERS = {
    "raw": ("struct", "blocking", "blocking+crc", "pure:blocking"),
    **{
        prefix + "aio-null": (
            *(prefix + name for name in ASYNCIO_READERS),
            f"pure:{prefix}asyncio",
        )
        for prefix in LOOPS
    },
}
"""Each null reader and the contenders it must outpace for their figures to mean
anything: if a null reader were not much faster, the sender would be the bottleneck."""


def measure_size(size: int, count: int, repeats: int) -> dict[str, tuple[float, float]]:
    """Median messages/s and MB/s of every contender at one size.

    The repeats are interleaved (every contender once, then again...) so that a burst
    of load from other processes on the machine hits all contenders alike.
    """
    works = {
        name: Workload.build(size, count, checksum=checksum)
        for name, (_, checksum) in CONTENDERS.items()
    }
    times: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    for _ in range(repeats):
        for name, (run, _) in CONTENDERS.items():
            times[name].append(run(works[name]))
    results = {}
    for name, work in works.items():
        elapsed = statistics.median(times[name])
        volume = work.wire_bytes if name in NULL_READERS else work.count * size
        results[name] = (work.count / elapsed, volume / elapsed / 1e6)
    return results


def _fmt_rate(value: float) -> str:
    return f"{value / 1e6:.2f}M" if value >= 1e6 else f"{value / 1e3:.1f}k"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 repeat, a quarter of the data")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--profile",
        metavar="NAME:SIZE",
        help="profile one contender at one size with cProfile instead (e.g. blocking:16)",
    )
    args = parser.parse_args(argv)
    scale, repeats = (4, 1) if args.quick else (1, args.repeats)

    if args.profile:
        name, size_text = args.profile.rsplit(":", 1)
        size = int(size_text)
        profiler = cProfile.Profile()
        profiler.enable()
        run, checksum = CONTENDERS[name]
        run(Workload.build(size, COUNTS[size] // scale, checksum=checksum))
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
        return 0

    print(f"# Framewire receive throughput, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"# {machine()}; median of {repeats} run(s); load average {load_average()}")
    print(f"# receive path (all but the pure: rows): {compiled.RECEIVE_PATH}\n")
    results: dict[tuple[str, int], tuple[float, float]] = {}
    header = "| payload | " + " | ".join(f"{name} msg/s, MB/s" for name in CONTENDERS) + " |"
    print(header)
    print("|" + "---|" * (len(CONTENDERS) + 1))
    for size in SIZES:
        cells = []
        for name, (rate, mbps) in measure_size(size, COUNTS[size] // scale, repeats).items():
            results[name, size] = (rate, mbps)
            cells.append(f"{_fmt_rate(rate)}, {mbps:.0f}")
        print(f"| {_size_name(size)} | " + " | ".join(cells) + " |", flush=True)

    print(f"\nload average at the end: {load_average()}")
    print_ratios(results)
    print_targets(results)
    return 0


RATIOS = [
    ("blocking", "struct", 0),
    ("pure:blocking", "struct", 0),
    *((f"pure:{prefix}asyncio", f"{prefix}aio-framer", 0) for prefix in LOOPS),
    ("blocking+crc", "blocking", 0),
    *((f"{prefix}asyncio", f"{prefix}aio-framer", 0) for prefix in LOOPS),
    *((f"{prefix}aio-batch", f"{prefix}aio-framer", 0) for prefix in LOOPS),
    ("asyncio", "readexactly", 0),
    ("blocking", "raw", 1),
]
"""The ratio columns: (contender, baseline, 0 for msg/s or 1 for MB/s)."""
if "uv:" in LOOPS:
    RATIOS.append(("uv:asyncio", "asyncio", 0))


def print_ratios(results: Results) -> None:
    units = ("msg/s", "MB/s")
    columns = [f"{a}/{b} ({units[index]})" for a, b, index in RATIOS]
    columns += [f"{null}/fastest reader of its loop" for null in NULL_READERS]
    print("\n| payload | " + " | ".join(columns) + " |")
    print("|" + "---|" * (len(columns) + 1))
    for size in SIZES:
        ratios = [ratio_at(results, size, a, b, index) for a, b, index in RATIOS]
        ratios += [
            results[null, size][0] / max(results[name, size][0] for name in readers)
            for null, readers in NULL_READERS.items()
        ]
        print(f"| {_size_name(size)} | " + " | ".join(f"{r:.2f}" for r in ratios) + " |")


def crc32c_seconds(size: int) -> float:
    """Median time of one crc32c() call over a frame's header and ``size`` payload bytes,
    from the CPU cache (the receive path checks bytes it has just read)."""
    data = os.urandom(HEADER_SIZE + size)
    number = 2000
    timer = timeit.Timer(functools.partial(crc32c, data))
    return statistics.median(timer.repeat(repeat=7, number=number)) / number


def print_targets(results: Results) -> None:
    def at_every_size(a: str, b: str) -> str:
        return ", ".join(f"{ratio_at(results, size, a, b, 0):.2f}" for size in SIZES)

    def target(a: str, b: str, least: float) -> None:
        missed = [_size_name(size) for size in SIZES if ratio_at(results, size, a, b, 0) < least]
        verdict = f"not met at {', '.join(missed)}" if missed else "met"
        print(f"- {a} >= {least} x {b} msg/s: {at_every_size(a, b)}: {verdict}")

    sizes = ", ".join(_size_name(size) for size in SIZES)
    print(f"\nTargets (measured; ratios at {sizes}):")
    for prefix, least in (("", COMPILED_TARGET), ("pure:", PURE_TARGET)):
        target(f"{prefix}blocking", "struct", least)
        for loop in LOOPS:
            target(f"{prefix}{loop}asyncio", f"{loop}aio-framer", least)
    for loop in LOOPS:
        framer = f"{loop}aio-framer"
        print(f"  ({loop}aio-batch, for reference: {at_every_size(f'{loop}aio-batch', framer)})")
    size = 65536
    plain = 1 / results["blocking", size][0]
    checked = 1 / results["blocking+crc", size][0]
    one_call = crc32c_seconds(size)
    print(
        f"- checksum cost at 64 KiB <= 1.25 x one crc32c() call over the same bytes: "
        f"{(checked - plain) / one_call:.2f} x "
        f"(blocking {plain * 1e6:.1f} us/message, blocking+crc {checked * 1e6:.1f} us, "
        f"crc32c() {one_call * 1e6:.2f} us; "
        f"blocking+crc / (blocking + crc32c()) = {checked / (plain + one_call):.2f})"
    )


Results = dict[tuple[str, int], tuple[float, float]]
COMPILED_TARGET = 1.2
"""The compiled receive path against the hand-written framers, at every size."""
PURE_TARGET = 0.8
"""The pure-Python receive path against the same framers, at every size."""


def _size_name(size: int) -> str:
    if size >= 1 << 20:
        return f"{size >> 20} MiB"
    return f"{size >> 10} KiB" if size >= 1024 else f"{size} B"


def ratio_at(results: Results, size: int, a: str, b: str, index: int) -> float:
    return results[a, size][index] / results[b, size][index]


if __name__ == "__main__":
    sys.exit(main())
