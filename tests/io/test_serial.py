"""framewire.serial and ``framewire send/listen/inspect --serial``: over pyserial's
``loop://`` and over real pseudo-terminals joined by a relay (tests/helpers/serial_line.py),
with readers that join mid-stream and lines that damage bytes."""

from __future__ import annotations

import fcntl
import json
import os
import select
import struct
import subprocess
import sys
import termios
import threading
import time
import tty
from pathlib import Path

import pytest
import serial
from helpers.serial_line import SerialLine, overwrite
from hypothesis import given, settings
from hypothesis import strategies as st

from framewire import Encoder, Framing, Limits
from framewire.errors import ErrorCode, RemoteProtocolError
from framewire.events import FrameDropped, Message
from framewire.options import Options
from framewire.serial import SerialLink

DEADLINE = 10.0
"""Seconds any wait in these tests may take; each normally takes milliseconds."""

MESSAGES = [
    Message(0x40, b"hello"),
    Message(0x41, bytes(range(256)) * 3, flags=5),  # zeros, and three frames at 256
    Message(0x42, b""),
    Message(0x43, b"\x00" * 40, flags=15),
]


def loop_link(**options: object) -> SerialLink:
    return SerialLink(serial.serial_for_url("loop://"), **options)  # type: ignore[arg-type]


def receive_all(link: SerialLink, count: int) -> list[Message | FrameDropped]:
    """``count`` events, each within the deadline."""
    return [event for _ in range(count) if (event := link.recv(DEADLINE)) is not None]


# --- the link over loop:// ----------------------------------------------------------


@pytest.mark.parametrize("checksum", [False, True])
@pytest.mark.parametrize("framing", list(Framing), ids=[f.value for f in Framing])
def test_loop_round_trip_is_byte_exact(framing: Framing, checksum: bool) -> None:
    with loop_link(options=Options(framing, Limits(max_frame_size=256), checksum)) as link:
        for message in MESSAGES:
            link.send(message)
        assert receive_all(link, len(MESSAGES)) == MESSAGES


def test_loop_recv_times_out_and_stays_usable() -> None:
    with loop_link() as link:
        with pytest.raises(TimeoutError):
            link.recv(0.05)
        link.send(MESSAGES[0])
        assert link.recv(DEADLINE) == MESSAGES[0]


def test_first_send_starts_with_a_lone_delimiter() -> None:
    """FW-DLM-1's lone 0x00: a peer that hunts keeps our first frame."""
    port = serial.serial_for_url("loop://")
    link = SerialLink(port)
    link.send(MESSAGES[0])
    link.send(MESSAGES[0])
    encoded = Encoder(Framing.DELIMITED).encode(MESSAGES[0])
    assert link.read_raw(DEADLINE) == b"\x00" + encoded + encoded


def test_session_profile_over_loop_talks_to_itself() -> None:
    """On loop:// the link hears its own preface and HELLO: a session with itself."""
    with loop_link(session=True) as link:
        link.handshake(DEADLINE)
        link.send(MESSAGES[1])
        assert link.recv(DEADLINE) == MESSAGES[1]


def test_session_profile_refuses_hunting() -> None:
    with pytest.raises(Exception, match="hunting"):
        loop_link(session=True, hunting=True)


# --- damaged lines: only the frames touched are lost ----------------------------------


def frames_and_spans(messages: list[Message]) -> tuple[bytes, list[tuple[int, int]]]:
    """The stream a SerialLink sends (lead-in 0x00, then one checksummed frame each),
    and each frame's span [start, end) including its delimiter."""
    encoder = Encoder(Framing.DELIMITED, checksum=True)
    stream = bytearray(b"\x00")
    spans = []
    for message in messages:
        start = len(stream)
        stream += encoder.encode(message)
        spans.append((start, len(stream)))
    return bytes(stream), spans


def survivors(
    messages: list[Message], spans: list[tuple[int, int]], start: int, end: int
) -> list[Message]:
    """The messages a receiver must still get when bytes [start, end) were replaced: those
    whose own bytes were untouched and whose preceding delimiter survived."""
    kept = []
    for index, (first, last) in enumerate(spans):
        before = first - 1  # the delimiter that ends the previous frame (or the leading 0x00)
        if last <= start or (first > end and before >= end):
            kept.append(messages[index])
    return kept


@settings(max_examples=60, deadline=None)
@given(
    payloads=st.lists(st.binary(max_size=60), min_size=3, max_size=8),
    data=st.data(),
)
def test_corrupted_stretch_costs_only_the_frames_it_touched(
    payloads: list[bytes], data: st.DataObject
) -> None:
    messages = [Message(0x40 + index, payload) for index, payload in enumerate(payloads)]
    stream, spans = frames_and_spans(messages)
    start = data.draw(st.integers(spans[0][1], len(stream) - 1), label="start")
    junk = data.draw(st.binary(min_size=1, max_size=min(20, len(stream) - start)), label="junk")
    damaged = overwrite(start, junk)(0, stream)
    if damaged == stream:
        return  # the junk happened to equal the bytes it replaced
    sentinel = Message(0xFF, b"end of test")
    port = serial.serial_for_url("loop://")
    # A lone 0x00, then an intact frame: whatever the junk did, this one must arrive.
    port.write(damaged + b"\x00" + Encoder(Framing.DELIMITED, checksum=True).encode(sentinel))
    with SerialLink(port, options=Options(Framing.DELIMITED, checksum=True)) as link:
        events: list[Message | FrameDropped | None] = []
        while not events or events[-1] != sentinel:
            events.append(link.recv(DEADLINE))
    events.pop()
    delivered = [event for event in events if isinstance(event, Message)]
    assert delivered == survivors(messages, spans, start, start + len(junk))
    # the junk is drawn at random: how many frames it breaks or makes depends on its bytes,
    # but it changed at least one, and a changed frame is dropped, never delivered
    assert any(isinstance(event, FrameDropped) for event in events)


# --- real pseudo-terminals ------------------------------------------------------------


def test_reader_joining_mid_stream_hunts_to_the_next_frame() -> None:
    """A port opened while a frame is on the line (FW-DLM-8): its tail is skipped silently."""
    encoder = Encoder(Framing.DELIMITED)
    frames = [encoder.encode(message) for message in MESSAGES]
    with SerialLine() as line, SerialLink.open(line.ports[0]) as reader:
        sender = os.open(line.ports[1], os.O_RDWR | os.O_NOCTTY)
        try:
            os.write(sender, frames[0][5:] + b"".join(frames[1:]))
            assert receive_all(reader, 3) == MESSAGES[1:]
        finally:
            os.close(sender)


def test_pty_link_reports_damage_and_resynchronises() -> None:
    messages = [Message(0x40, bytes([n]) * 30) for n in range(1, 7)]
    _, spans = frames_and_spans(messages)
    start, junk = spans[2][0] + 4, b"\xff\x00\x13"  # inside the third frame, with a 0x00
    with (
        SerialLine(overwrite(start, junk)) as line,
        SerialLink.open(line.ports[0], options=Options(Framing.DELIMITED, checksum=True)) as reader,
        SerialLink.open(line.ports[1], options=Options(Framing.DELIMITED, checksum=True)) as writer,
    ):
        for message in messages:
            writer.send(message)
        events = receive_all(reader, 7)
    dropped = [event for event in events if isinstance(event, FrameDropped)]
    assert [event for event in events if isinstance(event, Message)] == (
        messages[:2] + messages[3:]
    )
    assert len(dropped) == 2  # the 0x00 in the junk cut the third frame in two
    assert all(event.error.code in set(ErrorCode) for event in dropped)


def test_hang_up_ends_the_link_and_reports_a_cut_frame() -> None:
    """The other end of the pty closes: the end of input, with a frame cut short."""
    encoded = Encoder(Framing.DELIMITED).encode(MESSAGES[0])
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        with SerialLink.open(os.ttyname(slave)) as reader:
            os.write(master, b"\x00" + encoded + encoded[:4])
            assert reader.recv(DEADLINE) == MESSAGES[0]
            # Linux drops unread input at a hang-up: wait until the reader has it all.
            deadline = time.monotonic() + DEADLINE
            while unread(slave) and time.monotonic() < deadline:
                select.select([], [], [], 0.001)
            os.close(master)
            for _ in range(2):  # fatal: every later call raises it again
                with pytest.raises(RemoteProtocolError) as caught:
                    reader.recv(DEADLINE)
                assert caught.value.code is ErrorCode.TRUNCATED_FRAME
    finally:
        os.close(slave)


def unread(descriptor: int) -> int:
    """Bytes waiting in a terminal's input queue."""
    return struct.unpack("i", fcntl.ioctl(descriptor, termios.FIONREAD, b"\0\0\0\0"))[0]  # type: ignore[no-any-return]


# --- the command line over a pty pair --------------------------------------------------


def framewire(*args: str, **options: object) -> subprocess.Popen[str]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "framewire", *args],
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **options,
    )


def read_lines(process: subprocess.Popen[str], count: int) -> list[str]:
    """``count`` lines of the process's output, all within the deadline."""
    lines: list[str] = []
    done = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        while len(lines) < count and (text := process.stdout.readline()):
            lines.append(text)
        done.set()

    threading.Thread(target=read, daemon=True).start()
    assert done.wait(DEADLINE), f"only {len(lines)} of {count} lines before the deadline"
    return lines


def wait_for_listening(process: subprocess.Popen[str]) -> None:
    assert process.stderr is not None
    first = process.stderr.readline()
    assert first.startswith("listening on serial"), first


JSON_MESSAGES = [
    {"type": 64, "flags": 0, "payload": "hello over a serial line"},
    {"type": 65, "flags": 3, "payload_hex": "00ff00" * 200},
    {"type": 66, "flags": 0, "payload": ""},
]


@pytest.mark.parametrize("profile", [[], ["--session"]], ids=["codec", "session"])
def test_cli_send_arrives_byte_exact_at_listen(profile: list[str], tmp_path: Path) -> None:
    messages_file = tmp_path / "messages.jsonl"
    messages_file.write_text("".join(json.dumps(m) + "\n" for m in JSON_MESSAGES))
    with SerialLine() as line, framewire("listen", "--serial", line.ports[0], *profile) as listen:
        wait_for_listening(listen)
        command = ["send", "--serial", line.ports[1], "--baud", "9600", *profile]
        with framewire(*command, str(messages_file)) as send:
            received = [json.loads(text) for text in read_lines(listen, len(JSON_MESSAGES))]
            assert send.wait(DEADLINE) == 0
        line.close()  # the hang-up ends listen
        assert listen.wait(DEADLINE) == 0
    assert received == JSON_MESSAGES


def test_cli_listen_reports_frames_a_damaged_line_dropped() -> None:
    messages = [{"type": 64, "flags": 0, "payload": f"message {n} " * 4} for n in range(5)]
    _, spans = frames_and_spans([Message(64, str(m["payload"]).encode()) for m in messages])
    with (
        SerialLine(overwrite(spans[1][0] + 6, b"\x55\x55")) as line,
        framewire("listen", "--serial", line.ports[0], "--checksum") as listen,
    ):
        wait_for_listening(listen)
        command = ["send", "--serial", line.ports[1], "--checksum"]
        with framewire(*command, stdin=subprocess.PIPE) as send:
            send.communicate("\n".join(json.dumps(m) for m in messages), timeout=DEADLINE)
        lines = [json.loads(text) for text in read_lines(listen, len(messages))]
        line.close()
        assert listen.wait(DEADLINE) == 1  # frames were dropped
    assert lines[0] == messages[0]
    # the junk lands on the COBS code bytes that stand for the length field's zeros: the
    # block it makes runs past the delimiter (FW-COB-2)
    assert lines[1]["dropped"]["name"] == "cobs-invalid"
    assert lines[2:] == messages[2:]


def test_cli_inspect_serial_annotates_frames_as_they_arrive() -> None:
    encoded = Encoder(Framing.DELIMITED, checksum=True).encode(Message(0x40, b"hi"))
    bad = bytearray(encoded)
    bad[-3] ^= 0x01  # a flipped bit in the CRC trailer
    with (
        SerialLine() as line,
        framewire("inspect", "--serial", line.ports[0]) as inspect,
    ):
        assert inspect.stderr is not None
        assert inspect.stderr.readline().startswith("inspecting serial")
        sender = os.open(line.ports[1], os.O_RDWR | os.O_NOCTTY)
        os.write(sender, encoded[3:] + encoded + bytes(bad))  # joined mid-frame
        output = "".join(read_lines(inspect, 2 * 9 + 1))
        os.close(sender)
        line.close()
        assert inspect.wait(DEADLINE) == 1
    assert output.count("(COBS-encoded, offsets decoded)") == 2
    assert "checksum-mismatch" in output


def test_cli_needs_exactly_one_endpoint() -> None:
    for command in (["send", "127.0.0.1:1", "x.json", "--serial", "loop://"], ["listen"]):
        with framewire(*command) as process:
            _, err = process.communicate(timeout=DEADLINE)
        assert process.returncode == 2
        assert "either an ADDRESS or --serial PORT" in err
