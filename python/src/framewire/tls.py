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

import contextlib
import socket
import ssl
from typing import TYPE_CHECKING

from framewire.errors import LocalProtocolError, TlsError, TlsTruncationError

if TYPE_CHECKING:
    from framewire.transport import Address

__all__ = [
    "ALPN_PROTOCOL",
    "SslOption",
    "check_alpn",
    "client_context",
    "prepare_context",
    "resolve_server_hostname",
    "server_context",
    "shutdown_write",
    "tls_error",
    "truncation_error",
]

ALPN_PROTOCOL = "framewire/1"
"""The ALPN protocol id of Framewire/1 (FW-TLS-2)."""

SslOption = ssl.SSLContext | bool | None
"""What a client's ``ssl=`` takes, as in ``asyncio``: a context, ``True`` for the
system's trusted CAs with the default checks, or ``None``/``False`` for no TLS."""

_TOO_OLD = frozenset({ssl.TLSVersion.SSLv3, ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1})


def client_context(cafile: str | None = None) -> ssl.SSLContext:
    """A client context that verifies the server against ``cafile`` (PEM), or against
    the system's trusted CAs when it is None; hostname check on, TLS 1.2 at least."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
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
        context.load_verify_locations(cafile)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def prepare_context(option: SslOption, *, server_side: bool) -> ssl.SSLContext | None:
    """The context a transport uses for ``ssl=``: None for plain TCP; ``True`` becomes
    ``client_context()``. The context must not allow TLS before 1.2 (FW-TLS-1); its
    ALPN protocols are set to Framewire's id (FW-TLS-2, FW-TLS-3)."""
    if option is None or option is False:
        return None
    if option is True:
        if server_side:
            raise LocalProtocolError("a TLS server needs an ssl.SSLContext with its certificate")
        option = client_context()
    if not isinstance(option, ssl.SSLContext):
        raise LocalProtocolError(f"ssl= takes an ssl.SSLContext, not {type(option).__name__}")
    if option.minimum_version in _TOO_OLD:
        raise LocalProtocolError(
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
            raise LocalProtocolError("TLS over a Unix socket needs server_hostname=")
        return None
    return address[0]


def check_alpn(selected: str | None) -> None:
    """A client goes on when the server chose Framewire's id or none at all (the preface
    still tells a peer that is not Framewire, FW-PRE-2); another choice ends it (FW-TLS-4)."""
    if selected is not None and selected != ALPN_PROTOCOL:
        raise TlsError(
            f"TLS handshake: the server chose ALPN protocol {selected!r}, not {ALPN_PROTOCOL!r}"
        )


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


def tls_error(exc: ssl.SSLError, during: str, *, handshake: bool) -> TlsError:
    """One line that says what failed, for a user who set up TLS (wrong CA, wrong name,
    a plain-text peer): the OpenSSL text alone ("wrong version number") does not."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        what = f"the peer's certificate was rejected: {exc.verify_message}"
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


def shutdown_write(sock: socket.socket) -> None:
    """Half-close a blocking socket (FW-CLS-1): over TLS, ``close_notify`` and then the
    TCP half-close (FW-TLS-5), leaving the socket able to read on.

    ``SSLSocket.unwrap()`` sends ``close_notify`` and then waits for the peer's, which
    would stall (or discard data) while the peer still sends; made non-blocking, it
    returns once ``close_notify`` is out, and reading goes on. ``SSLSocket.shutdown()``
    would drop the TLS layer, so the TCP half-close goes through the plain socket's.
    """
    if isinstance(sock, ssl.SSLSocket):
        timeout = sock.gettimeout()
        sock.settimeout(0.0)
        try:
            with contextlib.suppress(ssl.SSLWantReadError, ssl.SSLWantWriteError):
                sock.unwrap()
        finally:
            sock.settimeout(timeout)
    socket.socket.shutdown(sock, socket.SHUT_WR)
