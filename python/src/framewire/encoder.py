"""The sans-I/O frame encoder: messages in, canonical frame bytes out (spec 3 to 6).

API summary (`framewire` exports `Encoder` and `MessageWriter`):

    encoder = Encoder(Framing.LENGTH_PREFIXED, checksum=False, max_frame_size=1 << 20)
    data = encoder.encode(Message(0x40, b"payload", flags=0))  # all frames of one message
    frames = encoder.encode_frames(message)  # the same, one bytes per frame
    writer = encoder.start_message(0x40, flags=0)  # a message in pieces, of unknown size
    data = writer.write(piece)  # whole frames as soon as more bytes follow them
    data = writer.end(piece)  # the rest, as the last frame
    encoder.hello(limits) / error(code, reason) / ping(data8) / pong(data8)
    Encoder.preface(framing)

Splitting is canonical (the rule the encode vectors check): a data message becomes frames of
exactly `max_frame_size` payload bytes, the last one holding the remainder; an empty payload
gives one empty frame and a payload that is an exact multiple gives no extra empty frame.
A stream writer produces the same frames as `encode()` of the concatenated chunks, because it
holds back a full frame until it knows whether more bytes follow.

Misuse raises UsageError: a type outside 0..255 or reserved, application flags
outside 0..15 or on a control frame, a control payload that does not fit one frame or breaks
its layout, an ERROR reason over 254 bytes, a second data message started while a streamed
one is open (FW-MSG-5).
"""

from __future__ import annotations

from collections.abc import Mapping

from framewire._codec import schema
from framewire._codec.bytes_like import BytesLike
from framewire._codec.checks import is_control_type
from framewire._codec.checksum import crc32c
from framewire._codec.cobs_codec import cobs_encode
from framewire._codec.control import control_fault
from framewire.errors import MAX_REASON_BYTES, UsageError
from framewire.events import Message
from framewire.framing import Framing, Limits

_pack_header = schema.HEADER_STRUCT.pack
_pack_trailer = schema.TRAILER_STRUCT.pack
_MAGIC = schema.MAGIC
_VERSION = schema.VERSION
_FLAG_C = schema.FLAG_C
_FLAG_M = schema.FLAG_M
_FLAG_N = schema.FLAG_N
_APP_SHIFT = schema.APP_FLAGS_SHIFT
_DELIMITER = b"\x00"
_PREFACES = {
    framing: schema.PREFACE.build({"framing": framing.preface_byte}) for framing in Framing
}
"""Built once: every session sends and expects one of these."""


class Encoder:
    """Encode messages into frames for one framing and one receiver's maximum frame size."""

    def __init__(
        self,
        framing: Framing = Framing.LENGTH_PREFIXED,
        *,
        checksum: bool = False,
        max_frame_size: int = schema.MAX_FRAME_SIZE.default,
    ) -> None:
        # FW-LIM-12: any split size up to the ceiling; the minimum of FW-LIM-2 bounds
        # what a receiver announces, not how small a sender cuts its frames.
        if not 1 <= max_frame_size <= schema.MAX_FRAME_SIZE.maximum:
            raise UsageError(
                f"max_frame_size {max_frame_size} is out of range (FW-LIM-12): "
                f"1 to {schema.MAX_FRAME_SIZE.maximum}"
            )
        self.framing = framing
        self.checksum = checksum
        self.max_frame_size = max_frame_size
        self._delimited = framing is Framing.DELIMITED
        self._stream_open = False

    @staticmethod
    def preface(framing: Framing) -> bytes:
        """The 8-byte session preface for `framing` (spec 6.2)."""
        return _PREFACES[framing]

    # --- data and control messages ---------------------------------------------------------

    def encode(self, message: Message) -> bytes:
        """All frames of one message, concatenated."""
        frame_type, payload, flags = message
        if (
            frame_type >= schema.FIRST_APPLICATION_TYPE
            and len(payload) <= self.max_frame_size
            and not self._stream_open
        ):
            # The common case, one frame: skip the splitting machinery.
            _check_type_and_flags(frame_type, flags)
            return self.frame(flags << _APP_SHIFT, frame_type, payload)
        return b"".join(self.encode_frames(message))

    def encode_frames(self, message: Message) -> list[bytes]:
        """The frames of one message, one bytes object per frame (for sendmsg batches)."""
        frame_type, payload, flags = message
        _check_type_and_flags(frame_type, flags)
        if is_control_type(frame_type):
            fault = control_fault(frame_type, bytes(payload))
            if fault is not None:
                raise UsageError(f"malformed control message: {fault.detail} ({fault.statement})")
            return [self._control(frame_type, payload)]
        if self._stream_open:
            raise UsageError("a streamed message is still open (FW-MSG-5)")
        return self._split(frame_type, flags << _APP_SHIFT, payload, first=True, last=True)

    def start_message(self, message_type: int, flags: int = 0) -> MessageWriter:
        """Start a data message of unknown size, written in pieces; end it with the writer's
        end()."""
        _check_type_and_flags(message_type, flags)
        if is_control_type(message_type):
            raise UsageError("control messages are never split (FW-TYP-3)")
        if self._stream_open:
            raise UsageError("a streamed message is still open (FW-MSG-5)")
        self._stream_open = True
        return MessageWriter(self, message_type, flags)

    def hello(self, limits: Limits | Mapping[int, int]) -> bytes:
        """A HELLO frame announcing `limits` (or raw settings id -> value, spec 6.3)."""
        settings = limits.as_settings() if isinstance(limits, Limits) else limits
        payload = b"".join(
            schema.SETTING_STRUCT.pack(setting_id, value) for setting_id, value in settings.items()
        )
        return self._control(schema.TYPE_HELLO, payload)

    def error(self, code: int, reason: str = "") -> bytes:
        """An ERROR frame (spec 6.4); `reason` must fit 254 UTF-8 bytes (FW-ERR-2)."""
        encoded_reason = reason.encode("utf-8")
        if len(encoded_reason) > MAX_REASON_BYTES:
            raise UsageError(
                f"ERROR reason is {len(encoded_reason)} bytes, over {MAX_REASON_BYTES} (FW-ERR-2)"
            )
        if not 0 < code <= schema.MAX_ERROR_CODE:
            raise UsageError(f"error code {code} cannot be sent (code 0 is reserved)")
        return self._control(
            schema.TYPE_ERROR, schema.ERROR_CODE_STRUCT.pack(int(code)) + encoded_reason
        )

    def ping(self, data: bytes) -> bytes:
        """A PING frame carrying 8 opaque bytes (FW-PNG-1)."""
        return self._control(schema.TYPE_PING, _ping_data(data))

    def pong(self, data: bytes) -> bytes:
        """A PONG frame echoing a PING's 8 bytes (FW-PNG-2)."""
        return self._control(schema.TYPE_PONG, _ping_data(data))

    # --- frames ----------------------------------------------------------------------------

    def frame(self, flags: int, frame_type: int, payload: BytesLike) -> bytes:
        """One frame with the raw flags byte given (C is added when checksumming), framed.

        No rule is checked here: this is the building block of the methods above, and of
        tools and tests that need an exact frame.
        """
        length = len(payload)
        if self.checksum:
            header = _pack_header(_MAGIC, _VERSION, flags | _FLAG_C, frame_type, length)
            crc = crc32c(payload, crc32c(header))
            frame = b"".join((header, payload, _pack_trailer(crc)))
        else:
            frame = _pack_header(_MAGIC, _VERSION, flags, frame_type, length) + payload
        if self._delimited:
            return cobs_encode(frame) + _DELIMITER
        return frame

    def _control(self, frame_type: int, payload: bytes) -> bytes:
        if len(payload) > self.max_frame_size:
            raise UsageError(
                f"control payload of {len(payload)} bytes exceeds the maximum frame size "
                f"{self.max_frame_size}, and control frames are never split (FW-TYP-3)"
            )
        return self.frame(0, frame_type, payload)

    def _split(
        self, frame_type: int, flags: int, payload: BytesLike, *, first: bool, last: bool
    ) -> list[bytes]:
        """Frames of exactly max_frame_size bytes; `first`/`last`: this piece starts/ends
        the message. An empty piece is one empty frame."""
        size = self.max_frame_size
        total = len(payload)
        view = memoryview(payload)
        frames = []
        offset = 0
        while True:
            end = min(offset + size, total)
            frame_flags = flags
            if not (first and offset == 0):
                frame_flags |= _FLAG_N
            if end < total or not last:
                frame_flags |= _FLAG_M
            frames.append(self.frame(frame_flags, frame_type, view[offset:end]))
            offset = end
            if offset >= total:
                return frames


class MessageWriter:
    """Write one data message in pieces (FW-MSG-2), for messages of unknown size."""

    def __init__(self, encoder: Encoder, frame_type: int, flags: int) -> None:
        self._encoder = encoder
        self._type = frame_type
        self._flags = flags << _APP_SHIFT
        self._held = bytearray()
        self._started = False
        self.size = 0
        """Payload bytes written so far."""
        self.finished = False

    def write(self, piece: BytesLike) -> bytes:
        """Add bytes; return the frames that are complete and known not to be the last."""
        self._check_open()
        self._held += piece
        self.size += len(piece)
        size = self._encoder.max_frame_size
        ready = (len(self._held) - 1) // size * size  # keep at least one byte back
        if ready <= 0:
            return b""
        frames = self._encoder._split(
            self._type, self._flags, self._held[:ready], first=not self._started, last=False
        )
        del self._held[:ready]
        self._started = True
        return b"".join(frames)

    def end(self, piece: BytesLike = b"") -> bytes:
        """Add the last bytes and end the message: the remaining frames, the last with M clear."""
        self._check_open()
        self._held += piece
        self.size += len(piece)
        frames = self._encoder._split(
            self._type, self._flags, self._held, first=not self._started, last=True
        )
        self._held = bytearray()
        self.finished = True
        self._encoder._stream_open = False
        return b"".join(frames)

    def _check_open(self) -> None:
        if self.finished:
            raise UsageError("this message has already ended")


def _check_type_and_flags(frame_type: int, flags: int) -> None:
    if not 0 <= frame_type <= schema.MAX_TYPE:
        raise UsageError(f"type {frame_type} is outside 0..255")
    if frame_type < schema.FIRST_APPLICATION_TYPE and not is_control_type(frame_type):
        raise UsageError(f"type 0x{frame_type:02x} is reserved (FW-TYP-2)")
    if not 0 <= flags <= schema.MAX_APP_FLAGS:
        raise UsageError(f"application flags {flags} are outside 0..15 (FW-FLG-2)")
    if flags and is_control_type(frame_type):
        raise UsageError("control frames carry no application flags (FW-FLG-2)")


def _ping_data(data: bytes) -> bytes:
    if len(data) != schema.PING_SIZE:
        raise UsageError(f"PING/PONG data is {len(data)} bytes, not 8 (FW-PNG-1)")
    return bytes(data)
