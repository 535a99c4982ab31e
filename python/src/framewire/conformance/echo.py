"""The reference echo peer of live mode (spec FW-CNF-25), on framewire's blocking transport.

    python -m framewire.conformance.echo --listen 127.0.0.1:7000        # a server
    python -m framewire.conformance.echo --connect 127.0.0.1:7000       # a client that
                                                                        # reconnects until refused

Its options are the echo peer contract of FW-CNF-32 (every implementation's echo peer
takes the same ones): --framing, --max-frame-size, --max-message-size, --checksum,
--handshake-ms, --frame-ms.

Its application sends back every data message it receives; PING/PONG, ERROR, clean close
and failing a connection are the transport's and session's own behaviour.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Sequence

from framewire.addresses import format_address, parse_address
from framewire.deadlines import Deadlines
from framewire.errors import FramewireError
from framewire.framing import Framing, Limits
from framewire.options import Options
from framewire.sync import Channel, connect, serve


def echo(channel: Channel) -> None:
    """Send back each data message as soon as it is complete, until the peer's clean end."""
    for message in channel:
        channel.send(message)


def run_client(
    address: str, framing: Framing, limits: Limits, deadlines: Deadlines, checksum: bool
) -> int:
    """--connect: one echo session after another, until a connection is refused."""
    target = parse_address(address)
    while True:
        try:
            channel = connect(
                target, options=Options(framing, limits, checksum), deadlines=deadlines
            )
        except FramewireError as exc:
            # The transport raises TransportError "from None": the OSError is the context.
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, ConnectionRefusedError | FileNotFoundError):
                return 0  # the runner closed its listener: the run is over
            continue  # this connection failed in its handshake, as the vector wanted
        try:
            with channel:
                echo(channel)
        except FramewireError:
            continue  # the session failed as the spec says; the next vector connects again


def run_server(
    address: str, framing: Framing, limits: Limits, deadlines: Deadlines, checksum: bool
) -> int:
    """--listen: serve until interrupted; prints `listening ADDRESS` once it listens."""
    with serve(
        parse_address(address),
        echo,
        options=Options(framing, limits, checksum),
        deadlines=deadlines,
    ) as server:
        print(f"listening {format_address(server.address)}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            return 0
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m framewire.conformance.echo``."""
    parser = argparse.ArgumentParser(
        prog="python -m framewire.conformance.echo",
        description="Framewire echo peer for the conformance runner's live mode (FW-CNF-25).",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--listen", metavar="ADDRESS", help="HOST:PORT or unix:PATH")
    where.add_argument("--connect", metavar="ADDRESS", help="HOST:PORT or unix:PATH")
    parser.add_argument("--framing", choices=[f.value for f in Framing], default="length-prefixed")
    parser.add_argument("--max-frame-size", type=int, default=Limits().max_frame_size)
    parser.add_argument("--max-message-size", type=int, default=Limits().max_message_size)
    parser.add_argument(
        "--checksum", action="store_true", help="put a CRC-32C trailer on every frame sent"
    )
    parser.add_argument(
        "--handshake-ms", type=int, default=10_000, help="handshake deadline (0: none)"
    )
    parser.add_argument("--frame-ms", type=int, default=30_000, help="frame deadline (0: none)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)  # failed connections are expected here
    framing = Framing(args.framing)
    limits = Limits(args.max_frame_size, args.max_message_size)
    deadlines = Deadlines(
        handshake=args.handshake_ms / 1000 or None, frame=args.frame_ms / 1000 or None
    )
    if args.connect:
        return run_client(args.connect, framing, limits, deadlines, args.checksum)
    return run_server(args.listen, framing, limits, deadlines, args.checksum)


if __name__ == "__main__":
    sys.exit(main())
