"""Each exception class means one thing (FW-ERR-7): the peer broke the protocol
(``RemoteProtocolError``), this side failed the connection (``LocalFailureError``: a deadline
of ours, or ``fail()``), the application misused the API (``UsageError``), the connection
ended under a call (``TransportError``). Over real loopback sockets for the transports.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest
import serial
from helpers.io_peers import FAST, handshake_bytes

from framewire import Encoder, ErrorCode, Framing, Message, Options
from framewire.aio import open_connection
from framewire.errors import (
    FramewireError,
    LocalFailureError,
    PeerError,
    ProtocolError,
    RemoteProtocolError,
    TransportError,
    UsageError,
)
from framewire.serial import SerialLink
from framewire.session import Session
from framewire.sync import Channel, connect

DATA = 0x40


class SilentPeer:
    """A listener whose one connection gets the peer's handshake (or nothing), then, when
    asked, the peer's clean end (FIN, never RST); everything the client sends is read and
    dropped until the client's own end."""

    def __init__(self, *, send_handshake: bool, end_after_handshake: bool) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = self.listener.getsockname()
        self._send_handshake = send_handshake
        self._end = end_after_handshake
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            conn.settimeout(5.0)
            if self._send_handshake:
                conn.sendall(handshake_bytes(Framing.LENGTH_PREFIXED))
            if self._end:
                conn.shutdown(socket.SHUT_WR)
            try:
                while conn.recv(65536):
                    pass
            except OSError:
                pass

    def close(self) -> None:
        self._thread.join(10)
        self.listener.close()


@pytest.fixture
def mute_peer() -> Iterator[SilentPeer]:
    """A peer that never sends its preface: our handshake deadline expires."""
    peer = SilentPeer(send_handshake=False, end_after_handshake=False)
    yield peer
    peer.close()


@pytest.fixture
def ending_peer() -> Iterator[SilentPeer]:
    """A peer that sends its handshake and ends at once: it never answers a PING."""
    peer = SilentPeer(send_handshake=True, end_after_handshake=True)
    yield peer
    peer.close()


def test_the_classes_are_one_kind_each() -> None:
    for side in (LocalFailureError, RemoteProtocolError):
        assert issubclass(side, ProtocolError)
    assert not issubclass(LocalFailureError, RemoteProtocolError)
    assert not issubclass(RemoteProtocolError, LocalFailureError)
    for kind in (UsageError, PeerError, TransportError):
        assert issubclass(kind, FramewireError)
        assert not issubclass(kind, ProtocolError)


def test_session_fail_raises_a_local_failure_not_the_peers_fault() -> None:
    session = Session(Options())
    with pytest.raises(ProtocolError) as caught:
        session.fail(ErrorCode.INTERNAL_ERROR, "the database is down")
    assert type(caught.value) is LocalFailureError
    assert caught.value.code is ErrorCode.INTERNAL_ERROR
    assert caught.value.error_frame_reason() == "FW-ERR-6: the database is down"


def test_sync_own_handshake_deadline_is_a_local_failure(mute_peer: SilentPeer) -> None:
    with pytest.raises(ProtocolError) as caught:
        connect(mute_peer.address, deadlines=FAST)
    assert type(caught.value) is LocalFailureError
    assert caught.value.code is ErrorCode.TIMEOUT


def test_sync_fail_then_call_raises_the_local_failure(ending_peer: SilentPeer) -> None:
    channel = connect(ending_peer.address, deadlines=FAST)
    channel.fail(detail="gave up")
    with pytest.raises(ProtocolError) as caught:
        channel.send(Message(DATA, b"after"))
    assert type(caught.value) is LocalFailureError
    assert caught.value.code is ErrorCode.INTERNAL_ERROR
    channel.close()


def test_sync_ping_when_the_peer_ends_first_is_a_transport_error(
    ending_peer: SilentPeer,
) -> None:
    with connect(ending_peer.address, deadlines=FAST) as channel:
        with pytest.raises(TransportError, match="before answering"):
            channel.ping(timeout=5)
        assert channel.recv(timeout=5) is None  # the peer's clean end, not a failure


def test_aio_own_handshake_deadline_is_a_local_failure(mute_peer: SilentPeer) -> None:
    async def scenario() -> BaseException:
        try:
            await open_connection(mute_peer.address, deadlines=FAST)
        except ProtocolError as error:
            return error
        raise AssertionError("the handshake deadline did not expire")

    error = asyncio.run(scenario())
    assert isinstance(error, LocalFailureError)
    assert error.code is ErrorCode.TIMEOUT


def test_aio_ping_when_the_peer_ends_first_is_a_transport_error(
    ending_peer: SilentPeer,
) -> None:
    async def scenario() -> None:
        async with await open_connection(ending_peer.address, deadlines=FAST) as channel:
            with pytest.raises(TransportError, match="before answering"):
                await channel.ping(timeout=5)
            assert await channel.recv(timeout=5) is None

    asyncio.run(scenario())


def test_using_a_channel_we_closed_is_a_usage_error(ending_peer: SilentPeer) -> None:
    channel: Channel = connect(ending_peer.address, deadlines=FAST)
    channel.close()
    with pytest.raises(UsageError, match="closed"):
        channel.send(Message(DATA, b"too late"))


def test_session_send_after_the_peer_broke_off_raises_that_failure() -> None:
    """The peer ended in the middle of a frame: the failure is the peer's, and a send
    after it raises that failure (FW-SES-4), not a misuse of the API."""
    session = Session(Options())
    first_bytes = Encoder().encode(Message(DATA, b"cut"))[:3]  # of a 9-byte header
    session.receive_data(handshake_bytes(Framing.LENGTH_PREFIXED) + first_bytes)
    session.receive_eof()
    session.next_event()  # the peer's HELLO
    with pytest.raises(RemoteProtocolError) as caught:
        session.next_event()
    assert caught.value.code is ErrorCode.TRUNCATED_FRAME
    for call in (lambda: session.send(Message(DATA, b"after")), session.ping, session.close_write):
        with pytest.raises(RemoteProtocolError) as again:
            call()
        assert again.value is caught.value


def test_serial_send_after_the_peers_error_raises_it() -> None:
    """Over pyserial's loop:// the link hears its own handshake, then an ERROR frame."""
    port = serial.serial_for_url("loop://", timeout=None)
    with SerialLink(port, session=True) as link:
        link.handshake(5)
        port.write(b"\x00" + Encoder(Framing.DELIMITED).error(ErrorCode.INTERNAL_ERROR, "bye"))
        with pytest.raises(PeerError) as caught:
            link.recv(5)
        with pytest.raises(PeerError) as again:
            link.send(Message(DATA, b"after"))
        assert again.value is caught.value
