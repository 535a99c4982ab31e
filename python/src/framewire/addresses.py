"""Where a Framewire peer listens or connects: the address forms, parsed and formatted.

``(host, port)`` names a TCP endpoint and a ``str`` path a Unix stream socket, in every
transport and on the command line (``HOST:PORT``, ``[IPV6]:PORT``, ``PORT``,
``unix:PATH``). Standard library only: the conformance runner uses it too, and must not
load the implementation it judges (FW-CNF-4).
"""

from __future__ import annotations

import socket

Address = tuple[str, int] | str
"""``(host, port)`` for TCP, or a filesystem path (``str``) for a Unix stream socket."""

_UNIX_PREFIX = "unix:"


def parse_address(text: str) -> Address:
    """Parse the textual address form used on the command line.

    ``HOST:PORT`` and ``[IPV6]:PORT`` name a TCP endpoint, a bare ``PORT`` means
    ``127.0.0.1:PORT``; ``unix:PATH``, or any text containing a ``/``, names a Unix
    socket. Raises ``ValueError`` with a message fit for a usage error.

    >>> parse_address("127.0.0.1:7000"), parse_address("[::1]:80"), parse_address("unix:s")
    (('127.0.0.1', 7000), ('::1', 80), 's')
    """
    if text.startswith(_UNIX_PREFIX):
        path = text[len(_UNIX_PREFIX) :]
        if not path:
            raise ValueError("empty Unix socket path in 'unix:'")
        return path
    if "/" in text:
        return text
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = "127.0.0.1", text
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        raise ValueError(f"missing host in address {text!r} (use HOST:PORT)")
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"bad port in address {text!r} (use HOST:PORT or unix:PATH)") from None
    if not 0 <= port <= 65535:  # noqa: PLR2004 - the TCP port range
        raise ValueError(f"port {port} out of range 0..65535")
    return (host, port)


def format_address(address: Address) -> str:
    """Inverse of ``parse_address``: the text a user can pass back to the CLI."""
    if isinstance(address, str):
        return f"{_UNIX_PREFIX}{address}"
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def address_family(address: Address) -> socket.AddressFamily:
    """The socket family for ``address``: AF_UNIX for a path, AF_INET6 or AF_INET for TCP."""
    if isinstance(address, str):
        return socket.AF_UNIX
    return socket.AF_INET6 if ":" in address[0] else socket.AF_INET
