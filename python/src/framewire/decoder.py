"""The sans-I/O frame decoder: bytes in, events or typed errors out (spec 3 to 5).

API summary (h11 style; `framewire.codec` re-exports it):

    decoder = Decoder(Framing.LENGTH_PREFIXED, Limits(), assemble=True, hunting=False)
    decoder.feed(data)  # buffer received bytes
    view = decoder.get_buffer(sizehint)  # or: receive straight into the decoder's buffer
    n = sock.recv_into(view)
    decoder.buffer_updated(n)
    decoder.feed_eof()  # the input ended
    event = decoder.next_event()  # Message | Fragment | FrameDropped | NEED_DATA | END
    for event in decoder.events():
        ...  # every event available now

`next_event()` returns events one by one in input order and raises `ProtocolError` only when
it reaches the bad bytes, so everything decoded before an error is delivered first. A fatal
error is permanent: every later call raises the same exception. In delimited framing, with
`recover=True` (the codec profile, the default), errors are recoverable and come out as
`FrameDropped` events (FW-DLM-6); a session passes `recover=False` (FW-DLM-9).

`accept(data, control_types)` lets a session apply its state's rules (spec 6.8) from the
header, before the frame's payload is buffered: a frame of a type that is not accepted
raises `unexpected-message`.

`next_events()` returns every event available now as one list: the batched fast path for
many small messages, about a third cheaper per message than one next_event() call each.
Both fast paths take single-frame data messages with or without a CRC-32C trailer (the
checksum is computed over a view of the frame, no copy); every other frame, and any
frame that fails a check, goes through the general path, which reports the error.

Memory: one bytearray with read and write offsets, compacted or grown only when the free tail
is too small, so each received byte is copied into it once, and a length-prefixed payload is
copied once more, into the `bytes` of its event (`get_buffer()` makes room for the rest of
an announced frame, up to 4 MiB ahead, so a large payload is received in place). The one
exception: `next_events()` slices payloads of up to 64 KiB from a `bytes` snapshot of the
buffer, one more copy of small payloads that costs less than a memoryview slice each.
Limits are checked from the header before any payload is buffered (FW-LEN-4, FW-LIM-3).
In delimited framing at most `Limits.encoded_frame_bound` encoded bytes of one frame are
kept (FW-DLM-4). Whatever `feed()` is given is held until decoded: bound the reads, or use
`get_buffer()`, whose room is the rest of the frame being received plus at most 256 KiB
(FW-LIM-4).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from framewire import schema
from framewire._typing import BytesLike
from framewire.checksum import crc32c
from framewire.cobs_codec import CobsDecodeError, cobs_decode
from framewire.errors import ErrorCode, LocalProtocolError, ProtocolError, Recovery
from framewire.events import END, NEED_DATA, Fragment, FrameDropped, Message, Sentinel
from framewire.framing import Fault, Framing, Limits, header_fault

DecoderEvent = Message | Fragment | FrameDropped | Sentinel
"""What Decoder.next_event() returns."""

_HEADER_SIZE = schema.HEADER_SIZE
_TRAILER_SIZE = schema.TRAILER_SIZE
_unpack_header = schema.HEADER_WORD_STRUCT.unpack_from
_unpack_trailer = schema.TRAILER_STRUCT.unpack_from
_new_tuple = tuple.__new__
_FLAG_C = schema.FLAG_C
_FLAG_M = schema.FLAG_M
_FLAG_N = schema.FLAG_N
_APP_SHIFT = schema.APP_FLAGS_SHIFT
_FIRST_DATA_TYPE = schema.FIRST_APPLICATION_TYPE
# The fast path takes a header whose magic and version are right and whose M, N and R
# bits are clear: a single-frame data message (C may be set: its trailer is checked there).
_FAST_MASK = schema.HEADER_WORD_MAGIC_VERSION_MASK | _FLAG_M | _FLAG_N | schema.FLAG_R
_FAST_WORD = schema.HEADER_WORD

_SNAPSHOT_FIRST = 4096
"""First snapshot window of next_events() (see _decode_small_messages)."""
_SNAPSHOT_GROWTH = 4
"""Factor by which the snapshot window grows while runs of small messages use it up."""
_SNAPSHOT_LARGEST = 64 * 1024
"""Largest snapshot window; payloads above it are copied straight from the buffer."""
_MIN_CAPACITY = 64 * 1024
"""Initial buffer size, and the size it shrinks back to after a huge frame."""
_READ_AHEAD = 256 * 1024
"""Most bytes get_buffer() offers beyond the frame being received (FW-LIM-4)."""
_PREALLOCATE_MAX = 4 * 1024 * 1024
"""Most room get_buffer() sets aside for an announced but not yet received payload."""
_SHRINK_ABOVE = 2 * _PREALLOCATE_MAX
"""An empty buffer larger than this (left by a huge frame) is given back. Smaller ones are
kept: reallocating (and zero-filling) a buffer for every 1 MiB message would cost more than
copying it."""


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
        if hunting and framing is not Framing.DELIMITED:
            raise LocalProtocolError("hunting (FW-DLM-8) exists only in delimited framing")
        self.framing = framing
        self.limits = limits if limits is not None else Limits()
        self.assemble = assemble
        self._accept_data = True
        self._accepted_control: frozenset[int] = schema.CONTROL_TYPES
        self._delimited = framing is Framing.DELIMITED
        self._recover = recover and self._delimited
        self._max_frame = self.limits.max_frame_size
        self._max_message = self.limits.max_message_size
        self._encoded_bound = self.limits.encoded_frame_bound

        self._buf = bytearray(_MIN_CAPACITY)
        self._view = memoryview(self._buf)
        self._rpos = 0
        self._wpos = 0
        self._room_end = 0  # end of the view get_buffer() gave out last
        self._origin = 0  # stream offset of self._buf[0]
        self._eof = False
        self._ended = False
        self._waiting = False
        """next_event() returned NEED_DATA and no input or state change came since."""
        self._failure: ProtocolError | None = None
        self._pending: deque[Message | Fragment | FrameDropped] = deque()

        # Length-prefixed: the header of the frame being received, once checked.
        self._frame_size = 0  # header + payload + trailer; 0 while no header is checked
        self._frame_word = 0
        self._frame_type = 0
        self._frame_length = 0

        # Delimited: where the search for the next 0x00 resumes, and whether bytes are
        # being skipped up to the next 0x00 (after frame-too-large, or while hunting).
        self._scan = 0
        self._skipping = hunting

        # The data message in progress (spec 5.3); type -1 when there is none.
        self._msg_type = -1
        self._msg_flags = 0
        self._msg_size = 0
        self._msg_payload = bytearray()

        self._fast = False
        self._fast_limit = min(self._max_frame, self._max_message or self._max_frame)
        self._snapshot_largest = min(_SNAPSHOT_LARGEST, _HEADER_SIZE + self._fast_limit)
        self._update_fast_path()

    # --- input ---------------------------------------------------------------------------

    def feed(self, data: BytesLike) -> None:
        """Append received bytes to the buffer (they are decoded by next_event())."""
        self._check_usable()
        self._waiting = False  # even bytes dropped below may have changed the state
        if self._delimited and not isinstance(data, memoryview):
            data = self._delimited_keep(data)
        size = data.nbytes if isinstance(data, memoryview) else len(data)
        if size == 0:
            return
        self._reserve(size)
        self._view[self._wpos : self._wpos + size] = data
        self._wpos += size

    def _delimited_keep(self, data: bytes | bytearray) -> bytes | bytearray:
        """The part of `data` worth buffering in delimited framing (FW-DLM-4, FW-DLM-8).

        Bytes that next_event() would discard anyway are dropped here, so a large feed()
        never grows the buffer past the encoded-frame bound: those skipped up to the next
        0x00, and, when `data` holds no 0x00, those beyond one byte over the bound (that
        frame fails with frame-too-large whatever they are).
        """
        if self._skipping and self._rpos == self._wpos:
            zero = data.find(0)
            if zero < 0:
                return b""
            self._skipping = False
            data = data[zero + 1 :]
        if len(data) <= self._encoded_bound + 1 - (self._wpos - self._rpos) or data.find(0) >= 0:
            return data
        # The frame being received is what follows the last 0x00 already buffered.
        last_zero = self._buf.rfind(0, self._rpos, self._wpos)
        partial = self._wpos - (last_zero + 1 if last_zero >= 0 else self._rpos)
        return data[: max(self._encoded_bound + 1 - partial, 0)]

    def get_buffer(self, sizehint: int = -1) -> memoryview:
        """A writable view of free buffer space, for recv_into() or BufferedProtocol.

        Write at most len(view) bytes into it, then call buffer_updated(n). The view
        holds the rest of the frame being received, when its header is in (so a large
        payload lands in place with no further copy), plus at most `sizehint` (at most
        256 KiB) of read-ahead: FW-LIM-4 bounds what a transport reads beyond the frame
        being decoded, and reading a frame and the next ones' start in one call is what
        lets a stream of 64 KiB frames be read with fewer calls than frames (measured:
        4 KiB and 64 KiB messages about twice as fast with 256 KiB as with 64 KiB).
        """
        self._check_usable()
        read_ahead = min(sizehint, _READ_AHEAD) if sizehint > 0 else _READ_AHEAD
        # Never more than _PREALLOCATE_MAX ahead of the bytes actually received, so a peer
        # that announces a large (allowed) frame and stalls does not make us allocate it.
        rest_of_frame = self._frame_size - (self._wpos - self._rpos)
        room = max(min(rest_of_frame, _PREALLOCATE_MAX), 0) + read_ahead
        self._reserve(room)
        self._room_end = self._wpos + room
        return self._view[self._wpos : self._room_end]

    def buffer_updated(self, nbytes: int) -> None:
        """Record that `nbytes` were written into the view from get_buffer()."""
        self._check_usable()
        if nbytes < 0 or self._wpos + nbytes > min(self._room_end, len(self._buf)):
            raise LocalProtocolError(f"buffer_updated({nbytes}) beyond the buffer given out")
        self._wpos += nbytes
        self._waiting = False

    def feed_eof(self) -> None:
        """Record that the input has ended (end of file, or the peer's shutdown)."""
        self._check_usable()
        self._eof = True
        self._waiting = False

    def accept(self, data: bool, control_types: frozenset[int]) -> None:
        """Which frames are accepted from now on (a session's state rules, FW-SES-6)."""
        self._accept_data = data
        self._accepted_control = control_types
        self._waiting = False
        self._update_fast_path()

    @property
    def frame_in_progress(self) -> bool:
        """True when bytes of a frame are buffered but not decoded yet (a frame deadline runs).

        Exact after next_event() has returned NEED_DATA: then it means part of a frame has
        arrived but not all of it.
        """
        return self._wpos > self._rpos and not self._ended

    @property
    def frame_start(self) -> int:
        """Stream offset of the first byte not yet decoded: while frame_in_progress, where
        the partial frame began, which tells one partial frame from the next (a frame
        deadline bounds each frame, FW-LIM-6)."""
        return self._origin + self._rpos

    @property
    def buffered(self) -> int:
        """Bytes held in the buffer and not yet decoded."""
        return self._wpos - self._rpos

    @property
    def capacity(self) -> int:
        """Size of the buffer currently allocated."""
        return len(self._buf)

    # --- output --------------------------------------------------------------------------

    def next_event(self) -> DecoderEvent:
        """The next event, NEED_DATA, or END; raises ProtocolError at a fatal error."""
        if self._fast:
            # Fast path: a whole single-frame data message, with or without checksum (the
            # common case). Anything else, a wrong checksum included, falls through to the
            # general decoder below, which checks it again and reports it.
            pos = self._rpos
            if self._wpos - pos >= _HEADER_SIZE:
                word, frame_type, length = _unpack_header(self._buf, pos)
                if (
                    word & _FAST_MASK == _FAST_WORD
                    and frame_type >= _FIRST_DATA_TYPE
                    and length <= self._fast_limit
                ):
                    start = pos + _HEADER_SIZE
                    end = start + length
                    frame_end = end + _TRAILER_SIZE if word & _FLAG_C else end
                    if frame_end <= self._wpos and (
                        frame_end == end
                        or crc32c(self._view[pos:end]) == _unpack_trailer(self._buf, end)[0]
                    ):
                        self._rpos = frame_end
                        payload = bytes(self._view[start:end])
                        app_flags = (word & 0xFF) >> _APP_SHIFT
                        if self.assemble:
                            return _new_tuple(Message, (frame_type, payload, app_flags))
                        return Fragment(frame_type, app_flags, payload, True, True)
        if self._failure is not None:
            raise self._failure
        if self._pending:
            return self._pending.popleft()
        if self._waiting:
            return NEED_DATA  # nothing has changed since: no need to look again
        try:
            event = self._next_delimited() if self._delimited else self._next_length_prefixed()
        except ProtocolError as error:
            self._fail(error)
            raise
        self._waiting = event is NEED_DATA
        return event

    def next_events(self) -> list[Message | Fragment | FrameDropped]:
        """Every event available now, in order, as one list (the batched fast path).

        The list may be empty: then next_event() tells why (NEED_DATA, END, or the error).
        A fatal error met after some events is kept for the next call, so the events
        before it are never lost. A control message ends the list, so that a session acts
        on it before anything after it is decoded.
        """
        batch: list[Message | Fragment | FrameDropped] = []
        while True:
            if self._fast and self.assemble and not self._waiting:
                self._decode_small_messages(batch)
            try:
                event = self.next_event()
            except ProtocolError:
                if batch and not self._pending:
                    return batch
                raise
            if isinstance(event, Sentinel):
                return batch
            batch.append(event)
            if type(event) is Message and event.type < _FIRST_DATA_TYPE:
                return batch

    def _decode_small_messages(self, batch: list[Message | Fragment | FrameDropped]) -> None:
        """Append to `batch` the run of whole single-frame data messages at the read offset
        whose frames fit in a snapshot window; stop at anything else (left to next_event()).

        Why it looks like this: with every per-message cost counted in tens of nanoseconds,
        the loop keeps everything in local variables (a global or attribute lookup costs
        as much as an operation), and slices payloads from a `bytes` snapshot of the
        buffer, positions counted from the snapshot's start (a bytes slice costs half of
        bytes(memoryview slice)). The window starts small and grows fourfold (or to the
        next frame's size) while it is used up, so a run that stops early (a frame off the
        fast path) wastes at most the first window's copy, and a frame larger than any
        window is left to next_event() after a look at its header. The window never
        exceeds the largest frame the fast path takes (`_fast_limit` of payload), so a
        frame that fits in it has passed the frame and message size limits (FW-LIM-3,
        FW-MSG-10) without a comparison of its own.
        The checks are those of the general path for a single-frame data message, in a
        cheaper form: magic, version, R, M and N in one masked compare (FW-HDR-6; one
        plain compare for a header with no flag at all, the common case); a data type
        (FW-HDR-6, FW-SES-6: the fast path runs only while data is accepted and no
        message is in progress); and, with C, the CRC-32C, computed over a view of the
        snapshot with no copy (FW-CRC-3). Anything else stops the run.
        """
        unpack, unpack_trailer, crc, new, message_class = (
            _unpack_header,
            _unpack_trailer,
            crc32c,
            _new_tuple,
            Message,
        )
        header_size, trailer_size, shift = _HEADER_SIZE, _TRAILER_SIZE, _APP_SHIFT
        plain, mask, first_data_type, flag_c = _FAST_WORD, _FAST_MASK, _FIRST_DATA_TYPE, _FLAG_C
        append = batch.append
        view = self._view
        pos = self._rpos
        wpos = self._wpos
        largest = self._snapshot_largest
        if wpos - pos < header_size:
            return
        word, frame_type, length = unpack(self._buf, pos)
        if (
            word & mask != plain
            or frame_type < first_data_type
            or header_size + length + trailer_size > largest
        ):
            return  # the next frame is not for this loop: no snapshot, next_event() takes it
        window = min(_SNAPSHOT_FIRST, largest)
        while wpos - pos >= header_size:
            size = min(wpos - pos, window)
            snapshot = bytes(view[pos : pos + size])
            snapshot_view: memoryview | None = None
            offset = 0
            last_header = size - header_size  # the last offset where a header fits
            needed = header_size  # bytes of the frame at `offset` that the window lacks
            while offset <= last_header:
                word, frame_type, length = unpack(snapshot, offset)
                start = offset + header_size
                end = start + length
                if word == plain and frame_type >= first_data_type:  # no flag: the common case
                    if end > size:
                        needed = end - offset
                        break
                    append(new(message_class, (frame_type, snapshot[start:end], 0)))
                    offset = end
                    continue
                if word & mask != plain or frame_type < first_data_type:
                    self._rpos = pos + offset
                    return  # not a single-frame data message: for next_event()
                frame_end = end + trailer_size if word & flag_c else end
                if frame_end > size:
                    needed = frame_end - offset
                    break
                if frame_end != end:
                    if snapshot_view is None:
                        snapshot_view = memoryview(snapshot)
                    if crc(snapshot_view[offset:end]) != unpack_trailer(snapshot, end)[0]:
                        self._rpos = pos + offset
                        return  # next_event() reports checksum-mismatch
                app_flags = (word & 0xFF) >> shift
                append(new(message_class, (frame_type, snapshot[start:end], app_flags)))
                offset = frame_end
            pos += offset
            if wpos - pos < needed or needed > largest:
                break  # the rest is a partial frame, or one too large for any window
            window = min(max(_SNAPSHOT_GROWTH * window, needed), largest)
        self._rpos = pos

    def events(self) -> Iterator[Message | Fragment | FrameDropped]:
        """Every event available now (stops at NEED_DATA or END; raises at a fatal error)."""
        while True:
            event = self.next_event()
            if isinstance(event, Sentinel):
                return
            yield event

    __iter__ = events

    # --- length-prefixed framing (spec 4.1) -----------------------------------------------

    def _next_length_prefixed(self) -> DecoderEvent:
        while True:
            available = self._wpos - self._rpos
            if not self._frame_size:
                if available < _HEADER_SIZE:
                    return self._at_boundary_or_short(available)
                word, frame_type, length = _unpack_header(self._buf, self._rpos)
                # FW-HDR-7: every check but the checksum, from the header alone.
                fault = header_fault(word, frame_type, length, self._max_frame)
                if fault is None:
                    fault = self._state_fault(word & 0xFF, frame_type, length)
                if fault is not None:
                    raise self._error(fault)
                self._frame_word = word
                self._frame_type = frame_type
                self._frame_length = length
                self._frame_size = _HEADER_SIZE + length + (_TRAILER_SIZE if word & _FLAG_C else 0)
            if available < self._frame_size:
                if self._eof:
                    raise self._error(
                        Fault(
                            ErrorCode.TRUNCATED_FRAME,
                            "FW-LPF-4",
                            f"input ended {available} bytes into a {self._frame_size}-byte frame",
                        )
                    )
                self._update_fast_path()
                return NEED_DATA
            start = self._rpos + _HEADER_SIZE
            end = start + self._frame_length
            word = self._frame_word
            if word & _FLAG_C:
                fault = self._checksum_fault(self._view, self._rpos, end - self._rpos)
                if fault is not None:
                    raise self._error(fault)
            payload = bytes(self._view[start:end])
            self._rpos += self._frame_size
            self._frame_size = 0
            event = self._accept(word & 0xFF, self._frame_type, payload)
            if event is not None:
                self._update_fast_path()
                return event

    def _at_boundary_or_short(self, available: int) -> DecoderEvent:
        """No complete header: wait, end cleanly, or report the truncation."""
        if not self._eof:
            self._update_fast_path()
            return NEED_DATA
        if available:
            raise self._error(
                Fault(
                    ErrorCode.TRUNCATED_FRAME,
                    "FW-LPF-4",
                    f"input ended {available} bytes into a frame header",
                )
            )
        return self._end_of_input()

    # --- delimited framing (spec 4.2) ------------------------------------------------------

    def _next_delimited(self) -> DecoderEvent:
        buf = self._buf
        while not self._pending:
            if self._skipping:
                zero = buf.find(0, self._rpos, self._wpos)
                if zero < 0:
                    self._rpos = self._scan = self._wpos
                    return self._end_of_input() if self._eof else NEED_DATA
                self._rpos = self._scan = zero + 1
                self._skipping = False
                continue
            zero = buf.find(0, self._scan, self._wpos)
            if zero < 0:
                self._scan = self._wpos
                buffered = self._wpos - self._rpos
                if buffered > self._encoded_bound:
                    # FW-DLM-4: reject at once and skip to the next 0x00 without buffering.
                    self._rpos = self._scan = self._wpos
                    self._skipping = True
                    self._drop(self._too_long(buffered))
                elif self._eof:
                    if buffered:
                        raise self._error(
                            Fault(
                                ErrorCode.TRUNCATED_FRAME,
                                "FW-DLM-5",
                                f"input ended {buffered} bytes after the last delimiter",
                            )
                        )
                    return self._end_of_input()
                else:
                    return NEED_DATA
                continue
            start = self._rpos
            self._rpos = self._scan = zero + 1
            if zero == start:
                continue  # an empty frame is ignored (FW-DLM-2)
            if zero - start > self._encoded_bound:
                self._drop(self._too_long(zero - start))
                continue
            try:
                frame = cobs_decode(buf[start:zero])
            except CobsDecodeError as exc:
                self._drop(Fault(ErrorCode.COBS_INVALID, "FW-COB-2", f"COBS: {exc}"))
                continue
            self._decode_delimited_frame(frame)
        return self._pending.popleft()

    def _too_long(self, encoded: int) -> Fault:
        return Fault(
            ErrorCode.FRAME_TOO_LARGE,
            "FW-DLM-4",
            f"encoded frame exceeds {self._encoded_bound} bytes (at least {encoded})",
        )

    def _decode_delimited_frame(self, frame: bytes) -> None:
        """Check one COBS-decoded frame in the order of FW-HDR-8 (integrity first, so a
        damaged frame never touches the message state) and queue its event or
        FrameDropped. One frame gives at most one error (spec 3.7)."""
        size = len(frame)
        if size < _HEADER_SIZE:
            self._drop(
                Fault(
                    ErrorCode.LENGTH_MISMATCH,
                    "FW-DLM-3",
                    f"decoded frame of {size} bytes is shorter than a header",
                )
            )
            return
        word, frame_type, length = _unpack_header(frame, 0)
        fault = header_fault(word, frame_type, length, self._max_frame)
        if fault is not None:
            self._drop(fault)
            return
        expected = _HEADER_SIZE + length + (_TRAILER_SIZE if word & _FLAG_C else 0)
        if size != expected:
            self._drop(
                Fault(
                    ErrorCode.LENGTH_MISMATCH,
                    "FW-DLM-3",
                    f"decoded frame is {size} bytes, its header says {expected}",
                )
            )
            return
        end = _HEADER_SIZE + length
        if word & _FLAG_C:
            fault = self._checksum_fault(frame, 0, end)
            if fault is not None:
                self._drop(fault)
                return
        fault = self._state_fault(word & 0xFF, frame_type, length)
        if fault is not None:
            self._drop(fault)
            if fault.code is not ErrorCode.MESSAGE_INTERRUPTED:
                return
            # FW-MSG-13: the old message is dropped and this frame starts a new one. As a
            # start frame it can still be too large; it is then dropped without a second
            # error, since one frame gives at most one error (spec 3.7).
            if self._state_fault(word & 0xFF, frame_type, length) is not None:
                return
        event = self._accept(word & 0xFF, frame_type, frame[_HEADER_SIZE:end])
        if event is not None:
            self._pending.append(event)

    def _drop(self, fault: Fault) -> None:
        """Report a fault: fatal (raise) or, in the delimited codec, a FrameDropped event."""
        error = self._error(fault)
        if not error.recoverable:
            raise error
        # FW-MSG-13/14: every error but unexpected-continuation (which happens only when
        # no message is in progress) drops the message in progress along with the frame.
        dropped = self._msg_type >= 0
        self._reset_message()
        self._pending.append(FrameDropped(error, dropped))

    # --- checks shared by both framings ----------------------------------------------------

    def _state_fault(self, flags: int, frame_type: int, length: int) -> Fault | None:
        """After the header checks: the session's state check (FW-SES-6), then, for a data
        frame, the message rules (spec 5.3)."""
        if frame_type >= _FIRST_DATA_TYPE:
            if not self._accept_data:
                return Fault(
                    ErrorCode.UNEXPECTED_MESSAGE,
                    "FW-SES-6",
                    f"data frame (type 0x{frame_type:02x}) before the peer's HELLO",
                )
            return self._message_fault(flags, frame_type, length)
        if frame_type not in self._accepted_control:
            name = schema.CONTROL_TYPE_NAMES[frame_type]
            statement = "FW-HEL-1" if frame_type == schema.TYPE_HELLO else "FW-SES-6"
            return Fault(ErrorCode.UNEXPECTED_MESSAGE, statement, f"{name} not accepted now")
        return None

    def _message_fault(self, flags: int, frame_type: int, length: int) -> Fault | None:
        """The message rules of spec 5.3, in their order (FW-MSG-7 to FW-MSG-10)."""
        in_progress = self._msg_type >= 0
        continuation = bool(flags & _FLAG_N)
        if continuation and not in_progress:
            return Fault(
                ErrorCode.UNEXPECTED_CONTINUATION, "FW-MSG-7", "continuation with no message"
            )
        if not continuation and in_progress:
            return Fault(
                ErrorCode.MESSAGE_INTERRUPTED,
                "FW-MSG-8",
                f"new message while a type 0x{self._msg_type:02x} message is in progress",
            )
        app_flags = flags >> _APP_SHIFT
        if continuation and (frame_type != self._msg_type or app_flags != self._msg_flags):
            return Fault(
                ErrorCode.CONTINUATION_MISMATCH,
                "FW-MSG-9",
                f"continuation type 0x{frame_type:02x} flags {app_flags} differ from "
                f"the message's type 0x{self._msg_type:02x} flags {self._msg_flags}",
            )
        total = (self._msg_size if continuation else 0) + length
        if self._max_message and total > self._max_message:
            return Fault(
                ErrorCode.MESSAGE_TOO_LARGE,
                "FW-MSG-10",
                f"message would reach {total} bytes, above the maximum {self._max_message}",
            )
        return None

    @staticmethod
    def _checksum_fault(source: BytesLike, base: int, end: int) -> Fault | None:
        """FW-CRC-3: the 4 bytes at base+end must be the CRC-32C of source[base:base+end]."""
        (received,) = _unpack_trailer(source, base + end)
        computed = crc32c(memoryview(source)[base : base + end])
        if received == computed:
            return None
        return Fault(
            ErrorCode.CHECKSUM_MISMATCH,
            "FW-CRC-3",
            f"trailer 0x{received:08x}, computed 0x{computed:08x}",
        )

    def _accept(self, flags: int, frame_type: int, payload: bytes) -> Message | Fragment | None:
        """Apply a checked frame to the message state; return its event, if any."""
        if frame_type < _FIRST_DATA_TYPE:
            return Message(frame_type, payload, 0)
        app_flags = flags >> _APP_SHIFT
        first = not flags & _FLAG_N
        last = not flags & _FLAG_M
        if first:
            self._msg_size = 0
        self._msg_size += len(payload)
        if last:
            self._msg_type = -1
        else:
            self._msg_type = frame_type
            self._msg_flags = app_flags
        if not self.assemble:
            return Fragment(frame_type, app_flags, payload, first, last)
        if first and last:
            return Message(frame_type, payload, app_flags)
        # One growing bytearray, not a list of parts: a message of many tiny or empty
        # frames must cost its payload plus a constant, not a record per frame (FW-SEC-1).
        self._msg_payload += payload
        if not last:
            return None
        whole = bytes(self._msg_payload)
        self._msg_payload = bytearray()
        return Message(frame_type, whole, app_flags)

    def _reset_message(self) -> None:
        self._msg_type = -1
        self._msg_size = 0
        self._msg_payload = bytearray()

    def _end_of_input(self) -> DecoderEvent:
        """The input ended at a frame boundary: clean, or inside a message (FW-MSG-11)."""
        if self._msg_type >= 0:
            raise self._error(
                Fault(
                    ErrorCode.TRUNCATED_MESSAGE,
                    "FW-MSG-11",
                    f"input ended inside a type 0x{self._msg_type:02x} message "
                    f"after {self._msg_size} bytes",
                ),
                recoverable=False,
            )
        self._ended = True
        self._release()
        return END

    # --- errors and state ------------------------------------------------------------------

    def _error(self, fault: Fault, *, recoverable: bool | None = None) -> ProtocolError:
        """The exception for a fault; recoverable in the delimited codec unless at the end."""
        if recoverable is None:
            recoverable = self._recover and fault.code.recovery is not Recovery.END_OF_INPUT
        return ProtocolError.create(
            fault.code, fault.detail, statement=fault.statement, recoverable=recoverable
        )

    def _fail(self, error: ProtocolError) -> None:
        """Enter the permanent failed state (FW-LPF-3, FW-SES-4)."""
        self._failure = error
        self._fast = False
        self._pending.clear()
        self._release()

    def _release(self) -> None:
        """Give the buffer back: nothing more will be decoded."""
        self._buf = bytearray()
        self._view = memoryview(self._buf)
        self._rpos = self._wpos = self._scan = 0

    def _check_usable(self) -> None:
        if self._failure is not None:
            raise self._failure
        if self._eof:
            raise LocalProtocolError("the input has already ended (feed_eof was called)")

    def _update_fast_path(self) -> None:
        """Enable the fast path when only whole single-frame messages can come next."""
        self._fast = (
            not self._delimited
            and self._accept_data
            and self._msg_type < 0
            and self._failure is None
            and not self._frame_size
        )

    def _reserve(self, size: int) -> None:
        """Make room for `size` more bytes after the write offset."""
        if self._rpos == self._wpos:
            self._origin += self._rpos
            self._rpos = self._wpos = self._scan = 0
            if len(self._buf) > _SHRINK_ABOVE and size <= _MIN_CAPACITY:
                self._replace_buffer(_MIN_CAPACITY)
        capacity = len(self._buf)
        if capacity - self._wpos >= size:
            return
        live = self._wpos - self._rpos
        if live + size <= capacity and self._rpos >= live:
            # Compact: the bytes moved are fewer than the bytes freed, so amortised O(1).
            self._view[:live] = self._view[self._rpos : self._wpos]
            self._origin += self._rpos
            self._scan -= self._rpos
            self._rpos, self._wpos = 0, live
            return
        self._replace_buffer(max(2 * capacity, live + size, _MIN_CAPACITY))

    def _replace_buffer(self, capacity: int) -> None:
        live = self._wpos - self._rpos
        buf = bytearray(capacity)
        buf[:live] = self._view[self._rpos : self._wpos]
        self._origin += self._rpos
        self._buf = buf
        self._view = memoryview(buf)
        self._scan -= self._rpos
        self._rpos, self._wpos = 0, live
