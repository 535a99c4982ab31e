"""One frame reader per framing: bytes of the receive buffer in, checked frames out.

`READERS` maps each `Framing` to its reader class, as h11 chooses a body reader from a
table: adding a framing is adding a reader and a row. Both readers run the frame checks
in the order of FW-HDR-6/7/8, apply the session's admission rule
(`framewire._codec.checks.Admission`) and hand data frames to the shared `MessageAssembler`.

- `LengthPrefixedReader` (spec 4.1) decides every check but the checksum from the 9
  header bytes, before the payload is buffered (FW-LEN-4, FW-LIM-3). Its fast paths for
  single-frame data messages, the common case on a busy connection, live apart in
  `framewire._codec.fast_readers`, under the rule stated there; the reader asks them first and
  takes over wherever they stop.
- `DelimitedReader` (spec 4.2) finds each 0x00, COBS-decodes the frame and checks it
  whole (FW-HDR-8); it never buffers more than FW-DLM-4's bound of one encoded frame and,
  in the codec profile, reports a bad frame as `FrameDropped` and carries on (FW-DLM-6).
"""

from __future__ import annotations

import re
from collections import deque

from framewire._codec import schema
from framewire._codec.assembler import MessageAssembler
from framewire._codec.bytes_like import BytesLike
from framewire._codec.checks import ADMIT_ALL, Admission, Fault, header_fault
from framewire._codec.checksum import crc32c
from framewire._codec.cobs_codec import CobsDecodeError, cobs_decode
from framewire._codec.fast_readers import FastPaths
from framewire._codec.receive_buffer import ReceiveBuffer
from framewire.errors import ErrorCode, Recovery, RemoteProtocolError
from framewire.events import END, NEED_DATA, DecoderEvent, FrameDropped, Message, Piece
from framewire.framing import Framing, Limits

_HEADER_SIZE = schema.HEADER_SIZE
_TRAILER_SIZE = schema.TRAILER_SIZE
_unpack_header = schema.HEADER_WORD_STRUCT.unpack_from
_unpack_trailer = schema.TRAILER_STRUCT.unpack_from

_ZERO = re.compile(b"\x00")
"""The frame delimiter (FW-DLM-1), to search a memoryview."""


def checksum_fault(source: BytesLike, base: int, end: int) -> Fault | None:
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


class FrameReader:
    """What the readers share: the buffer, the limits, the admission rule, the message
    assembler, the end of input and how a fault becomes an exception."""

    fast = False
    """True while only whole single-frame data messages can come next (length-prefixed)."""

    def __init__(
        self, buffer: ReceiveBuffer, limits: Limits, assembler: MessageAssembler, *, recover: bool
    ) -> None:
        self.buffer = buffer
        self.max_frame = limits.max_frame_size
        self.assembler = assembler
        self.recover = recover
        self.admission: Admission = ADMIT_ALL
        self.eof = False

    def admit(self, admission: Admission) -> None:
        """Apply a new admission rule from the next frame on."""
        self.admission = admission

    def keep(self, data: BytesLike) -> BytesLike:
        """The part of fed bytes worth buffering (all of it, unless a framing says less)."""
        return data

    def frame_rest(self) -> int:
        """Bytes of an announced frame still to come (0 when none is announced)."""
        return 0

    def next_event(self) -> DecoderEvent:
        """The next event, NEED_DATA or END; raises RemoteProtocolError at a fatal error."""
        raise NotImplementedError

    def decode_run(self, batch: list[Message | Piece | FrameDropped]) -> None:
        """Append the run of single-frame data messages that a fast path takes (none
        unless the framing has one)."""

    def stop(self) -> None:
        """The decoder has failed: decode nothing more, hold nothing more."""
        self.fast = False

    def state_fault(self, flags: int, frame_type: int, length: int) -> Fault | None:
        """After the header checks: the session's admission rule (FW-SES-6), then, for a
        data frame, the message rules (spec 5.3)."""
        fault = self.admission.fault(frame_type)
        if fault is None and frame_type >= schema.FIRST_APPLICATION_TYPE:
            fault = self.assembler.fault(flags, frame_type, length)
        return fault

    def frame_event(self, flags: int, frame_type: int, payload: bytes) -> Message | Piece | None:
        """Apply a checked frame: a control frame is a message of its own, a data frame
        goes to the assembler."""
        if frame_type < schema.FIRST_APPLICATION_TYPE:
            return Message(frame_type, payload)
        return self.assembler.add(flags, frame_type, payload)

    def error(self, fault: Fault, *, recoverable: bool | None = None) -> RemoteProtocolError:
        """The exception for a fault; recoverable in the delimited codec unless at the end."""
        if recoverable is None:
            recoverable = self.recover and fault.code.recovery is not Recovery.END_OF_INPUT
        return RemoteProtocolError(
            fault.code, fault.detail, statement=fault.statement, recoverable=recoverable
        )

    def end_of_input(self) -> DecoderEvent:
        """The input ended at a frame boundary: clean, or inside a message (FW-MSG-11)."""
        fault = self.assembler.truncation_fault()
        if fault is not None:
            raise self.error(fault, recoverable=False)
        self.buffer.release()
        return END


class LengthPrefixedReader(FrameReader):
    """Spec 4.1: header, payload, optional trailer; every check but the checksum is made
    from the header, before the payload is buffered."""

    def __init__(
        self, buffer: ReceiveBuffer, limits: Limits, assembler: MessageAssembler, *, recover: bool
    ) -> None:
        # Length-prefixed errors are never recoverable (FW-LPF-3), whatever the profile.
        super().__init__(buffer, limits, assembler, recover=False)
        # The header of the frame being received, once checked; size 0 while none is.
        self.frame_size = 0  # header + payload + trailer
        self.frame_word = 0
        self.frame_type = 0
        self.frame_length = 0
        largest = min(self.max_frame, assembler.max_message or self.max_frame)
        self.fast_paths = FastPaths(buffer, assembler, largest)
        self.update_fast_path()

    def admit(self, admission: Admission) -> None:
        super().admit(admission)
        self.update_fast_path()

    def update_fast_path(self) -> None:
        """Enable the fast paths when only whole single-frame messages can come next."""
        self.fast = self.admission.data and not self.assembler.in_progress and not self.frame_size

    def frame_rest(self) -> int:
        return max(self.frame_size - self.buffer.buffered, 0)

    def next_event(self) -> DecoderEvent:
        if self.fast:
            event = self.fast_paths.first()
            if event is not None:
                return event
        return self.general_event()

    def decode_run(self, batch: list[Message | Piece | FrameDropped]) -> None:
        self.fast_paths.run(batch)

    def general_event(self) -> DecoderEvent:
        """The general reader: every kind of frame, every check, in the order of FW-HDR-7."""
        buffer = self.buffer
        while True:
            available = buffer.end - buffer.start
            if not self.frame_size:
                if available < _HEADER_SIZE:
                    return self._at_boundary_or_short(available)
                word, frame_type, length = _unpack_header(buffer.data, buffer.start)
                # FW-HDR-7: every check but the checksum, from the header alone.
                fault = header_fault(word, frame_type, length, self.max_frame)
                if fault is None:
                    fault = self.state_fault(word & 0xFF, frame_type, length)
                if fault is not None:
                    raise self.error(fault)
                self.frame_word = word
                self.frame_type = frame_type
                self.frame_length = length
                self.frame_size = (
                    _HEADER_SIZE + length + (_TRAILER_SIZE if word & schema.FLAG_C else 0)
                )
            if available < self.frame_size:
                if self.eof:
                    raise self.error(
                        Fault(
                            ErrorCode.TRUNCATED_FRAME,
                            "FW-LPF-4",
                            f"input ended {available} bytes into a {self.frame_size}-byte frame",
                        )
                    )
                self.update_fast_path()
                return NEED_DATA
            start = buffer.start + _HEADER_SIZE
            end = start + self.frame_length
            word = self.frame_word
            if word & schema.FLAG_C:
                fault = checksum_fault(buffer.view, buffer.start, end - buffer.start)
                if fault is not None:
                    raise self.error(fault)
            payload = bytes(buffer.view[start:end])
            buffer.start += self.frame_size
            self.frame_size = 0
            event = self.frame_event(word & 0xFF, self.frame_type, payload)
            if event is not None:
                self.update_fast_path()
                return event

    def _at_boundary_or_short(self, available: int) -> DecoderEvent:
        """No complete header: wait, end cleanly, or report the truncation."""
        if not self.eof:
            self.update_fast_path()
            return NEED_DATA
        if available:
            raise self.error(
                Fault(
                    ErrorCode.TRUNCATED_FRAME,
                    "FW-LPF-4",
                    f"input ended {available} bytes into a frame header",
                )
            )
        return self.end_of_input()


def _find_zero(data: BytesLike) -> int:
    """Index of the first 0x00 in `data`, or -1 (a memoryview has no find(); re searches
    any buffer without copying it)."""
    if isinstance(data, memoryview):
        found = _ZERO.search(data)
        return found.start() if found is not None else -1
    return data.find(0)


class DelimitedReader(FrameReader):
    """Spec 4.2: COBS-encoded frames, each ended by 0x00; a reader can join mid-stream
    (hunting, FW-DLM-8) and, in the codec profile, recover from a bad frame (FW-DLM-6)."""

    def __init__(
        self, buffer: ReceiveBuffer, limits: Limits, assembler: MessageAssembler, *, recover: bool
    ) -> None:
        super().__init__(buffer, limits, assembler, recover=recover)
        self.encoded_bound = limits.encoded_frame_bound
        self.pending: deque[Message | Piece | FrameDropped] = deque()
        # Where the search for the next 0x00 resumes, as a stream offset (so it survives
        # the buffer's compaction), and whether bytes are being skipped up to the next 0x00
        # (after frame-too-large, or while hunting).
        self.scan = 0
        self.skipping = False

    def stop(self) -> None:
        super().stop()
        self.pending.clear()

    def hunt(self) -> None:
        """Join a stream mid-way: skip everything up to the next 0x00 (FW-DLM-8)."""
        self.skipping = True

    def keep(self, data: BytesLike) -> BytesLike:
        """The part of `data` worth buffering (FW-DLM-4, FW-DLM-8).

        Bytes that next_event() would discard anyway are dropped here, so a large feed()
        never grows the buffer past the encoded-frame bound: those skipped up to the next
        0x00, and, when `data` holds no 0x00, those beyond one byte over the bound (that
        frame fails with frame-too-large whatever they are). Every buffer type is cut
        alike: a memoryview is what a session hands over after the preface.
        """
        if isinstance(data, memoryview):
            data = data.cast("B")  # indices and len() in bytes, whatever the view's format
        buffer = self.buffer
        if self.skipping and buffer.start == buffer.end:
            zero = _find_zero(data)
            if zero < 0:
                return b""
            self.skipping = False
            data = data[zero + 1 :]
        if len(data) <= self.encoded_bound + 1 - buffer.buffered or _find_zero(data) >= 0:
            return data
        # The frame being received is what follows the last 0x00 already buffered.
        last_zero = buffer.data.rfind(0, buffer.start, buffer.end)
        partial = buffer.end - (last_zero + 1 if last_zero >= 0 else buffer.start)
        return data[: max(self.encoded_bound + 1 - partial, 0)]

    def next_event(self) -> DecoderEvent:
        buffer = self.buffer
        while not self.pending:
            data = buffer.data
            if self.skipping:
                zero = data.find(0, buffer.start, buffer.end)
                if zero < 0:
                    buffer.start = buffer.end
                    return self.end_of_input() if self.eof else NEED_DATA
                buffer.start = zero + 1
                self.skipping = False
                continue
            scan = max(self.scan - buffer.origin, buffer.start)
            zero = data.find(0, scan, buffer.end)
            if zero < 0:
                self.scan = buffer.origin + buffer.end
                buffered = buffer.end - buffer.start
                if buffered > self.encoded_bound:
                    # FW-DLM-4: reject at once and skip to the next 0x00 without buffering.
                    buffer.start = buffer.end
                    self.skipping = True
                    self._drop(self._too_long(buffered))
                elif self.eof:
                    if buffered:
                        raise self.error(
                            Fault(
                                ErrorCode.TRUNCATED_FRAME,
                                "FW-DLM-5",
                                f"input ended {buffered} bytes after the last delimiter",
                            )
                        )
                    return self.end_of_input()
                else:
                    return NEED_DATA
                continue
            start = buffer.start
            buffer.start = zero + 1
            if zero == start:
                continue  # an empty frame is ignored (FW-DLM-2)
            if zero - start > self.encoded_bound:
                self._drop(self._too_long(zero - start))
                continue
            try:
                frame = cobs_decode(data[start:zero])
            except CobsDecodeError as exc:
                self._drop(Fault(ErrorCode.COBS_INVALID, "FW-COB-2", f"COBS: {exc}"))
                continue
            self._check_frame(frame)
        return self.pending.popleft()

    def _too_long(self, encoded: int) -> Fault:
        return Fault(
            ErrorCode.FRAME_TOO_LARGE,
            "FW-DLM-4",
            f"encoded frame exceeds {self.encoded_bound} bytes (at least {encoded})",
        )

    def _check_frame(self, frame: bytes) -> None:
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
        fault = header_fault(word, frame_type, length, self.max_frame)
        if fault is not None:
            self._drop(fault)
            return
        expected = _HEADER_SIZE + length + (_TRAILER_SIZE if word & schema.FLAG_C else 0)
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
        if word & schema.FLAG_C:
            fault = checksum_fault(frame, 0, end)
            if fault is not None:
                self._drop(fault)
                return
        fault = self.state_fault(word & 0xFF, frame_type, length)
        if fault is not None:
            self._drop(fault)
            if fault.code is not ErrorCode.MESSAGE_INTERRUPTED:
                return
            # FW-MSG-13: the old message is dropped and this frame starts a new one. As a
            # start frame it can still be too large; it is then dropped without a second
            # error, since one frame gives at most one error (spec 3.7).
            if self.state_fault(word & 0xFF, frame_type, length) is not None:
                return
        event = self.frame_event(word & 0xFF, frame_type, frame[_HEADER_SIZE:end])
        if event is not None:
            self.pending.append(event)

    def _drop(self, fault: Fault) -> None:
        """Report a fault: fatal (raise) or, in the delimited codec, a FrameDropped event."""
        error = self.error(fault)
        if not error.recoverable:
            raise error
        # FW-MSG-13/14: every error but unexpected-continuation (which happens only when
        # no message is in progress) drops the message in progress along with the frame.
        dropped = self.assembler.in_progress
        self.assembler.reset()
        self.pending.append(FrameDropped(error, dropped))


READERS: dict[Framing, type[FrameReader]] = {
    Framing.LENGTH_PREFIXED: LengthPrefixedReader,
    Framing.DELIMITED: DelimitedReader,
}
"""The reader of each framing."""
