"""``framewire send`` over a socket: interactive on a terminal, batch otherwise.

Interactive (standard input is a terminal, or ``--interactive``): connect and do the
handshake first, then send each line as it is typed and print each reply as it comes,
in the spirit of ``nc``; a line that is not a message is reported and skipped, so a typo
does not cost the connection. End of input (Ctrl-D) half-closes and waits for the
peer's end. Batch (``--batch``, or input from a pipe or file): read and check every
message first, so that bad input fails before anything is sent, then connect and send.

Every wait is bounded by ``--timeout``: the connect and handshake (the handshake
deadline), each send, a frame that stalls half-way, and the wait for the peer's end
after ours. Only the wait for the user's next line is not.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import ssl
import sys
from collections.abc import Callable, Iterator

from framewire._cli_options import UsageError
from framewire._codec.diagnosis import PLAIN_ON_TLS
from framewire.addresses import Address, address_family, format_address
from framewire.cli._io import message_from_json, read_json_messages, read_text
from framewire.deadlines import Deadlines
from framewire.errors import ErrorCode, RemoteProtocolError, TlsError
from framewire.events import Message
from framewire.options import Options
from framewire.sync import Channel, connect

__all__ = ["add_send_mode_options", "deadlines_within", "parse_line", "run_send_socket"]

_POLL = 0.05
"""Seconds between looks at standard input while waiting for replies (interactive)."""
_LINGER = 1.0
"""The linger deadline (FW-CLS-4) when --timeout is longer."""
_PROBE_TIMEOUT = 2.0
"""At most this long to find out whether a port that closed on us speaks TLS."""


def add_send_mode_options(parser: argparse.ArgumentParser) -> None:
    """``--interactive`` / ``--batch`` and the line format (``--text``, ``--type``)."""
    group = parser.add_argument_group("input")
    mode = group.add_mutually_exclusive_group()
    mode.add_argument(
        "--interactive",
        action="store_true",
        help="connect first, send each line as it is read, print replies as they come "
        "(the default when standard input is a terminal)",
    )
    mode.add_argument(
        "--batch",
        action="store_true",
        help="read and check every message first, then connect and send them "
        "(the default when standard input is a pipe or a file)",
    )
    group.add_argument(
        "--text",
        action="store_true",
        help="each line is the UTF-8 payload of one message (of --type), not JSON",
    )
    group.add_argument(
        "--type",
        type=int,
        default=64,
        dest="message_type",
        help="the message type of --text lines (default: %(default)s)",
    )


def deadlines_within(timeout: float) -> Deadlines:
    """Handshake and frame deadlines of ``timeout``; linger no longer than it."""
    if not timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, not {timeout:g}")
    return Deadlines(handshake=timeout, frame=timeout, linger=min(timeout, _LINGER))


def parse_line(line: str, args: argparse.Namespace) -> Message:
    """One line of input as a message: JSON, or with ``--text`` the line as its payload."""
    if args.text:
        return Message(args.message_type, line.encode("utf-8"))
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        hint = "" if line.lstrip()[:1] in "{[" else " (--text sends lines as they are)"
        raise UsageError(f"not a JSON message: {exc.msg}{hint}") from None
    return message_from_json(obj)


def run_send_socket(
    args: argparse.Namespace,
    address: Address,
    options: Options,
    tls: tuple[ssl.SSLContext | None, str | None],
    print_message: Callable[[Message], None],
) -> int:
    """Send to ``address``, interactively or in one batch (see the module docstring)."""
    if args.message_type not in range(64, 256):
        raise UsageError(f"--type must be a data message type, 64 to 255, not {args.message_type}")
    batch: list[Message] | None = None  # None: interactive
    if args.interactive or (not args.batch and sys.stdin.isatty()):
        if args.input != "-":
            raise UsageError("--interactive reads standard input: leave out the input file")
    elif args.text:
        text = read_text(args.input, "--text sends lines of UTF-8 text")
        batch = [parse_line(line, args) for line in text.splitlines()]
    else:
        batch = read_json_messages(args.input)
    try:
        _exchange(args, address, options, tls, print_message, batch=batch)
    except TlsError as error:
        if "client certificate" in str(error) and not args.certfile:
            raise TlsError(f"{error}: give one with --certfile (and --keyfile)") from None
        raise
    return 0


def _exchange(
    args: argparse.Namespace,
    address: Address,
    options: Options,
    tls: tuple[ssl.SSLContext | None, str | None],
    print_message: Callable[[Message], None],
    *,
    batch: list[Message] | None,
) -> None:
    """Connect, send (as typed, or the ``batch`` when not None), and print the replies
    until the end."""
    channel = _connect(address, options, args.timeout, tls)
    with channel:
        if batch is None:
            print(
                f"connected to {format_address(address)}: "
                + (
                    f"each line is sent as a message of type {args.message_type}"
                    if args.text
                    else "type one JSON message per line"
                )
                + "; Ctrl-D ends",
                file=sys.stderr,
                flush=True,
            )
            ended = _converse(channel, args, print_message)
        else:
            for message in batch:
                channel.send(message, timeout=args.timeout)
            ended = False
        if not ended:
            channel.close_write()
            _receive_to_end(channel, args.timeout, print_message)


def _connect(
    address: Address,
    options: Options,
    timeout: float,
    tls: tuple[ssl.SSLContext | None, str | None],
) -> Channel:
    """Connect; a port that closes before its preface is checked for TLS, to say so."""
    context, server_name = tls
    try:
        return connect(
            address,
            options=options,
            deadlines=deadlines_within(timeout),
            ssl=context,
            server_hostname=server_name,
        )
    except RemoteProtocolError as error:
        if (
            context is None
            and error.code is ErrorCode.HANDSHAKE_INCOMPLETE
            and speaks_tls(address, min(timeout, _PROBE_TIMEOUT))
        ):
            raise RemoteProtocolError(
                error.code,
                f"{error.detail.removesuffix(PLAIN_ON_TLS)}: this port speaks TLS, add --tls "
                "(and --cafile for a private CA)",
                statement=error.statement,
            ) from None
        raise


def speaks_tls(address: Address, timeout: float) -> bool:
    """Whether a TLS handshake gets an answer at ``address`` (no certificate checked)."""
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE
    with socket.socket(address_family(address), socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(address)
            with probe.wrap_socket(sock, server_hostname=None):
                return True
        except ssl.SSLError as exc:  # an alert is TLS too (a client certificate required)
            return "ALERT" in str(exc.reason)
        except OSError:
            return False


def _converse(
    channel: Channel, args: argparse.Namespace, print_message: Callable[[Message], None]
) -> bool:
    """Send each line of standard input as it comes, print replies meanwhile; True when
    the peer ended first."""
    for line in _lines(channel, print_message):
        if line is None:
            return True
        if not line.strip():
            continue
        try:
            message = parse_line(line, args)
        except UsageError as exc:
            print(f"framewire: not sent: {exc}", file=sys.stderr, flush=True)
            continue
        channel.send(message, timeout=args.timeout)
    return False


def _lines(channel: Channel, print_message: Callable[[Message], None]) -> Iterator[str | None]:
    """Lines of standard input as they come (None: the peer has ended), printing the
    replies that arrive meanwhile."""
    stdin = sys.stdin.fileno()
    pending = b""
    while True:
        try:
            while (reply := channel.recv(timeout=0 if b"\n" in pending else _POLL)) is not None:
                print_message(reply)
            print("framewire: the peer ended the connection", file=sys.stderr, flush=True)
            yield None
            return
        except TimeoutError:
            pass  # no reply now; the connection is still usable
        if b"\n" not in pending:
            ready, _, _ = select.select([stdin], [], [], 0)
            if not ready:
                continue
            chunk = os.read(stdin, 65536)
            if not chunk:
                if pending:
                    yield pending.decode("utf-8", errors="replace")
                return
            pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            yield line.decode("utf-8", errors="replace")


def _receive_to_end(
    channel: Channel, timeout: float, print_message: Callable[[Message], None]
) -> None:
    """Print replies until the peer's end, for at most ``timeout`` seconds of silence."""
    try:
        while (reply := channel.recv(timeout=timeout)) is not None:
            print_message(reply)
    except TimeoutError:
        raise TimeoutError(
            f"the peer did not end the connection within {timeout:g} s of our end"
        ) from None
