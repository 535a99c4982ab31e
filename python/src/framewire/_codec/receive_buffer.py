"""The decoder's receive buffer: bytes received and not yet decoded, in memory that follows
the traffic.

One job: hold bytes between a transport (or `feed()`) and a frame reader. No protocol
knowledge: the readers look at `data[start:end]` and move `start` past what they decode.

Why the memory adapts (Netty's adaptive receive allocator and Go's `bufio.Reader` are the
models): a server holds one of these per connection, and most connections are idle most
of the time, while a busy one wants large reads so that one call carries many frames.

- Nothing is allocated before bytes arrive, and an empty buffer is given back when the
  last read did not fill the room offered (the peer has nothing more queued): an idle
  connection holds no buffer at all. While reads keep filling the room, the memory is
  kept and reused, so a busy connection allocates nothing per read.
- The read-ahead offered per read follows recent reads: it grows fourfold when a read
  fills it, up to `MAX_READ_AHEAD` (FW-LIM-4 bounds what is read beyond the frame being
  decoded), and halves after two reads in a row that use less than half of it.
- Room for the rest of an announced frame grows with what has arrived of it: at most the
  bytes already buffered plus one read-ahead. A header alone allocates nothing of its
  payload (FW-LEN-4), and a peer that announces a large frame and stalls costs what it
  actually sent plus one read.
"""

from __future__ import annotations

from framewire._codec.bytes_like import BytesLike
from framewire.errors import UsageError

MIN_READ_AHEAD = 2 * 1024
"""Smallest read offered (a small request or reply fits in one read)."""
MAX_READ_AHEAD = 256 * 1024
"""Largest read-ahead beyond the frame being received (FW-LIM-4)."""
_GROWTH = 4
"""Factor by which the read-ahead grows after a read that filled it."""
_SHORT_READS_BEFORE_SHRINKING = 2
_NOTHING = bytearray()
"""The memory of every empty buffer: never written (it has no room), shared so that an
idle buffer holds nothing of its own."""
_NOTHING_VIEW = memoryview(_NOTHING)


class ReceiveBuffer:
    """One bytearray with read (`start`) and write (`end`) offsets.

    The readers use the attributes directly (a method call per frame would cost more than
    the frame's checks): `data[start:end]` is what is buffered, `view` is a memoryview of
    `data`, and `origin` is the stream offset of `data[0]`.
    """

    __slots__ = (
        "_keep",
        "_offered_end",
        "_read_ahead",
        "_short_reads",
        "data",
        "end",
        "origin",
        "start",
        "view",
    )

    def __init__(self) -> None:
        self.data = _NOTHING
        self.view = _NOTHING_VIEW
        self.start = 0
        self.end = 0
        self.origin = 0
        self._offered_end = 0  # end of the view offer() gave out last
        self._read_ahead = MIN_READ_AHEAD
        self._short_reads = 0
        self._keep = False  # the last read filled its room: more is probably on its way

    @property
    def buffered(self) -> int:
        """Bytes held and not yet decoded."""
        return self.end - self.start

    @property
    def capacity(self) -> int:
        """Size of the memory currently allocated."""
        return len(self.data)

    @property
    def offset(self) -> int:
        """Stream offset of the first byte not yet decoded."""
        return self.origin + self.start

    def feed(self, data: BytesLike) -> None:
        """Copy `data` in after the bytes already held."""
        size = data.nbytes if isinstance(data, memoryview) else len(data)
        if size == 0:
            return
        self._reserve(size)
        self.view[self.end : self.end + size] = data
        self.end += size
        self._keep = False  # fed, not read: nothing says more is coming

    def offer(self, frame_rest: int, sizehint: int) -> memoryview:
        """Free room to receive into: what it is worth reading now (see the module doc).

        `frame_rest` is how many bytes of an announced frame are still to come (0 when no
        header is decoded). A positive `sizehint` is a caller that knows how much it has
        to write: it gets that much read-ahead (at most MAX_READ_AHEAD); otherwise (-1,
        as the event loop asks) the read-ahead follows recent reads.
        """
        read_ahead = self._read_ahead if sizehint <= 0 else min(sizehint, MAX_READ_AHEAD)
        frame_room = min(frame_rest, max(self.end - self.start, read_ahead))
        room = frame_room + read_ahead
        if self.start == self.end and len(self.data) > 2 * room:
            self.release()  # left by larger frames: follow the traffic down
        self._reserve(room)
        self._offered_end = self.end + room
        return self.view[self.end : self._offered_end]

    def commit(self, nbytes: int) -> None:
        """Record that `nbytes` were written into the view from offer(); adapt the next
        read-ahead to how much this read used."""
        offered = self._offered_end - self.end
        if nbytes < 0 or nbytes > offered or self.end + nbytes > len(self.data):
            raise UsageError(f"buffer_updated({nbytes}) beyond the buffer given out")
        self.end += nbytes
        self._offered_end = self.end
        if nbytes >= offered:
            self._keep = True
            self._short_reads = 0
            self._read_ahead = min(self._read_ahead * _GROWTH, MAX_READ_AHEAD)
            return
        self._keep = False
        if 2 * nbytes >= self._read_ahead:
            self._short_reads = 0
            return
        self._short_reads += 1
        if self._short_reads >= _SHORT_READS_BEFORE_SHRINKING:
            self._short_reads = 0
            self._read_ahead = max(self._read_ahead // 2, MIN_READ_AHEAD)

    def settle(self) -> None:
        """The reader needs more input: when everything is decoded and the last read did
        not fill its room, give the memory back (see the module doc)."""
        if self.start != self.end:
            return
        self.origin += self.start
        self.start = self.end = self._offered_end = 0
        if not self._keep and self.data:
            self.release()

    def release(self) -> None:
        """Drop the memory (and whatever it holds)."""
        self.origin += self.start
        self.data = _NOTHING
        self.view = _NOTHING_VIEW
        self.start = self.end = self._offered_end = 0

    def _reserve(self, size: int) -> None:
        """Make room for `size` more bytes after `end`: compact or reallocate as needed."""
        capacity = len(self.data)
        if self.start == self.end:
            self.origin += self.start
            self.start = self.end = 0
        if capacity - self.end >= size:
            return
        live = self.end - self.start
        if live + size <= capacity and self.start >= live:
            # Compact: the bytes moved are fewer than the bytes freed, so amortised O(1).
            self.view[:live] = self.view[self.start : self.end]
            self.origin += self.start
            self.start, self.end = 0, live
            return
        data = bytearray(max(2 * capacity, live + size))
        data[:live] = self.view[self.start : self.end]
        self.origin += self.start
        self.data = data
        self.view = memoryview(data)
        self.start, self.end = 0, live
