"""The sans-I/O frame decoder: bytes in, events or typed errors out (spec 3 to 5).

API summary (h11 style; `framewire` exports `Decoder`):

    decoder = Decoder(Framing.LENGTH_PREFIXED, Limits(), assemble=True, hunting=False)
    decoder.feed(data)  # buffer received bytes
    view = decoder.get_buffer(sizehint)  # or: receive straight into the decoder's buffer
    n = sock.recv_into(view)
    decoder.buffer_updated(n)
    decoder.feed_eof()  # the input ended
    event = decoder.next_event()  # Message | Piece | FrameDropped | NEED_DATA | END
    for event in decoder.events():
        ...  # every event available now

`next_event()` returns events one by one in input order and raises `RemoteProtocolError` only when
it reaches the bad bytes, so everything decoded before an error is delivered first. A fatal
error is permanent: every later call raises the same exception. In delimited framing, with
`recover=True` (the codec profile, the default), errors are recoverable and come out as
`FrameDropped` events (FW-DLM-6); a session passes `recover=False` (FW-DLM-9).

`admit(admission)` lets a session apply its state's rules (spec 6.8) from the header,
before the frame's payload is buffered: a frame the rule refuses raises its fault
(`unexpected-message`).

`next_events()` returns every event available now as one list: the batched fast path for
many small messages, which the transports use. Both fast paths take single-frame data
messages with or without a CRC-32C trailer (the checksum is computed over a view of the
frame, no copy); every other frame, and any frame that fails a check, goes through the
general path, which reports the error.

The decoder is glue, as h11's connection is: the bytes wait in a `ReceiveBuffer` (whose
memory follows the traffic: none while idle, see `framewire._codec.receive_buffer`), one reader
per framing checks the frames (`framewire._codec.readers`), and a `MessageAssembler` applies the
message rules (`framewire._codec.assembler`). Memory: each received byte is copied into the
buffer once, and a payload once more, into the `bytes` of its event (a large payload is
received in place). Limits are checked from the header before any payload is buffered
(FW-LEN-4, FW-LIM-3). In delimited framing at most `Limits.encoded_frame_bound` encoded
bytes of one frame are kept (FW-DLM-4). Whatever `feed()` is given is held until decoded:
bound the reads, or use `get_buffer()`, whose room is bounded by what has arrived of the
frame being received plus at most 256 KiB of read-ahead (FW-LIM-4).
"""

from __future__ import annotations

from collections.abc import Iterator

from framewire._codec import schema
from framewire._codec.assembler import MessageAssembler
from framewire._codec.bytes_like import BytesLike
from framewire._codec.checks import Admission
from framewire._codec.readers import READERS, DelimitedReader
from framewire._codec.receive_buffer import ReceiveBuffer
from framewire.errors import RemoteProtocolError, UsageError
from framewire.events import NEED_DATA, DecoderEvent, FrameDropped, Message, Piece, Sentinel
from framewire.framing import Framing, Limits

__all__ = ["Decoder", "DecoderEvent"]

_FIRST_DATA_TYPE = schema.FIRST_APPLICATION_TYPE


class Decoder:
    """Decode a stream of frames in one framing, under one receiver's limits."""

    def __init__(
        self,
        framing: Framing = Framing.LENGTH_PREFIXED,
        limits: Limits | None = None,
        *,
        assemble: bool = True,
        hunting: bool = False,
        recover: bool = True,
    ) -> None:
        self.framing = framing
        self.limits = limits if limits is not None else Limits()
        self._buffer = ReceiveBuffer()
        self._assembler = MessageAssembler(self.limits.max_message_size, assemble=assemble)
        self._reader = READERS[framing](self._buffer, self.limits, self._assembler, recover=recover)
        if hunting:
            if not isinstance(self._reader, DelimitedReader):
                raise UsageError("hunting (FW-DLM-8) exists only in delimited framing")
            self._reader.hunt()
        self._waiting = False
        """next_event() returned NEED_DATA and no input or state change came since."""
        self._failure: RemoteProtocolError | None = None

    @property
    def assemble(self) -> bool:
        """Whether data messages are assembled (else streamed as Pieces, FW-MSG-15)."""
        return self._assembler.assemble

    # --- input ---------------------------------------------------------------------------

    def feed(self, data: BytesLike) -> None:
        """Append received bytes to the buffer (they are decoded by next_event())."""
        self._check_usable()
        self._waiting = False  # even bytes dropped below may have changed the state
        self._buffer.feed(self._reader.keep(data))

    def get_buffer(self, sizehint: int = -1) -> memoryview:
        """A writable view of free buffer space, for recv_into() or BufferedProtocol.

        Write at most len(view) bytes into it, then call buffer_updated(n). The view
        holds room for the rest of the frame being received, when its header is in (so a
        large payload lands in place with no further copy), as far as what has arrived of
        it allows (a stalled peer makes nothing large allocated), plus a read-ahead of at
        most 256 KiB (FW-LIM-4): `sizehint` when positive, else (-1) one that follows the
        sizes of recent reads. Reading a frame and the next ones' start in one call is
        what lets a stream of frames be read with fewer calls than frames.
        """
        self._check_usable()
        return self._buffer.offer(self._reader.frame_rest(), sizehint)

    def buffer_updated(self, nbytes: int) -> None:
        """Record that `nbytes` were written into the view from get_buffer()."""
        self._check_usable()
        self._buffer.commit(nbytes)
        self._waiting = False

    def feed_eof(self) -> None:
        """Record that the input has ended (end of file, or the peer's shutdown)."""
        self._check_usable()
        self._reader.eof = True
        self._waiting = False

    def admit(self, admission: Admission) -> None:
        """Which frames are accepted from now on (a session's state rules, FW-SES-6)."""
        self._reader.admit(admission)
        self._waiting = False

    @property
    def frame_in_progress(self) -> bool:
        """True when bytes of a frame are buffered but not decoded yet (a frame deadline runs).

        Exact after next_event() has returned NEED_DATA: then it means part of a frame has
        arrived but not all of it.
        """
        return self._buffer.end > self._buffer.start

    @property
    def frame_start(self) -> int:
        """Stream offset of the first byte not yet decoded: while frame_in_progress, where
        the partial frame began, which tells one partial frame from the next (a frame
        deadline bounds each frame, FW-LIM-6)."""
        return self._buffer.offset

    @property
    def buffered(self) -> int:
        """Bytes held in the buffer and not yet decoded."""
        return self._buffer.buffered

    @property
    def capacity(self) -> int:
        """Size of the buffer currently allocated."""
        return self._buffer.capacity

    # --- output --------------------------------------------------------------------------

    def next_event(self) -> DecoderEvent:
        """The next event, NEED_DATA, or END; raises RemoteProtocolError at a fatal error."""
        if self._failure is not None:
            raise self._failure
        if self._waiting:
            return NEED_DATA  # nothing has changed since: no need to look again
        try:
            event = self._reader.next_event()
        except RemoteProtocolError as error:
            self._fail(error)
            raise
        if event is NEED_DATA:
            self._waiting = True
            self._buffer.settle()
        return event

    def next_events(self) -> list[Message | Piece | FrameDropped]:
        """Every event available now, in order, as one list (the batched fast path).

        The list may be empty: then next_event() tells why (NEED_DATA, END, or the error).
        A fatal error met after some events is kept for the next call, so the events
        before it are never lost. A control message ends the list, so that a session acts
        on it before anything after it is decoded.
        """
        batch: list[Message | Piece | FrameDropped] = []
        reader = self._reader
        while True:
            if reader.fast and not self._waiting:
                reader.decode_run(batch)
            try:
                event = self.next_event()
            except RemoteProtocolError:
                if batch:
                    return batch
                raise
            if isinstance(event, Sentinel):
                return batch
            batch.append(event)
            if type(event) is Message and event.type < _FIRST_DATA_TYPE:
                return batch

    def events(self) -> Iterator[Message | Piece | FrameDropped]:
        """Every event available now (stops at NEED_DATA or END; raises at a fatal error)."""
        while True:
            event = self.next_event()
            if isinstance(event, Sentinel):
                return
            yield event

    __iter__ = events

    # --- errors and state ------------------------------------------------------------------

    def _fail(self, error: RemoteProtocolError) -> None:
        """Enter the permanent failed state (FW-LPF-3, FW-SES-4)."""
        self._failure = error
        self._reader.stop()
        self._buffer.release()

    def _check_usable(self) -> None:
        if self._failure is not None:
            raise self._failure
        if self._reader.eof:
            raise UsageError("the input has already ended (feed_eof was called)")
