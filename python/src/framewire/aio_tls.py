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
import ssl
from collections.abc import Callable
from typing import Any, cast

from framewire.errors import TlsError
from framewire.tls import check_alpn, tls_error

__all__ = ["TlsShim", "TlsTransport"]

_CIPHERTEXT_BUFFER = 256 * 1024
"""Bytes of TLS records taken from the socket per read (see framewire.aio.RECV_SIZE)."""


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

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """As asyncio's TLS transports: ``ssl_object``, ``peercert``, ``cipher``, and
        whatever the TCP transport knows (``peername``, ``socket``)."""
        tls = self._shim.tls
        if name == "ssl_object":
            return tls
        if name == "peercert":
            return tls.getpeercert()
        if name == "cipher":
            return tls.cipher()
        return self._shim.lower.get_extra_info(name, default)


class TlsShim(asyncio.BufferedProtocol):
    """The TCP transport's protocol: TLS records in and out, plaintext to ``upper``."""

    def __init__(
        self,
        upper: asyncio.BufferedProtocol,
        context: ssl.SSLContext,
        *,
        server_side: bool,
        server_hostname: str | None = None,
    ) -> None:
        self.upper = upper
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(
            self._incoming,
            self._outgoing,
            server_side=server_side,
            server_hostname=server_hostname,
        )
        self._server_side = server_side
        self.lower: asyncio.Transport
        self._ciphertext = memoryview(bytearray(_CIPHERTEXT_BUFFER))
        self._handshaking = True
        self._pending: list[bytes] = []
        """Plaintext written before the handshake was done."""
        self.reading_paused = False
        self._eof_sent = False
        self._peer_closed = False
        """The peer's close_notify was received: its direction ended cleanly."""
        self._error: Exception | None = None
        """Why we closed the TCP transport, given to the upper protocol when it is lost."""

    # -- the TCP transport's side ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.lower = transport
        self.upper.connection_made(TlsTransport(self))
        self._advance()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._ciphertext

    def buffer_updated(self, nbytes: int) -> None:
        self._incoming.write(self._ciphertext[:nbytes])
        self._advance()

    def eof_received(self) -> bool:
        self._incoming.write_eof()
        self._advance()  # the rest, then close_notify (FW-TLS-6) or truncation (FW-TLS-7)
        return True  # our direction stays open until we half-close ourselves

    def connection_lost(self, exc: Exception | None) -> None:
        self.upper.connection_lost(exc if exc is not None else self._error)

    def pause_writing(self) -> None:
        self.upper.pause_writing()

    def resume_writing(self) -> None:
        self.upper.resume_writing()

    # -- the upper protocol's side ----------------------------------------------------

    def write(self, data: bytes) -> None:
        if self._handshaking:
            self._pending.append(data)
            return
        if self._eof_sent or self.lower.is_closing():
            return
        try:
            self.tls.write(data)
        except ssl.SSLError as exc:
            self._fail(tls_error(exc, "sending", handshake=False))
            return
        self._flush()

    def write_eof(self) -> None:
        """Half-close: ``close_notify``, then the TCP half-close (FW-TLS-5)."""
        if self._eof_sent:
            return
        self._eof_sent = True
        if self._handshaking or self.lower.is_closing():
            self.close()  # no TLS session to end cleanly: nothing was sent over it
            return
        try:
            self.tls.unwrap()  # writes close_notify, then wants the peer's: we read on
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass
        except ssl.SSLError as exc:
            self._fail(tls_error(exc, "closing", handshake=False))
            return
        self._flush()
        if self.lower.can_write_eof():
            self.lower.write_eof()

    def close(self) -> None:
        if not self._eof_sent and not self._handshaking:
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
        if self._handshaking and not self._handshake():
            return
        self._receive()

    def _handshake(self) -> bool:
        """One step of the TLS handshake; True once it is done."""
        try:
            self.tls.do_handshake()
            if not self._server_side:
                check_alpn(self.tls.selected_alpn_protocol())
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            self._flush()
            if self._incoming.eof:
                self._fail(tls_error(ssl.SSLEOFError(), self._during(), handshake=True))
            return False
        except ssl.SSLError as exc:
            self._flush()  # the alert that tells the peer why
            self._fail(tls_error(exc, self._during(), handshake=True))
            return False
        except TlsError as error:
            self._fail(error)
            return False
        self._handshaking = False
        self._flush()
        pending, self._pending = self._pending, []
        for data in pending:
            self.write(data)
        return True

    def _receive(self) -> None:
        """Decrypt into the upper protocol's buffer until the records run out."""
        upper = self.upper
        # Into a buffer, SSLObject.read returns a count (typeshed says bytes).
        read_into = cast("Callable[[int, memoryview], int]", self.tls.read)
        while not self.reading_paused and not self._peer_closed and self._error is None:
            buffer = memoryview(upper.get_buffer(-1))
            try:
                count = read_into(len(buffer), buffer)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                count = 0
            except ssl.SSLError as exc:  # SSLEOFError: no close_notify (FW-TLS-7)
                self._fail(tls_error(exc, "receiving", handshake=False))
                break
            if count == 0:  # the peer's close_notify (FW-TLS-6)
                self._peer_closed = True
                upper.eof_received()
                break
            upper.buffer_updated(count)
        self._flush()  # TLS 1.3 key updates and the like may want to answer

    def _flush(self) -> None:
        if self._outgoing.pending and not self.lower.is_closing():
            self.lower.write(self._outgoing.read())

    def _fail(self, error: Exception) -> None:
        if self._error is None:
            self._error = error
        self.lower.close()

    def _during(self) -> str:
        return "accepting" if self._server_side else "connecting"
