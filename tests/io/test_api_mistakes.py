"""Mistakes a newcomer makes with the API are caught where they are made, with a message
that names the right call, not later as an AttributeError deep inside."""

from __future__ import annotations

import asyncio
import errno
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.io_peers import async_echo, echo, events_in, handshake_bytes
from helpers.tls_peers import TlsFiles

from framewire import Framing, Limits, Message, Options
from framewire._codec import schema
from framewire.aio import open_connection, start_server
from framewire.errors import ErrorCode, LocalFailureError, RemoteProtocolError, TransportError
from framewire.serial import SerialLink
from framewire.session import Session
from framewire.sync import Server, connect, serve

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def server() -> Iterator[Server]:
    with serve(("127.0.0.1", 0), echo) as running:
        yield running


# --- the address is one value --------------------------------------------------------


def test_connect_with_host_and_port_apart_names_the_right_call(server: Server) -> None:
    assert isinstance(server.address, tuple)
    port = server.address[1]
    with pytest.raises(TypeError, match=r"connect\(\('127.0.0.1', \d+\)"):
        connect("127.0.0.1", port)  # type: ignore[call-overload]


def test_open_connection_with_host_and_port_apart_names_the_right_call(server: Server) -> None:
    assert isinstance(server.address, tuple)
    port = server.address[1]
    with pytest.raises(TypeError, match=r"open_connection\(\('127.0.0.1', \d+\)"):
        asyncio.run(open_connection("127.0.0.1", port))  # type: ignore[call-overload]


def test_start_server_with_the_handler_first_names_the_right_call() -> None:
    async def main() -> None:
        await start_server(async_echo, "127.0.0.1", 0)  # type: ignore[call-overload]

    with pytest.raises(TypeError, match=r"start_server\(\('127.0.0.1', 0\), handler"):
        asyncio.run(main())


def test_serve_with_the_handler_first_names_the_right_call() -> None:
    with pytest.raises(TypeError, match=r"serve\(\('127.0.0.1', 0\), handler"):
        serve(echo, ("127.0.0.1", 0))  # type: ignore[call-overload]


def test_options_of_the_wrong_type_are_named(server: Server) -> None:
    with pytest.raises(TypeError, match=r"options must be a framewire\.Options, not str"):
        connect(server.address, options="delimited")  # type: ignore[call-overload]


# --- the options are a keyword argument ---------------------------------------------------

KEYWORD_OPTIONS = r"takes the options as a keyword argument: {call}\(.*options=Options\("


def test_connect_with_positional_options_names_the_keyword(server: Server) -> None:
    with pytest.raises(TypeError, match=KEYWORD_OPTIONS.format(call="connect")):
        connect(server.address, Options())  # type: ignore[call-overload]


def test_open_connection_with_positional_options_names_the_keyword(server: Server) -> None:
    with pytest.raises(TypeError, match=KEYWORD_OPTIONS.format(call="open_connection")):
        asyncio.run(open_connection(server.address, Options()))  # type: ignore[call-overload]


def test_serve_with_positional_options_names_the_keyword() -> None:
    with pytest.raises(TypeError, match=KEYWORD_OPTIONS.format(call="serve")):
        serve(("127.0.0.1", 0), echo, Options())  # type: ignore[call-overload]


def test_start_server_with_positional_options_names_the_keyword() -> None:
    async def main() -> None:
        await start_server(("127.0.0.1", 0), async_echo, Options())  # type: ignore[call-overload]

    with pytest.raises(TypeError, match=KEYWORD_OPTIONS.format(call="start_server")):
        asyncio.run(main())


def test_start_server_with_the_handler_first_and_options_names_the_right_call() -> None:
    async def main() -> None:
        await start_server(async_echo, "127.0.0.1", 0, Options())  # type: ignore[call-overload]

    with pytest.raises(TypeError, match=r"start_server\(\('127.0.0.1', 0\), handler"):
        asyncio.run(main())


def test_a_serial_link_with_positional_options_names_the_keyword() -> None:
    with pytest.raises(TypeError, match=KEYWORD_OPTIONS.format(call=r"SerialLink\.open")):
        SerialLink.open("loop://", 115200, Options())  # type: ignore[call-arg]


def test_the_options_are_still_taken_as_a_keyword(server: Server) -> None:
    with connect(server.address, options=Options()) as channel:
        channel.send(Message(0x40, b"hi"))
        assert channel.recv() == Message(0x40, b"hi")


# --- messages ----------------------------------------------------------------------------


def test_a_text_payload_is_refused_when_the_message_is_made() -> None:
    with pytest.raises(TypeError, match=r"payload must be bytes.*\.encode\(\)"):
        Message(0x41, "text")  # type: ignore[arg-type]


def test_a_bytes_like_payload_becomes_bytes() -> None:
    message = Message(0x41, bytearray(b"abc"))  # type: ignore[arg-type]
    assert type(message.payload) is bytes
    assert message == Message(0x41, b"abc")
    assert Message(0x41, memoryview(b"xyz")).payload == b"xyz"  # type: ignore[arg-type]


@pytest.mark.parametrize("flags", [16, -1])
def test_flags_outside_0_to_15_are_refused(flags: int) -> None:
    with pytest.raises(ValueError, match="application flags, 0 to 15"):
        Message(0x41, b"", flags)


@pytest.mark.parametrize("message_type", [256, -1])
def test_a_type_outside_a_byte_is_refused(message_type: int) -> None:
    with pytest.raises(ValueError, match="0 to 255"):
        Message(message_type, b"")


def test_send_given_bytes_names_the_fix(server: Server) -> None:
    with connect(server.address) as channel, pytest.raises(TypeError, match=r"Message\(0x40"):
        channel.send(b"raw")  # type: ignore[arg-type]


def test_the_session_refuses_what_is_not_a_message() -> None:
    with pytest.raises(TypeError, match=r"takes a framewire\.Message"):
        Session().send("text")  # type: ignore[arg-type]


# --- options -----------------------------------------------------------------------------


def test_options_take_the_framing_as_its_string() -> None:
    assert Options(framing="delimited").framing is Framing.DELIMITED  # type: ignore[arg-type]
    assert Options("length-prefixed") == Options()  # type: ignore[arg-type]


def test_an_unknown_framing_string_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="'length-prefixed' or 'delimited'"):
        Options(framing="cobs")  # type: ignore[arg-type]


# --- send(timeout=) in both APIs (spec/guide/errors.md, "A call's timeout") -------------

BIG = Message(0x40, bytes(16 * 1024 * 1024))
"""More than the socket buffers of both ends hold, so a peer that never reads stalls it."""

SMALL = Message(0x41, b"s")
"""A message the kernel takes whole or not at all over a Unix socket (one buffer)."""

NOT_SENT = "nothing of the message was sent; the connection is still usable"


class StallingPeer:
    """A peer on a Unix socket that does its handshake, then reads nothing until
    ``read_all`` is called; it then reads to the end and keeps the messages.

    A Unix socket takes a small message whole or not at all, so a sender can fill its
    buffers without ever cutting a frame: the test knows whether anything was written.
    """

    def __init__(self, path: str) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen()
        self.address = path
        self.go = threading.Event()
        self.received = bytearray()
        self.thread = threading.Thread(target=self._serve)
        self.thread.start()

    def _serve(self) -> None:
        sock, _ = self.listener.accept()
        with sock:
            sock.sendall(handshake_bytes(Framing.LENGTH_PREFIXED, Limits(max_message_size=0)))
            if not self.go.wait(20):
                return
            while chunk := sock.recv(1 << 20):
                self.received.extend(chunk)

    def read_all(self) -> None:
        self.go.set()

    def messages(self) -> list[Message]:
        """The messages received, once the sender has ended."""
        self.thread.join(20)
        return [event for event in events_in(bytes(self.received)) if isinstance(event, Message)]

    def close(self) -> None:
        self.go.set()
        self.thread.join(20)
        self.listener.close()


@pytest.fixture
def stalling_peer(tmp_path: Path) -> Iterator[StallingPeer]:
    peer = StallingPeer(str(tmp_path / "peer.sock"))
    yield peer
    peer.close()


def test_a_blocking_send_timeout_with_nothing_written_leaves_the_channel_usable(
    stalling_peer: StallingPeer,
) -> None:
    sent = 0
    with connect(stalling_peer.address) as channel:
        with pytest.raises(TimeoutError, match=NOT_SENT):  # noqa: PT012 (fills the buffers)
            for _ in range(1_000_000):
                channel.send(SMALL, timeout=0.2)
                sent += 1
        with pytest.raises(TimeoutError, match=NOT_SENT):  # not failed: it waits again
            channel.send(Message(0x42, b"late"), timeout=0.1)
        stalling_peer.read_all()
        channel.send(Message(0x43, b"last"), timeout=10)
    assert stalling_peer.messages() == [SMALL] * sent + [Message(0x43, b"last")]


def test_a_blocking_send_timeout_with_part_of_a_frame_written_fails_with_timeout(
    stalling_peer: StallingPeer,
) -> None:
    with connect(stalling_peer.address) as channel:
        with pytest.raises(LocalFailureError, match="part of the message written") as raised:
            channel.send(BIG, timeout=0.5)
        assert raised.value.code is ErrorCode.TIMEOUT
        with pytest.raises(LocalFailureError) as again:  # the channel is failed (FW-SES-4)
            channel.send(SMALL)
        assert again.value is raised.value


def test_an_asyncio_send_timeout_sends_nothing_and_leaves_the_channel_usable(
    stalling_peer: StallingPeer,
) -> None:
    async def main() -> None:
        channel = await open_connection(stalling_peer.address)
        await channel.send(BIG, timeout=0.5)  # handed to the transport whole
        with pytest.raises(TimeoutError, match=NOT_SENT):
            await channel.send(Message(0x42, b"late"), timeout=0.5)
        with pytest.raises(TimeoutError, match=NOT_SENT):  # not failed: it waits again
            await channel.send(Message(0x42, b"later"), timeout=0.1)
        stalling_peer.read_all()
        await channel.send(Message(0x43, b"last"), timeout=10)
        await channel.close()

    asyncio.run(main())
    assert stalling_peer.messages() == [BIG, Message(0x43, b"last")]


# --- TransportError is a ConnectionError -------------------------------------------------


def test_a_refused_connection_is_a_connection_error_with_its_errno() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        address = listener.getsockname()[:2]
    with pytest.raises(ConnectionError) as raised:  # what socket code already catches
        connect(address)
    assert isinstance(raised.value, TransportError)
    assert raised.value.errno == errno.ECONNREFUSED
    assert "connecting to" in str(raised.value)


def test_an_asyncio_refused_connection_is_a_connection_error_with_its_errno() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        address = listener.getsockname()[:2]
    with pytest.raises(ConnectionError) as raised:
        asyncio.run(open_connection(address))
    assert raised.value.errno == errno.ECONNREFUSED


# --- a timeout for the connect ----------------------------------------------------------


@pytest.fixture
def silent_listener() -> Iterator[tuple[str, int]]:
    """A TCP port where the kernel completes connections and nobody ever speaks."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield listener.getsockname()[:2]


def test_connect_takes_a_timeout(silent_listener: tuple[str, int]) -> None:
    started = time.monotonic()
    with pytest.raises(LocalFailureError, match=r"handshake deadline of 0\.5 s"):
        connect(silent_listener, timeout=0.5)
    assert time.monotonic() - started < 10  # the default handshake deadline is 10 s


def test_open_connection_takes_a_timeout(silent_listener: tuple[str, int]) -> None:
    started = time.monotonic()
    with pytest.raises(LocalFailureError, match=r"handshake deadline of 0\.5 s"):
        asyncio.run(open_connection(silent_listener, timeout=0.5))
    assert time.monotonic() - started < 10


# --- async with start_server(...), with or without await ---------------------------------


def test_start_server_works_in_async_with_without_await() -> None:
    async def main() -> Message | None:
        async with start_server(("127.0.0.1", 0), async_echo) as server:
            channel = await open_connection(server.address)
            async with channel:
                await channel.send(Message(0x40, b"hi"))
                return await channel.recv(timeout=5)

    assert asyncio.run(main()) == Message(0x40, b"hi")


def test_start_server_is_still_awaited_for_the_server() -> None:
    async def main() -> bool:
        server = await start_server(("127.0.0.1", 0), async_echo)
        async with server:
            return isinstance(server.address, tuple)

    assert asyncio.run(main())


# --- the frame size we send ---------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1 << 40])
def test_a_send_frame_size_out_of_range_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="send_frame_size"):
        Options(send_frame_size=size)


@pytest.mark.parametrize("size", [1, schema.MAX_FRAME_SIZE.maximum])
def test_a_send_frame_size_at_either_end_of_its_range_is_taken(size: int) -> None:
    """Frames may be split to a single byte (FW-LIM-12) and up to the largest frame."""
    assert Options(send_frame_size=size).send_frame_size == size


def test_a_boolean_send_frame_size_is_refused() -> None:
    with pytest.raises(TypeError, match="send_frame_size must be an int, not bool"):
        Options(send_frame_size=True)


def test_a_send_frame_size_that_is_not_an_int_is_refused() -> None:
    with pytest.raises(TypeError, match="send_frame_size must be an int, not str"):
        Options(send_frame_size="1024")  # type: ignore[arg-type]


# --- a plain client at a TLS port --------------------------------------------------------

PLAIN_ON_TLS = "as a TLS server does when a plain client connects"


@pytest.fixture
def tls_echo(tls_files: TlsFiles) -> Iterator[Server]:
    with serve(("127.0.0.1", 0), echo, ssl=tls_files.server()) as running:
        yield running


def test_a_plain_client_at_a_tls_port_is_told_so(tls_echo: Server) -> None:
    with pytest.raises(RemoteProtocolError, match=PLAIN_ON_TLS) as raised:
        connect(tls_echo.address, timeout=10)
    assert raised.value.code is ErrorCode.HANDSHAKE_INCOMPLETE


def test_an_asyncio_plain_client_at_a_tls_port_is_told_so(tls_echo: Server) -> None:
    with pytest.raises(RemoteProtocolError, match=PLAIN_ON_TLS):
        asyncio.run(open_connection(tls_echo.address, timeout=10))
