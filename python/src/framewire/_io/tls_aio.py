"""TLS for the asyncio transport, with the half-close that asyncio's own TLS lacks.

asyncio's TLS transports (``loop.create_connection(ssl=...)``) cannot carry Framewire's
clean end (spec section 12): ``can_write_eof()`` is False, so we could not half-close;
the peer's ``close_notify`` makes them send their own and close, so we could not answer
after the peer's half-close (FW-CLS-3); and an end of the TCP stream without
``close_notify`` reaches the protocol as the same ``eof_received()``, so a truncation
would pass for a clean end (FW-TLS-7).

So the TLS layer here is our own: ``TlsShim`` is the protocol of a plain TCP (or Unix)
transport and runs an ``ssl.SSLObject`` over memory buffers; to the Framewire protocol
above it, it is a transport (``TlsTransport``) whose ``write_eof()`` sends
``close_notify`` and then the TCP half-close (FW-TLS-5), which reports the peer's
``close_notify`` as ``eof_received()`` and keeps writing open (FW-TLS-6), and which ends
with ``TlsTruncationError`` when the TCP stream ends without it (FW-TLS-7).

The upper protocol gets ``connection_made`` at once: what it writes before the TLS
handshake is done waits here, so its handshake deadline (FW-LIM-6) bounds the TLS
handshake too. Decrypted bytes go straight into its ``get_buffer()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from framewire.errors import TlsError
from framewire.tls import TlsLayer

__all__ = ["TlsShim", "TlsTransport"]

_P = ParamSpec("_P")
_R = TypeVar("_R")

_CIPHERTEXT_BUFFER = 256 * 1024
"""Bytes of TLS records taken from the socket per read (the largest read the plaintext
buffer offers, framewire._codec.receive_buffer.MAX_READ_AHEAD)."""


class TlsTransport(asyncio.Transport):
    """What the Framewire protocol sees: a transport of plaintext over ``TlsShim``."""

    def __init__(self, shim: TlsShim) -> None:
        super().__init__()
        self._shim = shim

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._shim.write(bytes(data))

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self._shim.write_eof()

    def is_closing(self) -> bool:
        return self._shim.lower.is_closing()

    def close(self) -> None:
        self._shim.close()

    def abort(self) -> None:
        self._shim.lower.abort()

    def pause_reading(self) -> None:
        self._shim.pause_reading()

    def resume_reading(self) -> None:
        self._shim.resume_reading()

    def is_reading(self) -> bool:
        return not self._shim.reading_paused

    def get_write_buffer_size(self) -> int:
        return self._shim.lower.get_write_buffer_size()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._shim.lower.set_write_buffer_limits(high, low)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """As asyncio's TLS transports: ``ssl_object``, ``peercert``, ``cipher``, and
        whatever the TCP transport knows (``peername``, ``socket``)."""
        tls = self._shim.layer.tls
        if name == "ssl_object":
            return tls
        if name == "peercert":
            return tls.getpeercert()
        if name == "cipher":
            return tls.cipher()
        return self._shim.lower.get_extra_info(name, default)


class TlsShim(asyncio.BufferedProtocol):
    """The TCP transport's protocol: TLS records in and out, plaintext to ``upper``."""

    def __init__(self, upper: asyncio.BufferedProtocol, layer: TlsLayer) -> None:
        self.upper = upper
        self.layer = layer
        self.lower: asyncio.Transport
        self._ciphertext = memoryview(bytearray(_CIPHERTEXT_BUFFER))
        self._pending: list[bytes] = []
        """Plaintext written before the handshake was done."""
        self.reading_paused = False
        self._eof_sent = False
        self._error: TlsError | None = None
        """Why we closed the TCP transport, given to the upper protocol when it is lost."""

    # -- the TCP transport's side ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport; uvloop's do not derive from asyncio.Transport.
        self.lower = cast(asyncio.Transport, transport)
        self.upper.connection_made(TlsTransport(self))
        self._advance()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._ciphertext

    def buffer_updated(self, nbytes: int) -> None:
        self.layer.feed(self._ciphertext[:nbytes])
        self._advance()

    def eof_received(self) -> bool:
        self.layer.feed_eof()
        self._advance()  # the rest, then close_notify (FW-TLS-6) or truncation (FW-TLS-7)
        return True  # our direction stays open until we half-close ourselves

    def connection_lost(self, exc: Exception | None) -> None:
        # The upper protocol refers to us through its transport, and a TlsError raised
        # here through its traceback: cycles that would hold this connection's TLS state
        # and buffers until the garbage collector finds them (asyncio's own transports
        # let go of their protocol here for the same reason).
        # Nothing is passed up any more: the TCP transport calls us no more, and the
        # upper protocol resumes reading no closing transport.
        upper, self.upper = self.upper, asyncio.BufferedProtocol()
        error, self._error = self._error, None  # its traceback refers to us too
        self.layer.release()
        upper.connection_lost(exc if exc is not None else error)

    def pause_writing(self) -> None:
        self.upper.pause_writing()

    def resume_writing(self) -> None:
        self.upper.resume_writing()

    # -- the upper protocol's side ----------------------------------------------------

    def write(self, data: bytes) -> None:
        if not self.layer.handshake_done:
            self._pending.append(data)
        elif not self._eof_sent and self._error is None:
            self._call(self.layer.write, data)

    def write_eof(self) -> None:
        """Half-close: ``close_notify``, then the TCP half-close (FW-TLS-5)."""
        if self._eof_sent:
            return
        self._eof_sent = True
        if not self.layer.handshake_done:
            self.lower.close()  # no TLS session to end: nothing was sent over it
            return
        self._call(self.layer.close_notify)
        if self.lower.can_write_eof() and not self.lower.is_closing():
            self.lower.write_eof()

    def close(self) -> None:
        self.write_eof()
        self.lower.close()

    def pause_reading(self) -> None:
        self.reading_paused = True
        self.lower.pause_reading()

    def resume_reading(self) -> None:
        self.reading_paused = False
        self.lower.resume_reading()
        self._advance()  # plaintext that stayed in the TLS buffers meanwhile

    # -- TLS ---------------------------------------------------------------------------

    def _advance(self) -> None:
        """Make what progress the received records allow: handshake, then plaintext."""
        layer = self.layer
        if not layer.handshake_done:
            if not self._call(layer.handshake):
                return
            pending, self._pending = self._pending, []
            for data in pending:
                self.write(data)
        upper = self.upper
        while not self.reading_paused and self._error is None:
            buffer = memoryview(upper.get_buffer(-1))
            count = self._call(layer.read_into, buffer)
            if count is None:
                break
            if count == 0:  # the peer's close_notify (FW-TLS-6)
                upper.eof_received()
                break
            upper.buffer_updated(count)
        self._flush()  # TLS 1.3 key updates and the like may want an answer

    def _call(self, step: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R | None:
        """Run a TLS step and send what it produced; a ``TlsError`` closes the TCP
        transport and reaches the upper protocol through ``connection_lost``."""
        try:
            result = step(*args, **kwargs)
        except TlsError as error:
            self._flush()  # the alert that tells the peer why
            if self._error is None:
                self._error = error
            self.lower.close()
            return None
        self._flush()
        return result

    def _flush(self) -> None:
        output = self.layer.take_output()
        if output and not self.lower.is_closing():
            self.lower.write(output)
