"""What both servers do with their listening socket: its backlog, and what to do when
``accept`` fails.

The backlog. Connections that arrive faster than the server accepts them wait in the
kernel's accept queue; once it is full, Linux drops their SYNs and the clients retry
after a second or more, so a small queue turns a burst of connections into seconds of
delay. ``DEFAULT_BACKLOG`` asks for the most the system allows: ``listen()`` cuts any
larger value down to ``net.core.somaxconn`` anyway, which is read where the system says
it, else taken to be 4096 (Linux's default since 5.4).

Failed accepts. When the process (``EMFILE``) or the system (``ENFILE``) is out of
descriptors, or the kernel out of buffers or memory, the connection stays in the
queue and the listener stays readable: retrying at once spins, logging each attempt.
``AcceptBackoff`` makes the server wait instead, longer each time up to a second (the
delays of Go's ``net/http``; asyncio waits a second), and logs one line, then one at most
every ``LOG_INTERVAL`` seconds while the shortage lasts. Only a failure known to concern
one connection (reset or aborted before it was accepted) is skipped at once; any other
is waited out the same way, so no failure can make the loop spin.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
import stat
import time
from pathlib import Path

from framewire._io.transport import check_listen_target, listening_error
from framewire.addresses import Address, address_family

__all__ = ["DEFAULT_BACKLOG", "AcceptBackoff", "open_listener"]

_log = logging.getLogger("framewire.server")

_SOMAXCONN = Path("/proc/sys/net/core/somaxconn")
_FALLBACK_BACKLOG = 4096


def _system_backlog() -> int:
    try:
        value = int(_SOMAXCONN.read_text())
    except (OSError, ValueError):
        return _FALLBACK_BACKLOG
    return value if value > 0 else _FALLBACK_BACKLOG


DEFAULT_BACKLOG = _system_backlog()
"""The accept queue a server asks for unless told otherwise: ``net.core.somaxconn``."""

ONE_CONNECTION = frozenset(
    {errno.ECONNABORTED, errno.ECONNRESET, errno.EPROTO, errno.EPERM, errno.EAGAIN, errno.EINTR}
)
"""The errors of ``accept`` that concern one connection: the next one may well succeed."""
FIRST_DELAY = 0.005
"""Seconds the first retry after a shortage waits; each next one waits twice as long."""
MAX_DELAY = 1.0
"""The longest wait between two attempts during a shortage."""
LOG_INTERVAL = 10.0
"""Least seconds between two log lines about one shortage."""


class AcceptBackoff:
    """The waits between ``accept`` attempts while a shortage lasts (not thread-safe:
    one per accept loop)."""

    __slots__ = ("_delay", "_logged_at", "_told", "_unlogged")

    def __init__(self) -> None:
        self._delay = 0.0
        self._logged_at = -LOG_INTERVAL
        self._unlogged = 0
        self._told = False
        """A shortage has been logged and its end not yet."""

    def accepted(self) -> None:
        """An accept succeeded: the shortage, if any, is over."""
        self._delay = 0.0
        if self._told:
            self._told = False
            _log.warning("accepting connections again")

    def failed(self, exc: OSError) -> float:
        """Seconds to wait before the next ``accept``: 0 when ``exc`` concerns one
        connection only, else the next delay of the back-off."""
        if exc.errno in ONE_CONNECTION:
            _log.info("accept failed: %s", exc.strerror or exc)
            return 0.0
        self._delay = min(MAX_DELAY, self._delay * 2 or FIRST_DELAY)
        now = time.monotonic()
        if now - self._logged_at < LOG_INTERVAL:
            self._unlogged += 1
        else:
            more = f" ({self._unlogged} more times since the last line)" if self._unlogged else ""
            _log.warning(
                "cannot accept a connection: %s%s; retrying, at most every %g s",
                exc.strerror or exc,
                more,
                MAX_DELAY,
            )
            self._logged_at, self._unlogged, self._told = now, 0, True
        return self._delay


def open_listener(
    address: Address | None, sock: socket.socket | None, *, backlog: int, reuse_port: bool
) -> socket.socket:
    """A listening socket: ``sock`` (bound already) or a new one bound to ``address``.

    A Unix socket file already at ``address`` is removed first, as asyncio's servers do;
    any other file there stays, and binding fails. Raises ``TransportError``.
    """
    check_listen_target(address, sock)
    if sock is not None:
        listener = sock
    else:
        assert address is not None
        listener = _new_socket(address, reuse_port)
    try:
        if isinstance(address, str):
            with contextlib.suppress(OSError):
                if stat.S_ISSOCK(os.stat(address).st_mode):
                    os.unlink(address)
        if address is not None:
            listener.bind(address)
        listener.listen(backlog)
    except OSError as exc:
        listener.close()
        raise listening_error(exc, address) from None
    return listener


def _new_socket(address: Address, reuse_port: bool) -> socket.socket:
    """An unbound stream socket for ``address``, with the options a server wants."""
    listener = socket.socket(address_family(address), socket.SOCK_STREAM)
    if not isinstance(address, str):
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return listener
