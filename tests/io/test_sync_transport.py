"""The blocking transport on real loopback sockets (TCP 127.0.0.1 and Unix sockets)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from helpers.io_peers import (
    DATA,
    FAST,
    echo,
    error_code_sent,
    frame,
    handshake_bytes,
    raw_connect,
    read_to_eof,
    reset,
)
from helpers.polling import wait_until
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framewire import Deadlines, Framing, Limits
from framewire.addresses import Address
from framewire.conformance import wire
from framewire.errors import (
    ErrorCode,
    LocalFailureError,
    PeerError,
    RemoteProtocolError,
    TransportError,
    UsageError,
)
from framewire.events import END, Message, Piece
from framewire.options import Options
from framewire.session import Session
from framewire.sync import Channel, ChannelMessageWriter, Server, StreamingChannel, connect, serve

pytestmark = pytest.mark.timeout(20)


@pytest.mark.parametrize("checksum", [False, True])
def test_round_trip(echo_server: Server, framing: Framing, checksum: bool) -> None:
    messages = [
        Message(DATA, b""),
        Message(0x41, b"hello", 5),
        Message(0xFF, bytes(range(256)) * 9, 15),  # 9 frames: we accept 256-byte frames
    ]
    limits = Limits(max_frame_size=256)
    with connect(
        echo_server.address,
        options=Options(framing, limits=limits, checksum=checksum),
        deadlines=FAST,
    ) as channel:
        for message in messages:
            channel.send(message)
        channel.close_write()
        assert list(channel) == messages
    assert echo_server.errors == []


def test_streamed_message_arrives_whole(echo_server: Server, framing: Framing) -> None:
    with connect(echo_server.address, options=Options(framing), deadlines=FAST) as channel:
        with channel.start_message(0x50, flags=2) as outgoing:
            for chunk in (b"a" * 700, b"", b"b" * 5000):
                outgoing.write(chunk)
        assert channel.recv(timeout=2) == Message(0x50, b"a" * 700 + b"b" * 5000, 2)


def test_ping_is_answered_and_messages_in_between_are_kept(
    echo_server: Server, framing: Framing
) -> None:
    with connect(echo_server.address, options=Options(framing)) as channel:
        channel.send(Message(DATA, b"before"))
        started = time.monotonic()
        round_trip = channel.ping(timeout=2)
        assert 0 < round_trip <= time.monotonic() - started
        assert channel.recv(timeout=2) == Message(DATA, b"before")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    payloads=st.lists(st.binary(max_size=3000), max_size=6),
    checksum=st.booleans(),
)
def test_any_messages_round_trip(
    echo_server: Server, framing: Framing, payloads: list[bytes], checksum: bool
) -> None:
    messages = [Message(DATA + i, payload, i % 16) for i, payload in enumerate(payloads)]
    with connect(
        echo_server.address, options=Options(framing, limits=Limits(256), checksum=checksum)
    ) as channel:
        for message in messages:
            channel.send(message)
        channel.close_write()
        assert list(channel) == messages


def test_peer_reset_mid_frame_is_a_transport_error(address: Address, framing: Framing) -> None:
    listener = socket.socket(socket.AF_UNIX if isinstance(address, str) else socket.AF_INET)
    listener.bind(address)
    listener.listen()
    bound = listener.getsockname()
    connected = threading.Event()

    def raw_peer() -> None:
        sock, _ = listener.accept()
        sock.sendall(handshake_bytes(framing) + frame(framing, 0, DATA, b"x" * 100)[:20])
        connected.wait(5)  # the reset must not come before the client's handshake is done
        reset(sock)

    thread = threading.Thread(target=raw_peer)
    thread.start()
    with connect(bound, options=Options(framing), deadlines=FAST) as channel:
        connected.set()
        with pytest.raises(TransportError) as caught:
            channel.recv(timeout=2)
        with pytest.raises(TransportError) as again:
            channel.recv()
        assert again.value is caught.value  # FW-SES-4: failed for good, by that error
    thread.join()
    listener.close()


def test_reset_of_one_connection_leaves_the_others_alone(
    echo_server: Server, framing: Framing
) -> None:
    with connect(echo_server.address, options=Options(framing)) as survivor:
        victim = raw_connect(echo_server.address, framing)
        victim.sendall(frame(framing, 0, DATA, b"y" * 50)[:12])
        reset(victim)
        wait_until(lambda: echo_server.errors, what="the server fails the reset connection")
        # the reset meets the server in a receive or in a send of its handshake: both are
        # a TransportError, and the message says which
        assert [type(error) for error in echo_server.errors] == [TransportError]
        survivor.send(Message(DATA, b"still here"))
        assert survivor.recv(timeout=2) == Message(DATA, b"still here")
    assert len(echo_server.errors) == 1


@pytest.mark.parametrize(("cut", "expected"), [(0, None), (5, ErrorCode.TRUNCATED_FRAME)])
def test_half_close(
    echo_server: Server, framing: Framing, cut: int, expected: ErrorCode | None
) -> None:
    """A half-close at a frame boundary is a clean end; inside a frame it is
    truncated-frame (FW-LPF-4, FW-CLS-5), and the server side reports it."""
    sock = raw_connect(echo_server.address, framing)
    whole = frame(framing, 0, DATA, b"abc")
    sock.sendall(whole + whole[:cut])
    sock.shutdown(socket.SHUT_WR)
    received = read_to_eof(sock)
    sock.close()
    assert received.count(frame(framing, 0, DATA, b"abc")) == 1  # the echo of the whole one
    if expected is not None:
        wait_until(lambda: echo_server.errors, what="the server reports the truncated frame")
    codes = [getattr(error, "code", None) for error in echo_server.errors]
    assert codes == ([] if expected is None else [expected])


def test_stall_mid_frame_hits_the_frame_deadline(echo_server: Server, framing: Framing) -> None:
    """A peer that trickles a frame byte by byte fails with timeout, though every single
    read succeeds (a deadline, not a per-read timeout: FW-LIM-6)."""
    sock = raw_connect(echo_server.address, framing)
    started = time.monotonic()
    for byte in frame(framing, 0, DATA, b"z" * 40)[:30]:
        try:
            sock.send(bytes([byte]))
        except OSError:
            break
        time.sleep(0.05)  # the scenario: 30 bytes at this pace outlast the frame deadline
    received = read_to_eof(sock)
    sock.close()
    assert error_code_sent(received, framing) == ErrorCode.TIMEOUT
    assert time.monotonic() - started < 3
    wait_until(lambda: echo_server.errors, what="the server reports the timeout")
    assert [getattr(e, "code", None) for e in echo_server.errors] == [ErrorCode.TIMEOUT]


def test_silent_peer_hits_the_handshake_deadline(address: Address) -> None:
    with serve(address, echo, deadlines=FAST) as server:
        sock = raw_connect(server.address, Framing.LENGTH_PREFIXED, send_handshake=False)
        started = time.monotonic()
        received = read_to_eof(sock)
        sock.close()
        assert 0.4 < time.monotonic() - started < 3
        assert error_code_sent(received, Framing.LENGTH_PREFIXED) == ErrorCode.TIMEOUT


def test_4_gib_header_is_refused_with_frame_too_large(
    echo_server: Server, framing: Framing
) -> None:
    """Length-prefixed: frame-too-large from the header alone (FW-LEN-3). Delimited: the
    header's 0x00 byte is a delimiter, so what it ends is not COBS (FW-COB-2)."""
    expected = {
        Framing.LENGTH_PREFIXED: ErrorCode.FRAME_TOO_LARGE,
        Framing.DELIMITED: ErrorCode.COBS_INVALID,
    }[framing]
    with connect(echo_server.address, options=Options(framing)) as bystander:
        sock = raw_connect(echo_server.address, framing)
        header = wire.frame(wire.DATA, length=0xFFFFFFFF)
        sock.sendall(header if framing is Framing.LENGTH_PREFIXED else header + b"\x01" * 64)
        received = read_to_eof(sock)
        sock.close()
        assert error_code_sent(received, framing) == expected
        wait_until(lambda: echo_server.errors, what="the server reports the refused frame")
        assert [getattr(e, "code", None) for e in echo_server.errors] == [expected]
        bystander.send(Message(DATA, b"unaffected"))
        assert bystander.recv(timeout=2) == Message(DATA, b"unaffected")


def test_4_gib_header_fails_a_client_and_sends_error(address: Address) -> None:
    """Our own detected fault: ERROR frame-too-large goes out, then RemoteProtocolError."""
    listener = socket.socket(socket.AF_UNIX if isinstance(address, str) else socket.AF_INET)
    listener.bind(address)
    listener.listen()
    seen: list[bytes] = []

    def raw_peer() -> None:
        sock, _ = listener.accept()
        sock.sendall(
            handshake_bytes(Framing.LENGTH_PREFIXED) + wire.frame(wire.DATA, length=0xFFFFFFFF)
        )
        seen.append(read_to_eof(sock))
        sock.close()

    thread = threading.Thread(target=raw_peer)
    thread.start()
    channel = connect(listener.getsockname(), deadlines=FAST)
    with pytest.raises(RemoteProtocolError) as caught:
        channel.recv(timeout=2)
    assert caught.value.code is ErrorCode.FRAME_TOO_LARGE
    assert caught.value.statement in ErrorCode.FRAME_TOO_LARGE.statements
    thread.join()
    listener.close()
    assert error_code_sent(seen[0], Framing.LENGTH_PREFIXED) == ErrorCode.FRAME_TOO_LARGE
    with pytest.raises(RemoteProtocolError) as again:
        channel.send(Message(DATA, b"after failure"))
    assert again.value is caught.value  # FW-SES-4: the error that failed the connection


def test_call_timeout_leaves_the_connection_usable(echo_server: Server, framing: Framing) -> None:
    with connect(echo_server.address, options=Options(framing), deadlines=FAST) as channel:
        with pytest.raises(TimeoutError):
            channel.recv(timeout=0.05)
        time.sleep(0.4)  # the scenario: idle longer than the frame deadline is not a frame
        channel.send(Message(DATA, b"later"))
        assert channel.recv(timeout=2) == Message(DATA, b"later")


def test_error_from_peer_raises_peer_error(address: Address) -> None:
    def refuse(channel: Channel) -> None:
        channel.fail(detail="no thanks")

    with (
        serve(address, refuse, deadlines=FAST) as server,
        connect(server.address, deadlines=FAST) as channel,
        pytest.raises(PeerError) as caught,
    ):
        channel.recv(timeout=2)
    assert caught.value.code == ErrorCode.INTERNAL_ERROR
    assert caught.value.name == "internal-error"
    assert caught.value.reason.endswith("no thanks")


def test_fail_with_a_str_where_the_code_goes_names_the_order(
    echo_server: Server, framing: Framing
) -> None:
    """``fail()`` once took the detail first: such a call is a TypeError that names
    ``fail(code, detail)``, and it fails nothing."""
    with connect(echo_server.address, options=Options(framing), deadlines=FAST) as channel:
        with pytest.raises(TypeError, match=r"fail\(code, detail\)"):
            channel.fail("the database is down")  # type: ignore[arg-type]
        channel.send(Message(DATA, b"still open"))
        assert channel.recv(timeout=2) == Message(DATA, b"still open")


def test_send_after_close_write_is_a_local_error(echo_server: Server, framing: Framing) -> None:
    with connect(echo_server.address, options=Options(framing)) as channel:
        channel.close_write()
        with pytest.raises(UsageError):
            channel.send(Message(DATA, b"too late"))
        assert channel.recv(timeout=2) is None


def test_abandoned_stream_fails_with_internal_error(echo_server: Server, framing: Framing) -> None:
    channel = connect(echo_server.address, options=Options(framing), deadlines=FAST)

    def produce_then_die() -> None:
        with channel.start_message(DATA) as outgoing:
            outgoing.write(b"x" * 2000)
            raise RuntimeError("the producer died")

    with pytest.raises(RuntimeError):
        produce_then_die()
    with pytest.raises(LocalFailureError) as caught:
        channel.recv()
    assert caught.value.code is ErrorCode.INTERNAL_ERROR
    wait_until(lambda: echo_server.errors, what="the server reports the abandoned message")
    assert [getattr(e, "code", None) for e in echo_server.errors] == [ErrorCode.INTERNAL_ERROR]


def streaming_echo(channel: StreamingChannel) -> None:
    """Echo each message piece by piece, never holding one whole (FW-MSG-15, FW-LIM-5)."""
    outgoing: ChannelMessageWriter | None = None
    while (piece := channel.recv_piece()) is not None:
        if piece.first:
            outgoing = channel.start_message(piece.type, piece.flags)
        assert outgoing is not None
        if piece.last:
            outgoing.end(piece.payload)
        else:
            outgoing.write(piece.payload)


def test_large_message_split_to_the_peers_frame_size_and_streamed(address: Address) -> None:
    """FW-HEL-5: the sender splits to the MAX_FRAME_SIZE the receiver announced; a
    receiver with no message limit streams the pieces (FW-LIM-5)."""
    unlimited = Limits(max_frame_size=256, max_message_size=0)
    with serve(
        address, streaming_echo, options=Options(limits=unlimited), streaming=True
    ) as server:
        with connect(server.address, deadlines=Deadlines(frame=5.0)) as channel:
            payload = bytes(range(256)) * 4096  # 1 MiB in 4096 frames of 256 bytes
            channel.send(Message(DATA, payload, 7))
            assert channel.recv(timeout=10) == Message(DATA, payload, 7)
        assert server.errors == []


def test_no_message_limit_requires_streaming(echo_server: Server, framing: Framing) -> None:
    with pytest.raises(UsageError, match="FW-LIM-5"):
        connect(echo_server.address, options=Options(framing, limits=Limits(max_message_size=0)))
    streaming = Limits(max_message_size=0)
    with connect(
        echo_server.address, options=Options(framing, limits=streaming), streaming=True
    ) as channel:
        assert not hasattr(channel, "recv")  # a StreamingChannel receives in pieces only
        channel.send(Message(DATA, b"piece"))
        assert channel.recv_piece(timeout=2) == Piece(DATA, 0, b"piece", True, True)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(garbage=st.binary(min_size=1, max_size=200), with_handshake=st.booleans())
def test_garbage_from_a_peer_only_ever_raises_a_framewire_error(
    echo_server: Server, framing: Framing, garbage: bytes, with_handshake: bool
) -> None:
    """Whatever a peer sends, the server's connection ends with a clean end or one of the
    spec's errors (FW-ERR-8), within the deadlines, and the server goes on."""
    before = len(echo_server.errors)
    sock = raw_connect(echo_server.address, framing, send_handshake=with_handshake)
    try:
        sock.sendall(garbage)
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the server may already have failed the connection and reset it
    read_to_eof(sock)
    sock.close()
    expected = session_verdict(framing, garbage, with_handshake)
    if expected is not None:
        wait_until(lambda: len(echo_server.errors) > before, what=f"the server reports {expected}")
    assert [verdict_of(error) for error in echo_server.errors[before:]] == (
        [] if expected is None else [expected]
    )
    with connect(echo_server.address, options=Options(framing)) as channel:
        channel.send(Message(DATA, b"alive"))
        assert channel.recv(timeout=2) == Message(DATA, b"alive")


def verdict_of(error: BaseException) -> tuple[str, int | None]:
    """An error as (kind, registry code): what the server and a Session must agree on."""
    return type(error).__name__, getattr(error, "code", None)


def session_verdict(
    framing: Framing, garbage: bytes, with_handshake: bool
) -> tuple[str, int | None] | None:
    """How the sans-I/O Session ends on this input and end of input: None for a clean end.

    The server's connection sees exactly these bytes, so it must end the same way.
    """
    session = Session(Options(framing))
    session.receive_data((handshake_bytes(framing) if with_handshake else b"") + garbage)
    session.receive_eof()
    try:
        while session.next_event() is not END:
            pass
    except (RemoteProtocolError, PeerError) as error:
        return verdict_of(error)
    return None


def test_shutdown_ends_idle_connections(address: Address) -> None:
    server = serve(address, echo, deadlines=Deadlines(handshake=5.0, frame=5.0, linger=0.2))
    idle = connect(server.address)  # says nothing, holds a server thread in recv()
    started = time.monotonic()
    server.shutdown(timeout=0.1)
    assert time.monotonic() - started < 2
    assert idle.recv(timeout=2) is None  # the server side ended its socket: a clean end
    idle.close()


def test_connect_to_a_unix_socket_waits_while_its_backlog_is_full(tmp_path: Path) -> None:
    """A Unix listener whose backlog is full refuses a connect at once with EAGAIN, where
    TCP would retry its SYN: connect() waits for room within the handshake deadline, as
    it does over TCP, instead of failing at once."""
    path = str(tmp_path / "full.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(path)
        listener.listen(0)
        waiting: list[socket.socket] = []
        while True:  # connections nobody accepts, until the backlog is full (a few at most)
            filler = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            filler.setblocking(False)
            try:
                filler.connect(path)
            except BlockingIOError:
                filler.close()
                break
            waiting.append(filler)
            assert len(waiting) < 100, "the backlog never filled"

        def accept_later() -> None:
            time.sleep(0.3)
            for _ in waiting:
                listener.accept()[0].close()
            sock, _ = listener.accept()
            with Channel(sock, Options()) as server_side:
                server_side.handshake()

        thread = threading.Thread(target=accept_later)
        thread.start()
        started = time.monotonic()
        try:
            with connect(path, deadlines=Deadlines(handshake=10.0)) as channel:
                assert channel.peer_limits is not None
        finally:
            thread.join(10)
            for filler in waiting:
                filler.close()
        assert time.monotonic() - started >= 0.25
