"""What a session is configured with: ``Options(framing, limits, checksum, send_frame_size)``.

API summary:

    options = Options(Framing.DELIMITED, Limits(max_frame_size=65536), checksum=True)
    session = Session(options)  # the sans-I/O core
    channel = framewire.sync.connect(address, options)  # the transports take the same
    server = await framewire.aio.start_server(address, handler, options)

One object instead of the same three keywords on every constructor and entry point, so a
program states its choice once and passes it along. Timing is the transports' business
and has its own object, ``framewire.deadlines.Deadlines``; whether received messages
are assembled or streamed is the channel's type (``streaming=True`` on the entry points
and on a ``Session``), since it changes which methods receive.
"""

from __future__ import annotations

from dataclasses import dataclass

from framewire._codec import schema
from framewire.framing import Framing, Limits

__all__ = ["Options"]

_DEFAULT_LIMITS = Limits()
"""FW-LIM-1's limits: one value shared by every default ``Options`` (a Limits is frozen)."""


@dataclass(frozen=True, slots=True)
class Options:
    """A session's settings: the framing both peers speak, our receiver's limits, and
    whether the frames we send carry a CRC-32C.

    Frozen, so one value can be shared by every connection of a server. The framing may
    be given by its name, as ``Framing`` takes it (``"delimited"``). Raises
    ``TypeError`` for a value of the wrong type, which would otherwise fail later, far
    from where it was written.
    """

    framing: Framing = Framing.LENGTH_PREFIXED
    """How frames are delimited on the stream (spec 4); both peers must agree (FW-PRE-2)."""
    limits: Limits = _DEFAULT_LIMITS
    """What we accept, announced in our HELLO (spec 7.1)."""
    checksum: bool = False
    """Whether the frames we send carry a CRC-32C trailer (flag C, spec 5)."""
    send_frame_size: int | None = None
    """The largest frame payload we send: a message is split into frames of this size,
    or of the peer's MAX_FRAME_SIZE when that is smaller (FW-HEL-5). None: the peer's.
    Smaller frames let a control frame (a PONG, an ERROR) go out between the frames of
    a large message sooner."""

    def __post_init__(self) -> None:
        if isinstance(self.framing, str):  # as Framing("delimited") takes it
            try:
                object.__setattr__(self, "framing", Framing(self.framing))
            except ValueError:
                choices = " or ".join(repr(framing.value) for framing in Framing)
                raise ValueError(
                    f"Options.framing {self.framing!r} is not a framing: {choices}"
                ) from None
        for name, value, expected in (
            ("framing", self.framing, Framing),
            ("limits", self.limits, Limits),
            ("checksum", self.checksum, bool),
        ):
            if not isinstance(value, expected):
                raise TypeError(
                    f"Options.{name} must be a {expected.__name__}, not {type(value).__name__}"
                )
        size = self.send_frame_size
        if size is not None:
            if isinstance(size, bool) or not isinstance(size, int):
                raise TypeError(
                    f"Options.send_frame_size must be an int, not {type(size).__name__}"
                )
            if not 1 <= size <= schema.MAX_FRAME_SIZE.maximum:
                raise ValueError(
                    f"Options.send_frame_size {size} is out of range: "
                    f"1 to {schema.MAX_FRAME_SIZE.maximum}"
                )
