"""asyncio: an ``asyncio.BufferedProtocol`` that runs a sans-I/O ``Session``, with the
API of ``framewire.sync``, awaited.

    channel = await open_connection(("127.0.0.1", 7000))  # handshake done on return
    await channel.send(Message(0x40, b"hello"))
    reply = await channel.recv(timeout=5.0)  # Message, or None at the peer's clean end

The event loop hands received bytes straight to the decoder's buffer (``get_buffer`` /
``buffer_updated``): no ``readexactly`` on a length nobody has checked. Every frame is
decoded as it arrives, so a PING is answered and a fault detected even while the
application is not reading; reading pauses while the decoded messages waiting in the
queue hold a maximum message size of payload (FW-LIM-4, FW-LIM-5), so the peer meets TCP
back-pressure instead of filling our memory. ``send`` waits while the transport is paused,
for the same reason the other way.

``recv_batch()`` exists because every ``recv()`` is a coroutine call: it returns every
message decoded so far, one ``await`` per read from the socket instead of one per message.
Deadlines, timeouts and errors are those of ``framewire.sync``; the deadlines are timers
on the loop, computed by the same ``DeadlineTracker``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import logging
import operator
import os
import socket
import ssl as _ssl  # `ssl` is the name of the transports' TLS option
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterator
from types import TracebackType
from typing import Any, Generic, Literal, ParamSpec, Self, TypeVar, cast, overload

from framewire._codec.diagnosis import hint_plain_client
from framewire._io.arguments import check_options, client_call, server_call, with_connect_timeout
from framewire._io.connlog import ConnectionLog
from framewire._io.heap import HeapTrimmer
from framewire._io.lifecycle import Ending, Lifecycle, Phase
from framewire._io.listen import DEFAULT_BACKLOG, AcceptBackoff, open_listener
from framewire._io.tls_aio import TlsShim
from framewire._io.transport import (
    APPLICATION_FAILED,
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
    TransportError,
    UsageError,
    check_fail_code,
)
from framewire.events import (
    Message,
    PeerHello,
    Piece,
    Sentinel,
)
from framewire.framing import Framing
from framewire.options import Options
from framewire.session import Session
from framewire.tls import SslOption, TlsLayer, prepare_context, resolve_server_hostname

__all__ = [
    "AsyncChannel",
    "AsyncChannelMessageWriter",
    "AsyncHandler",
    "AsyncServer",
    "AsyncStreamingChannel",
    "AsyncStreamingHandler",
    "ServerStart",
    "open_connection",
    "start_server",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")

_log = logging.getLogger(__name__)
_payload = operator.attrgetter("payload")

QUEUE_LIMIT_NO_MESSAGE_LIMIT = 16 * 1024 * 1024
"""Payload bytes queued before reading pauses, when no maximum message size is set."""
_CANCEL_GRACE = 0.5
"""Seconds a cancelled handler gets beyond its linger deadline before its socket is
aborted (AsyncServer.shutdown)."""
WRITE_BUFFER_HIGH = 64 * 1024
"""Bytes the transport may hold unsent before it asks us to pause writing: ``send()``
then waits, and a connection that owes PONGs stops reading (FW-SEC-2)."""


class _Signal:
    """A flag that coroutines can wait for: ``asyncio.Event`` without its deque of
    waiters, which a server would otherwise hold twice per idle connection."""

    __slots__ = ("_set", "_waiters")

    def __init__(self, *, is_set: bool = False) -> None:
        self._set = is_set
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> None:
        """Return once the flag is set (at once if it is)."""
        if self._set:
            return
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            waiters: list[asyncio.Future[None]] | None = self._waiters  # set() may have taken it
            if waiters is not None and waiter in waiters:
                waiters.remove(waiter)


def _within(timeout: float | None) -> contextlib.AbstractAsyncContextManager[object]:
    """``asyncio.timeout(timeout)``, or nothing to allocate when there is no timeout (an
    idle connection waits with none)."""
    return contextlib.nullcontext() if timeout is None else asyncio.timeout(timeout)


class _FramewireProtocol(asyncio.BufferedProtocol, Generic[DataEvent]):
    """The event loop's side: bytes in and out, decoding at once, waking the channel."""

    def __init__(self, session: Session, deadlines: Deadlines, data_type: type[DataEvent]) -> None:
        self.session = session
        self.deadlines = deadlines
        self.loop = asyncio.get_running_loop()
        self.tracker = DeadlineTracker(deadlines, self.loop.time())
        self.transport: asyncio.Transport | None = None
        self.batches: list[tuple[int, list[DataEvent]]] = []
        """Decoded data not yet handed to the channel: one (payload bytes, events) pair
        per read, as the session decoded it (queued whole, not message by message)."""
        self.data_type: type[DataEvent] = data_type
        """What the channel receives: ``Message``, or ``Piece`` when it streams."""
        self.peer = PeerState()
        self.life = Lifecycle()
        self.changed = _Signal()
        """Set whenever something a waiting call may look for has happened."""
        self.can_write = _Signal(is_set=True)
        self.lost = self.loop.create_future()
        self.reading_paused = False
        self.replies_blocked = False
        """A PONG was owed while the transport had paused writing (FW-SEC-2): reading stays
        paused until the transport has drained, so a peer that PINGs without reading
        makes us owe at most the transport's high-water mark plus one read's PONGs."""
        self.queued_bytes = 0
        """Payload bytes of the queued batches and of the batch the channel is taking
        from (counted until it is used up, so the count errs on the side of pausing)."""
        # FW-LIM-4/5: a receiver that assembles messages holds about one maximum message
        # of payload; reading pauses once the decoded, untaken messages reach that.
        self._queue_limit = session.limits.max_message_size or QUEUE_LIMIT_NO_MESSAGE_LIMIT
        self._deadline_timer: asyncio.TimerHandle | None = None
        self._linger_timer: asyncio.TimerHandle | None = None
        self.on_connection: Callable[[], object] | None = None
        """Called once the transport is ours: the channel goes to its user then."""

    @property
    def failure(self) -> FramewireError | None:
        """The error that failed the connection (FW-SES-4), if any."""
        return self.life.failure

    # -- asyncio.BufferedProtocol ---------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Stream sockets only. uvloop's transports have the asyncio.Transport methods
        # without deriving from it, so no isinstance() check here.
        self.transport = cast(asyncio.Transport, transport)
        self.transport.set_write_buffer_limits(high=WRITE_BUFFER_HIGH)
        self.write_pending()  # our preface and HELLO at once (FW-SES-1)
        self._rearm_deadline()
        # Called once, then dropped: it holds the channel, which holds us (a cycle that
        # would keep this connection and its buffers until the garbage collector ran).
        made, self.on_connection = self.on_connection, None
        if made is not None:
            made()

    def get_buffer(self, sizehint: int) -> memoryview:
        # The loop's hint is not what there is to read: asyncio's loop passes -1, uvloop
        # always libuv's 64 KiB. The read-ahead follows recent reads instead.
        return self.session.get_buffer()

    def buffer_updated(self, nbytes: int) -> None:
        self.session.buffer_updated(nbytes)
        if self.failure is None:
            self._process()

    def eof_received(self) -> bool:
        self.session.receive_eof()
        if self.failure is None:
            self._process()
        if self.life.phase is not Phase.OPEN:  # both directions have ended (FW-CLS-3)
            self._close_transport()
        return True  # keep our direction open: the peer's half-close is not ours

    def connection_lost(self, exc: Exception | None) -> None:
        # A loss by an error is one even after the peer's clean end: what we send next
        # would go nowhere. Without an error, we closed the transport ourselves.
        if isinstance(exc, TransportError):  # a TlsError from framewire._io.tls_aio
            self._lose(exc, exc)
        elif isinstance(exc, OSError):
            self._lose(transport_error(exc, "receiving"), exc)
        elif not self.peer.done:
            self._lose(TransportError("the connection closed before the peer's clean end"))
        self.life.closed()
        for timer in (self._deadline_timer, self._linger_timer):
            if timer is not None:
                timer.cancel()
        self.can_write.set()
        self.changed.set()
        if not self.lost.done():
            self.lost.set_result(None)

    def pause_writing(self) -> None:
        self.can_write.clear()

    def resume_writing(self) -> None:
        self.can_write.set()
        if self.replies_blocked:
            self.replies_blocked = False
            self.update_reading()

    # -- decoding -------------------------------------------------------------------------

    def _process(self) -> None:
        """Decode every event now available; queue the data, act on the rest."""
        session = self.session
        data_type = self.data_type
        while not self.peer.done:
            try:
                batch = next_batch(session)
            except (ProtocolError, PeerError) as error:
                self.fail(error)
                break
            if isinstance(batch, Sentinel):
                break
            data, pong_due = self.peer.sort(batch, data_type)
            if pong_due:
                self.write_pending()  # the PONG (FW-PNG-2)
                if not self.can_write.is_set():
                    self.replies_blocked = True
            if data and not self.life.discarding:
                size = sum(map(len, map(_payload, data)))
                self.batches.append((size, data))
                self.queued_bytes += size
        self.update_reading()
        self._rearm_deadline()
        self.changed.set()

    def taken(self, size: int) -> None:
        """The channel has used up a batch of `size` payload bytes: resume reading if
        the queue is now below its bound."""
        self.queued_bytes -= size
        if self.reading_paused:
            self.update_reading()

    def update_reading(self) -> None:
        """Pause reading while the application has a full queue to take (FW-LIM-4) or
        while PONGs we owe cannot be written (FW-SEC-2); resume when neither holds.

        Only automatic replies pause reading on the write side: pausing whenever writing
        is paused would deadlock two peers that both send more than they read at once.
        An application's own sends wait for the drain instead (``send()``), and while it
        waits it takes nothing, so the queue's bound applies.
        """
        pause = self.failure is None and (
            self.queued_bytes >= self._queue_limit or self.replies_blocked
        )
        if pause == self.reading_paused:
            return
        self.reading_paused = pause
        transport = self.transport
        if transport is not None and not transport.is_closing():
            if pause:
                transport.pause_reading()
            else:
                transport.resume_reading()
        if not pause:
            self._rearm_deadline()

    # -- deadlines ------------------------------------------------------------------------

    def _rearm_deadline(self) -> None:
        """Keep one timer at or before the earliest handshake or frame deadline (FW-LIM-6).

        Called after every read, so it avoids a new timer when it can: a timer due no
        later than the deadline stays, and when it fires early ``_expire`` looks again.
        """
        if self.failure is not None:
            return
        self.tracker.observe(
            self.loop.time(),
            handshake_done=self.session.handshake_done,
            # The application's delay is not the peer's: while its queue is full the frame
            # deadline is suspended (it restarts on resume). A peer that does not read
            # our PONGs is at fault, so that pause leaves the deadline running.
            frame_partial=self.session.frame_in_progress
            and not (self.reading_paused and not self.replies_blocked),
            frame_start=self.session.frame_start,
        )
        expiry = self.tracker.next_expiry()
        timer = self._deadline_timer
        if expiry is None or (timer is not None and timer.when() <= expiry[0]):
            return
        if timer is not None:
            timer.cancel()
        self._deadline_timer = self.loop.call_at(expiry[0], self._expire)

    def _expire(self) -> None:
        """The timer fired: fail with ``timeout`` if a deadline has expired, else wait on."""
        self._deadline_timer = None
        expiry = self.tracker.next_expiry()
        if self.failure is not None or expiry is None:
            return
        if expiry[0] > self.loop.time():
            self._deadline_timer = self.loop.call_at(expiry[0], self._expire)
            return
        try:
            self.session.fail(ErrorCode.TIMEOUT, self.tracker.describe(expiry[1]))
        except LocalFailureError as error:
            self.fail(error)

    def send_expired(self) -> None:
        """The send deadline expired: fail with ``timeout``, and drop the connection with
        what it still had to write, which a peer that does not read will never take; no
        ERROR frame either, which it would not take (as the blocking channel does)."""
        try:
            self.session.fail(ErrorCode.TIMEOUT, self.tracker.describe(DeadlineKind.SEND))
        except LocalFailureError as error:
            self.fail(error, stream_broken=True)
        if self.transport is not None:
            self.transport.abort()

    # -- sending and failing ----------------------------------------------------------------

    def write_pending(self) -> None:
        """Write whatever the session has queued (one transport.write).

        A transport that closes on the write (it failed: a reset, a broken pipe) reports
        the loss only later, through connection_lost: the loss is recorded now, so that
        the send that wrote raises ``TransportError`` instead of returning.
        """
        data = self.session.data_to_send()
        transport = self.transport
        if not data or transport is None:
            return
        if not transport.is_closing():
            transport.write(data)
            if not transport.is_closing():
                return
        self._lose(TransportError("connection failed while sending: the connection was lost"))

    def write_eof(self) -> None:
        """Half-close our direction (FW-CLS-1); close at once if the peer's has ended.

        A socket the peer has reset refuses the half-close (ENOTCONN): the connection is
        lost, and closed, rather than the ``OSError`` escaping into the caller (which may
        be the exit of a cancelled block)."""
        if not self.life.half_closed():
            return
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if transport.can_write_eof():
            try:
                transport.write_eof()
            except OSError as exc:
                self._lose(transport_error(exc, "half-closing"), exc)
                self._close_transport()
                return
        if self.peer.done and self.failure is None:
            self._close_transport()  # both directions ended cleanly (FW-CLS-3)

    def _lose(self, error: TransportError, cause: BaseException | None = None) -> None:
        """The connection is lost (Lifecycle.lost); wake whoever waits on it. ``cause``,
        what the transport reported, stays with the loss, even one recorded before."""
        recorded = self.life.lost(error)
        failure = self.failure
        if isinstance(failure, TransportError) and failure.__cause__ is None:
            failure.__cause__ = cause if cause is not failure else None
        if recorded:
            self.update_reading()
            self.can_write.set()
            self.changed.set()

    def fail(self, error: FramewireError, *, stream_broken: bool = False) -> None:
        """FW-SES-3: send the queued ERROR, half-close, discard input, close on EOF or linger
        (or close at once: ``Lifecycle.fail``).

        Messages decoded before the error stay to be received."""
        ending = self.life.fail(error, stream_broken=stream_broken)
        if ending is None:
            return
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
        if ending is Ending.CLOSE_NOW:
            self._close_transport()
        elif self.transport is not None:
            self.update_reading()  # input is discarded from now on (FW-SES-3)
            self.write_pending()
            self.write_eof()
            if self._linger_timer is None:
                self._linger_timer = self.loop.call_later(
                    self.deadlines.linger, self._close_transport
                )
        self.changed.set()

    def _close_transport(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


class _AsyncChannelBase(Generic[DataEvent]):
    """What ``AsyncChannel`` and ``AsyncStreamingChannel`` share: all but how data is
    received.

    Created by ``open_connection`` and ``start_server``; not meant to be shared
    between tasks that receive at the same time.
    """

    def __init__(self, protocol: _FramewireProtocol[DataEvent]) -> None:
        self._protocol: _FramewireProtocol[DataEvent] = protocol
        self._pending: Iterator[DataEvent] = iter(())
        """The rest of the batch the receive methods take from: each returns from it
        without a second coroutine while it lasts, and refills it with ``_next_batch``."""
        self._taking = 0
        """Payload bytes of that batch, given back to the protocol's count when used up."""

    @property
    def peer_limits(self) -> PeerHello | None:
        """The peer's HELLO (its limits on what we send), once the handshake is done."""
        return self._protocol.peer.hello

    @property
    def framing(self) -> Framing:
        """The framing this channel speaks."""
        return self._protocol.session.framing

    async def handshake(self, timeout: float | None = None) -> PeerHello:
        """Wait for the peer's HELLO (the handshake deadline bounds it) and return it."""
        protocol = self._protocol
        async with asyncio.timeout(timeout):
            await self._wait_for(lambda: protocol.peer.hello is not None)
        assert protocol.peer.hello is not None  # _wait_for raised otherwise
        return protocol.peer.hello

    async def _next_batch(self, timeout: float | None) -> list[DataEvent]:
        """The next decoded batch, waiting for one; [] at the peer's clean end.

        Called when the previous batch is used up, so its bytes leave the queue's count.
        """
        protocol = self._protocol
        protocol.taken(self._taking)
        self._taking = 0
        if not protocol.batches:
            async with _within(timeout):
                await self._wait_for(lambda: bool(protocol.batches) or protocol.peer.done)
            if not protocol.batches:
                return []
        self._taking, batch = protocol.batches.pop(0)  # a few batches at most: reads pause
        return batch

    async def send(self, message: Message, timeout: float | None = None) -> None:
        """Send one data message, split to the peer's MAX_FRAME_SIZE (FW-HEL-5).

        Waits while the transport is paused (write back-pressure), then hands the whole
        message to the transport. ``timeout`` bounds that wait, as in the blocking API:
        expired, ``TimeoutError``, the message is not sent and the connection is still
        usable (the message goes to the transport whole, so no frame is ever cut). The
        send deadline (``Deadlines.send``) bounds it as well, and fails the connection.
        """
        protocol = self._protocol
        try:
            async with asyncio.timeout(timeout):
                await self._prepare_send()
                await self._drain()
        except TimeoutError as expired:
            if expired.args:
                raise
            raise TimeoutError(SEND_NOT_STARTED) from None
        self._call_session(protocol.session.send, message)
        protocol.write_pending()
        if protocol.failure is not None:
            raise protocol.failure

    async def start_message(self, message_type: int, flags: int = 0) -> AsyncChannelMessageWriter:
        """Start a message whose size is not known yet, sent in pieces; see
        ``AsyncChannelMessageWriter``."""
        await self._prepare_send()
        session = self._protocol.session
        writer = self._call_session(session.start_message, message_type, flags)
        return AsyncChannelMessageWriter(self, writer.write, writer.end)

    async def ping(self, timeout: float | None = None) -> float:
        """Send a PING and wait for its PONG; return the round-trip time in seconds."""
        protocol = self._protocol
        async with asyncio.timeout(timeout):
            await self._prepare_send()
            started = protocol.loop.time()
            data = self._call_session(protocol.session.ping)
            protocol.write_pending()
            await self._drain()
            await self._wait_for(lambda: data in protocol.peer.pongs, or_peer_done=False)
        protocol.peer.pongs.remove(data)
        return protocol.loop.time() - started

    async def close_write(self) -> None:
        """Half-close: we send nothing more (FW-CLS-1); receiving goes on until ``None``."""
        protocol = self._protocol
        if not protocol.life.can_send:
            return
        self._call_session(protocol.session.close_write)
        protocol.write_pending()
        protocol.write_eof()

    def fail(self, code: ErrorCode = ErrorCode.INTERNAL_ERROR, detail: str = "") -> None:
        """Fail the connection ourselves: ERROR (``internal-error`` by default, FW-ERR-6),
        half-close, and close after the linger deadline. Later calls raise the error."""
        check_fail_code(code)
        if self._protocol.failure is not None:
            return
        with contextlib.suppress(ProtocolError, PeerError):
            self._call_session(self._protocol.session.fail, code, detail)

    async def close(self) -> None:
        """Half-close, discard input until the peer's end (within the linger deadline),
        and close the socket (FW-CLS-4)."""
        protocol = self._protocol
        with contextlib.suppress(FramewireError):
            await self.close_write()
        protocol.life.lingering()
        protocol.batches.clear()
        self._pending, self._taking = iter(()), 0
        protocol.queued_bytes = 0
        protocol.replies_blocked = False  # what arrives now is discarded, never answered
        protocol.update_reading()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(protocol.deadlines.linger):
                await asyncio.shield(protocol.lost)
        protocol._close_transport()
        await protocol.lost

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close cleanly; or, when the block raised (or was cancelled), fail with
        ``internal-error`` first: the peer must not take that for a clean end (FW-ERR-6)."""
        if exc is not None:
            self.fail(detail=APPLICATION_FAILED)
        await self.close()

    # -- helpers ------------------------------------------------------------------------

    async def _wait_for(self, ready: Callable[[], bool], *, or_peer_done: bool = True) -> None:
        """Wait until ``ready()``; raise the failure if the connection fails first."""
        protocol = self._protocol
        while True:
            if protocol.failure is not None:
                raise protocol.failure  # FW-SES-4
            if ready():
                return
            if or_peer_done is False and protocol.peer.done:
                raise TransportError("the peer closed before answering the PING")
            if protocol.lost.done():
                raise UsageError("the channel is closed")
            protocol.changed.clear()
            await protocol.changed.wait()

    async def _prepare_send(self) -> None:
        protocol = self._protocol
        if protocol.failure is not None:
            raise protocol.failure
        if protocol.peer.hello is None:  # FW-SES-2
            await self.handshake()

    async def _drain(self) -> None:
        """Wait while the transport is paused, at most the send deadline."""
        protocol = self._protocol
        if not protocol.can_write.is_set():
            try:
                async with _within(protocol.deadlines.send):
                    while not protocol.can_write.is_set():
                        await protocol.can_write.wait()
            except TimeoutError:
                protocol.send_expired()
        if protocol.failure is not None:
            raise protocol.failure

    def _call_session(self, method: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
        """Run a session operation; a failure of the session fails the connection."""
        try:
            return method(*args, **kwargs)
        except (ProtocolError, PeerError) as error:
            self._protocol.fail(error)
            raise

    def _abort_message(self, reason: BaseException) -> None:
        """A streamed message cannot be finished: fail with internal-error (FW-ERR-6)."""
        self.fail(detail=f"the application abandoned a message: {type(reason).__name__}")


class AsyncChannel(_AsyncChannelBase[Message]):
    """One Framewire session over an asyncio stream connection, receiving whole
    messages (``recv()``, ``recv_batch()``, or ``async for``).

    Created by ``open_connection`` and ``start_server``; not meant to be shared
    between tasks that receive at the same time.
    """

    async def recv(self, timeout: float | None = None) -> Message | None:
        """The next data message, or ``None`` once the peer has half-closed cleanly.

        A message already decoded is returned without suspending (no second coroutine,
        no wait): messages are decoded in batches, as they arrive.
        """
        for message in self._pending:
            return message
        self._pending = iter(await self._next_batch(timeout))
        for message in self._pending:
            return message
        return None

    async def recv_batch(self, timeout: float | None = None) -> list[Message]:
        """Every data message decoded and not yet received (waiting for at least one),
        oldest first; an empty list once the peer has half-closed cleanly.

        The same messages as recv() would return one by one, in the same order, for one
        ``await`` per read from the socket instead of one per message: the faster way to
        receive many small messages.
        """
        rest = list(self._pending)
        if rest:
            return rest
        return await self._next_batch(timeout)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Message:
        """The next data message, until the peer's clean end (``async for``)."""
        message = await self.recv()
        if message is None:
            raise StopAsyncIteration
        return message


class AsyncStreamingChannel(_AsyncChannelBase[Piece]):
    """One Framewire session over an asyncio stream connection, receiving each message
    in pieces as its frames arrive (``recv_piece()``): for messages too large to hold
    whole (FW-LIM-5). Everything else is as on an ``AsyncChannel``.

    Created by ``open_connection(..., streaming=True)`` and
    ``start_server(..., streaming=True)``.
    """

    async def recv_piece(self, timeout: float | None = None) -> Piece | None:
        """The next piece of a data message (see
        ``framewire.sync.StreamingChannel.recv_piece``)."""
        for piece in self._pending:
            return piece
        self._pending = iter(await self._next_batch(timeout))
        for piece in self._pending:
            return piece
        return None


class AsyncChannelMessageWriter:
    """A data message of unknown size, sent in pieces as it is produced (see
    sync.ChannelMessageWriter).

    ``async with`` ends the message on exit; an exception inside the block fails the
    connection with ``internal-error`` (FW-ERR-6), since half a message cannot be undone.
    """

    def __init__(
        self,
        channel: _AsyncChannelBase[Any],
        write: Callable[[bytes], None],
        end: Callable[[bytes], None],
    ) -> None:
        self._channel = channel
        self._write = write
        self._end = end

    async def write(self, piece: bytes) -> None:
        """Append ``piece`` to the message."""
        await self._send(self._write, piece)

    async def end(self, piece: bytes = b"") -> None:
        """Append the last bytes and end the message."""
        await self._send(self._end, piece)

    async def _send(self, method: Callable[[bytes], None], chunk: bytes) -> None:
        channel = self._channel
        channel._call_session(method, chunk)
        channel._protocol.write_pending()
        await channel._drain()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None:
            await self.end()
        else:
            self._channel._abort_message(exc)


_Channel = TypeVar("_Channel", AsyncChannel, AsyncStreamingChannel)


def _protocol_factory(
    new_channel: Callable[[_FramewireProtocol[DataEvent]], _Channel],
    data_type: type[DataEvent],
    options: Options | None,
    deadlines: Deadlines | None,
    made: Callable[[_Channel], object],
) -> Callable[[], _FramewireProtocol[DataEvent]]:
    """The loop's protocol factory: each protocol gets its channel, handed to ``made``
    once the connection is made (its peer's address known). The options are checked
    now, before any socket exists."""
    streaming = issubclass(data_type, Piece)
    options = checked_options(options, streaming=streaming)
    deadlines = deadlines if deadlines is not None else Deadlines()

    def make() -> _FramewireProtocol[DataEvent]:
        session = Session(options, streaming=streaming)
        protocol = _FramewireProtocol(session, deadlines, data_type)
        protocol.on_connection = functools.partial(made, new_channel(protocol))
        return protocol

    return make


@overload
async def open_connection(
    address: Address,
    *,
    options: Options | None = None,
    deadlines: Deadlines | None = None,
    timeout: float | None = None,
    streaming: Literal[False] = False,
    ssl: SslOption = None,
    server_hostname: str | None = None,
) -> AsyncChannel: ...


@overload
async def open_connection(
    address: Address,
    *,
    options: Options | None = None,
    deadlines: Deadlines | None = None,
    timeout: float | None = None,
    streaming: Literal[True],
    ssl: SslOption = None,
    server_hostname: str | None = None,
) -> AsyncStreamingChannel: ...


@client_call
async def open_connection(
    address: Address,
    *,
    options: Options | None = None,
    deadlines: Deadlines | None = None,
    timeout: float | None = None,
    streaming: bool = False,
    ssl: SslOption = None,
    server_hostname: str | None = None,
) -> AsyncChannel | AsyncStreamingChannel:
    """Connect to ``address`` (``(host, port)`` or a Unix socket path); handshake done.

    ``options`` (default ``Options()``): framing, limits, checksum. The channel is an
    ``AsyncChannel``, or with ``streaming=True`` an ``AsyncStreamingChannel``. ``ssl``
    and ``server_hostname`` as in ``framewire.sync.connect``: TLS with Framewire's
    clean end (spec section 12), its handshake bounded by the handshake deadline.
    ``timeout`` bounds all of the connect: it is the handshake deadline of ``deadlines``.
    """
    check_options("open_connection", options)
    deadlines = with_connect_timeout(deadlines, timeout)
    if streaming:
        return await _open(
            address,
            AsyncStreamingChannel,
            Piece,
            options=options,
            deadlines=deadlines,
            ssl=ssl,
            server_hostname=server_hostname,
        )
    return await _open(
        address,
        AsyncChannel,
        Message,
        options=options,
        deadlines=deadlines,
        ssl=ssl,
        server_hostname=server_hostname,
    )


async def _open(
    address: Address,
    new_channel: Callable[[_FramewireProtocol[DataEvent]], _Channel],
    data_type: type[DataEvent],
    *,
    options: Options | None,
    deadlines: Deadlines | None,
    ssl: SslOption,
    server_hostname: str | None,
) -> _Channel:
    """``open_connection`` for one type of channel."""
    loop = asyncio.get_running_loop()
    channels: list[_Channel] = []
    factory: Callable[[], asyncio.BufferedProtocol] = _protocol_factory(
        new_channel, data_type, options, deadlines, channels.append
    )
    context = prepare_context(ssl, server_side=False)
    if context is not None:
        factory = _over_tls(
            factory,
            context,
            server_side=False,
            server_hostname=resolve_server_hostname(context, address, server_hostname),
        )
    connect_timeout = (deadlines or Deadlines()).handshake
    try:
        async with asyncio.timeout(connect_timeout):
            if isinstance(address, str):
                await loop.create_unix_connection(factory, address)
            else:
                await loop.create_connection(factory, address[0], address[1])
    except OSError as exc:
        raise transport_error(exc, f"connecting to {format_address(address)}") from None
    channel = channels[-1]  # the channel of the protocol the connection got
    try:
        await channel.handshake()
    except BaseException as error:
        await channel.close()  # the ERROR (if due) is out; release the socket
        if context is None and isinstance(error, RemoteProtocolError):
            raise hint_plain_client(error) from None
        raise
    return channel


def _over_tls(
    make: Callable[[], asyncio.BufferedProtocol],
    context: _ssl.SSLContext,
    *,
    server_side: bool,
    server_hostname: str | None = None,
) -> Callable[[], asyncio.BufferedProtocol]:
    """A protocol factory whose protocols run under our TLS layer (see framewire._io.tls_aio)."""

    def make_secure() -> asyncio.BufferedProtocol:
        layer = TlsLayer(context, server_side=server_side, server_hostname=server_hostname)
        return TlsShim(make(), layer)

    return make_secure


_ACCEPTS_PER_TURN = 100
"""Connections accepted per readiness of the listener before the loop runs other work."""


AsyncHandler = Callable[[AsyncChannel], Awaitable[object]]
"""What ``start_server`` runs for each connection: ``await handler(channel)``, in a task."""
AsyncStreamingHandler = Callable[[AsyncStreamingChannel], Awaitable[object]]
"""The handler of ``start_server(..., streaming=True)``."""


class ServerStart:
    """What ``start_server()`` returns: await it for the ``AsyncServer``, or use it in
    ``async with`` directly, as ``websockets.serve`` allows, which starts the server on
    entry and shuts it down on exit (``async with await start_server(...)`` works too)."""

    def __init__(self, starting: Coroutine[Any, Any, AsyncServer]) -> None:
        self._starting = starting
        self._server: AsyncServer | None = None

    def __await__(self) -> Generator[Any, None, AsyncServer]:
        return self._starting.__await__()

    async def __aenter__(self) -> AsyncServer:
        self._server = await self._starting
        return self._server

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None  # __aenter__ set it
        await self._server.__aexit__(exc_type, exc, traceback)


def _startable(
    start: Callable[_P, Coroutine[Any, Any, AsyncServer]],
) -> Callable[_P, ServerStart]:
    """Make ``start_server`` return a ``ServerStart`` (awaitable, and an async context
    manager) instead of a bare coroutine."""

    @functools.wraps(start)
    def starting(*args: _P.args, **kwargs: _P.kwargs) -> ServerStart:
        return ServerStart(start(*args, **kwargs))

    return starting


class AsyncServer:
    """A Framewire server on the running loop: one task per connection.

    A failure in one connection ends that connection only; it is logged (one line per
    connection event, ``framewire._io.connlog``), counted in ``error_counts`` and, if among
    the last few, kept in ``errors`` (see ``framewire._io.transport.ConnectionFailures``).
    """

    def __init__(self, handler: AsyncHandler | AsyncStreamingHandler, *, trim_heap: bool) -> None:
        self._handler: Callable[[Any], Awaitable[object]] = handler
        """Called with the channels of the protocols ``start_server`` makes for it (it
        pairs the two)."""
        self._listener: socket.socket | None = None
        self._factory: Callable[[], asyncio.BaseProtocol] | None = None
        self._backoff = AcceptBackoff()
        self._retry: asyncio.TimerHandle | None = None
        self._accepting: set[asyncio.Task[object]] = set()
        """Transports being made for sockets just accepted."""
        self._connections: dict[asyncio.Task[None], _FramewireProtocol[Any]] = {}
        """Each connection's task, and the protocol it runs on."""
        self._unix_path: str | None = None
        self._heap = HeapTrimmer() if trim_heap else None
        self._log = ConnectionLog()
        self.errors: list[BaseException] = self._log.failures.recent
        """The last exceptions that ended connections, oldest first, without tracebacks."""
        self.error_counts: collections.Counter[str] = self._log.failures.counts
        """How many connections ended with each kind of error since the server started."""

    @property
    def address(self) -> Address:
        """Where the server listens (the real port when bound to port 0)."""
        assert self._listener is not None
        name = self._listener.getsockname()
        return name if isinstance(name, str) else (name[0], name[1])

    # Our own accept loop rather than the loop's create_server(): after EMFILE, asyncio's
    # goes on calling accept() once per backlog slot on each wake-up, logging each failure
    # with its traceback and adding a retry timer each time (thousands of both with a
    # large backlog). See framewire._io.listen.

    def _listen(self, listener: socket.socket, factory: Callable[[], asyncio.BaseProtocol]) -> None:
        listener.setblocking(False)
        self._listener, self._factory = listener, factory
        asyncio.get_running_loop().add_reader(listener.fileno(), self._accept)

    def _accept(self) -> None:
        """Accept what the listener holds, a bounded number per turn of the loop."""
        assert self._listener is not None
        assert self._factory is not None
        loop = asyncio.get_running_loop()
        for _ in range(_ACCEPTS_PER_TURN):
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                delay = self._backoff.failed(exc)
                if delay:
                    loop.remove_reader(self._listener.fileno())
                    self._retry = loop.call_later(delay, self._resume)
                    return
                continue
            self._backoff.accepted()
            task = loop.create_task(self._start(sock, self._factory))
            self._accepting.add(task)
            task.add_done_callback(self._accepting.discard)

    def _resume(self) -> None:
        self._retry = None
        if self._listener is not None:
            asyncio.get_running_loop().add_reader(self._listener.fileno(), self._accept)

    @staticmethod
    async def _start(sock: socket.socket, factory: Callable[[], asyncio.BaseProtocol]) -> None:
        try:
            await asyncio.get_running_loop().connect_accepted_socket(factory, sock)
        except OSError:  # reset before its transport existed
            sock.close()

    def _stop_listening(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if self._listener is not None:
            with contextlib.suppress(ValueError, OSError):  # a loop that is already closed
                asyncio.get_running_loop().remove_reader(self._listener.fileno())
            self._listener.close()
            self._listener = None

    def _connection(self, channel: AsyncChannel | AsyncStreamingChannel) -> None:
        task = asyncio.get_running_loop().create_task(self._run(channel))
        self._connections[task] = channel._protocol
        task.add_done_callback(self._connection_done)

    def _connection_done(self, task: asyncio.Task[None]) -> None:
        """The task has ended and let go of its channel, so the heap can shrink now: in a
        thread of the loop's executor, since a trim of a large heap takes a while."""
        self._connections.pop(task, None)
        if self._heap is not None:
            loop = asyncio.get_running_loop()
            loop.run_in_executor(None, self._heap.connection_ended, len(self._connections))

    async def _run(self, channel: AsyncChannel | AsyncStreamingChannel) -> None:
        transport = channel._protocol.transport
        number = self._log.accepted(
            transport.get_extra_info("peername") if transport is not None else ""
        )
        try:
            async with channel:
                self._log.handshake(number, channel.framing, await channel.handshake())
                await self._handler(channel)
        except asyncio.CancelledError as error:  # by shutdown(): the channel sent FW-ERR-6
            self._log.ended(number, error)
            raise
        except FramewireError as error:
            self._log.ended(number, error)
        except Exception as error:
            self._log.ended(number, error)
            _log.exception("connection handler failed")
        else:
            self._log.ended(number)

    async def shutdown(self, timeout: float | None = 5.0) -> None:
        """Stop accepting, give running connections ``timeout`` to end, then cancel them.

        A cancelled handler's channel sends ``internal-error`` (FW-ERR-6) and lingers for
        the peer's end, within the linger deadline; a connection still open after that is
        aborted.
        """
        self._stop_listening()
        if self._accepting:
            await asyncio.wait(set(self._accepting))
        if self._connections:
            _, pending = await asyncio.wait(set(self._connections), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                linger = max(self._connections[task].deadlines.linger for task in pending)
                _, stuck = await asyncio.wait(pending, timeout=linger + _CANCEL_GRACE)
                for task in stuck:  # a handler that will not end: its socket goes
                    transport = self._connections[task].transport
                    if transport is not None:
                        transport.abort()
        if self._unix_path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._unix_path)
            self._unix_path = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.shutdown()


@overload
def start_server(
    address: Address | None,
    handler: AsyncHandler,
    *,
    options: Options | None = None,
    deadlines: Deadlines | None = None,
    streaming: Literal[False] = False,
    backlog: int = DEFAULT_BACKLOG,
    reuse_port: bool = False,
    sock: socket.socket | None = None,
    ssl: _ssl.SSLContext | None = None,
    trim_heap: bool = False,
) -> ServerStart: ...


@overload
def start_server(
    address: Address | None,
    handler: AsyncStreamingHandler,
    *,
    options: Options | None = None,
    deadlines: Deadlines | None = None,
    streaming: Literal[True],
    backlog: int = DEFAULT_BACKLOG,
    reuse_port: bool = False,
    sock: socket.socket | None = None,
    ssl: _ssl.SSLContext | None = None,
    trim_heap: bool = False,
) -> ServerStart: ...


@_startable
@server_call
async def start_server(
    address: Address | None,
    handler: AsyncHandler | AsyncStreamingHandler,
    *,
    options: Options | None = None,
    deadlines: Deadlines | None = None,
    streaming: bool = False,
    backlog: int = DEFAULT_BACKLOG,
    reuse_port: bool = False,
    sock: socket.socket | None = None,
    ssl: _ssl.SSLContext | None = None,
    trim_heap: bool = False,
) -> AsyncServer:
    """Listen on ``address`` and run ``await handler(channel)`` per connection.

    ``options`` (default ``Options()``): framing, limits, checksum. The handler gets an
    ``AsyncChannel``, or with ``streaming=True`` an ``AsyncStreamingChannel``. The
    handshake is done before the handler runs; the channel is closed cleanly when it
    returns, and fails with ``internal-error`` (FW-ERR-6) when it raises or is cancelled
    by ``shutdown``. Use ``("127.0.0.1", 0)`` for a free port. ``backlog``, ``reuse_port`` and
    ``sock`` (a socket already bound, with ``address`` None) are passed to the loop as
    ``asyncio.start_server`` passes them: ``reuse_port`` lets several processes listen on
    one port, the kernel spreading the connections over them (see the guide's "Using
    every core"). ``ssl`` (an ``ssl.SSLContext`` with the server's certificate) runs
    every connection over TLS (spec section 12). ``trim_heap=True`` gives the C heap's
    free pages back to the system as connections end (``malloc_trim``, off the loop): a
    process-wide step, for a process that is the server (the CLI's servers take it).
    """
    check_options("start_server", options)
    server = AsyncServer(handler, trim_heap=trim_heap)
    plain: Callable[[], asyncio.BufferedProtocol] = (
        _protocol_factory(AsyncStreamingChannel, Piece, options, deadlines, server._connection)
        if streaming
        else _protocol_factory(AsyncChannel, Message, options, deadlines, server._connection)
    )
    context = prepare_context(ssl, server_side=True)
    factory = plain if context is None else _over_tls(plain, context, server_side=True)

    listener = open_listener(address, sock, backlog=backlog, reuse_port=reuse_port)
    if isinstance(address, str):
        server._unix_path = address
    server._listen(listener, factory)
    return server
