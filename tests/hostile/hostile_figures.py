"""Measure what each server holds per connection; prints the table of the guide's page on
limits and hostile peers (spec/guide/limits.md).

    .venv/bin/python tests/hostile/hostile_figures.py [--connections 200]

For each server (threaded, asyncio, JavaScript; length-prefixed framing, loopback TCP) it
reads the server's RSS from /proc: at rest after a warm-up exchange, with N connections
idle after their handshake, with 8 connections echoing 64 KiB messages, with N
connections that each announced an allowed 1 MiB frame and sent 1 KiB of it, and once
those have ended; then the growth while a peer floods 24 MiB of PINGs or 64 MiB
of messages without reading. Each scenario starts a fresh server. Linux only.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.hostile import (
    SERVER_KINDS,
    WAIT,
    RunningServer,
    flood_unread,
    header,
    honest_exchange,
    raw_socket,
    reset_on_close,
    running_server,
)
from helpers.io_peers import handshake_bytes
from helpers.js_peers import NODE
from helpers.polling import poll, wait_until

from framewire import Encoder, Framing
from framewire._codec import schema

FRAMING = Framing.LENGTH_PREFIXED
BUSY_CONNECTIONS = 8


def per_connection(server: RunningServer, opening: bytes, count: int, fds: int) -> float:
    """KiB of RSS per connection while ``count`` connections hold after sending ``opening``
    (``fds``: the server's descriptors at rest)."""
    wait_until(lambda: server.fd_count() <= fds, what="the previous connections gone", timeout=WAIT)
    before = server.rss_kib()
    with contextlib.ExitStack() as stack:
        for _ in range(count):
            sock = stack.enter_context(raw_socket(server))
            sock.sendall(opening)
            reset_on_close(sock)
        wait_until(lambda: server.fd_count() >= fds + count, what="all connected", timeout=WAIT)
        honest_exchange(server, 1, seed=count)  # the others have been read
        return (server.rss_kib() - before) / count


def busy(server: RunningServer) -> float:
    """KiB of RSS per connection while connections echo 64 KiB messages back to back."""
    before = server.rss_kib()
    peak = [before]
    stop = threading.Event()

    def exchange(seed: int) -> None:
        while not stop.is_set():
            honest_exchange(server, 20, seed)

    threads = [threading.Thread(target=exchange, args=(i,)) for i in range(BUSY_CONNECTIONS)]
    for thread in threads:
        thread.start()
    for _ in range(20):
        stop.wait(0.1)
        peak.append(server.rss_kib())
    stop.set()
    for thread in threads:
        thread.join(WAIT)
    return (max(peak) - before) / BUSY_CONNECTIONS


@contextlib.contextmanager
def fresh_server(kind: str, log_dir: Path) -> Iterator[tuple[RunningServer, int, int]]:
    """A new server of ``kind``, warmed up; with its RSS (KiB) and descriptors at rest."""
    with running_server(kind, FRAMING, log_dir, deadline=30.0) as server:
        fds = server.fd_count()
        honest_exchange(server, 40, seed=0)
        wait_until(
            lambda: server.fd_count() <= fds, what="the warm-up connection gone", timeout=WAIT
        )
        yield server, server.rss_kib(), fds


def flood_growth(kind: str, log_dir: Path, unit: bytes, total: int) -> int:
    """KiB the server grew by while one peer sent ``unit`` again and again, never reading."""
    with fresh_server(kind, log_dir) as (server, rest, _):
        flood_unread(server, unit, total)
        return server.rss_kib() - rest


def measure(kind: str, connections: int, log_dir: Path) -> list[str]:
    """One row of the table for servers of ``kind``: each figure from a fresh server."""
    with fresh_server(kind, log_dir) as (server, baseline, fds):
        idle = per_connection(server, handshake_bytes(FRAMING), connections, fds)
    stalled_opening = handshake_bytes(FRAMING) + header(0x40, schema.MAX_FRAME_SIZE.default)
    with fresh_server(kind, log_dir) as (server, rest, fds):
        busy_each = busy(server)
    with fresh_server(kind, log_dir) as (server, rest, fds):
        stalled = per_connection(server, stalled_opening + b"p" * 1024, connections, fds)
        wait_until(lambda: server.fd_count() <= fds, what="the connections gone", timeout=WAIT)
        poll(lambda: server.rss_kib() <= rest + 1024)  # settle a little, if it will
        after = server.rss_kib() - rest
    encoder = Encoder(FRAMING)
    pings = flood_growth(kind, log_dir, encoder.ping(b"12345678"), 24 << 20)
    echoes = flood_growth(kind, log_dir, encoder.frame(0, 0x40, bytes(65536)), 64 << 20)
    return [
        kind,
        f"{baseline / 1024:.0f} MiB",
        f"{idle:.0f} KiB",
        f"{stalled:.0f} KiB",
        f"{busy_each:.0f} KiB",
        f"{after / 1024:+.1f} MiB",
        f"{pings / 1024:+.1f} MiB",
        f"{echoes / 1024:+.1f} MiB",
    ]


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=200)
    args = parser.parse_args()
    columns = [
        "server",
        "at rest",
        "idle, each",
        "stalled 1 MiB frame, each",
        "busy (64 KiB echoes), each",
        "after all ended",
        "24 MiB of PINGs unread",
        "64 MiB of messages unread",
    ]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    kinds = [kind for kind in SERVER_KINDS if kind != "javascript" or NODE is not None]
    with tempfile.TemporaryDirectory() as log_dir:
        for kind in kinds:
            print("| " + " | ".join(measure(kind, args.connections, Path(log_dir))) + " |")


if __name__ == "__main__":
    main()
