"""Plain-language causes for the commonest failures, written into protocol error details.

A bad preface is rarely a broken Framewire peer: far more often the two ends were set to
different framings, or a TLS or HTTP client was pointed at a Framewire port. A handshake
that times out with nothing received is a peer that does not speak Framewire first; a
server that ends a plain client's connection without a byte is most often a TLS port. Each
function here looks at what the peer sent and returns the detail text of the error, the
cause first and the raw facts after it, so an application, the CLI and a log all show the
same sentence. Registry codes and statements are not touched: only the detail improves.

The texts hold no peer bytes except single byte values in hex and names from our own
tables (FW-ERR-2), so they need no escaping.
"""

from __future__ import annotations

from framewire._codec import schema
from framewire.errors import ErrorCode, RemoteProtocolError
from framewire.framing import Framing

__all__ = [
    "PLAIN_ON_TLS",
    "explain_early_end",
    "explain_preface",
    "explain_silence",
    "hint_plain_client",
]

_TLS_HANDSHAKE_RECORD = 0x16
"""First byte of a TLS record carrying a handshake message (a ClientHello)."""
_TLS_MAJOR_VERSION = 0x03
"""Second byte of every TLS (and SSL 3) record: the major version."""

_HTTP_REQUEST_STARTS = (
    b"GET ",
    b"POST ",
    b"PUT ",
    b"HEAD ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
    b"TRACE ",
    b"PRI * ",  # the HTTP/2 connection preface
)
"""How an HTTP request line starts; each fits in the 8 bytes where a preface is due."""

_FRAMING_BY_BYTE = {framing.preface_byte: framing for framing in Framing}
_FRAMING_OFFSET = next(
    row.offset for row in schema.field_table(schema.PREFACE) if row.name == "framing"
)
"""Where the framing byte sits in the preface (after the signature)."""


def explain_preface(received: bytes, framing: Framing) -> str:
    """The detail of a bad-preface error: what the peer is, from the bytes it sent.

    ``received`` is what arrived where the preface was due, up to and including the first
    byte that differs from ours; ``framing`` is this side's.
    """
    expected = schema.PREFACE.build({"framing": framing.preface_byte})
    offset = next(i for i, (a, b) in enumerate(zip(received, expected, strict=False)) if a != b)
    fact = f"preface byte {offset} is 0x{received[offset]:02x}, expected 0x{expected[offset]:02x}"
    return f"{_cause(received, offset, framing)} ({fact})"


def _cause(received: bytes, offset: int, framing: Framing) -> str:
    if received[:1] == bytes([_TLS_HANDSHAKE_RECORD]) and received[1:2] in (
        b"",
        bytes([_TLS_MAJOR_VERSION]),
    ):
        return (
            "the peer sent a TLS handshake: a TLS client on a port that does not use TLS "
            "(connect without TLS, or serve with TLS)"
        )
    method = next((start for start in _HTTP_REQUEST_STARTS if received.startswith(start)), None)
    if method is not None:
        return (
            f"the peer sent an HTTP request ({method.decode('ascii').strip()}): an HTTP "
            "client on a Framewire port"
        )
    if offset == _FRAMING_OFFSET:
        theirs = _FRAMING_BY_BYTE.get(received[offset])
        if theirs is not None:
            return (
                f"framing mismatch: the peer uses {theirs.value} framing, this side "
                f"{framing.value}; both ends must use the same framing (the CLI's --framing)"
            )
        return "the peer's preface names a framing this implementation does not know"
    if offset < _FRAMING_OFFSET:
        return "the peer is not speaking Framewire: its first bytes are not a preface"
    return "the peer's preface ends in the wrong guard bytes (a damaged or altered stream?)"


def explain_silence(preface_bytes_received: int, handshake_done: bool) -> str:
    """What an expired handshake deadline says about the peer (appended to the timeout).

    A Framewire peer sends its preface and HELLO at once (FW-SES-1), so a peer that sent
    nothing is not speaking Framewire (or is waiting for the other side to speak first).
    """
    if handshake_done:
        return ""
    if preface_bytes_received == 0:
        return (
            "; the peer sent nothing, though a Framewire peer sends its preface at once "
            "(FW-SES-1): is it speaking Framewire?"
        )
    if preface_bytes_received < schema.PREFACE_SIZE:
        return (
            f"; the peer sent {preface_bytes_received} of the {schema.PREFACE_SIZE} preface bytes"
        )
    return "; the peer sent its preface but no HELLO"


def explain_early_end(preface_bytes_received: int) -> str:
    """The detail of an end of input before the whole preface (FW-PRE-3)."""
    return f"input ended after {preface_bytes_received} preface bytes"


PLAIN_ON_TLS = (
    "; the server ended the connection without sending a byte, as a TLS server does when "
    "a plain client connects: if this port speaks TLS, connect with TLS"
)
"""What ``hint_plain_client`` adds (the CLI, which can tell, says which it is instead)."""


def hint_plain_client(error: RemoteProtocolError) -> RemoteProtocolError:
    """A plain client's handshake failure, with the likeliest cause when the server ended
    the connection before a byte of its preface: the port speaks TLS. Only the client
    entry points add it; a server whose client leaves at once has other causes."""
    if error.code is not ErrorCode.HANDSHAKE_INCOMPLETE or error.detail != explain_early_end(0):
        return error
    return RemoteProtocolError(error.code, error.detail + PLAIN_ON_TLS, statement=error.statement)
