"""Framewire over a serial line, on pyserial (the optional extra ``framewire[serial]``).

API summary:

    with SerialLink.open("/dev/ttyUSB0", baudrate=115200) as link:
        link.send(Message(0x40, b"hello"))
        for event in link:  # Message, or FrameDropped where the line corrupted a frame
            print(event)

A serial line is the case the delimited framing exists for (spec 4.2): bytes get lost or
flipped, and a reader may open the port while the other end is in the middle of a frame.
So the defaults are:

- the delimited framing (COBS, ``0x00`` between frames): ``options`` defaults to
  ``SERIAL_OPTIONS``, ``Options(Framing.DELIMITED)``, not to ``Options()``; derive other
  settings from it, e.g. ``dataclasses.replace(SERIAL_OPTIONS, checksum=True)``;
- hunting on open (FW-DLM-8): everything up to the first ``0x00`` is skipped, since it is
  the tail of a frame whose start was never seen; in turn, the first frame sent is
  preceded by a lone ``0x00`` (FW-DLM-1), so a peer that is hunting does not lose it;
- the codec profile (no session): a corrupted stretch costs only the frames it touched,
  each reported as a ``FrameDropped`` event (FW-DLM-6), and decoding goes on.

``session=True`` runs the session profile instead (spec 6: preface, HELLO, PING/PONG,
ERROR); hunting is then off (the preface is the first thing on the line) and every error
is fatal, as on a socket (FW-DLM-9). A serial line has no connection: bytes written before
the other end opened its port are lost (and opening a port discards what it had
received). So the end that starts first passes ``answer=True``: it sends its preface and
HELLO only once the peer's first bytes arrive, the serial counterpart of a socket accept;
the other end sends at once (FW-SES-1).

A serial port has no end of input; a port that reports a hang-up (the other end of a
pseudo-terminal closed, a USB adapter unplugged) is treated as one: ``recv()`` then returns
what is still decodable and ``None`` after it. ``port`` may be anything
``serial.serial_for_url`` opens: a device path, ``loop://``, ``socket://HOST:PORT``...
"""

from __future__ import annotations

import collections
import contextlib
import time
from types import TracebackType
from typing import Self, cast

import serial

from framewire._io.arguments import serial_call
from framewire._io.lifecycle import Lifecycle, Phase
from framewire._io.transport import PeerState, next_batch
from framewire.decoder import Decoder
from framewire.encoder import Encoder
from framewire.errors import FramewireError, TransportError, UsageError
from framewire.events import END, NEED_DATA, FrameDropped, Message
from framewire.framing import Framing
from framewire.options import Options
from framewire.session import Session, SessionEvent

__all__ = ["DEFAULT_BAUDRATE", "SERIAL_OPTIONS", "SerialLink"]

DEFAULT_BAUDRATE = 115200
"""The usual rate between a microcontroller and a host."""

SERIAL_OPTIONS = Options(Framing.DELIMITED)
"""A serial link's default options: the delimited framing (spec 4.2), default limits,
no checksum."""

_DELIMITER = b"\x00"

_READ_SIZE = 4096
"""Most bytes asked of the port per read; a read returns what is there, up to this."""


class SerialLink:
    """Messages over one open serial port, in the codec profile or the session profile."""

    def __init__(
        self,
        port: serial.Serial,
        *,
        options: Options = SERIAL_OPTIONS,
        session: bool = False,
        hunting: bool | None = None,
        answer: bool = False,
    ) -> None:
        self._port = port
        framing = options.framing
        self._limits = options.limits
        if hunting is None:
            hunting = framing is Framing.DELIMITED and not session
        if session and hunting:
            raise UsageError("hunting (FW-DLM-8) is for the codec profile only")
        self._session: Session | None = None
        self._life = Lifecycle()
        self._decoder: Decoder | None = None
        self._peer = PeerState()
        if session:
            self._session = Session(options)
            if not answer:
                self._write(self._session.data_to_send())
        else:
            self._decoder = Decoder(framing, self._limits, hunting=hunting)
            # The codec profile has no HELLO: frames are split to our own limit.
            self._encoder = Encoder(
                framing, checksum=options.checksum, max_frame_size=self._limits.max_frame_size
            )
        # Before our first frame, a lone delimiter (FW-DLM-1): a peer that is hunting
        # finds a boundary there instead of losing that frame.
        self._lead_in = _DELIMITER if framing is Framing.DELIMITED and not session else b""
        self._greeting_due = session and answer
        """Our preface and HELLO wait for the peer's first bytes (``answer=True``)."""
        self._ready: collections.deque[Message | FrameDropped] = collections.deque()
        """Events decoded and not yet returned by recv()."""
        self._finished = False
        """The decoder or session reached the end of input: nothing more will come."""
        self._hung_up = False
        self._timeout: float | None = port.timeout

    @classmethod
    @serial_call
    def open(
        cls,
        port: str,
        baudrate: int = DEFAULT_BAUDRATE,
        *,
        options: Options = SERIAL_OPTIONS,
        session: bool = False,
        hunting: bool | None = None,
        answer: bool = False,
    ) -> Self:
        """Open ``port`` (a device path or a pyserial URL) at ``baudrate``, 8N1, raw."""
        try:
            device = serial.serial_for_url(port, baudrate=baudrate, timeout=None)
        except (serial.SerialException, ValueError) as exc:
            raise TransportError(f"cannot open serial port {port}: {exc}") from exc
        try:
            return cls(
                device,
                options=options,
                session=session,
                hunting=hunting,
                answer=answer,
            )
        except BaseException:
            device.close()
            raise

    # --- sending ------------------------------------------------------------------------

    def send(self, message: Message) -> None:
        """Encode ``message`` and write its frames; in a session, after the peer's HELLO."""
        if self._session is None:
            self._write(self._lead_in + self._encoder.encode(message))
            self._lead_in = b""
            return
        if self._peer.hello is None:
            self.handshake()
        self._session.send(message)
        self._write(self._session.data_to_send())

    def handshake(self, timeout: float | None = None) -> None:
        """Session profile: wait for the peer's HELLO (TimeoutError when ``timeout`` ends)."""
        if self._session is None:
            raise UsageError("the codec profile has no handshake (session=False)")
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._peer.hello is None:
            if self._finished:
                raise TransportError("the serial link ended before the peer's HELLO")
            self._step(deadline)

    # --- receiving ----------------------------------------------------------------------

    def recv(self, timeout: float | None = None) -> Message | FrameDropped | None:
        """The next message (or, in the codec profile, a dropped frame's report).

        Returns ``None`` once the link has ended (a hang-up) and nothing more is
        decodable; raises ``TimeoutError`` when ``timeout`` seconds pass first, and
        ``RemoteProtocolError`` for a fatal error (every error of the session profile and of
        the length-prefixed framing; truncation at a hang-up).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._ready:
            if self._finished:
                return None
            self._step(deadline)
        return self._ready.popleft()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Message | FrameDropped:
        event = self.recv()
        if event is None:
            raise StopIteration
        return event

    def _step(self, deadline: float | None) -> None:
        """Decode what is buffered, or else read more (the end of input at a hang-up)."""
        try:
            progressed = self._decode()
        except FramewireError:
            if self._session is not None:  # our ERROR frame, when one is due
                with contextlib.suppress(TransportError):
                    self._write(self._session.data_to_send())
            raise
        if not progressed and not self._read(deadline):
            self._end_of_input()

    def _decode(self) -> bool:
        """Move what is decodable now into ``_ready``; False when more bytes are needed."""
        if self._decoder is not None:
            event = self._decoder.next_event()
            if event is NEED_DATA:
                return False
            if event is END:
                self._finished = True
            else:
                self._ready.append(cast(Message | FrameDropped, event))
            return True
        assert self._session is not None
        batch = next_batch(self._session)
        if batch is NEED_DATA:
            return False
        if batch is END:
            self._finished = True
            return True
        data, pong_due = self._peer.sort(cast(list[SessionEvent], batch), Message)
        if pong_due:
            self._write(self._session.data_to_send())
        self._ready.extend(data)
        return True

    def _end_of_input(self) -> None:
        if self._decoder is not None:
            self._decoder.feed_eof()
        elif self._session is not None:
            self._session.receive_eof()

    # --- the port -----------------------------------------------------------------------

    def read_raw(self, timeout: float | None = None) -> bytes | None:
        """The bytes the port has, undecoded, waiting up to ``timeout`` seconds for one.

        For tools that show the line itself (``framewire inspect --serial``); do not mix
        with ``recv()``. Returns ``None`` once the port has hung up; raises
        ``TimeoutError`` when nothing came in time.
        """
        if self._hung_up:
            return None
        try:
            if timeout != self._timeout:  # setting it reconfigures the port: only on change
                self._port.timeout = self._timeout = timeout
            data = self._port.read(max(1, min(self._port.in_waiting, _READ_SIZE)))
        except (serial.SerialException, OSError):
            self._hung_up = True
            return None
        if not data:
            raise TimeoutError("no data from the serial port before the deadline")
        return data

    def _read(self, deadline: float | None) -> bool:
        """Read what the port has (waiting until ``deadline``); False once it hung up."""
        data = self.read_raw(None if deadline is None else max(0.0, deadline - time.monotonic()))
        if data is None:
            return False
        if self._decoder is not None:
            self._decoder.feed(data)
        else:
            assert self._session is not None
            self._session.receive_data(data)
            if self._greeting_due:
                self._greeting_due = False
                self._write(self._session.data_to_send())
        return True

    def _write(self, data: bytes) -> None:
        """Write ``data`` whole. A port that failed a write is lost: every later write
        raises the same ``TransportError`` (framewire._io.lifecycle)."""
        self._life.check()
        if not data:
            return
        try:
            self._port.write(data)
            self._port.flush()
        except (serial.SerialException, OSError) as exc:
            error = TransportError(f"writing to the serial port failed: {exc}")
            error.__cause__ = exc
            self._life.lost(error)
            raise error from exc

    def close(self) -> None:
        """End the session (if any) and close the port; the peer sees no end of input.

        The port is closed even when the last write fails (the other end hung up): a
        close does not raise for a link already lost, as on a socket."""
        if self._life.phase is Phase.CLOSED:
            return
        try:
            if self._session is not None and not self._session.sending_done:
                self._session.close_write()
                with contextlib.suppress(TransportError):
                    self._write(self._session.data_to_send())
        finally:
            self._life.closed()
            self._port.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
