"""Framewire: a wire protocol for framing messages over byte streams.

This package is the Python reference implementation of the Framewire specification.
The core is sans-I/O: `Decoder`/`Encoder` (the codec profile) and `Session` (the session
profile, spec 6) turn bytes into events and messages into bytes, and never touch a socket.
"""

from framewire.codec import Decoder, Encoder, Framing, Limits, MessageWriter
from framewire.errors import (
    ErrorCode,
    FramewireError,
    LocalProtocolError,
    PeerError,
    ProtocolError,
    RemoteProtocolError,
    TlsError,
    TlsTruncationError,
    TransportError,
)
from framewire.events import (
    END,
    NEED_DATA,
    Fragment,
    FrameDropped,
    Message,
    PeerClosed,
    PeerHello,
    PingReceived,
    PongReceived,
)

__version__ = "0.1.0"
"""The version of this package (PEP 440)."""

__all__ = [
    "END",
    "NEED_DATA",
    "Decoder",
    "Encoder",
    "ErrorCode",
    "Fragment",
    "FrameDropped",
    "FramewireError",
    "Framing",
    "Limits",
    "LocalProtocolError",
    "Message",
    "MessageWriter",
    "PeerClosed",
    "PeerError",
    "PeerHello",
    "PingReceived",
    "PongReceived",
    "ProtocolError",
    "RemoteProtocolError",
    "TlsError",
    "TlsTruncationError",
    "TransportError",
    "__version__",
]
