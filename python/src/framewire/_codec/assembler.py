"""Frames in, messages out: the data message in progress and the rules of spec 5.3.

One job: given data frames that passed every frame check, enforce the message rules
(FW-MSG-7 to FW-MSG-10) and either assemble the message (the default) or hand each
frame's piece on as a `Piece` (streaming, FW-MSG-15). It knows nothing of framings or
buffers; both readers share it.
"""

from __future__ import annotations

from framewire._codec import schema
from framewire._codec.checks import Fault
from framewire.errors import ErrorCode
from framewire.events import Message, Piece

_FLAG_M = schema.FLAG_M
_FLAG_N = schema.FLAG_N
_APP_SHIFT = schema.APP_FLAGS_SHIFT
_new_tuple = tuple.__new__
"""Builds the checked fields into a Message without Message()'s checks (hot path)."""


class MessageAssembler:
    """The state of one direction's data message in progress (spec 5.3)."""

    __slots__ = ("_payload", "assemble", "flags", "max_message", "size", "type")

    def __init__(self, max_message: int, *, assemble: bool) -> None:
        self.max_message = max_message
        """FW-MSG-10's maximum message size; 0 for no limit."""
        self.assemble = assemble
        self.type = -1
        """Type of the message in progress; -1 when there is none."""
        self.flags = 0
        self.size = 0
        self._payload = bytearray()

    @property
    def in_progress(self) -> bool:
        """True between a message's first frame and its last."""
        return self.type >= 0

    def fault(self, flags: int, frame_type: int, length: int) -> Fault | None:
        """The message rules of spec 5.3, in their order (FW-MSG-7 to FW-MSG-10)."""
        in_progress = self.type >= 0
        continuation = bool(flags & _FLAG_N)
        if continuation and not in_progress:
            return Fault(
                ErrorCode.UNEXPECTED_CONTINUATION, "FW-MSG-7", "continuation with no message"
            )
        if not continuation and in_progress:
            return Fault(
                ErrorCode.MESSAGE_INTERRUPTED,
                "FW-MSG-8",
                f"new message while a type 0x{self.type:02x} message is in progress",
            )
        app_flags = flags >> _APP_SHIFT
        if continuation and (frame_type != self.type or app_flags != self.flags):
            return Fault(
                ErrorCode.CONTINUATION_MISMATCH,
                "FW-MSG-9",
                f"continuation type 0x{frame_type:02x} flags {app_flags} differ from "
                f"the message's type 0x{self.type:02x} flags {self.flags}",
            )
        total = (self.size if continuation else 0) + length
        if self.max_message and total > self.max_message:
            return Fault(
                ErrorCode.MESSAGE_TOO_LARGE,
                "FW-MSG-10",
                f"message would reach {total} bytes, above the maximum {self.max_message}",
            )
        return None

    def add(self, flags: int, frame_type: int, payload: bytes) -> Message | Piece | None:
        """Apply a checked data frame; return its event, if any (None mid-message)."""
        app_flags = flags >> _APP_SHIFT
        first = not flags & _FLAG_N
        last = not flags & _FLAG_M
        if first:
            self.size = 0
        self.size += len(payload)
        if last:
            self.type = -1
        else:
            self.type = frame_type
            self.flags = app_flags
        if not self.assemble:
            return Piece(frame_type, app_flags, payload, first, last)
        if first and last:  # the decoder checked the fields: no Message() checks again
            return _new_tuple(Message, (frame_type, payload, app_flags))
        # One growing bytearray, not a list of parts: a message of many tiny or empty
        # frames must cost its payload plus a constant, not a record per frame (FW-SEC-1).
        self._payload += payload
        if not last:
            return None
        whole = bytes(self._payload)
        self._payload = bytearray()
        return _new_tuple(Message, (frame_type, whole, app_flags))

    def reset(self) -> None:
        """Drop the message in progress (FW-MSG-13, FW-MSG-14)."""
        self.type = -1
        self.size = 0
        self._payload = bytearray()

    def truncation_fault(self) -> Fault | None:
        """FW-MSG-11: the input ended at a frame boundary but inside a message."""
        if self.type < 0:
            return None
        return Fault(
            ErrorCode.TRUNCATED_MESSAGE,
            "FW-MSG-11",
            f"input ended inside a type 0x{self.type:02x} message after {self.size} bytes",
        )
