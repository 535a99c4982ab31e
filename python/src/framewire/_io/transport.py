"""What the blocking (``framewire.sync``) and asyncio (``framewire.aio``) transports share.

The two transports differ only in how they wait for the socket. Everything that is a
*decision* rather than a wait lives here, once:

* ``PeerState`` - what the peer's non-data events said (its HELLO, PONGs, its end);
  ``PeerState.sort`` splits a batch of session events into the data for the
  application and the rest.
* ``next_batch`` - every session event available now, or why there is none.
* ``checked_options`` - a channel's options (defaults when None), with FW-LIM-5's rule
  that a receiver with no message limit must stream.
* ``transport_error`` - maps an ``OSError`` from the socket layer to
  ``TransportError`` (FW-SES-5).
* ``ConnectionFailures`` - a server's bounded record of why connections ended.
* ``APPLICATION_FAILED`` - the ERROR reason when the code using a channel raised.
* ``SEND_NOT_STARTED``, ``SEND_CUT`` - what a send's expired ``timeout=`` says.

The close policy is the same in both, and its state is ``framewire._io.lifecycle``'s:
half-close (FW-CLS-1), then read and discard until the peer's end of input or the
``linger`` deadline, then close (FW-CLS-4, FW-SES-3). A channel left by an exception
(a server's handler that raised, or was cancelled at shutdown) sends ``internal-error``
first, so the peer does not see a clean end.
"""

from __future__ import annotations

import collections
import socket
from typing import TypeVar, cast

from framewire.addresses import Address, format_address
from framewire.errors import ProtocolError, TransportError, UsageError
from framewire.events import (
    Message,
    PeerClosed,
    PeerHello,
    Piece,
    PingReceived,
    PongReceived,
    Sentinel,
)
from framewire.options import Options
from framewire.session import Session, SessionEvent

DataEvent = TypeVar("DataEvent", Message, Piece)
"""What a channel receives: whole ``Message``s, or ``Piece``s when it streams."""


class PeerState:
    """What the peer has told us through the session's non-data events.

    Both transports keep it the same way; only how they then send (a PONG) or wake a
    waiting call differs.
    """

    __slots__ = ("done", "hello", "pongs")

    def __init__(self) -> None:
        self.hello: PeerHello | None = None
        """The peer's HELLO: its limits on what we send (FW-HEL-5)."""
        self.pongs: list[bytes] = []
        """Data of PONGs received for our PINGs and not yet claimed by ping()."""
        self.done = False
        """The peer half-closed cleanly (FW-CLS-2): nothing more will come."""

    def record(self, event: SessionEvent) -> bool:
        """Note a non-data event; return True when the session queued a PONG that must be
        sent at once (FW-PNG-2)."""
        if isinstance(event, PeerHello):
            self.hello = event
        elif isinstance(event, PongReceived):
            self.pongs.append(event.data)
        elif isinstance(event, PeerClosed):
            self.done = True
        return isinstance(event, PingReceived)

    def sort(
        self, batch: list[SessionEvent], data_type: type[DataEvent]
    ) -> tuple[list[DataEvent], bool]:
        """The data events of ``batch`` in order (for the application), after recording
        the others; and whether one of them queued a PONG that must be sent at once.

        A session batch ends at its first non-data event, so a batch whose last event
        is data is all data and is returned as it is: the common case costs one check.
        Control events are acted on when their batch is decoded, before the application
        has taken the data that came before them: a PING is answered at once
        (FW-PNG-2), and a waiting call sees the HELLO, a PONG or the peer's end; the
        application still receives all that data first, since the transports return
        ``None`` at the peer's end only once the data is taken.
        """
        if type(batch[-1]) is data_type:
            return cast("list[DataEvent]", batch), False
        data: list[DataEvent] = []
        pong_due = False
        for event in batch:
            if isinstance(event, data_type):
                data.append(event)
            elif self.record(event):
                pong_due = True
        return data, pong_due


def next_batch(session: Session) -> list[SessionEvent] | Sentinel:
    """Every event the session can give now (a non-empty list), else NEED_DATA or END.

    Raises the session's failure (a ProtocolError or PeerError), only once every event decoded
    before the fault has been returned (Session.next_events keeps the error for the
    next call).
    """
    batch = session.next_events()
    if batch:
        return batch
    event = session.next_event()  # why the batch is empty: NEED_DATA, END or the error
    return event if isinstance(event, Sentinel) else [event]


def transport_error(exc: OSError, during: str) -> TransportError:
    """Wrap a socket-layer failure (reset, broken pipe, ...) as a TransportError (FW-SES-5).

    The message says what we were doing, since "Connection reset by peer" alone does not
    tell an application whether its data went out.
    """
    error = TransportError(f"connection failed while {during}: {exc.strerror or exc}")
    error.errno = exc.errno  # only errno: str() stays the message above
    error.__cause__ = exc
    return error


def check_listen_target(address: Address | None, sock: socket.socket | None) -> None:
    """A server listens on an address or on a socket already bound: exactly one of them."""
    if (address is None) == (sock is None):
        raise UsageError("give either an address or a bound socket (sock=)")


def listening_error(exc: OSError, address: Address | None) -> TransportError:
    """A failure to listen, naming where (``transport_error``)."""
    where = "the socket given" if address is None else format_address(address)
    return transport_error(exc, f"listening on {where}")


def checked_options(options: Options | None, *, streaming: bool) -> Options:
    """The options a channel's session gets (defaults when None), checked against FW-LIM-5:
    a receiver that announces no message limit must stream (``streaming=True``)."""
    options = options if options is not None else Options()
    if not streaming and options.limits.max_message_size == 0:
        raise UsageError(
            "max_message_size=0 (no limit) needs streaming=True: a receiver that "
            "assembles whole messages would hold unbounded memory (FW-LIM-5)"
        )
    return options


SEND_NOT_STARTED = (
    "send(timeout=) expired while the peer was not reading: nothing of the message was "
    "sent; the connection is still usable"
)
"""The ``TimeoutError`` of a send whose timeout expired before the message went out, in
both APIs (spec/guide/errors.md, "A call's timeout")."""
SEND_CUT = "send(timeout=) expired with part of the message written"
"""The detail of the ``timeout`` failure of a blocking send cut short part-way."""

APPLICATION_FAILED = "the application ended the connection with an exception"
"""The ERROR reason a channel sends when the block that used it raised (FW-ERR-6). It
names no exception: the exception's text is the application's, not the peer's to read."""


FAILURES_KEPT = 32
"""Most recent connection failures a server keeps whole (older ones are only counted)."""


class ConnectionFailures:
    """Why a server's connections ended, in memory that does not grow with their number.

    A server runs for months; keeping every exception that ended a connection would keep
    its traceback too, whose frames hold the connection's channel, session and receive
    buffer: hundreds of KiB for each connection long gone. So a failure is counted under
    its kind (the registry name of a ``ProtocolError``, such as ``"frame-too-large"``,
    else the exception's class name), and only the last ``keep`` are kept, with their
    tracebacks cleared (the message and the attributes stay).
    """

    __slots__ = ("_keep", "counts", "recent")

    def __init__(self, keep: int = FAILURES_KEPT) -> None:
        self._keep = keep
        self.counts: collections.Counter[str] = collections.Counter()
        """Failures seen since the server started, per kind."""
        self.recent: list[BaseException] = []
        """The last ``keep`` failures, oldest first, without their tracebacks."""

    def record(self, error: BaseException) -> None:
        """Count ``error`` and keep it among the recent ones, without its frames."""
        kind = error.name if isinstance(error, ProtocolError) else type(error).__name__
        self.counts[kind] += 1
        _drop_frames(error)
        self.recent.append(error)
        if len(self.recent) > self._keep:
            del self.recent[: len(self.recent) - self._keep]


def _drop_frames(error: BaseException) -> None:
    """Clear the tracebacks of ``error`` and of the exceptions chained to it."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = None
        pending += (current.__cause__, current.__context__)
