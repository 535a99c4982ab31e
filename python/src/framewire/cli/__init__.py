"""The ``framewire`` command: encode, decode and inspect frames; send and serve over sockets.

Messages on the command line are JSON objects, one per line (a JSON array is accepted
too):

    {"type": 64, "flags": 0, "payload": "text, as UTF-8"}
    {"type": 65, "payload_hex": "00ff10"}

``type`` is required (64-255 for data; 1-4 are control messages), ``flags`` (the
application flags, 0-15) defaults to 0, and the payload is given as ``payload`` (UTF-8
text) or ``payload_hex`` (bytes), not both; none means an empty payload. ``listen``
adds ``conn``, the number of the connection (as in its log lines), which input ignores. ``decode``,
``send``, ``listen`` and ``echo`` print messages in the same form, so their output can be
fed back to ``encode`` or ``send``.

Exit codes: 0 success, 1 protocol or connection failure or an expired deadline, 2 usage
error (bad options or bad input syntax), 130 after Ctrl-C (``framewire.__main__``).

Other subcommands may plug in: when ``framewire.conformance.cli`` exists, its
``add_parser(subparsers)`` adds ``framewire conformance``; the parser it adds sets
``handler=fn(args) -> exit code``, as every subcommand's parser does.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from typing import NoReturn

from rich.console import Console

from framewire import __version__
from framewire._cli_options import (
    HelpFormatter,
    UsageError,
    add_tls_options,
    certificate_error,
    file_error_reason,
    tls_client_options,
)
from framewire._codec import compiled, schema
from framewire._io.connlog import LOGGER_NAME, current_connection
from framewire.addresses import Address, address_family, format_address, parse_address
from framewire.cli import _serial, _wireshark
from framewire.cli._annotate import inspect_stream
from framewire.cli._arenas import use_one_arena
from framewire.cli._io import (
    BYTES_COLUMN,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    JsonLines,
    error_to_json,
    message_to_json,
    print_report,
    read_frames,
    read_json_messages,
)
from framewire.cli._send import add_send_mode_options, deadlines_within, run_send_socket
from framewire.deadlines import Deadlines
from framewire.decoder import Decoder
from framewire.encoder import Encoder
from framewire.errors import FramewireError
from framewire.errors import UsageError as LibraryUsageError
from framewire.events import END, FrameDropped, Message, Sentinel
from framewire.framing import Framing, Limits
from framewire.options import Options
from framewire.sync import Channel, serve
from framewire.tls import client_context, require_client_certificates, server_context

__all__ = ["main", "make_console"]

# --- output ---------------------------------------------------------------------------


def make_console(args: argparse.Namespace, *, stderr: bool = False) -> Console:
    """A rich Console that colours only on a terminal, and never when NO_COLOR is set.

    NO_COLOR (https://no-color.org) counts when it is set to a non-empty value;
    ``--no-color`` does the same from the command line.
    """
    stream = sys.stderr if stderr else sys.stdout
    no_color = bool(getattr(args, "no_color", False) or os.environ.get("NO_COLOR"))
    colour = stream.isatty() and not no_color
    return Console(
        file=stream,
        color_system="auto" if colour else None,
        no_color=not colour,
        force_terminal=colour,
        highlight=False,
        soft_wrap=True,
    )


# --- options shared by several subcommands --------------------------------------------


def _size(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def _address(text: str) -> Address:
    try:
        return parse_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_framing(parser: argparse.ArgumentParser, *, serial: bool = False) -> None:
    parser.add_argument(
        "-f",
        "--framing",
        choices=[framing.value for framing in Framing],
        default=None if serial else Framing.LENGTH_PREFIXED.value,
        help="the framing (default: length-prefixed; delimited with --serial)"
        if serial
        else "the framing (default: %(default)s)",
    )


def _add_limits(parser: argparse.ArgumentParser, *, peer: bool = True) -> None:
    """The receiver's limits; a command with a ``peer`` announces them in its HELLO."""
    parser.add_argument(
        "--max-frame-size",
        type=_size,
        default=schema.MAX_FRAME_SIZE.default,
        help="largest frame payload accepted, announced to the peer; also the size the "
        "frames sent are split to (or the peer's limit, when smaller) (default: %(default)s)"
        if peer
        else "largest frame payload accepted (default: %(default)s)",
    )
    parser.add_argument(
        "--max-message-size",
        type=_size,
        default=schema.MAX_MESSAGE_SIZE.default,
        help="largest message accepted, 0 for no limit (default: %(default)s)",
    )


def _add_input(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "input", nargs="?", default="-", help=f"file of {what} (default: - for standard input)"
    )


def _add_bytes_format(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument("--raw", action="store_true", help=f"{verb} raw bytes instead of hex text")


def _add_deadlines(parser: argparse.ArgumentParser, *, client: bool = False) -> None:
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds any wait may last: the connect and handshake, each send, a frame "
        "that stalls, the peer's end after ours (default: %(default)s)"
        if client
        else "handshake and frame deadline, in seconds (default: %(default)s)",
    )


def _tls_server_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    if not args.tls:
        if args.certfile or args.keyfile or args.cafile:
            raise UsageError("--certfile, --keyfile and --cafile need --tls")
        return None
    if args.certfile is None:
        raise UsageError("--tls on a server needs --certfile (and --keyfile)")
    try:
        context = server_context(args.certfile, args.keyfile, None)
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(certificate_error(exc, args.certfile, args.keyfile)) from None
    if args.cafile is not None:
        try:
            require_client_certificates(context, args.cafile)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(
                f"cannot load --cafile {args.cafile}: {file_error_reason(exc)}"
            ) from None
    return context


def _limits(args: argparse.Namespace) -> Limits:
    try:
        return Limits(args.max_frame_size, args.max_message_size)
    except LibraryUsageError as exc:
        raise UsageError(_flag_names(str(exc))) from None


def _flag_names(text: str) -> str:
    """A library message about limits, with the options' names instead of the fields'."""
    for field in ("max_frame_size", "max_message_size"):
        text = text.replace(field, "--" + field.replace("_", "-"))
    return text


def _framing(args: argparse.Namespace) -> Framing:
    if args.framing is not None:
        return Framing(args.framing)
    # A serial line is what the delimited framing is for (spec 4.2).
    return Framing.DELIMITED if getattr(args, "serial", None) else Framing.LENGTH_PREFIXED


def _options(args: argparse.Namespace) -> Options:
    """The session options of the commands that talk to a peer (send, echo, listen)."""
    limits = _limits(args)
    return Options(
        _framing(args), limits, checksum=args.checksum, send_frame_size=limits.max_frame_size
    )


def _check_endpoint(args: argparse.Namespace) -> None:
    """Exactly one of the socket ADDRESS and --serial PORT."""
    if (args.address is None) == (args.serial is None):
        raise UsageError("give either an ADDRESS or --serial PORT")
    if args.serial is not None and getattr(args, "tls", False):
        raise UsageError("--tls runs over sockets, not over --serial")


def _deadlines(args: argparse.Namespace) -> Deadlines:
    return deadlines_within(args.timeout)


# --- encode / decode / inspect --------------------------------------------------------


def run_encode(args: argparse.Namespace) -> int:
    """JSON messages in, frames out (hex, one message per line, or raw bytes)."""
    try:
        encoder = Encoder(
            _framing(args), checksum=args.checksum, max_frame_size=args.max_frame_size
        )
    except LibraryUsageError as exc:
        raise UsageError(_flag_names(str(exc))) from None
    messages = read_json_messages(args.input)
    try:
        encoded = [encoder.encode(message) for message in messages]
    except LibraryUsageError as exc:
        raise UsageError(f"cannot encode: {exc}") from None
    if args.raw:
        sys.stdout.buffer.write(b"".join(encoded))
        sys.stdout.buffer.flush()
    else:
        for data in encoded:
            print(data.hex())
    return EXIT_OK


def run_decode(args: argparse.Namespace) -> int:
    """Frames in, JSON messages out; errors reported with their code and statement."""
    decoder = Decoder(_framing(args), _limits(args), hunting=args.hunting)
    decoder.feed(read_frames(args.input, args.raw))
    decoder.feed_eof()
    out = JsonLines(sys.stdout)
    status = EXIT_OK
    while (event := decoder.next_event()) is not END:
        if isinstance(event, Message):
            out.print(message_to_json(event))
        elif isinstance(event, FrameDropped):
            out.print({"dropped": error_to_json(event.error)})
            status = EXIT_FAILURE
        elif isinstance(event, Sentinel):  # NEED_DATA cannot follow feed_eof()
            raise AssertionError(f"decoder returned {event} after the end of input")
    return status


def run_inspect(args: argparse.Namespace) -> int:
    """An annotated dump of every frame: fields, values, CRC verdict, errors."""
    if args.serial is not None:
        options = Options(_framing(args), _limits(args))
        return _serial.run_inspect_serial(args, options, make_console(args))
    data = read_frames(args.input, args.raw)
    console = make_console(args)
    reports = inspect_stream(data, _framing(args), _limits(args))
    # One width for the bytes column of the whole dump, so that every column lines up.
    width = max([BYTES_COLUMN, *(len(f.hex) for report in reports for f in report.fields)])
    failed = False
    for report in reports:
        print_report(console, report, width)
        failed = failed or report.error is not None
    return EXIT_FAILURE if failed else EXIT_OK


# --- send / listen / echo ---------------------------------------------------------------


def run_send(args: argparse.Namespace) -> int:
    """Connect, send the messages, half-close, print what comes back until the peer's end
    (as each line is typed on a terminal: ``framewire.cli._send``)."""
    if args.serial is not None and args.address is not None and args.input == "-":
        args.input, args.address = args.address, None  # with --serial: [input] only
        if _looks_like_address(args.input):
            raise UsageError(
                f"--serial PORT and the address {args.input} both say where to send: give one"
            )
    _check_endpoint(args)
    _deadlines(args)
    if args.serial is not None:
        if args.interactive or args.text:
            raise UsageError("--interactive and --text work over sockets, not with --serial")
        return _serial.run_send_serial(args, _options(args))
    try:
        address = parse_address(args.address)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    out = JsonLines(sys.stdout)
    return run_send_socket(
        args,
        address,
        _options(args),
        tls_client_options(args, client_context),
        lambda reply: out.print(message_to_json(reply)),
    )


def _looks_like_address(text: str) -> bool:
    """Whether an operand is an address rather than a file (which --serial expects)."""
    if os.path.exists(text):
        return False
    try:
        parse_address(text)
    except ValueError:
        return False
    return True


def _log_connections(quiet: bool) -> None:
    """Print the server's per-connection lines (``framewire._io.connlog``) on stderr, or not."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.propagate = False
    handler: logging.Handler = logging.NullHandler() if quiet else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)


def _serve(args: argparse.Namespace, handle: Callable[[Channel, JsonLines], None]) -> int:
    _log_connections(args.quiet)
    if args.workers > 1:
        return _serve_workers(args, handle)
    return _serve_here(args, handle, args.address)


class _Worker:
    """What a worker of --workers knows of its place: its number, its parent, and the pipe
    on which it tells the parent once whether it listens."""

    def __init__(self, number: int, parent: int, ready: int) -> None:
        self.number = number
        self.parent = parent
        self._ready: int | None = ready

    @property
    def name(self) -> str:
        return f"w{self.number}"

    def report(self, failure: str | None = None) -> bool:
        """Tell the parent, once: listening (``failure`` None), or why not; False when it
        has been told already."""
        if self._ready is None:
            return False
        line = f"{self.number} {'ok' if failure is None else failure}"
        # One short write on a pipe cannot mix with another worker's (PIPE_BUF). It fails
        # when the parent has stopped reading: it is stopping the workers then.
        with contextlib.suppress(OSError):
            os.write(self._ready, (" ".join(line.splitlines())[:400] + "\n").encode())
        os.close(self._ready)
        self._ready = None
        return True

    def orphaned(self) -> bool:
        """True once the parent is gone (this process was handed to another)."""
        return os.getppid() != self.parent


def _serve_here(
    args: argparse.Namespace,
    handle: Callable[[Channel, JsonLines], None],
    address: Address,
    worker: _Worker | None = None,
) -> int:
    """Run one server in this process until SIGTERM, Ctrl-C or (with --once) the end of
    one connection.

    SIGTERM stops it as the end of --once does: no new connection, those running get the
    shutdown's few seconds, and the status says whether any failed; the same with
    --workers, whose parent passes SIGTERM on. A worker shares its port (SO_REUSEPORT),
    names its log lines, and ends when its parent is gone."""
    out = JsonLines(sys.stdout)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    use_one_arena()  # this process is the server: one thread per connection (_arenas)

    def handler(channel: Channel) -> None:
        try:
            handle(channel, out)
        finally:
            if args.once:
                done.set()

    with serve(
        address,
        handler,
        options=_options(args),
        deadlines=_deadlines(args),
        reuse_port=worker is not None,
        ssl=_tls_server_context(args),
        name=None if worker is None else worker.name,
        trim_heap=True,  # this process is the server: its heap is its own to trim
    ) as server:
        if worker is None:
            print(f"listening on {format_address(server.address)}", file=sys.stderr, flush=True)
        else:
            worker.report()
        try:
            # With --once, a first connection that fails before its handler runs (a bad
            # preface, a handshake deadline) ends the command as well.
            while not done.wait(0.2):
                if (args.once and server.errors) or (worker is not None and worker.orphaned()):
                    break
        except KeyboardInterrupt:
            return EXIT_OK
        server.shutdown()
        if args.quiet:  # otherwise each failure has had its log line
            for error in server.errors:
                print(f"framewire: connection failed: {error}", file=sys.stderr)
        return EXIT_FAILURE if server.errors else EXIT_OK


MAX_WORKERS_PER_CPU = 4
MAX_WORKERS = MAX_WORKERS_PER_CPU * (os.cpu_count() or 1)
"""The most processes --workers starts: more than the CPUs can run adds only memory and
descriptors, and a typo (100000) must not fill the machine's process table."""
_WORKERS_STOP_WAIT = 10.0
"""Seconds workers get to end after SIGTERM before they are killed (a failed start)."""


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"at most {MAX_WORKERS} ({MAX_WORKERS_PER_CPU} per CPU) and at least 1, not {text!r}"
        )
    return value


def _serve_workers(args: argparse.Namespace, handle: Callable[[Channel, JsonLines], None]) -> int:
    """--workers N: N processes listen on one TCP port with SO_REUSEPORT, and the kernel
    spreads the connections over them (Linux balances them; each worker is the server
    of one process). The port is reserved first by a socket that is bound but never
    listens, so port 0 gives every worker the same free port.

    The workers are forked here, before this process has any thread. Each tells on a
    pipe whether it listens; if one cannot start (or a fork fails), those started are
    stopped and reaped, and the command fails with one line. Each watches that its
    parent is alive, so none outlives a parent that was killed."""
    if isinstance(args.address, str):
        raise UsageError("--workers needs a TCP address (SO_REUSEPORT has no Unix sockets)")
    if args.once:
        raise UsageError("--workers and --once do not go together")
    _tls_server_context(args)  # a bad certificate is a usage error here, not N failed starts
    with socket.socket(address_family(args.address), socket.SOCK_STREAM) as reservation:
        reservation.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        reservation.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        reservation.bind(args.address)
        address = reservation.getsockname()[:2]
        workers, failure = _start_workers(args, handle, address, reservation)
        if failure is not None:
            _end_workers(workers)
            print(f"framewire: {failure}", file=sys.stderr)
            return EXIT_FAILURE
        print(
            f"listening on {format_address(address)} ({args.workers} workers)",
            file=sys.stderr,
            flush=True,
        )
        return _supervise(workers)


def _start_workers(
    args: argparse.Namespace,
    handle: Callable[[Channel, JsonLines], None],
    address: Address,
    reservation: socket.socket,
) -> tuple[dict[int, int], str | None]:
    """Fork the workers and wait until each listens: their pids (to numbers), and why
    they do not all listen (None when they do)."""
    parent = os.getpid()
    workers: dict[int, int] = {}
    ready_in, ready_out = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    failure = None
    try:
        for number in range(1, args.workers + 1):
            pid = os.fork()
            if pid == 0:
                os.close(ready_in)
                reservation.close()
                _run_worker(args, handle, address, _Worker(number, parent, ready_out))
            workers[pid] = number
    except OSError as exc:
        failure = f"cannot start worker {len(workers) + 1}: {exc.strerror or exc}"
    os.close(ready_out)
    with os.fdopen(ready_in, "rb") as ready:
        for _ in workers:
            line = ready.readline().decode(errors="replace").rstrip("\n")
            which, _, outcome = line.partition(" ")
            if outcome != "ok":
                failure = failure or (
                    f"worker {which} could not start: {outcome}"
                    if line
                    else "a worker ended before it listened"
                )
                break
    return workers, failure


def _run_worker(
    args: argparse.Namespace,
    handle: Callable[[Channel, JsonLines], None],
    address: Address,
    worker: _Worker,
) -> NoReturn:
    """The life of a forked worker: serve, then leave without returning into the parent's
    code (os._exit: the parent's cleanup is the parent's)."""
    status = EXIT_FAILURE
    try:
        try:
            status = _serve_here(args, handle, address, worker)
        except KeyboardInterrupt:
            status = EXIT_OK
        except BaseException as exc:  # whatever it was: one line, no traceback
            reason = f"{type(exc).__name__}: {exc}"
            if not worker.report(reason):  # it listened: the parent no longer reads the pipe
                print(f"framewire: worker {worker.number} failed: {reason}", file=sys.stderr)
        worker.report("ended before it listened")  # nothing if it has reported already
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status)


def _end_workers(workers: dict[int, int]) -> dict[int, int]:
    """SIGTERM every worker, reap them all (SIGKILL for those still there after
    _WORKERS_STOP_WAIT); return each one's exit status, by pid."""
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + _WORKERS_STOP_WAIT
    while len(statuses) < len(workers):
        for pid in workers.keys() - statuses.keys():
            reaped, status = os.waitpid(pid, os.WNOHANG)
            if reaped:
                statuses[pid] = os.waitstatus_to_exitcode(status)
            elif time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
    return statuses


def _supervise(workers: dict[int, int]) -> int:
    """Wait for the workers; pass SIGTERM (and Ctrl-C) on; when one ends on its own, stop
    the others. The status is a failure when any worker's is."""
    running = dict(workers)
    failed = False
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    while running:
        try:
            pid, status = os.wait()
        except KeyboardInterrupt:  # the workers have it too (one process group)
            stopping = True
            continue
        number = running.pop(pid, None)
        if number is None:
            continue
        code = os.waitstatus_to_exitcode(status)
        failed = failed or code != EXIT_OK
        if not stopping:
            print(
                f"framewire: worker {number} ended (exit status {code}); stopping the others",
                file=sys.stderr,
                flush=True,
            )
            stop()
    return EXIT_FAILURE if failed else EXIT_OK


def run_listen(args: argparse.Namespace) -> int:
    """Accept connections and print every message received."""
    _check_endpoint(args)
    if args.serial is not None:
        return _serial.run_listen_serial(args, _options(args))

    def handle(channel: Channel, out: JsonLines) -> None:
        tag = {"conn": current_connection()}  # the number of the log's `conn N` lines
        for message in channel:
            out.print(tag | message_to_json(message))

    return _serve(args, handle)


def run_echo(args: argparse.Namespace) -> int:
    """Accept connections and send every message back, unchanged."""

    def handle(channel: Channel, out: JsonLines) -> None:
        for message in channel:
            if args.verbose:
                out.print(message_to_json(message))
            channel.send(message)

    return _serve(args, handle)


# --- the parser -----------------------------------------------------------------------

_EPILOG_EXIT = "exit status: 0 success, 1 protocol or connection failure, 2 usage error, 130 Ctrl-C"


def _subcommand(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Callable[[argparse.Namespace], int],
    summary: str,
    example: str,
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name,
        help=summary,
        description=f"{summary}\n\nexample:\n  {example}",
        epilog=_EPILOG_EXIT,
        formatter_class=HelpFormatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand (plus plug-ins, see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="framewire",
        description="Framewire: encode, decode and inspect frames; talk to peers over "
        "TCP or Unix sockets.\n\nexample:\n"
        '  echo \'{"type": 64, "payload": "hi"}\' | framewire encode | framewire inspect',
        epilog=_EPILOG_EXIT,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--no-color", action="store_true", help="never colour the output")
    parser.add_argument(
        "--version",
        action="version",
        version=(
            f"framewire {__version__} (Framewire protocol version {schema.VERSION}); "
            f"receive path: {compiled.RECEIVE_PATH}"
        ),
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    encode = _subcommand(
        subparsers,
        "encode",
        run_encode,
        "Encode JSON messages (one per line) into frames, printed as hex or raw bytes.",
        'echo \'{"type": 64, "payload": "hi"}\' | framewire encode --checksum',
    )
    _add_input(encode, "JSON messages")
    _add_framing(encode)
    encode.add_argument("--checksum", action="store_true", help="add CRC-32C trailers")
    encode.add_argument(
        "--max-frame-size",
        type=_size,
        default=schema.MAX_FRAME_SIZE.default,
        help="split messages into frames of this many payload bytes (default: %(default)s)",
    )
    _add_bytes_format(encode, "write")

    decode = _subcommand(
        subparsers,
        "decode",
        run_decode,
        "Decode frames (hex or raw bytes) into JSON messages, one per line.",
        "framewire decode <<< '4657010040000000026869'",
    )
    _add_input(decode, "frames")
    _add_framing(decode)
    _add_limits(decode, peer=False)
    _add_bytes_format(decode, "read")
    decode.add_argument(
        "--hunting",
        action="store_true",
        help="delimited framing: skip everything up to the first 0x00 (FW-DLM-8)",
    )

    inspect = _subcommand(
        subparsers,
        "inspect",
        run_inspect,
        "Print an annotated dump of frames: each field, its value, the CRC verdict, "
        "and the error and spec statement where the input is bad.",
        "framewire inspect <<< '4657010040000000026869'",
    )
    _add_input(inspect, "frames (a session preface at the start is shown too)")
    _add_framing(inspect, serial=True)
    _add_limits(inspect, peer=False)
    _add_bytes_format(inspect, "read")
    _serial.add_serial_options(inspect, session=False)

    send = _subcommand(
        subparsers,
        "send",
        run_send,
        "Connect to a peer, send JSON messages, half-close, and print its replies.",
        'echo \'{"type": 64, "payload": "hi"}\' | framewire send 127.0.0.1:7000',
    )
    send.add_argument("address", nargs="?", help="HOST:PORT, [IPV6]:PORT or unix:PATH")
    _add_input(send, "JSON messages")
    _add_framing(send, serial=True)
    _add_limits(send)
    send.add_argument("--checksum", action="store_true", help="add CRC-32C trailers")
    _add_deadlines(send, client=True)
    add_tls_options(send, server=False)
    add_send_mode_options(send)
    _serial.add_serial_options(send, session=True)

    for name, handler, summary, example in (
        (
            "listen",
            run_listen,
            "Accept connections and print every message received as JSON.",
            "framewire listen 127.0.0.1:7000",
        ),
        (
            "echo",
            run_echo,
            "Accept connections and send every message back unchanged (an echo server).",
            "framewire echo --framing delimited unix:/tmp/fw.sock",
        ),
    ):
        server = _subcommand(subparsers, name, handler, summary, example)
        server.add_argument(
            "address",
            type=_address,
            nargs="?" if name == "listen" else None,
            help="HOST:PORT (port 0: any free port) or unix:PATH",
        )
        _add_framing(server, serial=name == "listen")
        _add_limits(server)
        server.add_argument("--checksum", action="store_true", help="add CRC-32C trailers")
        server.add_argument(
            "--once", action="store_true", help="exit after the first connection ends"
        )
        _add_deadlines(server)
        server.add_argument(
            "--workers",
            type=_workers,
            default=1,
            metavar="N",
            help="serve from N processes sharing the port (SO_REUSEPORT; TCP only; at most "
            f"{MAX_WORKERS_PER_CPU} per CPU)",
        )
        server.add_argument(
            "-q",
            "--quiet",
            action="store_true",
            help="no log line per connection on stderr (accepted, handshake, ended)",
        )
        add_tls_options(server, server=True)
        if name == "listen":
            _serial.add_serial_options(server, session=True)
        if name == "echo":
            server.add_argument(
                "-v", "--verbose", action="store_true", help="also print what is echoed"
            )

    _wireshark.add_parser(subparsers)
    _add_plugins(subparsers)
    return parser


def _add_plugins(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``framewire conformance`` when its package is installed."""
    try:
        from framewire.conformance.cli import add_parser  # noqa: PLC0415 - optional plug-in
    except ImportError as exc:
        if exc.name not in {"framewire.conformance", "framewire.conformance.cli"}:
            raise
        return
    add_parser(subparsers)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 failure, 2 usage; Ctrl-C's
    130 is set by ``framewire.__main__``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.handler(args)
    except UsageError as exc:
        print(f"framewire: usage error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except FramewireError as exc:
        print(f"framewire: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILURE
    except OSError as exc:  # a deadline (TimeoutError), or a file or device gone wrong
        prefix = "timed out: " if isinstance(exc, TimeoutError) else ""
        print(f"framewire: {prefix}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    return status
