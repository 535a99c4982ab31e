"""One log line per connection event of a server: accepted, handshake done, ended.

A server is where a client's mistakes show up first (a wrong framing, a TLS or HTTP
client, a peer that sends nothing), so each connection says what became of it. The lines
go to the ``framewire.connections`` logger at INFO, so an application sees them only when
it asks (``logging.basicConfig(level=logging.INFO)``); the ``framewire`` CLI prints them on
stderr.

The format is fixed so that lines can be grepped and split: ``conn N EVENT`` and then
``key=value`` fields, with ``reason=`` last because it runs to the end of the line::

    conn 1 accepted peer=127.0.0.1:50312
    conn 1 handshake framing=delimited peer_max_frame_size=65536 peer_max_message_size=65536
    conn 1 ended clean
    conn 2 ended error=bad-preface code=300 statement=FW-PRE-2 reason=framing mismatch: ...

An ended line names one of: ``clean``; ``error=NAME code=N statement=ID`` (we failed the
connection: a protocol error of the peer, or a deadline); ``peer-error=NAME code=N`` (the
peer sent an ERROR frame); ``transport-error`` (a reset or broken pipe); ``handler-error``
(an exception in the application's handler, logged with its traceback as well);
``cancelled`` (an asyncio handler cancelled by the server's shutdown).

``current_connection()`` gives the handler the number its connection's lines carry
(``framewire listen`` tags each message with it).
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import logging
import threading

from framewire._io.transport import ConnectionFailures
from framewire.addresses import Address, format_address
from framewire.errors import PeerError, ProtocolError, TransportError
from framewire.events import PeerHello
from framewire.framing import Framing

__all__ = ["LOGGER_NAME", "ConnectionLog", "current_connection"]

LOGGER_NAME = "framewire.connections"
_log = logging.getLogger(LOGGER_NAME)
_current: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "framewire_connection", default=None
)


def current_connection() -> int | None:
    """The number of the connection whose handler is running here (its thread), or None
    outside a handler of a server that logs its connections."""
    return _current.get()


class ConnectionLog:
    """Numbers a server's connections from 1, logs their events and records their
    failures (thread-safe). Both servers, blocking and asyncio, keep one.

    A ``name`` goes before each number (``conn w3-17``), so that the lines of several
    servers that log to one place (the workers of ``--workers``) tell them apart.
    """

    def __init__(self, name: str | None = None) -> None:
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._prefix = "" if name is None else f"{name}-"
        self.failures = ConnectionFailures()
        """Why connections ended (the server's ``errors`` and ``error_counts``)."""

    def accepted(self, peer: Address) -> int:
        """Log a new connection from ``peer``; return its number for the later lines."""
        with self._lock:
            number = next(self._numbers)
        # An unnamed Unix socket client has the empty path as its address.
        _log.info(
            "conn %s%d accepted peer=%s",
            self._prefix,
            number,
            format_address(peer) if peer else "unix",
        )
        return number

    def handshake(self, number: int, framing: Framing, hello: PeerHello) -> None:
        """Log the end of the handshake: the framing and the limits the peer announced.

        The handler runs next, in this thread: ``number`` becomes its
        ``current_connection()``."""
        _current.set(number)
        _log.info(
            "conn %s%d handshake framing=%s peer_max_frame_size=%d peer_max_message_size=%d",
            self._prefix,
            number,
            framing.value,
            hello.max_frame_size,
            hello.max_message_size,
        )

    def ended(self, number: int, error: BaseException | None = None) -> None:
        """Log how the connection ended: cleanly when ``error`` is None. An error is
        recorded among the failures too, unless it is the cancellation of a shutdown."""
        if error is None:
            _log.info("conn %s%d ended clean", self._prefix, number)
            return
        _log.info(
            "conn %s%d ended %s reason=%s", self._prefix, number, _fields(error), _one_line(error)
        )
        if isinstance(error, Exception):
            with self._lock:
                self.failures.record(error)


def _fields(error: BaseException) -> str:
    if isinstance(error, asyncio.CancelledError):
        return "cancelled"
    if isinstance(error, ProtocolError):
        return f"error={error.name} code={int(error.code)} statement={error.statement}"
    if isinstance(error, PeerError):
        return f"peer-error={error.name or 'unknown'} code={error.code}"
    if isinstance(error, TransportError):
        return "transport-error"
    return f"handler-error type={type(error).__name__}"


def _one_line(error: BaseException) -> str:
    """The error's own text without what the fields already say, on one line."""
    text = error.detail if isinstance(error, ProtocolError) else str(error)
    return " ".join(text.splitlines())
