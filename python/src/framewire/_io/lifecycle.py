"""One connection's life from open to closed, as every transport lives it.

A connection ends in one of two ways. Cleanly: we half-close (FW-CLS-1), read and
discard until the peer's end or the linger deadline, then close (FW-CLS-4). Or by a
failure: the first error is kept, every later call raises it (FW-SES-4), and the
connection is ended at once when it is already lost (a reset, a broken pipe), else
after our ERROR is flushed, a half-close and the same linger (FW-SES-3).

``Lifecycle`` holds that state and makes those decisions; it does no I/O. The blocking,
asyncio and serial transports drive it and do the writing, half-closing and waiting
themselves. What it settles for all of them: a send after the connection is lost raises
the ``TransportError`` that recorded the loss, however the transport learned of it.
"""

from __future__ import annotations

import enum

from framewire.errors import FramewireError, TransportError, UsageError

__all__ = ["Ending", "Lifecycle", "Phase"]


class Phase(enum.Enum):
    """Where a connection is in its life; it only moves forward."""

    OPEN = "open"
    """Both directions open."""
    WRITE_CLOSED = "write-closed"
    """We half-closed (FW-CLS-1): we send nothing more, and receive on."""
    LINGERING = "lingering"
    """We are ending it: input is discarded until the peer's end or the linger deadline
    (FW-CLS-4)."""
    CLOSED = "closed"
    """Closed by us, or lost."""


class Ending(enum.Enum):
    """What a transport does once a failure is recorded (``Lifecycle.fail``)."""

    LINGER = "linger"
    """Flush what the session queued (its ERROR frame), half-close, linger, close."""
    CLOSE_NOW = "close-now"
    """The connection is lost: nothing can be sent; release it at once."""


class Lifecycle:
    """The state of one connection's end, and the first error that failed it."""

    __slots__ = ("failure", "phase")

    def __init__(self) -> None:
        self.phase = Phase.OPEN
        self.failure: FramewireError | None = None
        """The error that failed the connection; every later call raises it (FW-SES-4)."""

    @property
    def usable(self) -> bool:
        """Neither failed nor being closed: calls may go on."""
        return self.failure is None and self.phase in (Phase.OPEN, Phase.WRITE_CLOSED)

    @property
    def can_send(self) -> bool:
        """Neither failed nor half-closed: sending is allowed."""
        return self.failure is None and self.phase is Phase.OPEN

    @property
    def discarding(self) -> bool:
        """Input from now on is read and dropped, never handed to the application."""
        return self.failure is not None or self.phase in (Phase.LINGERING, Phase.CLOSED)

    def check(self) -> None:
        """Raise what a call on this connection must raise now, if anything."""
        if self.failure is not None:
            raise self.failure  # FW-SES-4
        if self.phase in (Phase.LINGERING, Phase.CLOSED):
            raise UsageError("the channel is closed")

    def fail(self, error: FramewireError, *, stream_broken: bool = False) -> Ending | None:
        """Record ``error`` as the failure, if it is the first; say how to end the
        connection, or None when there is nothing left to do (failed or closed before).

        ``stream_broken``: nothing more can be written, not even an ERROR frame: a write
        was cut short (part of a frame is on the wire), or the peer stopped reading (the
        send deadline expired).
        """
        if self.failure is not None or self.phase is Phase.CLOSED:
            return None
        self.failure = error
        if isinstance(error, TransportError) or stream_broken:
            return Ending.CLOSE_NOW
        return Ending.LINGER

    def lost(self, error: TransportError) -> bool:
        """The connection was lost under us (a reset, a broken pipe, a half-close the
        socket refused). Unless we were ending it already, ``error`` becomes the failure,
        so that a later send raises it instead of writing into nothing. True when it did."""
        recorded = self.failure is None and self.phase in (Phase.OPEN, Phase.WRITE_CLOSED)
        if recorded:
            self.failure = error
        return recorded

    def half_closed(self) -> bool:
        """Note our half-close; True when it is due now (it was not done before)."""
        if self.phase is not Phase.OPEN:
            return False
        self.phase = Phase.WRITE_CLOSED
        return True

    def lingering(self) -> bool:
        """Note that we are ending the connection; False when it is closed already."""
        if self.phase is Phase.CLOSED:
            return False
        self.phase = Phase.LINGERING
        return True

    def closed(self) -> None:
        """Note that the connection is closed (by us, or lost)."""
        self.phase = Phase.CLOSED
