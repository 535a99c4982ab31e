"""The commonest mistakes are named in the error text, over real loopback sockets.

A server meets a client of the other framing, a TLS client, an HTTP client and a client
that sends nothing; the error each connection ends with must say which it was, keep its
registry code, and (for the connection log) become one line on the
``framewire.connections`` logger.
"""

from __future__ import annotations

import logging

import pytest
from helpers.io_peers import FAST, check_connection_log, echo, raw_connect, read_to_eof
from helpers.polling import wait_until
from hypothesis import given
from hypothesis import strategies as st

from framewire import Encoder, Framing, Limits
from framewire._codec import schema
from framewire._codec.diagnosis import explain_preface
from framewire._io.connlog import LOGGER_NAME
from framewire.addresses import Address
from framewire.conformance import wire
from framewire.errors import ErrorCode, LocalFailureError, RemoteProtocolError, UsageError
from framewire.events import Message, PeerHello
from framewire.options import Options
from framewire.session import Session
from framewire.sync import Server, connect, serve

pytestmark = pytest.mark.timeout(30)

TLS_CLIENT_HELLO_START = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01])
"""The first bytes of a TLS 1.2/1.3 ClientHello record."""


def _first_error(server: Server) -> BaseException:
    """The first connection the server failed, once it has recorded one."""
    return wait_until(lambda: server.errors, what="the server fails the connection")[0]


def _server_error_for(address: Address, framing: Framing, sent: bytes) -> BaseException:
    with serve(address, echo, options=Options(framing), deadlines=FAST) as server:
        with raw_connect(server.address, framing, send_handshake=False) as sock:
            sock.sendall(sent)
            read_to_eof(sock)
        return _first_error(server)


def _other(framing: Framing) -> Framing:
    return next(other for other in Framing if other is not framing)


def test_framing_mismatch_names_both_framings(address: Address, framing: Framing) -> None:
    other = _other(framing)
    error = _server_error_for(address, framing, Encoder.preface(other))
    assert isinstance(error, RemoteProtocolError)
    assert error.code is ErrorCode.BAD_PREFACE
    assert error.statement == "FW-PRE-2"
    assert error.detail.startswith(
        f"framing mismatch: the peer uses {other.value} framing, this side {framing.value}"
    )


def test_the_client_of_the_other_framing_is_told_too(address: Address, framing: Framing) -> None:
    other = _other(framing)
    with (
        serve(address, echo, options=Options(framing), deadlines=FAST) as server,
        pytest.raises(RemoteProtocolError, match=f"the peer uses {framing.value} framing"),
    ):
        connect(server.address, options=Options(other), deadlines=FAST)


def test_a_tls_client_is_recognised(address: Address) -> None:
    error = _server_error_for(address, Framing.LENGTH_PREFIXED, TLS_CLIENT_HELLO_START)
    assert isinstance(error, RemoteProtocolError)
    assert error.code is ErrorCode.BAD_PREFACE
    assert "the peer sent a TLS handshake" in error.detail


@pytest.mark.parametrize("request_line", [b"GET / HTTP/1.1\r\n", b"POST /x HTTP/1.1\r\n"])
def test_an_http_client_is_recognised(address: Address, request_line: bytes) -> None:
    error = _server_error_for(address, Framing.LENGTH_PREFIXED, request_line + b"\r\n")
    assert isinstance(error, RemoteProtocolError)
    assert error.code is ErrorCode.BAD_PREFACE
    method = request_line.split()[0].decode()
    assert f"the peer sent an HTTP request ({method})" in error.detail


def test_a_silent_peer_is_named_once_in_the_timeout(address: Address) -> None:
    with serve(address, echo, deadlines=FAST) as server:
        with raw_connect(server.address, Framing.LENGTH_PREFIXED, send_handshake=False) as sock:
            read_to_eof(sock)
        error = _first_error(server)
    assert isinstance(error, LocalFailureError)  # our deadline, not the peer's fault
    assert error.code is ErrorCode.TIMEOUT
    assert "the peer sent nothing" in error.detail
    assert str(error).count("FW-LIM-6") == 1
    assert error.error_frame_reason().count("FW-LIM-6") == 1


def test_a_frame_over_the_announced_limit_says_both_sizes() -> None:
    session = Session(Options(limits=Limits(max_frame_size=65536)))
    session.receive_data(Encoder.preface(Framing.LENGTH_PREFIXED) + Encoder().hello(Limits()))
    header = schema.HEADER_STRUCT.pack(schema.MAGIC, schema.VERSION, 0, 0x40, 1 << 20)
    session.receive_data(header)
    defaults = Limits()
    assert session.next_event() == PeerHello(defaults.max_frame_size, defaults.max_message_size)
    with pytest.raises(RemoteProtocolError) as caught:
        session.next_event()
    assert caught.value.code is ErrorCode.FRAME_TOO_LARGE
    assert "1048576 bytes (1 MiB)" in caught.value.detail
    assert "MAX_FRAME_SIZE 65536 (64 KiB)" in caught.value.detail


def test_a_message_over_the_peers_limit_says_what_the_peer_announced() -> None:
    session = Session()
    session.receive_data(
        Encoder.preface(Framing.LENGTH_PREFIXED)
        + Encoder().hello(Limits(max_frame_size=16384, max_message_size=65536))
    )
    session.next_event()
    with pytest.raises(UsageError, match=r"the peer announced MAX_MESSAGE_SIZE 65536 "):
        session.send(Message(0x40, bytes(1 << 20)))


@given(st.binary(min_size=1, max_size=8))
def test_every_bad_preface_gets_a_cause_and_the_raw_fact(received: bytes) -> None:
    expected = Encoder.preface(Framing.LENGTH_PREFIXED)
    if expected.startswith(received):
        return  # not a bad preface (yet)
    detail = explain_preface(received, Framing.LENGTH_PREFIXED)
    assert detail.endswith(")")
    assert "preface byte " in detail
    assert "\n" not in detail


def test_connection_log_lines(address: Address, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    with serve(address, echo, deadlines=FAST) as server:
        with connect(server.address, deadlines=FAST) as client:
            client.send(Message(0x40, b"hi"))
            assert client.recv(timeout=5.0) == Message(0x40, b"hi")
        with raw_connect(server.address, Framing.DELIMITED, send_handshake=False) as sock:
            sock.sendall(Encoder.preface(Framing.DELIMITED))
            read_to_eof(sock)
        _first_error(server)
        server.shutdown()
    check_connection_log(caplog, address)


def test_encoder_refuses_a_malformed_control_message() -> None:
    with pytest.raises(UsageError, match="HELLO payload of 1 bytes"):
        Encoder().encode(Message(schema.TYPE_HELLO, b"x"))
    with pytest.raises(UsageError, match="PING payload is 3 bytes"):
        Encoder().encode(Message(schema.TYPE_PING, b"abc"))
    ping = Encoder().encode(Message(schema.TYPE_PING, bytes(8)))
    assert ping == wire.frame(schema.TYPE_PING, bytes(8))  # the oracle's bytes of that PING


def test_registry_codes_are_unchanged_by_diagnosis() -> None:
    error = RemoteProtocolError(ErrorCode.BAD_PREFACE, explain_preface(b"GET ", Framing.DELIMITED))
    assert (int(error.code), error.name, error.statement) == (300, "bad-preface", "FW-PRE-2")


def test_message_repr_is_bounded() -> None:
    big = Message(0x40, bytes(3000), flags=1)
    text = repr(big)
    assert len(text) < 250
    assert "3000 bytes" in text
    assert repr(Message(0x40, b"hi", 3)) == "Message(type=64, payload=b'hi', flags=3)"
