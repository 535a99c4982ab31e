"""Framewire's errors: the registry of spec section 8 as data, and the exceptions built on it.

API summary:

- `ErrorCode` -- an `IntEnum` whose members ARE the registry table: each member carries its
  `wire_name` ("bad-magic"), its `statements` ("FW-HDR-4", ...), `recovery` (what a delimited
  codec drops) and `sends_error_frame` (the "ERROR frame" column). `ErrorCode.from_name()`
  looks a code up by its wire name.
- `FramewireError` -- base of everything this package raises on purpose.
- `ProtocolError(code, detail, ...)` -- a failure the registry names, on either side:
  `.code`, `.name`, `.statement`, `.detail`, `.recoverable`, `.sends_error_frame`. The base
  of the next two, so one `except ProtocolError` catches both and `.code` tells them apart.
- `RemoteProtocolError` -- the peer (or the input) broke the spec (FW-ERR-7).
- `LocalFailureError` -- this side failed the connection: a deadline of ours expired
  (`timeout`) or the application or implementation gave up (`internal-error`, FW-ERR-6,
  `fail()`). The peer is told with an ERROR frame.
- `UsageError` -- the application misused the API; never sent on the wire (FW-ERR-7).
- `PeerError` -- the peer sent an ERROR frame (FW-ERR-3): `.code` (int), `.name` (None when
  the code is not in our registry, FW-ERR-4), `.reason`.
- `TransportError` -- the connection broke below Framewire (FW-SES-5), or ended under a
  call that still needed the peer.
"""

from __future__ import annotations

import enum

from framewire._codec.peertext import escape_peer_text


class Recovery(enum.Enum):
    """What a delimited codec drops after a recoverable error (the registry's recovery column)."""

    DROP_FRAME = "drop frame (no message is in progress)"
    DROP_FRAME_AND_IN_PROGRESS = "drop frame and message in progress"
    SKIP_TO_DELIMITER = "drop frame and message in progress, skip to next `0x00`"
    DROP_OLD_MESSAGE = "drop old message, keep new frame"
    DROP_FRAME_AND_MESSAGE = "drop frame and message"
    END_OF_INPUT = "end of input"
    NOT_APPLICABLE = "—"


class ErrorCode(enum.IntEnum):
    """The error registry (spec section 8). Each member is one row of the table.

    The member value is the code number that travels in ERROR frames; the rest of the
    row hangs off the member as attributes, so the registry exists exactly once in code.
    """

    wire_name: str
    statements: tuple[str, ...]
    recovery: Recovery
    sends_error_frame: bool

    def __new__(
        cls, code: int, wire_name: str, statements: str, recovery: Recovery, error_frame: bool
    ) -> ErrorCode:
        member = int.__new__(cls, code)
        member._value_ = code
        member.wire_name = wire_name
        member.statements = tuple(statements.split(", "))
        member.recovery = recovery
        member.sends_error_frame = error_frame
        return member

    BAD_MAGIC = (100, "bad-magic", "FW-HDR-4", Recovery.DROP_FRAME_AND_IN_PROGRESS, True)
    UNSUPPORTED_VERSION = (
        101,
        "unsupported-version",
        "FW-HDR-5",
        Recovery.DROP_FRAME_AND_IN_PROGRESS,
        True,
    )
    RESERVED_FLAG = (
        102,
        "reserved-flag",
        "FW-FLG-1, FW-FLG-2",
        Recovery.DROP_FRAME_AND_IN_PROGRESS,
        True,
    )
    RESERVED_TYPE = (103, "reserved-type", "FW-TYP-2", Recovery.DROP_FRAME_AND_IN_PROGRESS, True)
    FRAGMENTED_CONTROL = (
        104,
        "fragmented-control",
        "FW-TYP-3",
        Recovery.DROP_FRAME_AND_IN_PROGRESS,
        True,
    )
    FRAME_TOO_LARGE = (
        105,
        "frame-too-large",
        "FW-LEN-3, FW-DLM-4, FW-LIM-3",
        Recovery.SKIP_TO_DELIMITER,
        True,
    )
    LENGTH_MISMATCH = (
        106,
        "length-mismatch",
        "FW-DLM-3",
        Recovery.DROP_FRAME_AND_IN_PROGRESS,
        True,
    )
    COBS_INVALID = (107, "cobs-invalid", "FW-COB-2", Recovery.DROP_FRAME_AND_IN_PROGRESS, True)
    CHECKSUM_MISMATCH = (
        108,
        "checksum-mismatch",
        "FW-CRC-3",
        Recovery.DROP_FRAME_AND_IN_PROGRESS,
        True,
    )
    TRUNCATED_FRAME = (
        109,
        "truncated-frame",
        "FW-LPF-4, FW-DLM-5, FW-CLS-5",
        Recovery.END_OF_INPUT,
        False,
    )
    UNEXPECTED_CONTINUATION = (
        200,
        "unexpected-continuation",
        "FW-MSG-7",
        Recovery.DROP_FRAME,
        True,
    )
    MESSAGE_INTERRUPTED = (
        201,
        "message-interrupted",
        "FW-MSG-8",
        Recovery.DROP_OLD_MESSAGE,
        True,
    )
    CONTINUATION_MISMATCH = (
        202,
        "continuation-mismatch",
        "FW-MSG-9",
        Recovery.DROP_FRAME_AND_MESSAGE,
        True,
    )
    MESSAGE_TOO_LARGE = (
        203,
        "message-too-large",
        "FW-MSG-10, FW-LIM-3",
        Recovery.DROP_FRAME_AND_MESSAGE,
        True,
    )
    TRUNCATED_MESSAGE = (
        204,
        "truncated-message",
        "FW-MSG-11, FW-CLS-5",
        Recovery.END_OF_INPUT,
        False,
    )
    BAD_PREFACE = (300, "bad-preface", "FW-PRE-2", Recovery.NOT_APPLICABLE, False)
    HANDSHAKE_INCOMPLETE = (
        301,
        "handshake-incomplete",
        "FW-PRE-3, FW-CLS-5",
        Recovery.NOT_APPLICABLE,
        False,
    )
    UNEXPECTED_MESSAGE = (
        302,
        "unexpected-message",
        "FW-HEL-1, FW-SES-6",
        Recovery.NOT_APPLICABLE,
        True,
    )
    # The registry's "yes, except for a malformed ERROR": the exception is applied by the
    # session (FW-ERR-4), which knows which control frame was malformed.
    MALFORMED_CONTROL = (
        303,
        "malformed-control",
        "FW-HEL-3, FW-ERR-4, FW-PNG-1, FW-HDR-9",
        Recovery.NOT_APPLICABLE,
        True,
    )
    TIMEOUT = (304, "timeout", "FW-LIM-6, FW-PNG-4, FW-LIM-8", Recovery.NOT_APPLICABLE, True)
    INTERNAL_ERROR = (305, "internal-error", "FW-ERR-6", Recovery.NOT_APPLICABLE, True)

    @classmethod
    def from_name(cls, wire_name: str) -> ErrorCode:
        """Return the code whose registry name is `wire_name` (KeyError if there is none)."""
        return _BY_NAME[wire_name]

    @classmethod
    def lookup(cls, code: int) -> ErrorCode | None:
        """Return the registry entry for a number received from a peer, or None if unknown."""
        return _BY_NUMBER.get(code)


_BY_NAME: dict[str, ErrorCode] = {code.wire_name: code for code in ErrorCode}
_BY_NUMBER: dict[int, ErrorCode] = {int(code): code for code in ErrorCode}


def check_fail_code(code: object) -> None:
    """Refuse anything but an `ErrorCode` as the first argument of a ``fail()``.

    The channels' ``fail()`` once took the detail first; such a call would otherwise send
    its text where the code goes, or fail far from the mistake.
    """
    if not isinstance(code, ErrorCode):
        raise TypeError(
            f"fail(code, detail) takes an ErrorCode first, not {type(code).__name__} "
            f"{code!r}; pass the text as detail=..."
        )


class FramewireError(Exception):
    """Base class of every exception that Framewire raises on purpose."""


class ProtocolError(FramewireError):
    """A failure the error registry names, on either side: `.code`, `.name`, `.statement`,
    `.detail`.

    Never raised itself: a `RemoteProtocolError` is the peer's fault, a `LocalFailureError`
    this side's decision. Catch this base to handle both by registry code (`error.code
    is ErrorCode.TIMEOUT`); the code is data, so one class per side serves every code.

    `recoverable` is true only for errors a delimited codec reports and then goes on
    decoding after (FW-DLM-6); every other one is final for its decoder or session.
    `sends_error_frame` says whether a session tells the peer with an ERROR frame; it is the
    registry's column, except where the session knows better (a malformed ERROR, FW-ERR-4).
    """

    def __init__(
        self,
        code: ErrorCode,
        detail: str,
        *,
        statement: str | None = None,
        recoverable: bool = False,
        sends_error_frame: bool | None = None,
    ) -> None:
        self.code: ErrorCode = code
        self.name: str = code.wire_name
        self.statement: str = statement if statement is not None else code.statements[0]
        self.detail: str = detail
        self.recoverable: bool = recoverable
        self.sends_error_frame: bool = (
            code.sends_error_frame if sends_error_frame is None else sends_error_frame
        )
        super().__init__(f"{self.name} ({int(code)}, {self.statement}): {detail}")

    def error_frame_reason(self) -> str:
        """The `reason` for an ERROR frame: statement and detail, at most 254 UTF-8 bytes.

        The detail never holds payload bytes (FW-ERR-2), only our own description.
        """
        return truncate_reason(f"{self.statement}: {self.detail}")


class RemoteProtocolError(ProtocolError):
    """The peer broke the spec: its bytes (or, for a codec, the input) are not Framewire.

    Every registry code can be one, except `internal-error`, which names a failure of the
    side that sends it (FW-ERR-6, FW-ERR-7). A session tells the peer with an ERROR frame
    when `sends_error_frame` says so.
    """


class LocalFailureError(ProtocolError):
    """This side failed the connection, and told the peer with an ERROR frame when the
    stream could still carry one (`sends_error_frame`).

    A deadline of ours expired (`timeout`: FW-LIM-6, FW-LIM-8, FW-PNG-4; the peer may be
    slow or the path gone, which our clock cannot tell apart), or the application or the
    implementation gave up (`internal-error`, FW-ERR-6: ``fail()``, a block that raised,
    an abandoned streamed message). ``fail(code=...)`` may name another code when the
    registry's meaning fits; it is still our decision, so still this class. Not a
    `UsageError` (the spec's "local error"), which is never sent on the wire.
    """


def truncate_reason(text: str) -> str:
    """Cut `text` to at most 254 UTF-8 bytes without splitting a character (FW-ERR-2)."""
    return text.encode("utf-8")[:MAX_REASON_BYTES].decode("utf-8", errors="ignore")


MAX_REASON_BYTES = 254
"""Longest ERROR reason, so that an ERROR fits the smallest MAX_FRAME_SIZE (FW-ERR-2)."""


class UsageError(FramewireError):
    """The application misused the API (FW-ERR-7, FW-CLS-6): a call the state or the
    arguments do not allow, such as a send after its own half-close or before the peer's
    HELLO. Never sent on the wire; a usable connection stays usable. (A call on a failed
    connection raises the failure itself, whoever caused it: FW-SES-4.)"""


class PeerError(FramewireError):
    """The peer failed the connection with an ERROR frame (FW-ERR-3).

    `name` is None when the peer's code is not in our registry (FW-ERR-4). `reason` is the
    text as the peer sent it; the message (``str()``, ``repr()``, log lines) shows it
    escaped and cut (FW-SEC-5), so printing the error cannot control a terminal.
    """

    def __init__(self, code: int, reason: str) -> None:
        entry = ErrorCode.lookup(code)
        self.code: int = code
        self.name: str | None = entry.wire_name if entry is not None else None
        self.reason: str = reason
        super().__init__(
            f"peer sent ERROR {code} ({self.name or 'unknown code'}): {escape_peer_text(reason)}"
        )


class TransportError(FramewireError, ConnectionError):
    """The connection broke below Framewire: a reset or broken pipe (FW-SES-5); or it
    ended under a call that still needed the peer (its PONG), by the peer's clean end.

    That end is no fault of the peer's, so no `ProtocolError`, nor the application's, so
    no `UsageError`: for the call the connection is gone, as after a reset, and nothing
    it waits for can arrive. The channel is not failed by it: what the peer sent before
    is still received, and ``close()`` ends it cleanly.

    A ``ConnectionError`` too, so code that catches socket failures catches it; ``errno``
    is the socket error's number when one caused it (``errno.ECONNREFUSED``, ...), else
    None."""


class TlsError(TransportError):
    """TLS failed below Framewire: a handshake that did not complete (an untrusted
    certificate, a hostname mismatch, a peer that does not speak TLS or Framewire's ALPN
    id), or a TLS record layer error (spec section 12)."""


class TlsTruncationError(TlsError):
    """The peer's TLS stream ended without ``close_notify`` (FW-TLS-7): an attacker, or a
    crash, may have cut it short, so it is never taken for a clean end."""
