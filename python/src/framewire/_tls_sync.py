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

import socket
import time

from framewire.tls import TlsLayer

__all__ = ["TlsSocket", "tls_handshake"]

CIPHERTEXT_SIZE = 256 * 1024
"""Bytes of TLS records asked of the kernel per ``recv`` (see framewire.sync.RECV_SIZE)."""


class TlsSocket:
    """A connected socket with TLS on it, as ``Channel`` uses a socket."""

    def __init__(self, sock: socket.socket, layer: TlsLayer) -> None:
        self.raw = sock
        self.layer = layer
        self._ciphertext = bytearray(CIPHERTEXT_SIZE)

    def recv_into(self, buffer: memoryview | bytearray) -> int:
        """Plaintext into ``buffer``, reading records as needed (the socket's timeout
        bounds each wait); 0 at the peer's ``close_notify``."""
        view = memoryview(buffer)
        layer = self.layer
        while (count := layer.read_into(view)) is None:
            self._send_output()  # e.g. a TLS 1.3 key update answered
            self._receive_records()
        return count

    def sendall(self, data: bytes | bytearray | memoryview) -> None:
        """Encrypt ``data`` and send it whole."""
        self.layer.write(data)
        self.raw.sendall(self.layer.take_output())

    def shutdown(self, how: int) -> None:
        """``SHUT_WR`` half-closes with ``close_notify`` first (FW-TLS-5)."""
        if how != socket.SHUT_RD:
            self.layer.close_notify()
            self._send_output()
        self.raw.shutdown(how)

    def settimeout(self, timeout: float | None) -> None:
        self.raw.settimeout(timeout)

    def gettimeout(self) -> float | None:
        return self.raw.gettimeout()

    def close(self) -> None:
        self.raw.close()

    def _send_output(self) -> None:
        output = self.layer.take_output()
        if output:
            self.raw.sendall(output)

    def _receive_records(self) -> None:
        """One ``recv`` of TLS records (or of the end of input) into the layer."""
        received = self.raw.recv_into(self._ciphertext)
        if received:
            self.layer.feed(memoryview(self._ciphertext)[:received])
        else:
            self.layer.feed_eof()


def tls_handshake(sock: socket.socket, layer: TlsLayer, timeout: float | None) -> TlsSocket:
    """Run the TLS handshake on a connected socket within ``timeout`` seconds (the
    handshake deadline); raises ``TlsError``, ``TimeoutError`` or ``OSError``."""
    deadline = None if timeout is None else time.monotonic() + timeout
    secure = TlsSocket(sock, layer)
    while not layer.handshake():
        secure._send_output()
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the TLS handshake did not finish within the deadline")
            sock.settimeout(remaining)
        secure._receive_records()
    secure._send_output()  # the client's Finished, or the server's session tickets
    return secure
