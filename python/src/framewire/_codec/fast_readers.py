"""The length-prefixed reader's fast paths, kept apart from the general reader under one rule.

The rule: given the same buffered bytes and the same reader state, a fast path returns a
prefix of the events that the general reader
(`framewire._codec.readers.LengthPrefixedReader.general_event`) would return, made of data
messages only, and leaves the read offset just after the frames of that prefix, so that
the general reader, taking over from there, returns the rest as if it had decoded the
prefix itself. (Data messages only: a control message ends a batch of
`framewire.Decoder.next_events`, so that a session acts on it before what follows.) A fast
path may stop early at anything unusual: a control frame, a frame of a multi-frame
message, a wrong checksum, a frame over the size limits, a partial frame. It never
reports an error: every error is the general reader's to find and report. Fast paths run
only while the reader's `fast` is true (data admitted, no message in progress, no frame
header pending), the state in which a whole single-frame data message is an event on its
own. tests/codec/test_fast_readers.py checks the rule for every path below, the compiled one
included.

The paths take only whole single-frame data messages, the common case on a busy
connection, and make the general reader's checks for such a message in a cheaper form:
magic, version and the R, M and N flags in one masked compare of the header word
(FW-HDR-6); a data type (FW-HDR-6, FW-SES-6); the payload within the fast limit, the
smaller of the frame and message limits (FW-LIM-3, FW-MSG-10); with C, the CRC-32C
(FW-CRC-3). The compiled loop (`framewire._codec.compiled`, `framewire._codec.fastpath`) hooks in
here, in place of the pure-Python run loops, and is bound by the same rule.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from framewire._codec import compiled, schema
from framewire._codec.assembler import MessageAssembler
from framewire._codec.checksum import crc32c
from framewire._codec.receive_buffer import ReceiveBuffer
from framewire.events import FrameDropped, Message, Piece

_HEADER_SIZE = schema.HEADER_SIZE
_TRAILER_SIZE = schema.TRAILER_SIZE
_unpack_header = schema.HEADER_WORD_STRUCT.unpack_from
_unpack_trailer = schema.TRAILER_STRUCT.unpack_from
_new_tuple = tuple.__new__
_FLAG_C = schema.FLAG_C
_APP_SHIFT = schema.APP_FLAGS_SHIFT
_FIRST_DATA_TYPE = schema.FIRST_APPLICATION_TYPE
_FAST_MASK = schema.HEADER_WORD_MAGIC_VERSION_MASK | schema.FLAG_M | schema.FLAG_N | schema.FLAG_R
"""The bits of the header word that a fast path compares: magic, version, R, M and N
(C may be set: its trailer is checked)."""
_FAST_WORD = schema.HEADER_WORD
"""What those bits must be: the right magic and version, R, M and N clear."""

_SNAPSHOT_PAYLOAD_BELOW = 1024
"""Payloads of a run that starts with one smaller than this are sliced from a snapshot."""
_SNAPSHOT_FIRST = 4096
"""First snapshot window of take_small_messages()."""
_SNAPSHOT_GROWTH = 4
"""Factor by which the snapshot window grows while runs of small messages use it up."""
_SNAPSHOT_LARGEST = 64 * 1024
"""Largest snapshot window; payloads above it are copied straight from the buffer."""

Found = list[Message | Piece | FrameDropped]


class FastPaths:
    """The fast paths of one length-prefixed reader, over its buffer and assembler."""

    def __init__(self, buffer: ReceiveBuffer, assembler: MessageAssembler, largest: int) -> None:
        self.buffer = buffer
        self.assembler = assembler
        self.largest = largest
        """The largest payload taken: within both the frame and the message limit."""
        self.snapshot_largest = min(_SNAPSHOT_LARGEST, _HEADER_SIZE + largest)
        self.compiled_run = compiled.DECODE_RUN
        """The compiled loop of run(), or None: the pure-Python loops below."""

    def first(self) -> Message | Piece | None:
        """The next event if it is a whole single-frame data message, else None."""
        found: list[Message | Piece] = []
        self.take_in_place(found.append, 1)
        return found[0] if found else None

    def run(self, batch: Found) -> None:
        """Append the run of whole single-frame data messages at the read offset.

        Small payloads are sliced from a snapshot of the buffer (`take_small_messages`),
        larger ones copied straight from it (`take_in_place`): a bytes slice costs less
        than a memoryview slice for a small payload, but the snapshot copies every byte
        once more, which costs more than it saves on a large one. The compiled loop and
        the snapshot build Messages only: a streaming receiver's Pieces are built in
        place.
        """
        buffer = self.buffer
        if buffer.end - buffer.start < _HEADER_SIZE:
            return
        assemble = self.assembler.assemble
        if assemble and self.compiled_run is not None:
            buffer.start = self.compiled_run(
                buffer.data,
                buffer.start,
                buffer.end,
                self.largest,
                Message,
                batch,
                sys.maxsize,
                _FAST_WORD,
                _FAST_MASK,
            )
        elif assemble and _unpack_header(buffer.data, buffer.start)[2] < _SNAPSHOT_PAYLOAD_BELOW:
            self.take_small_messages(batch)
        else:
            self.take_in_place(batch.append, sys.maxsize)

    def take_in_place(self, append: Callable[[Message | Piece], None], most: int) -> None:
        """Pass to `append` up to `most` whole single-frame data messages, with or
        without their checksum, each payload copied once from the buffer."""
        buffer = self.buffer
        data, view, pos, available = buffer.data, buffer.view, buffer.start, buffer.end
        largest, assemble = self.largest, self.assembler.assemble
        while most and available - pos >= _HEADER_SIZE:
            word, frame_type, length = _unpack_header(data, pos)
            if word & _FAST_MASK != _FAST_WORD or frame_type < _FIRST_DATA_TYPE or length > largest:
                break
            start = pos + _HEADER_SIZE
            end = start + length
            frame_end = end + _TRAILER_SIZE if word & _FLAG_C else end
            if frame_end > available or (
                frame_end != end and crc32c(view[pos:end]) != _unpack_trailer(data, end)[0]
            ):
                break
            payload = bytes(view[start:end])
            app_flags = (word & 0xFF) >> _APP_SHIFT
            if assemble:
                append(_new_tuple(Message, (frame_type, payload, app_flags)))
            else:
                append(Piece(frame_type, app_flags, payload, True, True))
            pos = frame_end
            most -= 1
        buffer.start = pos

    def take_small_messages(self, batch: Found) -> None:
        """Append to `batch` (as Messages) the run of whole single-frame data messages at
        the read offset whose frames fit in a snapshot window.

        Why it looks like this: as the loop runs once per message, it keeps everything in
        local variables (a global or attribute lookup costs as much as an operation), and
        slices payloads from a `bytes` snapshot of the buffer, positions counted from the
        snapshot's start (a bytes slice costs less than bytes(memoryview slice)). The
        window starts small and grows fourfold (or to the next frame's size) while it is
        used up, so a run that stops early wastes at most the first window's copy, and a
        frame larger than any window is left after a look at its header. The window never
        exceeds the largest frame taken (`largest` of payload), so a frame that fits in it
        is within the size limits without a comparison of its own. A header with no flag
        at all, the common case, takes one plain compare.
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
        buffer = self.buffer
        view, pos, wpos = buffer.view, buffer.start, buffer.end
        largest = self.snapshot_largest
        if wpos - pos < header_size:
            return
        word, frame_type, length = unpack(buffer.data, pos)
        if (
            word & mask != plain
            or frame_type < first_data_type
            or header_size + length + trailer_size > largest
        ):
            return  # the next frame is not for this loop: no snapshot
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
                    buffer.start = pos + offset
                    return  # not a single-frame data message
                frame_end = end + trailer_size if word & flag_c else end
                if frame_end > size:
                    needed = frame_end - offset
                    break
                if frame_end != end:
                    if snapshot_view is None:
                        snapshot_view = memoryview(snapshot)
                    if crc(snapshot_view[offset:end]) != unpack_trailer(snapshot, end)[0]:
                        buffer.start = pos + offset
                        return  # the general reader reports checksum-mismatch
                app_flags = (word & 0xFF) >> shift
                append(new(message_class, (frame_type, snapshot[start:end], app_flags)))
                offset = frame_end
            pos += offset
            if wpos - pos < needed or needed > largest:
                break  # the rest is a partial frame, or one too large for any window
            window = min(max(_SNAPSHOT_GROWTH * window, needed), largest)
        buffer.start = pos
