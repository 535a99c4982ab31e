"""Helpers for the transport, CLI and demo tests: raw socket peers on real loopback sockets.

A *raw peer* is a plain socket that speaks Framewire by hand (bytes built with the
codec's Encoder), so a test can misbehave in exactly one way: stall mid-frame, reset,
send a 4 GiB header. Nothing here mocks the socket layer.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from framewire import Deadlines, Decoder, Encoder, Framing, Limits
from framewire._io.connlog import LOGGER_NAME
from framewire.addresses import Address
from framewire.aio import AsyncChannel
from framewire.conformance import wire
from framewire.events import END, NEED_DATA, Message, Sentinel
from framewire.options import Options
from framewire.session import Session, SessionEvent
from framewire.sync import Channel

FAST = Deadlines(handshake=0.5, frame=0.3, linger=0.2)
"""Short deadlines so that a test of an expiry takes a fraction of a second."""

DATA = 0x40


def addresses(tmp_path: Path) -> Iterator[Address]:
    """A TCP loopback address (free port) and a Unix socket path in ``tmp_path``."""
    yield ("127.0.0.1", 0)
    yield str(tmp_path / "fw.sock")


def handshake_bytes(framing: Framing, limits: Limits | None = None) -> bytes:
    """Our preface and HELLO, as a conforming peer sends them first (FW-SES-1)."""
    encoder = Encoder(framing)
    return Encoder.preface(framing) + encoder.hello(limits or Limits())


def frame(framing: Framing, flags: int, frame_type: int, payload: bytes) -> bytes:
    """One raw frame with exactly these flags (no rule checked)."""
    return Encoder(framing).frame(flags, frame_type, payload)


def raw_connect(
    address: Address, framing: Framing, *, send_handshake: bool = True
) -> socket.socket:
    """A plain socket connected to ``address``, optionally after sending the handshake."""
    if isinstance(address, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(address)
    else:
        sock = socket.create_connection(address)
    sock.settimeout(5.0)
    if send_handshake:
        sock.sendall(handshake_bytes(framing))
    return sock


def read_to_eof(sock: socket.socket, limit: float = 5.0) -> bytes:
    """Everything the peer sends until it half-closes (or resets) or ``limit`` expires."""
    chunks = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def control_frames(stream: bytes, framing: Framing) -> list[Message]:
    """Decode what a session sent (after its 8-byte preface) into raw frames as Messages."""
    decoder = Decoder(framing, recover=False)
    decoder.feed(stream[wire.PREFACE_SIZE :])
    decoder.feed_eof()
    messages = []
    while not isinstance(event := decoder.next_event(), Sentinel):
        assert isinstance(event, Message)
        messages.append(event)
    assert event is END
    return messages


def error_code_sent(stream: bytes, framing: Framing) -> int | None:
    """The code of the ERROR frame in a session's output, if it sent one."""
    for message in control_frames(stream, framing):
        if message.type == wire.ERROR:
            return int.from_bytes(message.payload[: wire.ERROR_CODE_SIZE], "big")
    return None


def reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the kernel sends RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def echo(channel: Channel) -> None:
    """The blocking echo handler: every message back as it came, until the peer ends."""
    for message in channel:
        channel.send(message)


async def async_echo(channel: AsyncChannel) -> None:
    """The asyncio echo handler: every message back as it came, until the peer ends."""
    async for message in channel:
        await channel.send(message)


def check_connection_log(caplog: pytest.LogCaptureFixture, address: Address) -> None:
    """The log lines of a server that had one echo exchange on its first connection and
    a delimited preface on its second (``framewire._io.connlog``): the same for both servers."""
    lines = [record.getMessage() for record in caplog.records if record.name == LOGGER_NAME]
    peer = "unix" if isinstance(address, str) else "127.0.0.1:"
    assert lines[0].startswith(f"conn 1 accepted peer={peer}")
    assert lines[1] == (
        "conn 1 handshake framing=length-prefixed peer_max_frame_size=1048576 "
        "peer_max_message_size=16777216"
    )
    assert "conn 1 ended clean" in lines
    ended = next(line for line in lines if line.startswith("conn 2 ended"))
    assert ended.startswith("conn 2 ended error=bad-preface code=300 statement=FW-PRE-2 reason=")
    assert "framing mismatch" in ended


def events_in(received: bytes, *, streaming: bool = False) -> list[SessionEvent]:
    """The session events a peer gets from ``received``, everything a sender wrote up to
    its end (no size limit on messages), checked to end on a frame boundary."""
    session = Session(Options(limits=Limits(max_message_size=0)), streaming=streaming)
    session.receive_data(received)
    session.receive_eof()
    events = []
    while (event := session.next_event()) is not END:
        assert event is not NEED_DATA, "the bytes end part-way through a frame"
        events.append(event)
    return events
