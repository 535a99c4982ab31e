"""Framewire over TLS: what the blocking and asyncio transports share (spec section 12).

* ``ALPN_PROTOCOL`` - the ALPN id of Framewire/1 (FW-TLS-2).
* ``client_context`` / ``server_context`` - ``ssl.SSLContext`` objects with the secure
  defaults (certificate verification and hostname check on, TLS 1.2 at least), built
  from PEM files the way the command line takes them.
* ``prepare_context`` - checks a context handed to a transport (FW-TLS-1) and sets the
  ALPN id on it; ``resolve_server_hostname`` - the name a client checks the certificate
  against, as ``asyncio`` chooses it.
* ``check_alpn`` - the client's check of the server's ALPN choice (FW-TLS-4).
* ``tls_error`` - an ``ssl.SSLError`` as a ``TlsError`` whose message says, in one line,
  what went wrong: an untrusted certificate, a hostname mismatch, a peer that does not
  speak TLS.

The clean end over TLS is ``close_notify`` (FW-TLS-5): each transport sends it to
half-close and reads on; an end of the TCP stream without it is a truncation
(FW-TLS-7, ``TlsTruncationError``), never a clean end.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from framewire.errors import TlsError, TlsTruncationError, UsageError

if TYPE_CHECKING:
    from framewire.addresses import Address

__all__ = [
    "ALPN_PROTOCOL",
    "SslOption",
    "TlsLayer",
    "check_alpn",
    "client_context",
    "prepare_context",
    "require_client_certificates",
    "resolve_server_hostname",
    "server_context",
    "tls_error",
    "truncation_error",
]

ALPN_PROTOCOL = "framewire/1"
"""The ALPN protocol id of Framewire/1 (FW-TLS-2)."""

SslOption = ssl.SSLContext | bool | None
"""What a client's ``ssl=`` takes, as in ``asyncio``: a context, ``True`` for the
system's trusted CAs with the default checks, or ``None``/``False`` for no TLS."""

_TOO_OLD = frozenset({ssl.TLSVersion.SSLv3, ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1})


def client_context(
    cafile: str | None = None, certfile: str | None = None, keyfile: str | None = None
) -> ssl.SSLContext:
    """A client context that verifies the server against ``cafile`` (PEM), or against
    the system's trusted CAs when it is None; hostname check on, TLS 1.2 at least. With
    ``certfile`` (and its key in ``keyfile`` or in the same file), it presents that client
    certificate to a server that asks for one."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if certfile is not None:
        context.load_cert_chain(certfile, keyfile)
    return context


def server_context(
    certfile: str, keyfile: str | None = None, cafile: str | None = None
) -> ssl.SSLContext:
    """A server context presenting ``certfile`` (PEM chain, with its key in ``keyfile``
    or in the same file); with ``cafile``, clients must present a certificate it trusts."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    if cafile is not None:
        require_client_certificates(context, cafile)
    return context


def require_client_certificates(context: ssl.SSLContext, cafile: str) -> None:
    """Make a server ``context`` require of every client a certificate that a CA of
    ``cafile`` (PEM) signed."""
    context.load_verify_locations(cafile)
    context.verify_mode = ssl.CERT_REQUIRED


def prepare_context(option: SslOption, *, server_side: bool) -> ssl.SSLContext | None:
    """The context a transport uses for ``ssl=``: None for plain TCP; ``True`` becomes
    ``client_context()``. The context must not allow TLS before 1.2 (FW-TLS-1); its
    ALPN protocols are set to Framewire's id (FW-TLS-2, FW-TLS-3)."""
    if option is None or option is False:
        return None
    if option is True:
        if server_side:
            raise UsageError("a TLS server needs an ssl.SSLContext with its certificate")
        option = client_context()
    if not isinstance(option, ssl.SSLContext):
        raise UsageError(f"ssl= takes an ssl.SSLContext, not {type(option).__name__}")
    if option.minimum_version in _TOO_OLD:
        raise UsageError(
            f"the context allows {option.minimum_version.name}; Framewire over TLS needs "
            "TLS 1.2 or later (FW-TLS-1)"
        )
    option.set_alpn_protocols([ALPN_PROTOCOL])
    return option


def resolve_server_hostname(
    context: ssl.SSLContext, address: Address, server_hostname: str | None
) -> str | None:
    """The name the server's certificate is checked against: ``server_hostname``, else
    the host of a TCP address. A Unix socket has no host, so a context that checks
    hostnames needs ``server_hostname`` there."""
    if server_hostname is not None:
        return server_hostname
    if isinstance(address, str):
        if context.check_hostname:
            raise UsageError("TLS over a Unix socket needs server_hostname=")
        return None
    return address[0]


def check_alpn(selected: str | None) -> None:
    """A client goes on when the server chose Framewire's id or none at all (the preface
    still tells a peer that is not Framewire, FW-PRE-2); another choice ends it (FW-TLS-4)."""
    if selected is not None and selected != ALPN_PROTOCOL:
        raise TlsError(
            f"TLS handshake: the server chose ALPN protocol {selected!r}, not {ALPN_PROTOCOL!r}"
        )


PREFACE_SIGNATURE = b"\x89FW1"
"""The first bytes of a Framewire preface (spec 6.1), by which a TLS failure tells a peer
that speaks Framewire without TLS. Written out, not taken from the codec: the
conformance runner uses this module and must not load the implementation (FW-CNF-4)."""

# OpenSSL reasons that mean the bytes from the peer are not TLS at all.
_NOT_TLS = frozenset(
    {
        "WRONG_VERSION_NUMBER",
        "RECORD_LAYER_FAILURE",
        "PACKET_LENGTH_TOO_LONG",
        "HTTP_REQUEST",
        "UNKNOWN_PROTOCOL",
        "RECORD_LENGTH_MISMATCH",
    }
)


# OpenSSL reasons that mean a certificate was required of the client and none came: on
# the client's side (the server's alert) and on the server's side.
_NO_CLIENT_CERTIFICATE = frozenset(
    {"TLSV13_ALERT_CERTIFICATE_REQUIRED", "PEER_DID_NOT_RETURN_A_CERTIFICATE"}
)


def tls_error(
    exc: ssl.SSLError, during: str, *, handshake: bool, plain_framewire: bool = False
) -> TlsError:
    """One line that says what failed, for a user who set up TLS (wrong CA, wrong name,
    a plain-text peer): the OpenSSL text alone ("wrong version number") does not.
    ``plain_framewire``: the peer's first bytes were a Framewire preface or frame."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        what = f"the peer's certificate was rejected: {exc.verify_message}"
    elif exc.reason in _NO_CLIENT_CERTIFICATE:
        what = (
            "the server requires a client certificate"
            if exc.reason.endswith("REQUIRED")
            else "the peer did not present a certificate, and one is required"
        )
    elif exc.reason in _NOT_TLS and plain_framewire:
        what = "the peer does not speak TLS: it speaks Framewire without it"
    elif exc.reason in _NOT_TLS:
        what = f"the peer does not speak TLS ({exc.reason.lower().replace('_', ' ')})"
    elif isinstance(exc, ssl.SSLEOFError):
        if not handshake:
            return truncation_error(exc)
        what = "the peer closed the connection (does it speak TLS?)"
    elif "ALERT" in (exc.reason or ""):
        what = f"the peer refused it: {exc.reason.lower().replace('_', ' ')}"
    else:
        what = str(exc.reason or exc).lower().replace("_", " ")
    stage = "TLS handshake failed" if handshake else "TLS failed"
    error = TlsError(f"{stage} while {during}: {what}")
    error.__cause__ = exc
    return error


def truncation_error(exc: BaseException | None = None) -> TlsTruncationError:
    """The error for a TLS stream that ended without ``close_notify`` (FW-TLS-7)."""
    error = TlsTruncationError(
        "the peer's TLS stream ended without close_notify, so what it sent may have been "
        "cut short (FW-TLS-7)"
    )
    error.__cause__ = exc
    return error


class TlsLayer:
    """One TLS session over memory buffers, shared by both transports (sans-I/O).

    The transports move the bytes: ``feed`` what the socket received, send what
    ``take_output`` returns. The TLS stack never touches the socket, which is what lets
    a half-close send ``close_notify`` and still read on: ``ssl.SSLSocket.unwrap()``, called
    on the socket, reads on from it after sending ``close_notify`` and fails the session
    on data that the peer may still be sending (OpenSSL's "application data after close
    notify"), whereas here it only ever sees what we choose to feed it.
    """

    def __init__(
        self, context: ssl.SSLContext, *, server_side: bool, server_hostname: str | None = None
    ) -> None:
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(
            self._incoming, self._outgoing, server_side=server_side, server_hostname=server_hostname
        )
        self.server_side = server_side
        self.handshake_done = False
        self.close_notify_sent = False
        self.close_notify_received = False
        self.failed = False
        """A TLS error ended the session: nothing more is sent or read over it."""
        self._first_bytes = b""
        """The peer's first bytes, kept to tell a plain Framewire peer in a failure."""
        self._early = bytearray()
        """Plaintext decrypted by close_notify() before the application asked for it."""
        self._deferred: TlsError | None = None
        """A failure met after some data, raised once that data has been returned."""
        # Into a buffer, SSLObject.read returns a count (typeshed says bytes).
        self._read_into = cast("Callable[[int, memoryview], int]", self.tls.read)

    @property
    def during(self) -> str:
        """What this side was doing when a handshake fails, for the error message."""
        return "accepting" if self.server_side else "connecting"

    def feed(self, data: bytes | memoryview) -> None:
        """Bytes received from the socket."""
        if len(self._first_bytes) < len(PREFACE_SIGNATURE):
            self._first_bytes += bytes(data[: len(PREFACE_SIGNATURE) - len(self._first_bytes)])
        self._incoming.write(data)

    def feed_eof(self) -> None:
        """The socket's input ended (TCP FIN)."""
        self._incoming.write_eof()

    def take_output(self) -> bytes:
        """TLS records to send now (handshake, data, alerts); may be empty."""
        return self._outgoing.read() if self._outgoing.pending else b""

    def handshake(self) -> bool:
        """Advance the handshake with what was fed; True once it is done (then ALPN is
        checked, FW-TLS-4). Raises ``TlsError`` when it fails."""
        if self.handshake_done:
            return True
        try:
            self.tls.do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            if self._incoming.eof:
                self.failed = True
                raise tls_error(ssl.SSLEOFError(), self.during, handshake=True) from None
            return False
        except ssl.SSLError as exc:
            self.failed = True
            plain = self._first_bytes == PREFACE_SIGNATURE
            raise tls_error(exc, self.during, handshake=True, plain_framewire=plain) from None
        if not self.server_side:
            self.failed = True  # until the check passes
            check_alpn(self.tls.selected_alpn_protocol())
            self.failed = False
        self.handshake_done = True
        return True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Encrypt ``data``: its records are then in ``take_output()``."""
        try:
            self.tls.write(data)
        except ssl.SSLError as exc:
            self.failed = True
            raise tls_error(exc, "sending", handshake=False) from None

    def read_into(self, buffer: memoryview) -> int | None:
        """Decrypt into ``buffer`` as many records as were fed and fit: the count, 0 at
        the peer's ``close_notify`` (the end of input, FW-TLS-6), or None when more must
        be fed. Raises ``TlsTruncationError`` when the input ended without it
        (FW-TLS-7), once the data before the end has been returned."""
        if self._early:
            count = min(len(buffer), len(self._early))
            buffer[:count] = self._early[:count]
            del self._early[:count]
            return count
        if self._deferred is not None:
            raise self._deferred
        total = 0
        size = len(buffer)
        while total < size and not self.close_notify_received:
            try:
                count = self._read_into(size - total, buffer[total:] if total else buffer)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                count = 0
            except ssl.SSLError as exc:
                self.failed = True
                self._deferred = tls_error(exc, "receiving", handshake=False)
                if total:
                    return total  # what came before the failure, first
                raise self._deferred from None
            if count == 0:
                self.close_notify_received = True
            total += count
        if total:
            return total
        return 0 if self.close_notify_received else None

    def release(self) -> None:
        """Forget the failure kept for ``read_into``, once the connection is gone: once
        raised, it refers through its traceback to this layer and the caller's buffer, a
        reference cycle that would hold them until the garbage collector finds it."""
        self._deferred = None

    def close_notify(self) -> None:
        """Half-close (FW-TLS-5): ``close_notify`` goes to ``take_output()``; reading
        goes on.

        ``unwrap()`` sends it and then looks for the peer's in what was fed, and fails
        the session on any data it meets ("application data after close notify"): the
        records fed and not yet read are held aside meanwhile, and the plaintext
        OpenSSL holds from a record read in part is taken out first, for ``read_into``.
        """
        if self.close_notify_sent or self.failed or not self.handshake_done:
            return
        self.close_notify_sent = True
        while self.tls.pending():
            self._early += self.tls.read(self.tls.pending())
        unread = self._incoming.read()
        try:
            self.tls.unwrap()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass  # close_notify is written; the peer's is not in yet
        except ssl.SSLError as exc:
            self.failed = True
            raise tls_error(exc, "closing", handshake=False) from None
        finally:
            if unread:
                self._incoming.write(unread)
