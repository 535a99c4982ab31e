"""``framewire send``, ``listen`` and ``inspect`` over a serial port (``--serial PORT``).

The socket commands connect, hand out a session and end at the peer's half-close. A
serial line has none of that, so here, by default (the codec profile of
``framewire.serial``): ``send`` writes its messages and exits; ``listen`` prints every
message, and every frame the line damaged as ``{"dropped": {...}}``, until the port hangs
up (or Ctrl-C); ``inspect`` prints an annotated dump of each frame as its delimiter
arrives. ``--session`` runs the session profile (preface and HELLO first) for ``send``
and ``listen`` (``listen`` answers: its preface and HELLO follow the sender's).

pyserial is an optional dependency (``framewire[serial]``): it is imported only here,
and only when ``--serial`` is given.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from framewire._cli_options import UsageError
from framewire.cli._annotate import inspect_stream
from framewire.cli._io import (
    EXIT_FAILURE,
    EXIT_OK,
    JsonLines,
    error_to_json,
    message_to_json,
    print_report,
    read_json_messages,
)
from framewire.events import FrameDropped
from framewire.framing import Framing
from framewire.options import Options

if TYPE_CHECKING:
    from rich.console import Console

    from framewire.serial import SerialLink

__all__ = ["add_serial_options", "run_inspect_serial", "run_listen_serial", "run_send_serial"]

_DELIMITER = 0x00


def add_serial_options(parser: argparse.ArgumentParser, *, session: bool) -> None:
    """``--serial PORT`` and ``--baud N`` (and ``--session`` where it makes sense)."""
    group = parser.add_argument_group("serial line (needs framewire[serial])")
    group.add_argument(
        "--serial",
        metavar="PORT",
        help="use this serial port (or pyserial URL such as loop://) instead of a socket; "
        "the framing is then delimited unless --framing says otherwise",
    )
    group.add_argument(
        "--baud", type=int, default=115200, help="serial line speed (default: %(default)s)"
    )
    if session:
        group.add_argument(
            "--session",
            action="store_true",
            help="run a session (preface, HELLO) over the serial line, not the bare codec",
        )


def _open(args: argparse.Namespace, options: Options, **link_options: bool) -> SerialLink:
    """Open the port of ``--serial`` (a usage error when pyserial is not installed)."""
    try:
        from framewire.serial import SerialLink  # noqa: PLC0415 - pyserial is optional
    except ImportError as exc:
        if exc.name != "serial":
            raise
        raise UsageError("--serial needs pyserial: pip install 'framewire[serial]'") from None
    if args.baud < 1:
        raise UsageError(f"--baud must be a positive number of bits per second, not {args.baud}")
    return SerialLink.open(args.serial, args.baud, options=options, **link_options)


def run_send_serial(args: argparse.Namespace, options: Options) -> int:
    """Write the messages to the serial port (after the handshake with ``--session``)."""
    messages = read_json_messages(args.input)
    with _open(args, options, session=args.session) as link:
        if args.session:
            try:
                link.handshake(args.timeout)
            except TimeoutError:
                raise TimeoutError(
                    f"no answer from {args.serial} within {args.timeout:g} s: is a Framewire "
                    "session (e.g. framewire listen --serial PORT --session) at the other end?"
                ) from None
        for message in messages:
            link.send(message)
    return EXIT_OK


def run_listen_serial(args: argparse.Namespace, options: Options) -> int:
    """Print every message from the serial port as JSON, and every dropped frame."""
    out = JsonLines(sys.stdout)
    dropped = False
    # Started first, listen answers: its preface and HELLO wait for the sender's.
    with _open(args, options, session=args.session, answer=args.session) as link:
        print(f"listening on serial {args.serial}", file=sys.stderr, flush=True)
        try:
            for event in link:
                if isinstance(event, FrameDropped):
                    dropped = True
                    out.print({"dropped": error_to_json(event.error)})
                else:
                    out.print(message_to_json(event))
        except KeyboardInterrupt:
            pass
    return EXIT_FAILURE if dropped else EXIT_OK


def run_inspect_serial(args: argparse.Namespace, options: Options, console: Console) -> int:
    """Annotate each delimited frame as its ``0x00`` arrives, until the port hangs up.

    The dump is computed by ``inspect_stream`` over everything received since the first
    delimiter (so a message's frames are judged together, as a decoder would), and only
    the reports of new frames are printed.
    """
    if options.framing is not Framing.DELIMITED:
        raise UsageError("inspect --serial reads the delimited framing only")
    link = _open(args, options)
    received = bytearray()
    hunting = True
    printed = 0
    failed = False
    with link:
        print(f"inspecting serial {args.serial}", file=sys.stderr, flush=True)
        try:
            while (chunk := link.read_raw()) is not None:
                if hunting:  # FW-DLM-8: the bytes before the first 0x00 are no frame
                    zero = chunk.find(_DELIMITER)
                    if zero < 0:
                        continue
                    chunk, hunting = chunk[zero + 1 :], False
                received += chunk
                end = received.rfind(_DELIMITER) + 1
                if end == 0:
                    continue
                reports = inspect_stream(bytes(received[:end]), options.framing, options.limits)
                complete = reports[:-1] if reports[-1].title == "end of input" else reports
                for report in complete[printed:]:
                    print_report(console, report)
                    failed = failed or report.error is not None
                printed = len(complete)
        except KeyboardInterrupt:
            pass
    return EXIT_FAILURE if failed else EXIT_OK
