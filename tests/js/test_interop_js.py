"""Interop over real loopback sockets: the Python reference against the JavaScript implementation.

Both directions, in both framings, over TCP 127.0.0.1 and a Unix socket:

* a Python client (:func:`framewire.sync.connect`) against the JavaScript echo peer
  (``js/bin/echo-server.js``), and
* the JavaScript client ``js/bin/interop-client.js`` (``js/src/session.js``) against a
  Python server (:func:`framewire.sync.serve`) that echoes and records what it received.

Each side announces its own small MAX_FRAME_SIZE (777 and 1000), so the large messages
are split into many continuation frames both ways, and each side checks every message byte
for byte (type, application flags, payload size and SHA-256) in the direction it receives.
A relay (:class:`Tap`) records the wire in both directions, so the round trips also check
what the APIs cannot show: each sender's frames are the canonical split of FW-MSG-17 with
the C flag where it was asked for (FW-CRC-4), and delimited frames are canonical COBS
(FW-COB-1). Then each side is made to break the other's announced limits (FW-HEL-5,
FW-HEL-6): the receiver must refuse with ``frame-too-large`` or ``message-too-large`` in an
ERROR frame that reaches the sender (FW-ERR-1, FW-ERR-3), after delivering what came
before it; and each sender refuses locally what the other's HELLO does not allow.

Skipped only when ``node`` is not on PATH.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import random
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from helpers.io_peers import control_frames, raw_connect, read_to_eof
from helpers.js_peers import JS_BIN, NODE, WAIT, javascript_echo_server, node_address_args

from framewire import Deadlines, Encoder, Framing, Limits
from framewire.addresses import Address, address_family
from framewire.conformance import wire
from framewire.errors import MAX_REASON_BYTES, ErrorCode, RemoteProtocolError, UsageError
from framewire.events import Message, PeerHello
from framewire.options import Options
from framewire.sync import Channel, connect, serve

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not on PATH: the JavaScript peer cannot run"),
    pytest.mark.timeout(60),
]


PY_MAX_FRAME = 777
"""The Python side's MAX_FRAME_SIZE: odd, so the JavaScript sender's splits land off any
power of two."""
JS_MAX_FRAME = 1000
"""The JavaScript side's MAX_FRAME_SIZE, different from Python's so each direction splits
at its own receiver's limit."""
DEFAULT_MAX_MESSAGE = 16_777_216
"""MAX_MESSAGE_SIZE when a HELLO does not announce one (spec 6.3)."""

SMALL_FRAME = 256
"""The receiver's MAX_FRAME_SIZE in the refusal tests: the smallest allowed (FW-LIM-2)."""
SMALL_MESSAGE = 1024
"""The receiver's MAX_MESSAGE_SIZE in the refusal tests: four such frames."""

DEADLINES = Deadlines(handshake=5.0, frame=5.0, linger=1.0)
ERROR_TYPE = wire.ERROR
HELLO_TYPE = wire.HELLO
FLAG_C, FLAG_M, FLAG_N = wire.FLAG_C, wire.FLAG_M, wire.FLAG_N


def interop_messages() -> list[Message]:
    """The messages each test sends: every shape that has tripped a framer.

    Empty payloads, zero bytes and runs of non-zero bytes around COBS's 254-byte block
    (FW-COB-1), every application flag value (FW-FLG-2), and messages of one, exactly
    several and several-and-a-bit frames for either receiver, plus one of 1 MiB.
    """
    rng = random.Random(0x4657)
    messages = [
        Message(0x40, b""),
        Message(0xFF, b"", flags=15),
        Message(0x41, b"\x00"),
        Message(0x42, bytes(300), flags=1),
        *(Message(0x43, b"\xfe" * size, flags=size % 16) for size in (252, 253, 254, 255, 508)),
        Message(0x44, (b"\x01" * 254 + b"\x00") * 4, flags=2),
        Message(0x45, b"\x00" + b"\x7f" * 254 + b"\x00" + b"\x7f" * 254),
        *(Message(0x80 + flags, rng.randbytes(17 * flags), flags=flags) for flags in range(16)),
    ]
    for frame_size in (PY_MAX_FRAME, JS_MAX_FRAME):
        for size in (frame_size, 3 * frame_size, 5 * frame_size + 37):
            messages.append(Message(0x60, rng.randbytes(size), flags=size % 16))
    messages.append(Message(0xC0, rng.randbytes((1 << 20) + 3), flags=6))
    return messages


def digest(message: Message) -> dict[str, object]:
    """What both sides compare: type, flags, size and SHA-256 of the payload, in the shape
    interop-client.js reports (the hash keeps a failing 1 MiB comparison readable)."""
    return {
        "type": message.type,
        "flags": message.flags,
        "size": len(message.payload),
        "sha256": hashlib.sha256(message.payload).hexdigest(),
    }


def digests(messages: Sequence[Message]) -> list[dict[str, object]]:
    return [digest(message) for message in messages]


# -- what went on the wire --------------------------------------------------------------


class Tap:
    """A relay between a client and the server under test that records both directions.

    The codec hides the C, M and N flags from its users (FW-FLG-3), so only the wire bytes
    show whether a sender really checksummed and split its messages as it should. Each
    direction's end of input is passed on as a half-close, so the clean end still runs
    from end to end.
    """

    def __init__(self, listen: Address, upstream: Address) -> None:
        self._listener = socket.socket(address_family(listen), socket.SOCK_STREAM)
        self._listener.bind(listen)
        self._listener.listen(1)
        self._listener.settimeout(WAIT)
        name = self._listener.getsockname()
        self.address: Address = name if isinstance(name, str) else (name[0], name[1])
        self._upstream = upstream
        self.to_server = bytearray()
        self.to_client = bytearray()
        self._thread = threading.Thread(target=self._relay, daemon=True)
        self._thread.start()

    def _relay(self) -> None:
        with self._listener:
            client = self._listener.accept()[0]
        upstream = raw_connect(self._upstream, Framing.LENGTH_PREFIXED, send_handshake=False)
        with client, upstream:
            for sock in (client, upstream):
                sock.settimeout(WAIT)
            pumps = [
                threading.Thread(target=_pump, args=(client, upstream, self.to_server)),
                threading.Thread(target=_pump, args=(upstream, client, self.to_client)),
            ]
            for pump in pumps:
                pump.start()
            for pump in pumps:
                pump.join(WAIT)

    def wait(self) -> None:
        """Wait until both directions have ended."""
        self._thread.join(WAIT)
        assert not self._thread.is_alive(), "the relayed connection did not end"


def _pump(source: socket.socket, sink: socket.socket, record: bytearray) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            record += chunk
            sink.sendall(chunk)
        sink.shutdown(socket.SHUT_WR)


def tap_address(address: Address) -> Address:
    """Where the tap listens: the same kind of socket as the server under test."""
    return f"{address}.tap" if isinstance(address, str) else ("127.0.0.1", 0)


def wire_frames(stream: bytes | bytearray, framing: Framing) -> list[tuple[int, int, int]]:
    """``(flags, type, length)`` of every frame of one direction of a session, read from
    its wire bytes by the wire oracle; in delimited framing each frame's COBS must be the
    canonical one (FW-COB-1)."""
    assert stream.startswith(wire.preface(framing.value))
    body = bytes(stream[wire.PREFACE_SIZE :])
    if framing is Framing.DELIMITED:
        assert body.endswith(b"\x00")
        for encoded in filter(None, body.split(b"\x00")):
            assert wire.cobs_encode(wire.cobs_decode(encoded) or b"") == encoded
    frames, tail, problem = wire.read_frames(body, framing.value)
    assert (tail, problem) == (b"", None)
    return [(frame.flags, frame.type, len(frame.payload)) for frame in frames]


def canonical_frames(
    messages: Sequence[Message], max_frame_size: int, checksummed: Callable[[int], bool]
) -> list[tuple[int, int, int]]:
    """``(flags, type, length)`` of the data frames of FW-MSG-17's canonical encoding:
    frames of exactly ``max_frame_size``, the remainder last, one empty frame for an empty
    payload; C on every frame of message ``i`` when ``checksummed(i)``."""
    headers = []
    for index, message in enumerate(messages):
        size = len(message.payload)
        lengths = [max_frame_size] * (size // max_frame_size)
        if size % max_frame_size or size == 0:
            lengths.append(size % max_frame_size)
        checksum = FLAG_C if checksummed(index) else 0
        for position, length in enumerate(lengths):
            more = FLAG_M if position < len(lengths) - 1 else 0
            continuation = FLAG_N if position > 0 else 0
            flags = message.flags << wire.APPLICATION_FLAGS_SHIFT | checksum | more | continuation
            headers.append((flags, message.type, length))
    return headers


def data_frames(stream: bytes | bytearray, framing: Framing) -> list[tuple[int, int, int]]:
    """The data frames of one direction (after checking that it carries no ERROR)."""
    frames = wire_frames(stream, framing)
    assert ERROR_TYPE not in [frame_type for _, frame_type, _ in frames]
    return [header for header in frames if header[1] >= wire.DATA]


def always(_index: int) -> bool:
    return True


def javascript_checksum(index: int) -> bool:
    """Whether interop-client.js checksums message ``index``: every other one, so that a
    receiver sees frames with and without a trailer, mixed (FW-CRC-4)."""
    return index % 2 == 0


# -- the JavaScript echo server ---------------------------------------------------------


# -- the JavaScript client --------------------------------------------------------------


def run_javascript_client(
    address: Address,
    framing: Framing,
    messages: Sequence[Message],
    script: Path,
    *options: str,
) -> dict[str, Any]:
    """Run interop-client.js against ``address`` with ``messages`` and return its report."""
    assert NODE is not None
    script.write_text(
        json.dumps(
            [
                {
                    "type": message.type,
                    "flags": message.flags,
                    "checksum": javascript_checksum(index),
                    "payload": base64.b64encode(message.payload).decode("ascii"),
                }
                for index, message in enumerate(messages)
            ]
        )
    )
    completed = subprocess.run(
        [
            NODE,
            str(JS_BIN / "interop-client.js"),
            *node_address_args(address),
            "--framing",
            framing.value,
            "--messages",
            str(script),
            "--deadline",
            str(int(WAIT * 1000)),
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=WAIT + 5,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report: dict[str, Any] = json.loads(completed.stdout)
    return report


class EchoRecorder:
    """The Python server's application: echo each message and record what arrived, and
    whether the peer's direction ended cleanly or with an error."""

    def __init__(self) -> None:
        self.received: list[Message] = []
        self.clean_end = False
        self.error: BaseException | None = None
        self.done = threading.Event()

    def __call__(self, channel: Channel) -> None:
        try:
            for message in channel:
                self.received.append(message)
                channel.send(message)
            self.clean_end = True
        except BaseException as error:
            self.error = error
            raise
        finally:
            self.done.set()


# -- round trips ------------------------------------------------------------------------


def test_python_client_round_trips_through_javascript_server(
    address: Address, framing: Framing
) -> None:
    """Python sends (with CRC-32C) to the JavaScript echo peer, which echoes with CRC-32C
    too; Python half-closes, and gets every message back byte for byte, then the peer's
    clean end (FW-CLS-2, FW-CLS-3)."""
    messages = interop_messages()
    js_options = ("--max-frame-size", str(JS_MAX_FRAME), "--checksum")
    with javascript_echo_server(address, framing, *js_options) as server:
        tap = Tap(tap_address(server.address), server.address)
        with connect(
            tap.address,
            options=Options(framing, limits=Limits(max_frame_size=PY_MAX_FRAME), checksum=True),
            deadlines=DEADLINES,
        ) as channel:
            assert channel.peer_limits == PeerHello(JS_MAX_FRAME, DEFAULT_MAX_MESSAGE)
            started = time.monotonic()
            round_trip = channel.ping(timeout=WAIT)
            assert 0 < round_trip <= time.monotonic() - started
            for message in messages:
                channel.send(message, timeout=WAIT)
            channel.close_write()
            echoed = []
            while (reply := channel.recv(timeout=WAIT)) is not None:
                echoed.append(reply)
        tap.wait()
    assert digests(echoed) == digests(messages)
    assert server.log == ""  # the echo peer logs every error it sees
    sent = data_frames(tap.to_server, framing)
    assert sent == canonical_frames(messages, JS_MAX_FRAME, always)
    echoes = data_frames(tap.to_client, framing)
    assert echoes == canonical_frames(messages, PY_MAX_FRAME, always)


def test_javascript_client_round_trips_through_python_server(
    address: Address, framing: Framing, tmp_path: Path
) -> None:
    """The JavaScript client sends (CRC-32C on every other message) to a Python echo server,
    half-closes, and gets every message back; each side checks what it received."""
    messages = interop_messages()
    recorder = EchoRecorder()
    with serve(
        address,
        recorder,
        options=Options(framing, limits=Limits(max_frame_size=PY_MAX_FRAME), checksum=True),
        deadlines=DEADLINES,
    ) as server:
        tap = Tap(tap_address(server.address), server.address)
        started = time.monotonic()
        report = run_javascript_client(
            tap.address,
            framing,
            messages,
            tmp_path / "messages.json",
            "--max-frame-size",
            str(JS_MAX_FRAME),
        )
        elapsed_ms = (time.monotonic() - started) * 1000
        assert recorder.done.wait(WAIT)
        tap.wait()
    assert server.errors == []
    assert recorder.clean_end  # the Python side saw the JavaScript half-close as a clean end
    assert digests(recorder.received) == digests(messages)
    assert report["peer"] == {"maxFrameSize": PY_MAX_FRAME, "maxMessageSize": DEFAULT_MAX_MESSAGE}
    assert 0 < report["pingMs"] <= elapsed_ms
    assert report["sendError"] is None
    assert report["failure"] is None
    assert report["cleanEnd"] is True
    assert report["received"] == digests(messages)
    sent = data_frames(tap.to_server, framing)
    assert sent == canonical_frames(messages, PY_MAX_FRAME, javascript_checksum)
    echoes = data_frames(tap.to_client, framing)
    assert echoes == canonical_frames(messages, JS_MAX_FRAME, always)


# -- refusals: a sender that breaks the receiver's announced limits ---------------------

BEFORE_THE_FAULT = Message(0x40, b"delivered before the fault\x00", flags=5)
"""Sent first in each refusal test: it must be delivered and echoed before the ERROR."""


class Breach(NamedTuple):
    """A message that breaks a receiver's limits of SMALL_FRAME and SMALL_MESSAGE, and how
    a misbehaving sender frames it."""

    message: Message
    split_at: int
    """The frame size the sender splits the message at."""
    pretend: tuple[str, str]
    """The interop-client.js option that makes the JavaScript sender send it so."""


BREACHES = {
    # One frame of 1000 bytes against a MAX_FRAME_SIZE of 256 (FW-LEN-3, FW-DLM-4).
    ErrorCode.FRAME_TOO_LARGE: Breach(
        Message(0x41, random.Random(1).randbytes(1000)),
        1 << 20,
        ("--pretend-peer-max-frame-size", str(1 << 20)),
    ),
    # Five frames of 256 bytes against a MAX_MESSAGE_SIZE of 1024: the fifth is refused
    # from its header (FW-MSG-10).
    ErrorCode.MESSAGE_TOO_LARGE: Breach(
        Message(0x41, random.Random(2).randbytes(5 * SMALL_FRAME)),
        SMALL_FRAME,
        ("--pretend-peer-max-message-size", "0"),
    ),
}
FAULTS = list(BREACHES)
FAULT_IDS = [code.wire_name for code in FAULTS]
SMALL_LIMITS = Limits(max_frame_size=SMALL_FRAME, max_message_size=SMALL_MESSAGE)
SMALL_LIMIT_ARGS = ("--max-frame-size", str(SMALL_FRAME), "--max-message-size", str(SMALL_MESSAGE))


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_python_server_refuses_javascript_sender_over_its_limits(
    address: Address, framing: Framing, tmp_path: Path, fault: ErrorCode
) -> None:
    """A JavaScript sender that ignores the Python HELLO gets the echo of what came before,
    then the ERROR with the code and name (FW-ERR-3); Python reports the same error."""
    recorder = EchoRecorder()
    breach = BREACHES[fault]
    with serve(
        address, recorder, options=Options(framing, limits=SMALL_LIMITS), deadlines=DEADLINES
    ) as server:
        report = run_javascript_client(
            server.address,
            framing,
            [BEFORE_THE_FAULT, breach.message],
            tmp_path / "messages.json",
            *breach.pretend,
        )
        assert recorder.done.wait(WAIT)
    assert isinstance(recorder.error, RemoteProtocolError)
    assert recorder.error.code is fault
    assert [type(error) for error in server.errors] == [type(recorder.error)]
    assert recorder.received == [BEFORE_THE_FAULT]
    assert report["received"] == [digest(BEFORE_THE_FAULT)]
    failure = report["failure"]
    assert failure is not None
    assert (failure["code"], failure["name"], failure["remote"]) == (
        int(fault),
        fault.wire_name,
        True,
    )
    assert len(failure["reason"].encode()) <= MAX_REASON_BYTES  # FW-ERR-2
    assert report["cleanEnd"] is False


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_javascript_server_refuses_python_sender_over_its_limits(
    address: Address, framing: Framing, fault: ErrorCode
) -> None:
    """A raw Python sender that ignores the JavaScript HELLO gets the echo of what came
    before, then an ERROR with the code, then the JavaScript half-close (FW-SES-3)."""
    breach = BREACHES[fault]
    sent = Encoder(framing).encode(BEFORE_THE_FAULT) + Encoder(
        framing, max_frame_size=breach.split_at
    ).encode(breach.message)
    with (
        javascript_echo_server(address, framing, *SMALL_LIMIT_ARGS) as server,
        contextlib.closing(raw_connect(server.address, framing)) as sock,
    ):
        sock.sendall(sent)
        stream = read_to_eof(sock, WAIT)
        sock.setblocking(False)
        assert sock.recv(1) == b""  # end of input, not a deadline or a reset
    assert stream.startswith(Encoder.preface(framing))
    received = control_frames(stream, framing)
    assert [message.type for message in received] == [HELLO_TYPE, 0x40, ERROR_TYPE]
    assert hello_settings(received[0].payload) == SMALL_LIMITS.as_settings()
    assert received[1] == BEFORE_THE_FAULT
    assert int.from_bytes(received[2].payload[: wire.ERROR_CODE_SIZE]) == int(fault)
    reason = received[2].payload[2:]
    assert len(reason) <= MAX_REASON_BYTES
    reason.decode("utf-8")  # raises unless valid UTF-8 (FW-ERR-2)
    assert fault.wire_name in server.log


def hello_settings(payload: bytes) -> dict[int, int]:
    """The settings of a HELLO payload (spec 6.3)."""
    return dict(wire.SETTING.iter_unpack(payload))


# -- local refusals: each sender honours the other's announced message limit -------------


def test_python_sender_honours_javascript_message_limit(address: Address, framing: Framing) -> None:
    """Python refuses, locally and before any frame goes out, a message above the JavaScript
    MAX_MESSAGE_SIZE (FW-HEL-5, FW-ERR-7); the connection stays usable."""
    too_large = Message(0x40, bytes(SMALL_MESSAGE + 1))
    with (
        javascript_echo_server(address, framing, *SMALL_LIMIT_ARGS) as server,
        connect(server.address, options=Options(framing), deadlines=DEADLINES) as channel,
    ):
        assert channel.peer_limits == PeerHello(SMALL_FRAME, SMALL_MESSAGE)
        with pytest.raises(UsageError, match=r"MAX_MESSAGE_SIZE 1024 .*FW-HEL-5"):
            channel.send(too_large)
        channel.send(BEFORE_THE_FAULT)
        channel.close_write()
        assert channel.recv(timeout=WAIT) == BEFORE_THE_FAULT
        assert channel.recv(timeout=WAIT) is None
    assert server.log == ""


def test_javascript_sender_honours_python_message_limit(
    address: Address, framing: Framing, tmp_path: Path
) -> None:
    """The JavaScript client refuses a message above the Python MAX_MESSAGE_SIZE locally;
    nothing of it reaches Python, and both directions still end cleanly."""
    recorder = EchoRecorder()
    too_large = Message(0x40, bytes(SMALL_MESSAGE + 1))
    with serve(
        address, recorder, options=Options(framing, limits=SMALL_LIMITS), deadlines=DEADLINES
    ) as server:
        report = run_javascript_client(
            server.address, framing, [too_large], tmp_path / "messages.json"
        )
        assert recorder.done.wait(WAIT)
    assert report["peer"] == {"maxFrameSize": SMALL_FRAME, "maxMessageSize": SMALL_MESSAGE}
    assert "MAX_MESSAGE_SIZE" in report["sendError"]
    assert report["failure"] is None
    assert report["cleanEnd"] is True
    assert recorder.clean_end
    assert recorder.received == []
    assert server.errors == []
