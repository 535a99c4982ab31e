"""Test certificates and raw TLS peers for the TLS tests (spec section 12).

``make_tls_files`` writes, with ``trustme``, a test CA, a server certificate for
``localhost`` and ``127.0.0.1`` signed by it, and a second CA that signed nothing we
serve: the files a user passes to ``--cafile``, ``--certfile`` and ``--keyfile``, so the
Python tests, the CLI tests and the JavaScript peers all use the same ones. A *raw TLS
peer* speaks Framewire by hand over an ``ssl`` socket, so a test can end the TCP stream
without ``close_notify``, stall mid-frame or send a 4 GiB header, over real TLS.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

from framewire import Framing
from framewire.addresses import Address
from framewire.tls import client_context, server_context
from helpers.io_peers import handshake_bytes, raw_connect


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of one test PKI."""

    ca: Path
    """The CA that signed the server certificate: what clients trust."""
    other_ca: Path
    """A CA that signed nothing here: a client trusting only it rejects the server."""
    cert: Path
    """The server certificate (valid for localhost and 127.0.0.1)."""
    key: Path
    """The server certificate's private key."""
    client_cert: Path
    """A client certificate signed by the test CA, for servers that require one."""
    client_key: Path
    """The client certificate's private key."""

    def client(self, ca: Path | None = None) -> ssl.SSLContext:
        """A client context trusting ``ca`` (the test CA by default)."""
        return client_context(str(ca or self.ca))

    def server(self) -> ssl.SSLContext:
        """A server context presenting the server certificate."""
        return server_context(str(self.cert), str(self.key))


def make_tls_files(directory: Path) -> TlsFiles:
    """Make a fresh test PKI in ``directory`` (nothing is fetched from anywhere)."""
    directory.mkdir(parents=True, exist_ok=True)
    ca, other = trustme.CA(), trustme.CA()
    issued = ca.issue_cert("localhost", "127.0.0.1")
    client = ca.issue_cert("client@example.org")
    files = TlsFiles(
        ca=directory / "ca.pem",
        other_ca=directory / "other-ca.pem",
        cert=directory / "server.pem",
        key=directory / "server.key",
        client_cert=directory / "client.pem",
        client_key=directory / "client.key",
    )
    ca.cert_pem.write_to_path(str(files.ca))
    other.cert_pem.write_to_path(str(files.other_ca))
    # The chain (certificate, then any intermediates) and the key, as servers load them.
    files.cert.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
    issued.private_key_pem.write_to_path(str(files.key))
    client.cert_chain_pems[0].write_to_path(str(files.client_cert))
    client.private_key_pem.write_to_path(str(files.client_key))
    return files


def raw_tls_connect(
    address: Address, files: TlsFiles, framing: Framing, alpn: list[str] | None = None
) -> ssl.SSLSocket:
    """A TLS socket to ``address`` (offering ``alpn``) that has sent our preface and
    HELLO, and no more."""
    plain = raw_connect(address, framing, send_handshake=False)
    context = files.client()
    if alpn is not None:
        context.set_alpn_protocols(alpn)
    sock = context.wrap_socket(plain, server_hostname="localhost", suppress_ragged_eofs=False)
    sock.sendall(handshake_bytes(framing))
    return sock


def end_without_close_notify(sock: ssl.SSLSocket) -> None:
    """End our direction at the TCP level only: a truncation to the peer (FW-TLS-7)."""
    socket.socket.shutdown(sock, socket.SHUT_WR)


def read_tls_to_end(sock: ssl.SSLSocket) -> tuple[bytes, bool]:
    """Everything the peer sends, and whether it ended with close_notify (FW-TLS-5)."""
    chunks: list[bytes] = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ssl.SSLZeroReturnError:
            return b"".join(chunks), True
        except (ssl.SSLError, ConnectionResetError, TimeoutError):  # e.g. an alert
            return b"".join(chunks), False
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
