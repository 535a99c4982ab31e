"""Where the microseconds of one received message go, layer by layer.

Run: ``python python/benchmarks/breakdown.py [--repeats N] [--sizes 256,4096]``. A script,
not a test: it prints, per payload size and receive path (compiled, pure Python), the
median time per message of more and more of the receive stack, and what each layer adds:

* ``framer``      - a hand-written loop over the bytes in memory: struct header unpack,
                    magic/version/length checked, ``bytes()`` of the payload (bench.py's
                    ``struct`` without the socket): the floor of a Python framer.
* ``decoder``     - ``Decoder`` fed the same bytes in 256 KiB reads, ``next_events()``:
                    Framewire's reader, every frame check and a ``Message`` per payload
                    (the compiled loop or the pure-Python one).
* ``session``     - ``Session.receive_data()`` + ``next_events()`` on the same bytes after
                    a preface and HELLO: the session's state and admission rules.
* ``channel``     - ``sync.Channel.recv()`` over loopback TCP from a sender process
                    (bench.py's ``blocking``): the socket reads, the receive buffer's
                    growth, the deadline bookkeeping and one call per message.
* ``aio-batch``   - ``AsyncChannel.recv_batch()`` (bench.py's ``aio-batch``): the event
                    loop and one await per read.
* ``asyncio``     - ``AsyncChannel.recv()``: one await per message.

The in-memory layers are timed on a warm process, the socket layers as bench.py times
them (the sender in its own process; the receiver's clock runs from the accepted
connection). Each figure is the median of ``--repeats`` runs; the paths alternate run by
run, so that a burst of load from elsewhere hits both.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench import (
    _HEADER,
    DATA,
    HEADER_SIZE,
    LIMITS,
    MAGIC,
    OPTIONS,
    VERSION,
    Workload,
    _asyncio_channel,
    _pure,
    recv_channel,
    run_blocking,
)
from run_info import load_average, machine

from framewire import Decoder, Framing, Session
from framewire._codec import compiled

READ = 256 * 1024
"""Bytes per read of the in-memory layers (the transports' read-ahead)."""
COUNTS = {256: 100_000, 4096: 20_000}


def _reads(work: Workload) -> list[bytes]:
    """The data messages' bytes (no preface, no HELLO), as reads of READ bytes."""
    stream = work.block * work.repeats
    return [stream[offset : offset + READ] for offset in range(0, len(stream), READ)]


def framer(work: Workload) -> float:
    reads = _reads(work)
    started = time.perf_counter()
    pending = b""
    messages = 0
    header_size, fw_magic, fw_version, unpack_from = (
        HEADER_SIZE,
        MAGIC,
        VERSION,
        _HEADER.unpack_from,
    )
    for read in reads:
        data = pending + read if pending else read
        start, end = 0, len(data)
        while end - start >= header_size:
            magic, version, _flags, frame_type, length = unpack_from(data, start)
            if magic != fw_magic or version != fw_version or length > 1 << 20:
                raise ValueError("bad header")
            frame_end = start + header_size + length
            if frame_end > end:
                break
            payload = data[start + header_size : frame_end]
            if frame_type >= DATA and payload is not None:
                messages += 1
            start = frame_end
        pending = data[start:]
    elapsed = time.perf_counter() - started
    assert messages == work.count, messages
    return elapsed


def _timed(
    work: Workload,
    receive: Callable[[bytes], None],
    next_events: Callable[[], list[Any]],
    expected: int,
) -> float:
    """Time feeding the reads and taking their events in batches; `expected` events."""
    reads = _reads(work)
    started = time.perf_counter()
    events = 0
    for read in reads:
        receive(read)
        while batch := next_events():
            events += len(batch)
    elapsed = time.perf_counter() - started
    assert events == expected, events
    return elapsed


def decoder(work: Workload) -> float:
    decoder = Decoder(Framing.LENGTH_PREFIXED, LIMITS)
    return _timed(work, decoder.feed, decoder.next_events, work.count)


def session(work: Workload) -> float:
    session = Session(OPTIONS)
    session.receive_data(work.prefix)  # the peer's HELLO comes out with the first batch
    return _timed(work, session.receive_data, session.next_events, work.count + 1)


def _on_default_loop(batched: bool) -> Callable[[Workload], float]:
    def run(work: Workload) -> float:
        return asyncio.run(_asyncio_channel(work, batched=batched))

    return run


LAYERS: dict[str, Callable[[Workload], float]] = {
    "framer": framer,
    "decoder": decoder,
    "session": session,
    "channel": lambda work: run_blocking(recv_channel, work),
    "aio-batch": _on_default_loop(batched=True),
    "asyncio": _on_default_loop(batched=False),
}
INCREMENTS = {
    "decoder": "framer",
    "session": "decoder",
    "channel": "session",
    "aio-batch": "session",
    "asyncio": "aio-batch",
}
"""What each layer adds is its time minus this one's."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--sizes", default="256,4096")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"# Per-message cost by layer, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"# {machine()}; median of {args.repeats} runs; load average {load_average()}")
    print(f"# compiled: {compiled.RECEIVE_PATH}\n")
    paths = {"compiled": lambda run: run, "pure": _pure}
    print("| payload | layer | compiled µs/msg | adds | pure µs/msg | adds |")
    print("|---|---|---|---|---|---|")
    for size in sizes:
        work = Workload.build(size, COUNTS.get(size, 20_000), checksum=False)
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.repeats):
            for layer, run in LAYERS.items():
                for path, wrap in paths.items():
                    elapsed = wrap(run)(work)
                    times.setdefault((path, layer), []).append(elapsed / work.count * 1e6)
        medians = {key: statistics.median(values) for key, values in times.items()}
        for layer in LAYERS:
            cells = []
            for path in paths:
                here = medians[path, layer]
                below = INCREMENTS.get(layer)
                added = f"{here - medians[path, below]:+.2f}" if below else "-"
                cells += [f"{here:.2f}", added]
            print(f"| {size} B | {layer} | " + " | ".join(cells) + " |", flush=True)
    print(f"\nload average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
