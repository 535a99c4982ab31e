"""The sans-I/O session of spec 6: preface, HELLO, PING/PONG, ERROR, clean end. No sockets.

API summary (h11 style):

    session = Session(Options(Framing.LENGTH_PREFIXED, Limits(), checksum=False))
    sock.sendall(session.data_to_send())  # our preface + HELLO, queued at creation
    session.receive_data(data)  # or get_buffer(n) / buffer_updated(n)
    session.receive_eof()
    event = session.next_event()  # Message | Piece | PeerHello | PingReceived |
    # PongReceived | PeerClosed | NEED_DATA | END
    events = session.next_events()  # all available now, batched; [] -> ask next_event()
    session.send(Message(0x40, b"..."))  # after the peer's HELLO (FW-SES-2)
    writer = session.start_message(0x40)  # streaming: writer.write(b), writer.end()
    data = session.ping()  # the 8 bytes its PONG will carry
    session.close_write()  # we are done: flush, then shutdown(SHUT_WR)
    session.fail(ErrorCode.TIMEOUT, "...")  # queue ERROR 304 and raise it
    sock.sendall(session.data_to_send())  # after every call that may queue bytes

Errors: `next_event()` raises `RemoteProtocolError` for a fault of the peer, after queueing an
ERROR frame when the registry says so (FW-ERR-1), and `PeerError` when the peer sent ERROR;
`fail()` raises `LocalFailureError`, our own decision. The session is then FAILED for good:
every later `next_event()`, send, `ping()` or `close_write()` raises the same exception (FW-SES-4,
FW-CLS-6), whoever caused it. Misuse of the API (sending before the peer's HELLO or after
close) raises `UsageError`.

For deadlines (which belong to the transport, FW-LIM-6) the session tells what is pending:
`handshake_done`, `frame_in_progress` (part of a frame or of the preface has arrived) and
`pings_outstanding`; `fail(ErrorCode.TIMEOUT, ...)` is the path for an expired one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import cast

from framewire._codec import schema
from framewire._codec.bytes_like import BytesLike
from framewire._codec.checks import Fault
from framewire._codec.control import control_fault, hello_limits
from framewire._codec.diagnosis import explain_early_end, explain_preface, explain_silence
from framewire._codec.units import binary_size
from framewire.decoder import Decoder
from framewire.encoder import Encoder, MessageWriter
from framewire.errors import (
    ErrorCode,
    FramewireError,
    LocalFailureError,
    PeerError,
    ProtocolError,
    RemoteProtocolError,
    UsageError,
    check_fail_code,
)
from framewire.events import (
    END,
    NEED_DATA,
    Message,
    PeerClosed,
    PeerHello,
    Piece,
    PingReceived,
    PongReceived,
    Sentinel,
)
from framewire.options import Options

SessionEvent = Message | Piece | PeerHello | PingReceived | PongReceived | PeerClosed | Sentinel
"""What Session.next_event() returns."""


class SessionState(enum.Enum):
    """What the session accepts from the network (spec 6.8)."""

    AWAIT_PREFACE = "AWAIT_PREFACE"
    AWAIT_HELLO = "AWAIT_HELLO"
    OPEN = "OPEN"
    PEER_DONE = "PEER_DONE"
    FAILED = "FAILED"


class _SessionInput(enum.Enum):
    """What moves a session from one state to another (spec 6.8, the transitions table)."""

    PREFACE = "preface"
    """All 8 preface bytes have arrived, as expected (FW-PRE-2)."""
    HELLO = "HELLO"
    DATA = "data"
    PING = "PING"
    PONG = "PONG"
    ERROR = "ERROR"
    """The peer's ERROR frame, even a malformed one (FW-ERR-4)."""
    CLEAN_END = "clean end"
    """End of input at a frame boundary, outside a message (FW-CLS-2)."""
    FAILURE = "failure"
    """Any other error: found in the input, or our own (a deadline, FW-LIM-6)."""


_TRANSITIONS: dict[tuple[SessionState, _SessionInput], SessionState] = {
    (SessionState.AWAIT_PREFACE, _SessionInput.PREFACE): SessionState.AWAIT_HELLO,
    (SessionState.AWAIT_PREFACE, _SessionInput.FAILURE): SessionState.FAILED,
    (SessionState.AWAIT_HELLO, _SessionInput.HELLO): SessionState.OPEN,
    (SessionState.AWAIT_HELLO, _SessionInput.ERROR): SessionState.FAILED,
    (SessionState.AWAIT_HELLO, _SessionInput.FAILURE): SessionState.FAILED,
    (SessionState.OPEN, _SessionInput.DATA): SessionState.OPEN,
    (SessionState.OPEN, _SessionInput.PING): SessionState.OPEN,
    (SessionState.OPEN, _SessionInput.PONG): SessionState.OPEN,
    (SessionState.OPEN, _SessionInput.CLEAN_END): SessionState.PEER_DONE,
    (SessionState.OPEN, _SessionInput.ERROR): SessionState.FAILED,
    (SessionState.OPEN, _SessionInput.FAILURE): SessionState.FAILED,
    (SessionState.PEER_DONE, _SessionInput.FAILURE): SessionState.FAILED,
}
"""The session's transitions (spec 6.8): (state, input) -> the next state; a pair that is
not here cannot happen. `Session._move` takes each transition through this table but
one: a data message, the hot path, is delivered with no look-up, as the decoder admits
data only in a state with a `data` row. The admission rules below are read from it.
What a transition does beside the move (answer a PING, queue our ERROR, ...) is the
method that makes it."""

_FRAME_INPUTS = {
    _SessionInput.HELLO: schema.TYPE_HELLO,
    _SessionInput.ERROR: schema.TYPE_ERROR,
    _SessionInput.PING: schema.TYPE_PING,
    _SessionInput.PONG: schema.TYPE_PONG,
}
"""The inputs that are control frames, and their types."""


@dataclass(frozen=True, slots=True)
class _StateAdmission:
    """The "accepts" column of the state table (spec 6.8) for one state, as the decoder
    applies it from each frame's header (`framewire._codec.checks.Admission`): whether data
    frames are accepted, and which control types."""

    data: bool
    control: frozenset[int]

    @classmethod
    def of(cls, state: SessionState) -> _StateAdmission:
        """The frames that move `state` somewhere in the transitions table."""
        control = {kind for item, kind in _FRAME_INPUTS.items() if (state, item) in _TRANSITIONS}
        return cls((state, _SessionInput.DATA) in _TRANSITIONS, frozenset(control))

    def fault(self, frame_type: int) -> Fault | None:
        if frame_type >= schema.FIRST_APPLICATION_TYPE:
            if self.data:
                return None
            return Fault(
                ErrorCode.UNEXPECTED_MESSAGE,
                "FW-SES-6",
                f"data frame (type 0x{frame_type:02x}) before the peer's HELLO",
            )
        if frame_type in self.control:
            return None
        name = schema.CONTROL_TYPE_NAMES[frame_type]
        statement = "FW-HEL-1" if frame_type == schema.TYPE_HELLO else "FW-SES-6"
        return Fault(ErrorCode.UNEXPECTED_MESSAGE, statement, f"{name} not accepted now")


_ADMISSIONS = {
    state: admission
    for state in SessionState
    if (admission := _StateAdmission.of(state)).data or admission.control
}
"""The admission rule of each state that reads frames."""


_DEFAULT_OPTIONS = Options()
"""What a Session() without options gets (frozen, so one value serves every session)."""


class Session:
    """One end of a Framewire session over a reliable byte stream (spec 6)."""

    def __init__(self, options: Options | None = None, *, streaming: bool = False) -> None:
        """``options`` (default ``Options()``): framing, limits, checksum. ``streaming``
        True delivers data messages as ``Piece`` events (FW-MSG-15), for a receiver
        that must not hold a whole message (required with no message limit, FW-LIM-5);
        the channels' ``streaming=True`` is this."""
        options = options if options is not None else _DEFAULT_OPTIONS
        self.options = options
        """What this session was created with."""
        framing = options.framing
        self.framing = framing
        """The framing both peers speak (``Options.framing``)."""
        self.limits = options.limits
        """Our receiver's limits, announced in our HELLO (``Options.limits``)."""
        self.state = SessionState.AWAIT_PREFACE
        self.peer_limits: PeerHello | None = None
        """The peer's limits, once its HELLO has arrived."""

        self._decoder = Decoder(framing, self.limits, assemble=not streaming, recover=False)
        self._decoder.admit(_ADMISSIONS[SessionState.AWAIT_HELLO])
        # Until the peer's HELLO, we only send control frames, which always fit the
        # smallest frame size any peer may announce.
        self._encoder = Encoder(framing, checksum=options.checksum, max_frame_size=schema.MIN_LIMIT)
        self._expected_preface = Encoder.preface(framing)
        self._preface_received = 0
        self._preface_scratch = bytearray()
        self._receive_scratch = bytearray()
        self._eof = False
        self._failure: FramewireError | None = None

        self._control_out: list[bytes] = [self._expected_preface, self._encoder.hello(self.limits)]
        self._data_out: list[bytes] = []
        self._sending_done = False
        self._writer: SessionMessageWriter | None = None
        self._pings_sent = 0
        self._pings_outstanding: list[bytes] = []

    # --- properties for transports ------------------------------------------------------

    @property
    def handshake_done(self) -> bool:
        """True once the peer's HELLO has arrived (the handshake deadline stops)."""
        return self.peer_limits is not None

    @property
    def frame_in_progress(self) -> bool:
        """True while part of a frame (or of the preface) has arrived but not all of it.

        Exact after next_event() has returned NEED_DATA (see Decoder.frame_in_progress).
        """
        if self.state is SessionState.AWAIT_PREFACE:
            return self._preface_received > 0
        return self.state is not SessionState.FAILED and self._decoder.frame_in_progress

    @property
    def frame_start(self) -> int:
        """Where the partial frame began in the framed stream: tells one partial frame
        from the next, for the frame deadline (see Decoder.frame_start)."""
        return self._decoder.frame_start

    @property
    def receive_capacity(self) -> int:
        """Bytes of receive buffer allocated now: what this session costs in memory
        beyond a constant (none while idle; see `framewire._codec.receive_buffer`)."""
        return self._decoder.capacity + len(self._receive_scratch)

    @property
    def pings_outstanding(self) -> int:
        """PINGs sent whose PONG has not arrived (for a PONG deadline, FW-PNG-4)."""
        return len(self._pings_outstanding)

    @property
    def sending_done(self) -> bool:
        """True after close_write() or a failure: nothing more will be queued to send."""
        return self._sending_done

    # --- receiving -----------------------------------------------------------------------

    def receive_data(self, data: BytesLike) -> None:
        """Hand over received bytes (decoded by next_event()); ignored once FAILED."""
        if self.state is SessionState.FAILED:
            return  # FW-SES-3: discard, without decoding, whatever else arrives
        missing = self._preface_missing
        if missing > 0:
            view = memoryview(data).cast("B")
            head = bytes(view[:missing])
            self._preface_scratch += head
            self._preface_received += len(head)
            data = view[missing:]
        self._decoder.feed(data)

    @property
    def _preface_missing(self) -> int:
        """Preface bytes still to come: they are read apart from the (framed) rest."""
        return len(self._expected_preface) - self._preface_received

    def get_buffer(self, sizehint: int = -1) -> memoryview:
        """A writable view to receive into (then call buffer_updated()); see Decoder."""
        missing = self._preface_missing
        if missing > 0 or self.state is SessionState.FAILED:
            # The preface is read apart from the frames: it is not framed.
            self._receive_scratch = bytearray(max(missing, 1) if missing > 0 else 4096)
            return memoryview(self._receive_scratch)
        return self._decoder.get_buffer(sizehint)

    def buffer_updated(self, nbytes: int) -> None:
        """Record that `nbytes` were written into the view from get_buffer()."""
        if self._preface_missing > 0 or self.state is SessionState.FAILED:
            self.receive_data(self._receive_scratch[:nbytes])
            return
        self._decoder.buffer_updated(nbytes)

    def receive_eof(self) -> None:
        """Record that the peer half-closed (or the input otherwise ended)."""
        if self._eof or self.state is SessionState.FAILED:
            return
        self._eof = True
        self._decoder.feed_eof()

    def next_event(self) -> SessionEvent:
        """The next event, NEED_DATA or END; raises the failure (RemoteProtocolError,
        PeerError, or our own LocalFailureError) once failed."""
        if self._failure is not None:
            raise self._failure
        if self.state is SessionState.AWAIT_PREFACE and not self._check_preface():
            return NEED_DATA
        next_decoded = self._decoder.next_event
        while True:
            try:
                event = next_decoded()
            except RemoteProtocolError as error:
                raise self._fail(self._as_session_error(error)) from None
            if type(event) is Message:
                if event.type >= schema.FIRST_APPLICATION_TYPE:
                    return event  # the common case first: a data message
                control_event = self._control(event)
                if control_event is not None:
                    return control_event
            elif event is NEED_DATA:
                return NEED_DATA
            elif event is END:
                return self._end_of_input()
            else:
                # A Piece: a session's decoder never recovers, so never FrameDropped.
                return cast(Piece, event)

    def next_events(self) -> list[SessionEvent]:
        """Every event available now, as one list (batched: far cheaper per message).

        The list may be empty: then next_event() tells why (NEED_DATA, END, or the error).
        An error found after some events is raised by the next call, so the events before
        it are delivered first.
        """
        if self._failure is not None:
            raise self._failure
        if self.state is not SessionState.OPEN:
            event = self.next_event()
            return [] if isinstance(event, Sentinel) else [event]
        while True:
            try:
                # No FrameDropped here: a session's decoder never recovers (recover=False).
                batch = cast(list[SessionEvent], self._decoder.next_events())
            except RemoteProtocolError as error:
                raise self._fail(self._as_session_error(error)) from None
            last = batch[-1] if batch else None
            if type(last) is not Message or last.type >= schema.FIRST_APPLICATION_TYPE:
                return batch
            # The decoder ends a batch at a control message, so only the last can be one.
            batch.pop()
            try:
                control_event = self._control(last)
            except (RemoteProtocolError, PeerError):
                if batch:
                    return batch  # the failure is stored: the next call raises it
                raise
            if control_event is not None:
                batch.append(control_event)
            if batch:
                return batch
            # Only a PONG that answers nothing of ours (FW-PNG-3, no event): an empty list
            # would say that nothing is available, so look further.

    def _check_preface(self) -> bool:
        """Compare the preface bytes received so far (FW-PRE-2); True once all 8 are in."""
        received = bytes(self._preface_scratch)
        expected = self._expected_preface[: len(received)]
        if received != expected:
            raise self._fail(
                RemoteProtocolError(ErrorCode.BAD_PREFACE, explain_preface(received, self.framing))
            )
        if len(received) < len(self._expected_preface):
            if self._eof:
                raise self._fail(
                    RemoteProtocolError(
                        ErrorCode.HANDSHAKE_INCOMPLETE,
                        explain_early_end(len(received)),
                        statement="FW-PRE-3",
                    )
                )
            return False
        self._preface_scratch = bytearray()
        self._move(_SessionInput.PREFACE)
        return True

    def _control(self, message: Message) -> SessionEvent | None:
        """Act on a checked control frame; return its event (None for an ignored PONG)."""
        frame_type, payload, _ = message
        fault = control_fault(frame_type, payload)
        if fault is not None:
            # A malformed ERROR is still the peer failing the connection: nothing goes
            # back (FW-ERR-4). Any other malformed control frame gets our ERROR.
            by_peer = frame_type == schema.TYPE_ERROR
            raise self._fail(
                RemoteProtocolError(
                    ErrorCode.MALFORMED_CONTROL,
                    fault.detail,
                    statement=fault.statement,
                    sends_error_frame=False if by_peer else None,
                ),
                by_peer=by_peer,
            )
        if frame_type == schema.TYPE_HELLO:
            hello = hello_limits(payload)
            self.peer_limits = hello
            own = self.options.send_frame_size
            self._encoder = Encoder(
                self.framing,
                checksum=self.options.checksum,
                max_frame_size=hello.max_frame_size
                if own is None
                else min(own, hello.max_frame_size),
            )
            self._move(_SessionInput.HELLO)
            return hello
        if frame_type == schema.TYPE_ERROR:
            (code,) = schema.ERROR_CODE_STRUCT.unpack_from(payload)
            reason = payload[schema.ERROR_CODE_SIZE :].decode("utf-8")
            raise self._fail(PeerError(code, reason), by_peer=True)  # FW-ERR-3
        if frame_type == schema.TYPE_PING:
            self._move(_SessionInput.PING)
            if not self._sending_done:  # FW-PNG-2: answer before any data not yet started
                self._control_out.append(self._encoder.pong(payload))
            return PingReceived(payload)
        self._move(_SessionInput.PONG)
        if payload in self._pings_outstanding:
            self._pings_outstanding.remove(payload)
            return PongReceived(payload)
        return None  # FW-PNG-3: a PONG that answers no PING of ours is ignored

    def _end_of_input(self) -> SessionEvent:
        """The decoder saw a clean end: the peer is done (FW-CLS-2), unless too early."""
        if self.state is SessionState.AWAIT_HELLO:
            raise self._fail(
                RemoteProtocolError(
                    ErrorCode.HANDSHAKE_INCOMPLETE,
                    "input ended before the peer's HELLO",
                    statement="FW-CLS-5",
                )
            )
        if self.state is SessionState.OPEN:
            self._move(_SessionInput.CLEAN_END)
            return PeerClosed()
        return END

    def _as_session_error(self, error: RemoteProtocolError) -> RemoteProtocolError:
        """End of input inside the HELLO is handshake-incomplete (FW-CLS-5)."""
        truncated = error.code in (ErrorCode.TRUNCATED_FRAME, ErrorCode.TRUNCATED_MESSAGE)
        if truncated and self.state is SessionState.AWAIT_HELLO:
            return RemoteProtocolError(
                ErrorCode.HANDSHAKE_INCOMPLETE,
                f"input ended before the peer's HELLO ({error.detail})",
                statement="FW-CLS-5",
            )
        return error

    # --- sending -------------------------------------------------------------------------

    def data_to_send(self) -> bytes:
        """Every byte queued for the peer, in order; the caller must send them all."""
        if not self._control_out and not self._data_out:
            return b""
        data = b"".join(self._control_out + self._data_out)
        self._control_out.clear()
        self._data_out.clear()
        return data

    def send(self, message: Message) -> None:
        """Queue one data message, split to the peer's MAX_FRAME_SIZE (FW-HEL-5)."""
        if not isinstance(message, Message):
            raise TypeError(
                f"send() takes a framewire.Message, not {message.__class__.__name__}: "
                "e.g. send(Message(0x40, b'...'))"
            )
        hello = self._check_can_send()
        if message.type < schema.FIRST_APPLICATION_TYPE:
            raise UsageError(
                f"type 0x{message.type:02x} is not a data type; the session sends control "
                "frames itself (ping(), close_write(), fail())"
            )
        _check_message_size(hello, len(message.payload))
        self._data_out.extend(self._encoder.encode_frames(message))

    def start_message(self, message_type: int, flags: int = 0) -> SessionMessageWriter:
        """Start a data message of unknown size, written in pieces (FW-MSG-2); end it with
        the writer's end()."""
        self._check_can_send()
        if message_type < schema.FIRST_APPLICATION_TYPE:
            raise UsageError(f"type 0x{message_type:02x} is not a data type")
        self._writer = SessionMessageWriter(self, self._encoder.start_message(message_type, flags))
        return self._writer

    def ping(self, data: bytes | None = None) -> bytes:
        """Queue a PING (FW-PNG-4) and return the 8 bytes its PONG will echo."""
        self._check_can_send()
        if data is None:
            self._pings_sent += 1
            data = self._pings_sent.to_bytes(schema.PING_SIZE, "big")
        # In order with the application's data: only what the session owes (its preface,
        # HELLO and PONGs) jumps ahead, and survives the peer's ERROR (FW-PNG-6).
        self._data_out.append(self._encoder.ping(data))
        self._pings_outstanding.append(bytes(data))
        return bytes(data)

    def close_write(self) -> None:
        """We have nothing more to send (FW-CLS-1): flush data_to_send(), then half-close.

        The name is the channels' ``close_write()``, which calls it: the same half-close.

        Raises UsageError while a streamed message is unfinished (FW-CLS-1 asks to
        finish it first); after a failure, the failure (FW-SES-4).
        """
        if self._failure is not None:
            raise self._failure
        if self._writer is not None:
            raise UsageError("finish the streamed message before closing (FW-CLS-1)")
        self._sending_done = True

    def fail(self, code: ErrorCode = ErrorCode.INTERNAL_ERROR, detail: str = "") -> None:
        """Fail the connection ourselves (a deadline, FW-LIM-6; our own fault, FW-ERR-6).

        Queues the ERROR frame when one is due and raises the resulting LocalFailureError
        (or the error that failed the session before).
        """
        check_fail_code(code)
        if self._failure is not None:
            raise self._failure
        detail = detail or code.wire_name
        if code is ErrorCode.TIMEOUT:
            detail += explain_silence(self._preface_received, self.handshake_done)
        raise self._fail(LocalFailureError(code, detail))

    def _check_can_send(self) -> PeerHello:
        if self._failure is not None:
            raise self._failure  # nothing more is sent (FW-SES-4, FW-CLS-6)
        if self._sending_done:
            raise UsageError("already closed for sending (FW-CLS-6)")
        if self.peer_limits is None:
            raise UsageError("the peer's HELLO has not arrived yet (FW-SES-2)")
        return self.peer_limits

    # --- state -----------------------------------------------------------------------------

    def _move(self, happened: _SessionInput) -> None:
        """Take the transition of the table (spec 6.8), and its admission rule."""
        self.state = _TRANSITIONS[self.state, happened]
        admission = _ADMISSIONS.get(self.state)
        if admission is not None:
            self._decoder.admit(admission)

    def _fail(self, error: FramewireError, *, by_peer: bool = False) -> FramewireError:
        """Enter FAILED (FW-SES-7), queueing our ERROR frame when due (FW-ERR-1).

        `by_peer`: the peer failed the connection with an ERROR frame (even a malformed
        one): then no data frame that has not started goes out (FW-ERR-3, FW-ERR-4), but
        the PONGs owed for PINGs before that frame do (FW-PNG-6), so what is sent does not
        depend on whether the PING and the ERROR came in one read. Otherwise what was
        queued before the failure still goes out, then our ERROR.
        """
        self._failure = error
        self._move(_SessionInput.ERROR if by_peer else _SessionInput.FAILURE)
        if by_peer:
            self._data_out.clear()
        elif (
            isinstance(error, ProtocolError) and error.sends_error_frame and not self._sending_done
        ):
            self._data_out.append(self._encoder.error(error.code, error.error_frame_reason()))
        self._sending_done = True
        self._writer = None
        return error


class SessionMessageWriter:
    """A data message being sent in pieces; each write queues the frames it completes."""

    def __init__(self, session: Session, writer: MessageWriter) -> None:
        self._session = session
        self._writer = writer

    def write(self, piece: BytesLike) -> None:
        """Queue bytes of the message (frames go out as they fill)."""
        self._queue(piece, last=False)

    def end(self, piece: BytesLike = b"") -> None:
        """Queue the last bytes and end the message (its frame with M clear)."""
        self._queue(piece, last=True)

    def _queue(self, data: BytesLike, *, last: bool) -> None:
        session = self._session
        hello = session._check_can_send()  # first: after a failure, the failure
        if session._writer is not self:
            raise UsageError("this message has ended")
        _check_message_size(hello, self._writer.size + len(data))
        if last:
            session._data_out.append(self._writer.end(data))
            session._writer = None
        else:
            session._data_out.append(self._writer.write(data))


def _check_message_size(hello: PeerHello, size: int) -> None:
    """FW-HEL-5: never send a message larger than the peer's MAX_MESSAGE_SIZE."""
    if hello.max_message_size and size > hello.max_message_size:
        raise UsageError(
            f"the peer announced MAX_MESSAGE_SIZE {hello.max_message_size}"
            f"{binary_size(hello.max_message_size)}; this message needs {size} bytes"
            f"{binary_size(size)} (FW-HEL-5)"
        )
