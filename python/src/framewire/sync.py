"""Blocking sockets: a thin adapter that runs a sans-I/O ``Session``, one thread per
connection.

    with connect(("127.0.0.1", 7000)) as channel:  # handshake done on return
        channel.send(Message(0x40, b"hello"))
        reply = channel.recv(timeout=5.0)  # Message, or None at the peer's clean end

This module only moves bytes and waits: every protocol decision is the session's, and
every deadline and close decision comes from ``framewire.deadlines`` and
``framewire._io.transport``, which the asyncio transport shares, so the two cannot disagree.
Received bytes go straight into the decoder's buffer (``recv_into``, no intermediate copy).

A ``timeout=`` of one call raises ``TimeoutError`` and leaves the connection usable
(FW-LIM-7); a failure is final, and every later call raises the error that failed the
connection (FW-SES-4). A channel is not thread-safe: use it from one thread at a time.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import functools
import logging
import os
import selectors
import socket
import ssl as _ssl  # `ssl` is the name of the transports' TLS option
import struct
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Generic, Literal, ParamSpec, Self, TypeVar, overload

from framewire._codec.diagnosis import hint_plain_client
from framewire._io.arguments import check_options, client_call, server_call, with_connect_timeout
from framewire._io.connlog import ConnectionLog
from framewire._io.heap import HeapTrimmer
from framewire._io.lifecycle import Ending, Lifecycle, Phase
from framewire._io.listen import DEFAULT_BACKLOG, AcceptBackoff, open_listener
from framewire._io.tls_sync import TlsSocket, tls_handshake
from framewire._io.transport import (
    APPLICATION_FAILED,
    SEND_CUT,
    SEND_NOT_STARTED,
    DataEvent,
    PeerState,
    checked_options,
    next_batch,
    transport_error,
)
from framewire.addresses import Address, format_address
from framewire.deadlines import DeadlineKind, Deadlines, DeadlineTracker
from framewire.errors import (
    ErrorCode,
    FramewireError,
    LocalFailureError,
    PeerError,
    ProtocolError,
    RemoteProtocolError,
    TlsError,
    TransportError,
    check_fail_code,
)
from framewire.events import (
    END,
    NEED_DATA,
    Message,
    PeerHello,
    Piece,
)
from framewire.framing import Framing
from framewire.options import Options
from framewire.session import Session, SessionMessageWriter
from framewire.tls import SslOption, TlsLayer, prepare_context, resolve_server_hostname

__all__ = [
    "Channel",
    "ChannelMessageWriter",
    "Handler",
    "Server",
    "StreamingChannel",
    "StreamingHandler",
    "connect",
    "serve",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")

_log = logging.getLogger(__name__)

_TIMEOUT_SLACK = 0.01
"""Seconds by which a receive wait may overrun its deadline (see Channel._wait_at_most)."""

_Selector = getattr(selectors, "PollSelector", selectors.SelectSelector)
"""The accept loop's selector: poll() waits on two sockets without a descriptor of its own
(epoll and kqueue take one); where there is no poll(), select()."""
_NO_THREAD = "cannot start a thread for the connection"
_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)
"""A send that returns at once with what the socket took (0 where there is no such flag)."""

_DISCARD_SIZE = 16 * 1024
"""Bytes read per ``recv_into`` while discarding input after a failure (FW-CLS-4)."""
_DISCARDED = bytearray(_DISCARD_SIZE)
"""Where every lingering channel reads the input it discards. Shared by all threads: what
lands in it is never looked at, so concurrent writes do no harm, and a failing connection
allocates nothing to close."""


class _ChannelBase(Generic[DataEvent]):
    """What ``Channel`` and ``StreamingChannel`` share: all but how data is received.

    The constructor sends our preface and HELLO at once (FW-SES-1) and returns without
    waiting; ``handshake`` waits for the peer's HELLO, and every other operation does
    so first when it has not happened yet. ``connect`` and ``serve`` hand out
    channels whose handshake is done.
    """

    _data_type: type[DataEvent]
    """The data event this kind of channel receives (set by each subclass)."""

    def __init__(
        self,
        sock: socket.socket | TlsSocket,
        options: Options | None = None,
        *,
        deadlines: Deadlines | None = None,
    ) -> None:
        streaming = issubclass(self._data_type, Piece)
        options = checked_options(options, streaming=streaming)
        self._sock = sock
        self._deadlines = deadlines if deadlines is not None else Deadlines()
        self._session = Session(options, streaming=streaming)
        self._last_read_at = time.monotonic()
        self._tracker = DeadlineTracker(self._deadlines, self._last_read_at)
        self._current_timeout: float | None = -1.0  # forces the first settimeout()
        self._data: collections.deque[DataEvent] = collections.deque()
        """Data decoded (in batches) that the application has not received yet, including
        data that arrived while ping() or handshake() waited."""
        self._peer = PeerState()
        self._life = Lifecycle()
        self._flush(None)

    # -- public API -------------------------------------------------------------------

    @property
    def peer_limits(self) -> PeerHello | None:
        """The peer's HELLO (its limits on what we send), once the handshake is done."""
        return self._peer.hello

    @property
    def framing(self) -> Framing:
        """The framing this channel speaks (both peers must use the same, FW-PRE-2)."""
        return self._session.framing

    def handshake(self, timeout: float | None = None) -> PeerHello:
        """Wait for the peer's HELLO (bounded by the handshake deadline) and return it."""
        self._life.check()
        call_deadline = _deadline_after(timeout)
        # The session fails data before HELLO and an end before HELLO itself, so the
        # only ways out are the HELLO, an error or a deadline.
        self._receive_until(lambda: self._peer.hello is not None, call_deadline)
        assert self._peer.hello is not None
        return self._peer.hello

    def _recv_data(self, timeout: float | None) -> DataEvent | None:
        """The next piece of data, reading as needed; None at the peer's clean end.

        The receive methods call it only when ``_data`` is empty (their fast path is one
        popleft: a missed popleft costs one exception per batch, a check would cost one
        per call).
        """
        data = self._data
        if not data:
            if not self._life.usable:
                self._life.check()
            self._receive_until(lambda: bool(data), _deadline_after(timeout))
        return data.popleft() if data else None

    def send(self, message: Message, timeout: float | None = None) -> None:
        """Send one data message, split to the peer's MAX_FRAME_SIZE (FW-HEL-5).

        ``timeout`` bounds the wait for the peer to take the message, as in the asyncio
        API: expired before any of it was written, ``TimeoutError``, the message is not
        sent and the connection is still usable; expired with part of it written (a
        frame cut short), the connection fails with ``timeout`` (``LocalFailureError``).
        The send deadline (``Deadlines.send``) bounds every wait as well: when it expires
        first, the connection fails with ``timeout``.
        """
        self._prepare_send(timeout)
        self._call_session(self._session.send, message)
        self._flush(_deadline_after(timeout))

    def start_message(self, message_type: int, flags: int = 0) -> ChannelMessageWriter:
        """Start a message whose size is not known yet, sent in pieces; see
        ``ChannelMessageWriter``."""
        self._prepare_send(None)
        writer = self._call_session(self._session.start_message, message_type, flags)
        return ChannelMessageWriter(self, writer)

    def ping(self, timeout: float | None = None) -> float:
        """Send a PING and wait for its PONG; return the round-trip time in seconds.

        Data messages that arrive meanwhile are kept for ``recv``. ``timeout``
        bounds the wait (``TimeoutError``, connection still usable).
        """
        self._prepare_send(timeout)
        call_deadline = _deadline_after(timeout)
        started = time.monotonic()
        data = self._call_session(self._session.ping)
        self._flush(call_deadline)
        self._receive_until(lambda: data in self._peer.pongs, call_deadline)
        if data not in self._peer.pongs:
            raise TransportError("the peer closed before answering the PING")
        self._peer.pongs.remove(data)
        return time.monotonic() - started

    def close_write(self) -> None:
        """Half-close: we send nothing more (FW-CLS-1); receiving goes on until ``None``."""
        if not self._life.can_send:
            return
        self._call_session(self._session.close_write)
        self._flush(None)
        self._half_close()

    def close(self) -> None:
        """End the connection cleanly: half-close, read to the peer's end, close (FW-CLS-4).

        Whatever the peer still sends is discarded, for at most the linger deadline;
        call ``close_write`` and ``recv`` until ``None`` to receive it instead.
        """
        if self._life.phase is Phase.CLOSED:
            return
        with contextlib.suppress(FramewireError):
            self.close_write()
        self._linger_and_close()

    def fail(self, code: ErrorCode = ErrorCode.INTERNAL_ERROR, detail: str = "") -> None:
        """Fail the connection ourselves: send ERROR (``internal-error`` by default,
        FW-ERR-6), half-close, linger, close. Later calls raise the resulting error."""
        check_fail_code(code)
        if not self._life.usable:
            return
        try:
            self._session.fail(code, detail)
        except (ProtocolError, PeerError) as error:
            self._fail(error)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close cleanly; or, when the block raised, fail with ``internal-error`` first: the
        application gave up, and the peer must not take that for a clean end (FW-ERR-6)."""
        if exc is not None:
            self.fail(detail=APPLICATION_FAILED)
        self.close()

    # -- the receive loop -------------------------------------------------------------

    def _receive_until(self, done: Callable[[], bool], call_deadline: float | None) -> None:
        """Decode, and read whenever the session needs bytes, until ``done()`` is true or
        the peer has ended (the caller tells which)."""
        session = self._session
        peer = self._peer
        while not done() and not peer.done:
            try:
                batch = next_batch(session)
            except (ProtocolError, PeerError) as error:
                raise self._fail(error) from None
            if batch is NEED_DATA:
                self._receive_some(call_deadline)
            elif batch is END:
                peer.done = True
            else:
                assert isinstance(batch, list)
                data, pong_due = peer.sort(batch, self._data_type)
                self._data.extend(data)
                if pong_due:
                    self._flush(None)

    def _receive_some(self, call_deadline: float | None) -> None:
        """One ``recv_into`` into the decoder's buffer, bounded by the earliest deadline.

        Called only when the session needs data, so what it holds now is exactly the
        start of a partial frame (or nothing): that frame began at the last read.
        """
        session = self._session
        self._tracker.observe(
            self._last_read_at,
            handshake_done=session.handshake_done,
            frame_partial=session.frame_in_progress,
            frame_start=session.frame_start,
        )
        while True:
            expiry = self._tracker.next_expiry(call_deadline)
            # An expired deadline still gets one non-blocking read (wait 0): bytes that
            # arrived while the application was busy elsewhere are not the peer's delay.
            wait = None if expiry is None else max(expiry[0] - time.monotonic(), 0.0)
            self._wait_at_most(wait)
            try:
                with session.get_buffer() as buffer:  # its size follows recent reads
                    received = self._sock.recv_into(buffer)
            except (TimeoutError, BlockingIOError):
                assert expiry is not None
                if time.monotonic() >= expiry[0]:
                    raise self._expired(expiry[1]) from None
                continue  # the socket's timeout is approximate (_TIMEOUT_SLACK): wait on
            except TlsError as error:  # e.g. the end without close_notify (FW-TLS-7)
                raise self._fail(error) from None
            except OSError as exc:
                raise self._fail(transport_error(exc, "receiving")) from None
            break
        self._last_read_at = time.monotonic()
        if received:
            session.buffer_updated(received)
        else:
            session.receive_eof()

    def _wait_at_most(self, wait: float | None) -> None:
        """Bound the next socket wait by ``wait`` seconds, re-arming the socket's timeout
        only when it is off by more than _TIMEOUT_SLACK: each settimeout() is system
        calls, and a running deadline would otherwise change it before every read."""
        current = self._current_timeout
        if wait is None:
            if current is not None:
                self._sock.settimeout(None)
                self._current_timeout = None
        elif current is None or abs(current - wait) > _TIMEOUT_SLACK or wait == 0.0:
            self._sock.settimeout(wait)
            self._current_timeout = wait

    def _expired(self, kind: DeadlineKind) -> FramewireError | TimeoutError:
        """The error for an expired deadline: a call's leaves the connection usable."""
        if not kind.fails_connection:
            return TimeoutError("the call's deadline expired; the connection is still usable")
        return self._time_out(self._tracker.describe(kind))

    def _time_out(self, detail: str, *, stream_broken: bool = False) -> FramewireError:
        """Fail the connection with ``timeout`` (FW-LIM-6) and return the error."""
        try:
            self._session.fail(ErrorCode.TIMEOUT, detail)
        except LocalFailureError as error:
            return self._fail(error, stream_broken=stream_broken)
        raise AssertionError("Session.fail() must raise")  # pragma: no cover

    # -- sending ----------------------------------------------------------------------

    def _prepare_send(self, timeout: float | None) -> None:
        self._life.check()
        if self._peer.hello is None:  # FW-SES-2: the peer's limits bind our frames
            self.handshake(timeout)

    def _flush(self, call_deadline: float | None) -> None:
        """Send everything the session has queued, within the call's deadline and the send
        deadline: one ``send`` when the socket takes it all at once (most of the time:
        no timeout to set), else a ``sendall`` of the rest bounded by the deadlines."""
        data: bytes | memoryview = self._session.data_to_send()
        if not data:
            return
        # Only in blocking mode: with a timeout set, CPython waits for room before the
        # send, up to that timeout, flag or not.
        sent = 0
        if _DONTWAIT and self._current_timeout is None and isinstance(self._sock, socket.socket):
            try:
                sent = self._sock.send(data, _DONTWAIT)
            except (BlockingIOError, InterruptedError, TimeoutError):
                sent = 0
            except OSError as exc:
                raise self._fail(transport_error(exc, "sending")) from None
            if sent == len(data):
                return
            data = memoryview(data)[sent:]
        deadline, by_call = self._send_deadline(call_deadline)
        # Either expiry closes at once, with no ERROR: a peer that does not read would
        # never take one, and after a cut frame nothing can follow.
        expired = SEND_CUT if by_call else self._tracker.describe(DeadlineKind.SEND)
        if by_call and not sent and deadline is not None and not _room_within(self._sock, deadline):
            raise TimeoutError(SEND_NOT_STARTED)  # the queued bytes are dropped: none went
        timeout = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        if timeout != self._current_timeout:
            self._sock.settimeout(timeout)
            self._current_timeout = timeout
        try:
            self._sock.sendall(data)
        except (TimeoutError, BlockingIOError):
            raise self._time_out(expired, stream_broken=True) from None
        except TlsError as error:  # a TransportError, an OSError too: before OSError
            raise self._fail(error) from None
        except OSError as exc:
            raise self._fail(transport_error(exc, "sending")) from None

    def _send_deadline(self, call_deadline: float | None) -> tuple[float | None, bool]:
        """The earlier of the call's deadline and the send deadline, and whether it is
        the call's."""
        if self._deadlines.send is not None:
            own = time.monotonic() + self._deadlines.send
            if call_deadline is None or own < call_deadline:
                return own, False
        return call_deadline, True

    def _send_via(self, method: Callable[[bytes], None], chunk: bytes) -> None:
        """Queue through a session call (a streamed piece) and send what it queued."""
        self._life.check()
        self._call_session(method, chunk)
        self._flush(None)

    def _abort_message(self, reason: BaseException) -> None:
        """A streamed message cannot be finished: fail with internal-error (FW-ERR-6)."""
        self.fail(detail=f"the application abandoned a message: {type(reason).__name__}")

    def _call_session(self, method: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
        """Run a session operation; a failure of the session fails the connection."""
        try:
            return method(*args, **kwargs)
        except (ProtocolError, PeerError) as error:
            raise self._fail(error) from None

    # -- failure and close ------------------------------------------------------------

    def _fail(self, error: FramewireError, *, stream_broken: bool = False) -> FramewireError:
        """Fail the connection per FW-SES-3 and return the error for the caller to raise.

        The session has already queued the ERROR frame when one is due (it knows the
        registry's rules); we send it, half-close, linger, and close; a connection
        already lost, or whose last write was cut short (``stream_broken``), is closed at
        once (``Lifecycle.fail`` decides).
        """
        ending = self._life.fail(error, stream_broken=stream_broken)
        if ending is Ending.CLOSE_NOW:
            self._life.closed()
            self._sock.close()
        elif ending is Ending.LINGER:
            with contextlib.suppress(OSError, TimeoutError, TlsError):
                self._sock.settimeout(self._deadlines.linger)
                self._sock.sendall(self._session.data_to_send())
            self._half_close()
            self._linger_and_close()
        assert self._life.failure is not None
        return self._life.failure

    def _half_close(self) -> None:
        """Our half-close (FW-CLS-1), once; a socket that refuses it is already gone, and
        the linger that follows finds that out."""
        if self._life.half_closed():
            with contextlib.suppress(OSError, TimeoutError, TlsError):
                self._sock.shutdown(socket.SHUT_WR)

    def _linger_and_close(self) -> None:
        """Discard input until end of input or the linger deadline, then close (FW-CLS-4)."""
        if self._life.lingering():
            deadline = time.monotonic() + self._deadlines.linger
            with contextlib.suppress(OSError, TimeoutError, TlsError):
                while (remaining := deadline - time.monotonic()) > 0:
                    self._sock.settimeout(remaining)
                    if not self._sock.recv_into(_DISCARDED):
                        break
        self._life.closed()
        self._sock.close()


class Channel(_ChannelBase[Message]):
    """One Framewire session over a connected, blocking stream socket, receiving whole
    messages (``recv()``, or iterate over the channel).

    Made by ``connect`` and ``serve``; ``Channel(sock, options, deadlines=...)`` runs a
    session over a socket connected some other way.
    """

    _data_type = Message

    def recv(self, timeout: float | None = None) -> Message | None:
        """The next data message, or ``None`` once the peer has half-closed cleanly.

        ``timeout`` bounds this call (FW-LIM-7): when it expires ``TimeoutError`` is
        raised and the connection stays usable, unless a frame was partly received, in
        which case the frame deadline decides.
        """
        try:
            return self._data.popleft()  # most calls find one decoded in the last batch
        except IndexError:
            return self._recv_data(timeout)

    def __iter__(self) -> Iterator[Message]:
        """Yield data messages until the peer's clean end."""
        while (message := self.recv()) is not None:
            yield message


class StreamingChannel(_ChannelBase[Piece]):
    """One Framewire session over a connected, blocking stream socket, receiving each
    message in pieces as its frames arrive (``recv_piece()``): for messages too large
    to hold whole (FW-LIM-5). Everything else is as on a ``Channel``.

    Made by ``connect(..., streaming=True)`` and ``serve(..., streaming=True)``; it is
    the one kind of channel that accepts ``Limits(max_message_size=0)``.
    """

    _data_type = Piece

    def recv_piece(self, timeout: float | None = None) -> Piece | None:
        """The next piece of a data message.

        Each ``Piece`` is one frame's payload after every check
        (FW-MSG-15): ``first``/``last`` tell where a message starts and ends, so a large
        message never has to be held whole (FW-LIM-5). ``None`` at the peer's clean end;
        an error that ends the message before its last piece is raised. ``timeout`` as
        in ``Channel.recv``.
        """
        try:
            return self._data.popleft()
        except IndexError:
            return self._recv_data(timeout)


class ChannelMessageWriter:
    """A data message of unknown size, sent in pieces as it is produced (FW-MSG-1, FW-MSG-2).

    Use it as a context manager: each ``write`` sends at once the frames it fills
    (of the peer's MAX_FRAME_SIZE), and leaving the block ends the message. An exception
    inside the block cannot be undone on the wire (the peer holds part of the message and
    Framewire has no way to cancel one), so it fails the connection with
    ``internal-error`` (FW-ERR-6) and the exception propagates.
    """

    def __init__(self, channel: _ChannelBase[Any], writer: SessionMessageWriter) -> None:
        self._channel = channel
        self._writer = writer

    def write(self, piece: bytes) -> None:
        """Append ``piece`` to the message."""
        self._channel._send_via(self._writer.write, piece)

    def end(self, piece: bytes = b"") -> None:
        """Append the last bytes and end the message (its last frame, with ``M`` clear)."""
        self._channel._send_via(self._writer.end, piece)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None:
            self.end()
        else:
            self._channel._abort_message(exc)


def _room_within(sock: socket.socket | TlsSocket, deadline: float) -> bool:
    """Whether the socket can take bytes before ``deadline``: a send that waits here
    first knows, when time runs out, that it has written nothing."""
    with selectors.DefaultSelector() as selector:
        selector.register(sock.fileno(), selectors.EVENT_WRITE)
        return bool(selector.select(max(deadline - time.monotonic(), 0.0)))


def _deadline_after(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _open_socket(address: Address, timeout: float | None) -> socket.socket:
    """A connected stream socket; TCP_NODELAY on TCP, since frames are written whole."""
    if isinstance(address, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            _connect_unix(sock, address, timeout)
        except BaseException:
            sock.close()
            raise
        return sock
    sock = socket.create_connection(address, timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _connect_unix(sock: socket.socket, path: str, timeout: float | None) -> None:
    """connect() to a Unix socket within ``timeout``. A listener whose backlog is full
    refuses a non-blocking connect at once with EAGAIN (TCP would retry its SYN), so the
    connect blocks, and the kernel waits for room for at most ``timeout``
    (``SO_SNDTIMEO``; then EAGAIN); the socket gets ``timeout`` back afterwards."""
    seconds = 0.0 if timeout is None else max(timeout, 1e-6)  # 0: wait as long as it takes
    whole = int(seconds)
    wait = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, wait)
    sock.settimeout(None)
    sock.connect(path)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 0, 0))
    sock.settimeout(timeout)


@overload
def connect(
    address: Address,
    *,
    options: Options | None = None,
    deadlines: Deadlines | None = None,
    timeout: float | None = None,
    streaming: Literal[False] = False,
    ssl: SslOption = None,
    server_hostname: str | None = None,
) -> Channel: ...


@overload
def connect(
    address: Address,
    *,
    options: Options | None = None,
    deadlines: Deadlines | None = None,
    timeout: float | None = None,
    streaming: Literal[True],
    ssl: SslOption = None,
    server_hostname: str | None = None,
) -> StreamingChannel: ...


@client_call
def connect(
    address: Address,
    *,
    options: Options | None = None,
    deadlines: Deadlines | None = None,
    timeout: float | None = None,
    streaming: bool = False,
    ssl: SslOption = None,
    server_hostname: str | None = None,
) -> Channel | StreamingChannel:
    """Connect to ``address`` (``(host, port)`` or a Unix socket path) and do the handshake.

    ``options`` (default ``Options()``): framing, limits, checksum. The channel is a
    ``Channel``, or with ``streaming=True`` a ``StreamingChannel``. The TCP/Unix
    connect, and the TLS handshake, are bounded by the handshake deadline too. ``ssl``
    (an ``ssl.SSLContext``, or ``True`` for the system's trusted CAs) runs the
    connection over TLS (spec section 12); the server's certificate is checked against
    ``server_hostname``, by default the host of ``address``. ``timeout`` bounds all of
    the connect (TCP, TLS, handshake): it is the handshake deadline of ``deadlines``.
    """
    check_options("connect", options)
    deadlines = with_connect_timeout(deadlines, timeout) or Deadlines()
    options = checked_options(options, streaming=streaming)  # before a socket exists to leak
    context = prepare_context(ssl, server_side=False)
    hostname = (
        None if context is None else resolve_server_hostname(context, address, server_hostname)
    )
    try:
        sock = _open_socket(address, deadlines.handshake)
    except OSError as exc:
        raise transport_error(exc, f"connecting to {format_address(address)}") from None
    stream: socket.socket | TlsSocket = sock
    if context is not None:
        layer = TlsLayer(context, server_side=False, server_hostname=hostname)
        stream = _secure(sock, layer, deadlines.handshake)
    channel_type: type[Channel] | type[StreamingChannel] = (
        StreamingChannel if streaming else Channel
    )
    channel = channel_type(stream, options, deadlines=deadlines)
    try:
        channel.handshake()
    except RemoteProtocolError as error:
        if context is not None:
            raise
        raise hint_plain_client(error) from None
    return channel


def _secure(sock: socket.socket, layer: TlsLayer, timeout: float | None) -> TlsSocket:
    """The TLS handshake on a connected socket, within ``timeout`` (the handshake
    deadline); the socket is closed when it fails."""
    try:
        return tls_handshake(sock, layer, timeout)
    except TimeoutError:
        sock.close()
        raise TlsError(f"TLS handshake failed while {layer.during}: deadline expired") from None
    except TlsError:  # an OSError too (TransportError): raised as it is
        sock.close()
        raise
    except OSError as exc:
        sock.close()
        raise transport_error(exc, layer.during) from None
    except BaseException:
        sock.close()
        raise


Handler = Callable[[Channel], object]
"""What ``serve`` runs for each connection: ``handler(channel)``, in its own thread."""
StreamingHandler = Callable[[StreamingChannel], object]
"""The handler of ``serve(..., streaming=True)``."""


class Server:
    """A threaded Framewire server: one thread per connection, each with its own Channel.

    A failure in one connection (a protocol error, a reset, an exception in the handler)
    ends that connection only; it is logged, counted in ``error_counts`` and, if among the
    last few, kept in ``errors`` (see ``framewire._io.transport.ConnectionFailures``).
    """

    def __init__(
        self,
        listener: socket.socket,
        handler: Handler | StreamingHandler,
        new_channel: Callable[[socket.socket | TlsSocket], Channel | StreamingChannel],
        *,
        handshake_deadline: float | None,
        context: _ssl.SSLContext | None = None,
        name: str | None = None,
        trim_heap: bool = False,
    ) -> None:
        self._listener = listener
        self._handler: Callable[[Any], object] = handler
        """Called with the channels ``new_channel`` makes (``serve`` pairs the two)."""
        self._context = context
        self._handshake_deadline = handshake_deadline
        self._new_channel = new_channel
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._connections: dict[threading.Thread, socket.socket] = {}
        self._heap = HeapTrimmer() if trim_heap else None
        self._log = ConnectionLog(name)
        self.errors: list[BaseException] = self._log.failures.recent
        """The last exceptions that ended connections, oldest first, without tracebacks."""
        self.error_counts: collections.Counter[str] = self._log.failures.counts
        """How many connections ended with each kind of error since the server started."""
        # Made here, so that a failure raises in serve(); and of a kind that holds no
        # descriptor where there is one, so that a shortage cannot stop the server.
        self._selector: selectors.BaseSelector = _Selector()
        self._selector.register(listener, selectors.EVENT_READ)
        self._selector.register(self._wake_reader, selectors.EVENT_READ)
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"framewire-accept-{self.address}", daemon=True
        )
        self._accept_thread.start()

    @property
    def address(self) -> Address:
        """Where the server listens (the real port when it was bound to port 0)."""
        name = self._listener.getsockname()
        return name if isinstance(name, str) else (name[0], name[1])

    def _accept_loop(self) -> None:
        selector = self._selector
        backoff = AcceptBackoff()
        with selector:
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._wake_reader:
                        return
                    try:
                        sock, peer = self._listener.accept()
                    except OSError as exc:
                        # Woken early by shutdown(): the loop's test sees it.
                        self._stopping.wait(backoff.failed(exc))
                        continue
                    if self._start_connection(sock, peer):
                        backoff.accepted()
                    else:
                        self._stopping.wait(backoff.failed(OSError(errno.ENOMEM, _NO_THREAD)))

    def _start_connection(self, sock: socket.socket, peer: Address) -> bool:
        """Start the connection's thread; False (the socket closed) when there is none."""
        try:
            sock.setblocking(True)
            if sock.family != socket.AF_UNIX:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # reset already: nothing to serve
            sock.close()
            return True
        thread = threading.Thread(target=self._run_connection, args=(sock, peer), daemon=True)
        with self._lock:
            self._connections[thread] = sock
        try:
            thread.start()
        except RuntimeError:  # "can't start new thread": out of memory or of threads
            with self._lock:
                del self._connections[thread]
            sock.close()
            return False
        return True

    def _run_connection(self, sock: socket.socket, peer: Address) -> None:
        try:
            self._serve_connection(sock, self._log.accepted(peer))
        finally:
            # The channel went with _serve_connection's frame, so the heap can shrink now.
            with self._lock:
                self._connections.pop(threading.current_thread(), None)
                still_open = len(self._connections)
            if self._heap is not None:
                self._heap.connection_ended(still_open)

    def _serve_connection(self, sock: socket.socket, number: int) -> None:
        try:
            stream: socket.socket | TlsSocket = sock
            if self._context is not None:
                # In this connection's thread: a slow or silent client delays no other.
                layer = TlsLayer(self._context, server_side=True)
                stream = _secure(sock, layer, self._handshake_deadline)
            with self._new_channel(stream) as channel:
                self._log.handshake(number, channel.framing, channel.handshake())
                self._handler(channel)
        except FramewireError as error:
            self._log.ended(number, error)
        except Exception as error:
            self._log.ended(number, error)
            _log.exception("connection handler failed")
        else:
            self._log.ended(number)

    _deadline_for_stragglers = 1.0
    """Seconds a connection thread gets to finish once shutdown() has ended its socket."""

    def shutdown(self, timeout: float | None = 5.0) -> None:
        """Stop accepting, wait up to ``timeout`` for running connections, then end the
        sockets of those still running; release the address."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake_writer.send(b"\0")
        self._accept_thread.join()
        address = self.address
        self._listener.close()
        self._wake_reader.close()
        self._wake_writer.close()
        if isinstance(address, str):
            with contextlib.suppress(OSError):
                os.unlink(address)
        deadline = _deadline_after(timeout)
        with self._lock:
            threads = list(self._connections)
        for thread in threads:
            thread.join(None if deadline is None else max(deadline - time.monotonic(), 0))
        with self._lock:
            stragglers = dict(self._connections)
        for thread, sock in stragglers.items():
            # Still running (an idle peer, a slow handler): end its socket so its thread
            # sees the end of input and finishes instead of outliving the server.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            thread.join(self._deadline_for_stragglers)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()


@overload
def serve(
    address: Address | None,
    handler: Handler,
    *,
    options: Options | None = None,
    deadlines: Deadlines | None = None,
    streaming: Literal[False] = False,
    backlog: int = DEFAULT_BACKLOG,
    reuse_port: bool = False,
    sock: socket.socket | None = None,
    ssl: _ssl.SSLContext | None = None,
    name: str | None = None,
    trim_heap: bool = False,
) -> Server: ...


@overload
def serve(
    address: Address | None,
    handler: StreamingHandler,
    *,
    options: Options | None = None,
    deadlines: Deadlines | None = None,
    streaming: Literal[True],
    backlog: int = DEFAULT_BACKLOG,
    reuse_port: bool = False,
    sock: socket.socket | None = None,
    ssl: _ssl.SSLContext | None = None,
    name: str | None = None,
    trim_heap: bool = False,
) -> Server: ...


@server_call
def serve(
    address: Address | None,
    handler: Handler | StreamingHandler,
    *,
    options: Options | None = None,
    deadlines: Deadlines | None = None,
    streaming: bool = False,
    backlog: int = DEFAULT_BACKLOG,
    reuse_port: bool = False,
    sock: socket.socket | None = None,
    ssl: _ssl.SSLContext | None = None,
    name: str | None = None,
    trim_heap: bool = False,
) -> Server:
    """Listen on ``address`` and run ``handler(channel)`` in a thread per connection.

    ``options`` (default ``Options()``): framing, limits, checksum. The handler gets a
    ``Channel``, or with ``streaming=True`` a ``StreamingChannel``. The channel's
    handshake is done before the handler runs, and the channel is closed
    cleanly (FW-CLS-4) when the handler returns; when it raises, the peer gets
    ``internal-error`` instead (FW-ERR-6). Use ``("127.0.0.1", 0)`` for a free port.
    The socket options are those of ``asyncio.start_server``: ``backlog``;
    ``reuse_port`` (``SO_REUSEPORT``: several processes listen on one port and the
    kernel spreads the connections over them); or ``sock``, a socket already bound (and
    perhaps listening), with ``address`` None. With ``ssl`` (an ``ssl.SSLContext``
    holding the server's certificate) every connection runs over TLS (spec section 12);
    its handshake is bounded by the handshake deadline. ``name`` goes before the
    connection numbers of the server's log lines (``conn NAME-17 accepted ...``).
    ``trim_heap=True`` gives the C heap's free pages back to the system as connections
    end (``malloc_trim``): a process-wide step, for a process that is the server (the
    CLI's servers take it).
    """
    check_options("serve", options)
    options = checked_options(options, streaming=streaming)
    deadlines = deadlines if deadlines is not None else Deadlines()
    context = prepare_context(ssl, server_side=True)
    listener = open_listener(address, sock, backlog=backlog, reuse_port=reuse_port)
    channel_type: type[Channel] | type[StreamingChannel] = (
        StreamingChannel if streaming else Channel
    )
    return Server(
        listener,
        handler,
        functools.partial(channel_type, options=options, deadlines=deadlines),
        handshake_deadline=deadlines.handshake,
        context=context,
        name=name,
        trim_heap=trim_heap,
    )
