"""An asyncio echo server built as the guide shows, run as its own process by the hostile-
peer tests so that its memory and file descriptors can be measured alone.

    python tests/helpers/aio_echo_server.py ADDRESS [--framing F] [--timeout S]
                                    [--certfile PEM --keyfile PEM]

With ``--certfile`` and ``--keyfile``, every connection runs over TLS (spec section 12).

Prints ``listening on ADDRESS`` on stderr, then logs every failed connection there (at
INFO level, as ``framewire.aio`` does) until it is terminated.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: tests/

from framewire import Deadlines, Framing
from framewire.addresses import format_address, parse_address
from framewire.aio import start_server
from framewire.options import Options
from framewire.tls import server_context
from helpers.io_peers import async_echo as echo
from helpers.memory_report import install as install_memory_report


async def serve(args: argparse.Namespace) -> None:
    """Serve until SIGTERM."""
    deadlines = Deadlines(handshake=args.timeout, frame=args.timeout, linger=0.2)
    # As the CLI's servers: the hostile-peer tests bound its RSS once connections end.
    context = None if args.certfile is None else server_context(args.certfile, args.keyfile)
    server = await start_server(
        parse_address(args.address),
        echo,
        options=Options(Framing(args.framing)),
        deadlines=deadlines,
        ssl=context,
        trim_heap=True,
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    install_memory_report(asyncio.get_running_loop())
    print(f"listening on {format_address(server.address)}", file=sys.stderr, flush=True)
    async with server:
        await stop.wait()


def main() -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    parser.add_argument("--framing", default=Framing.LENGTH_PREFIXED.value)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--certfile", help="serve over TLS with this certificate chain")
    parser.add_argument("--keyfile", help="the certificate's private key")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s: %(message)s")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
