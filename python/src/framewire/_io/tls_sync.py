"""TLS for the blocking transport: a socket-like object over a ``TlsLayer``.

``TlsSocket`` offers the few socket methods a ``framewire.sync.Channel`` calls
(``recv_into``, ``sendall``, ``settimeout``, ``shutdown``, ``close``) and runs TLS in
between, so the channel's receive loop, deadlines and close policy stay those of plain
TCP. What changes is what an end means (spec section 12): ``shutdown(SHUT_WR)`` sends
``close_notify`` before the TCP half-close (FW-TLS-5); ``recv_into`` returns 0 at the
peer's ``close_notify`` (FW-TLS-6) and raises ``TlsTruncationError`` when the TCP
stream ends without it (FW-TLS-7).

``ssl.SSLSocket`` is not used: its ``unwrap()`` reads on after sending ``close_notify``
and fails on the data a peer still sends (see ``TlsLayer.close_notify``).
"""

from __future__ import annotations

import collections
import contextlib
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from framewire.errors import TlsError
from framewire.tls import TlsLayer

__all__ = ["TlsSocket", "tls_handshake"]

_R = TypeVar("_R")

CIPHERTEXT_SIZE = 256 * 1024
"""Bytes of TLS records asked of the kernel per ``recv`` (the largest read the plaintext buffer
offers, framewire._codec.receive_buffer.MAX_READ_AHEAD)."""


class TlsSocket:
    """A connected socket with TLS on it, as ``Channel`` uses a socket.

    One thread may receive while another sends (the conformance runner's live mode does):
    the TLS state is touched under a lock that is never held across a socket call, and
    records go out in the order they were made, whichever thread sends them.
    """

    def __init__(self, sock: socket.socket, layer: TlsLayer) -> None:
        self.raw = sock
        self.layer = layer
        self._ciphertext = bytearray(CIPHERTEXT_SIZE)
        self._layer_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._outgoing: collections.deque[bytes] = collections.deque()
        """Records made and not sent yet, oldest first."""

    def recv_into(self, buffer: memoryview | bytearray) -> int:
        """Plaintext into ``buffer``, reading records as needed (the socket's timeout
        bounds each wait); 0 at the peer's ``close_notify``."""
        view = memoryview(buffer)
        while (count := self._step(self.layer.read_into, view)) is None:
            self._send_queued(wait=False)  # e.g. a TLS 1.3 key update answered
            received = self.raw.recv_into(self._ciphertext)
            if received:
                self._step(self.layer.feed, memoryview(self._ciphertext)[:received])
            else:
                self._step(self.layer.feed_eof)
        return count

    def recv(self, size: int) -> bytes:
        """Up to ``size`` bytes of plaintext; ``b""`` at the peer's ``close_notify``."""
        buffer = bytearray(size)
        return bytes(buffer[: self.recv_into(buffer)])

    def sendall(self, data: bytes | bytearray | memoryview) -> None:
        """Encrypt ``data`` and send it whole.

        When the peer has closed on us, its last words are often an alert that says why
        (TLS 1.3 servers check a client's certificate after the client's handshake is
        done): that alert, read from what is left to receive, is raised rather than the
        broken pipe."""
        self._step(self.layer.write, data)
        try:
            self._send_queued(wait=True)
        except (BrokenPipeError, ConnectionResetError):
            self._raise_alert()
            raise

    def _raise_alert(self) -> None:
        """Raise the ``TlsError`` of an alert already received, if one was."""
        with contextlib.suppress(OSError):
            self.raw.settimeout(0)
            while received := self.raw.recv_into(self._ciphertext):
                self._step(self.layer.feed, memoryview(self._ciphertext)[:received])
        discard = memoryview(bytearray(CIPHERTEXT_SIZE))
        while self._step(self.layer.read_into, discard):  # data first, then its failure
            pass

    def shutdown(self, how: int) -> None:
        """``SHUT_WR`` half-closes with ``close_notify`` first (FW-TLS-5)."""
        if how != socket.SHUT_RD:
            self._step(self.layer.close_notify)
            self._send_queued(wait=True)
        self.raw.shutdown(how)

    def settimeout(self, timeout: float | None) -> None:
        """Bound each wait on the socket, as ``socket.socket.settimeout``."""
        self.raw.settimeout(timeout)

    def gettimeout(self) -> float | None:
        """The socket's timeout."""
        return self.raw.gettimeout()

    def setsockopt(self, level: int, option: int, value: int) -> None:
        """Set an option of the TCP socket."""
        self.raw.setsockopt(level, option, value)

    def fileno(self) -> int:
        """The TCP socket's descriptor (-1 once closed)."""
        return self.raw.fileno()

    def close(self) -> None:
        """Close the TCP socket (no ``close_notify``: ``shutdown`` sends it), and let go
        of the TLS failure kept for reading (``TlsLayer.release``)."""
        self.raw.close()
        self.layer.release()

    def _step(self, operation: Callable[..., _R], *args: Any) -> _R:
        """One TLS operation, under the lock; the records it made join the queue."""
        with self._layer_lock:
            try:
                return operation(*args)
            finally:
                output = self.layer.take_output()
                if output:
                    self._outgoing.append(output)

    def _send_queued(self, *, wait: bool) -> None:
        """Send the queued records in order. Without ``wait``, a thread that finds another
        sending leaves its records to it: the sender looks at the queue again before it
        lets go."""
        while self._outgoing:
            if not self._send_lock.acquire(blocking=wait):
                return
            try:
                while self._outgoing:
                    self.raw.sendall(self._outgoing.popleft())
            finally:
                self._send_lock.release()


def tls_handshake(sock: socket.socket, layer: TlsLayer, timeout: float | None) -> TlsSocket:
    """Run the TLS handshake on a connected socket within ``timeout`` seconds (the
    handshake deadline); raises ``TlsError``, ``TimeoutError`` or ``OSError``."""
    deadline = None if timeout is None else time.monotonic() + timeout
    secure = TlsSocket(sock, layer)
    ciphertext = secure._ciphertext
    while not _handshake_step(secure):
        secure._send_queued(wait=True)
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the TLS handshake did not finish within the deadline")
            sock.settimeout(remaining)
        received = sock.recv_into(ciphertext)
        if received:
            layer.feed(memoryview(ciphertext)[:received])
        else:
            layer.feed_eof()
    secure._send_queued(wait=True)  # the client's Finished, or the server's session tickets
    return secure


def _handshake_step(secure: TlsSocket) -> bool:
    """One step of the handshake; when it fails, the alert that tells the peer why is
    sent (if the socket still takes it) before the error is raised."""
    try:
        return secure._step(secure.layer.handshake)
    except TlsError:
        with contextlib.suppress(OSError):
            secure._send_queued(wait=True)
        raise
