"""Deadlines of a connection (spec section 7.2, FW-LIM-6), and the clock that enforces them.

``Deadlines`` is what the application sets: the handshake, frame and linger bounds, in
seconds. ``DeadlineTracker`` is how both transports apply them: absolute expiry times
measured from fixed points (the connection opening, the first byte of a frame), never a
per-read timeout, so a peer trickling one byte at a time cannot keep a connection forever.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

__all__ = ["Deadlines"]


def _check_positive(name: str, value: float | None) -> None:
    if value is not None and not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} deadline must be a positive number of seconds or None")


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Time bounds of a connection, in seconds (spec section 7.2, FW-LIM-6).

    ``handshake`` runs from the connection opening until the peer's HELLO is in;
    ``frame`` from the first byte of a frame until its last byte; ``linger`` bounds the
    wait for the peer's end of input after we half-closed, whether cleanly or after a
    fatal error (FW-SES-3, FW-CLS-4). ``send`` bounds each write of what we send (a
    message, a piece of a streamed one, a PONG): a peer that stops reading would
    otherwise hold the sender forever (spec 9.3); it fails the connection with
    ``timeout`` and no ERROR, which could follow part of a frame. ``None`` disables a
    handshake, frame or send deadline (only sensible in tests and trusted setups).
    Defaults are the spec's RECOMMENDED values; the spec leaves ``send`` to the
    application, and its default is the frame deadline's.
    """

    handshake: float | None = 10.0
    frame: float | None = 30.0
    linger: float = 1.0
    send: float | None = 30.0

    def __post_init__(self) -> None:
        _check_positive("handshake", self.handshake)
        _check_positive("frame", self.frame)
        _check_positive("linger", self.linger)
        _check_positive("send", self.send)


class DeadlineKind(enum.Enum):
    """Which deadline expired; decides whether the connection survives it."""

    HANDSHAKE = "handshake"
    FRAME = "frame"
    SEND = "send"
    CALL = "call"
    """The application's own bound on one call (FW-LIM-7): the connection stays usable."""

    @property
    def fails_connection(self) -> bool:
        """Handshake, frame and send deadlines fail the connection with ``timeout``
        (FW-LIM-6)."""
        return self is not DeadlineKind.CALL


class DeadlineTracker:
    """Keeps the absolute expiry times that bind the next wait on one connection.

    Both transports call ``observe`` after every chunk of received bytes has been
    handed to the session, then ask ``next_expiry`` for the earliest deadline before
    waiting again. Times are ``time.monotonic()`` (or the event loop's clock) values.
    """

    __slots__ = ("_deadlines", "_frame_expiry", "_frame_start", "_handshake_expiry")

    def __init__(self, deadlines: Deadlines, opened_at: float) -> None:
        self._deadlines = deadlines
        self._handshake_expiry = (
            None if deadlines.handshake is None else opened_at + deadlines.handshake
        )
        self._frame_expiry: float | None = None
        self._frame_start = 0

    def observe(
        self, now: float, *, handshake_done: bool, frame_partial: bool, frame_start: int
    ) -> None:
        """Record the session's state after the bytes that arrived at ``now``.

        ``frame_start`` is where the partial frame begins in the stream
        (``framewire.Session.frame_start``). A frame that is still partial after a read started at
        the latest in that read, so its deadline starts then; the frame already being
        timed keeps its start. Which frame is partial matters: a stream whose every read
        ends inside a frame has a partial frame at all times, but never the same one for
        long, and the deadline bounds each frame (FW-LIM-6), not the stream.
        """
        if handshake_done:
            self._handshake_expiry = None
        if not frame_partial or not handshake_done:
            # Until the HELLO is in, the handshake deadline alone bounds the wait (spec
            # 7.2: the frame deadline runs after the handshake).
            self._frame_expiry = None
        elif (
            self._frame_expiry is None or frame_start != self._frame_start
        ) and self._deadlines.frame is not None:
            self._frame_expiry = now + self._deadlines.frame
            self._frame_start = frame_start

    def next_expiry(self, call_deadline: float | None = None) -> tuple[float, DeadlineKind] | None:
        """The earliest of the handshake, frame and call deadlines, with its kind.

        On a tie the connection-level deadline wins: it is the stronger outcome.
        """
        earliest: tuple[float, DeadlineKind] | None = None
        # A loop, not min() over a list: this runs after every read from the socket.
        for expiry, kind in (
            (self._handshake_expiry, DeadlineKind.HANDSHAKE),
            (self._frame_expiry, DeadlineKind.FRAME),
            (call_deadline, DeadlineKind.CALL),
        ):
            # Strictly earlier: on a tie the one listed first (connection-level) stays.
            if expiry is not None and (earliest is None or expiry < earliest[0]):
                earliest = (expiry, kind)
        return earliest

    def describe(self, kind: DeadlineKind) -> str:
        """A reason for the ERROR frame sent when ``kind`` expires (FW-ERR-2: no peer data)."""
        deadlines = self._deadlines
        if kind is DeadlineKind.SEND:
            return f"send deadline of {deadlines.send:g} s expired: the peer does not read"
        seconds = deadlines.handshake if kind is DeadlineKind.HANDSHAKE else deadlines.frame
        return f"{kind.value} deadline of {seconds:g} s expired"
