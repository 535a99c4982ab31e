"""Framewire: a wire protocol for framing messages over byte streams.

This package is the Python reference implementation of the Framewire specification.
The core is sans-I/O: `Decoder`/`Encoder` (the codec profile) and `Session` (the session
profile, spec 6) turn bytes into events and messages into bytes, and never touch a socket.
`framewire` is the one import for all of it; `framewire.sync` and `framewire.aio` hold the
blocking and asyncio transports.

The names are loaded on first use, so that importing a part that needs none of them (the
conformance runner, `framewire.conformance`, which must not load the implementation it
judges: FW-CNF-4) loads none of the codec.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from framewire.deadlines import Deadlines
    from framewire.decoder import Decoder
    from framewire.encoder import Encoder, MessageWriter
    from framewire.errors import (
        ErrorCode,
        FramewireError,
        LocalFailureError,
        PeerError,
        ProtocolError,
        RemoteProtocolError,
        TlsError,
        TlsTruncationError,
        TransportError,
        UsageError,
    )
    from framewire.events import (
        END,
        NEED_DATA,
        Event,
        FrameDropped,
        Message,
        PeerClosed,
        PeerHello,
        Piece,
        PingReceived,
        PongReceived,
    )
    from framewire.framing import Framing, Limits
    from framewire.options import Options
    from framewire.session import Session

__version__ = "0.1.0"
"""The version of this package (PEP 440)."""

_MODULE_OF = {
    "Deadlines": "framewire.deadlines",
    "Decoder": "framewire.decoder",
    "Encoder": "framewire.encoder",
    "MessageWriter": "framewire.encoder",
    "Framing": "framewire.framing",
    "Limits": "framewire.framing",
    "Options": "framewire.options",
    "Session": "framewire.session",
    **dict.fromkeys(
        (
            "ErrorCode",
            "FramewireError",
            "LocalFailureError",
            "PeerError",
            "ProtocolError",
            "RemoteProtocolError",
            "TlsError",
            "TlsTruncationError",
            "TransportError",
            "UsageError",
        ),
        "framewire.errors",
    ),
    **dict.fromkeys(
        (
            "END",
            "NEED_DATA",
            "Event",
            "Piece",
            "FrameDropped",
            "Message",
            "PeerClosed",
            "PeerHello",
            "PingReceived",
            "PongReceived",
        ),
        "framewire.events",
    ),
}
"""Where each public name is defined."""


def __getattr__(name: str) -> object:
    """Load a public name from its module on first use (PEP 562)."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'framewire' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULE_OF})


__all__ = [
    "END",
    "NEED_DATA",
    "Deadlines",
    "Decoder",
    "Encoder",
    "ErrorCode",
    "Event",
    "FrameDropped",
    "FramewireError",
    "Framing",
    "Limits",
    "LocalFailureError",
    "Message",
    "MessageWriter",
    "Options",
    "PeerClosed",
    "PeerError",
    "PeerHello",
    "Piece",
    "PingReceived",
    "PongReceived",
    "ProtocolError",
    "RemoteProtocolError",
    "Session",
    "TlsError",
    "TlsTruncationError",
    "TransportError",
    "UsageError",
    "__version__",
]
