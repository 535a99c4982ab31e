"""The C library on an emulated microcontroller, over a serial line, against Python.

An echo firmware (c/firmware/echo.c) runs on QEMU's mps2-an385 board (Cortex-M3) and
speaks Framewire on the board's UART, which QEMU attaches to a host pseudo-terminal. A
relay between that terminal and the ones the host programs open can damage the bytes
of chosen frames, in either direction, so the tests check FW-DLM-6 end to end: only the
frames touched are lost, each reported as dropped, and everything else arrives
byte-exact. ``make c-serial-demo`` runs this file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import select
import shutil
import subprocess
import sys
import threading
import tty
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from framewire.cli._io import message_from_json
from framewire.events import FrameDropped, Message

serial = pytest.importorskip("serial", reason="pyserial (framewire[serial]) is not installed")

from framewire.serial import SERIAL_OPTIONS, SerialLink  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
QEMU = shutil.which("qemu-system-arm")
pytestmark = pytest.mark.skipif(QEMU is None, reason="qemu-system-arm is not installed")

REPORT_TYPE = 0x7E
"""The echo firmware's report of a frame it dropped: payload = the error code, 2 bytes."""

CHECKSUM_OPTIONS = dataclasses.replace(SERIAL_OPTIONS, checksum=True)
BOOT_TIMEOUT = 30.0
"""Seconds for QEMU to start and announce its pseudo-terminal (a loaded machine)."""
REPLY_TIMEOUT = 10.0


def firmware(name: str) -> Path:
    """Build (if needed) and return one of the echo images."""
    path = ROOT / "build" / "c-fw" / f"{name}.elf"
    subprocess.run(
        ["make", "--no-print-directory", "-s", str(path.relative_to(ROOT))],
        cwd=ROOT,
        check=True,
    )
    return path


@contextlib.contextmanager
def board(image: Path) -> Iterator[str]:
    """Run ``image`` under QEMU; yields the pseudo-terminal its UART0 is attached to."""
    assert QEMU is not None
    process = subprocess.Popen(
        [
            *(QEMU, "-M", "mps2-an385", "-display", "none", "-monitor", "none"),
            *("-serial", "pty", "-semihosting-config", "enable=on,target=native"),
            *("-kernel", str(image)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], BOOT_TIMEOUT)
        line = process.stdout.readline() if ready else ""
        found = re.search(r"char device redirected to (/dev/pts/\d+)", line)
        assert found, f"QEMU did not announce its pty: {line!r}"
        yield found.group(1)
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


class FrameDamage:
    """Flips one byte in the middle of chosen frames of one direction of the line.

    Frames are counted by their ``0x00`` delimiters (empty frames not counted), so the
    damage lands inside a frame, never on a delimiter, and a damaged byte never becomes
    ``0x00``: each damaged frame stays one frame, which its receiver must drop alone.
    """

    def __init__(self, frames: set[int], at: int = 14) -> None:
        self.frames, self.at = frames, at
        self.index = 0
        self.position = 0
        self.damaged: list[int] = []

    def __call__(self, chunk: bytes) -> bytes:
        data = bytearray(chunk)
        for offset, byte in enumerate(data):
            if byte == 0:
                if self.position:
                    self.index += 1
                self.position = 0
                continue
            if self.index in self.frames and self.position == self.at:
                data[offset] = byte ^ 0x01 or 0x02
                self.damaged.append(self.index)
            self.position += 1
        return bytes(data)


def intact(chunk: bytes) -> bytes:
    return chunk


Route = tuple[int, int, Callable[[bytes], bytes]]


class Relay:
    """Copies bytes between file descriptors along fixed routes, damaging them on the way."""

    def __init__(self, routes: list[Route]) -> None:
        self._routes = {source: (target, damage) for source, target, damage in routes}
        self._stop_read, self._stop_write = os.pipe()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            readable, _, _ = select.select([*self._routes, self._stop_read], [], [])
            if self._stop_read in readable:
                return
            for source in readable:
                try:
                    chunk = os.read(source, 4096)
                except OSError:  # a host-side terminal whose program closed it
                    continue
                target, damage = self._routes[source]
                os.write(target, damage(chunk))

    def close(self) -> None:
        os.write(self._stop_write, b"x")
        self._thread.join()
        os.close(self._stop_read)
        os.close(self._stop_write)


@contextlib.contextmanager
def host_terminal() -> Iterator[tuple[int, str]]:
    """A pty pair for a host program: (the master the relay uses, the device to open)."""
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        yield master, os.ttyname(slave)
    finally:
        with contextlib.suppress(OSError):  # a test may hang it up early
            os.close(master)
        os.close(slave)


@contextlib.contextmanager
def board_line(image: Path) -> Iterator[int]:
    """QEMU's end of the line, opened raw by the relay."""
    with board(image) as device:
        descriptor = os.open(device, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(descriptor)
        try:
            yield descriptor
        finally:
            os.close(descriptor)


def message(index: int) -> Message:
    """The index-th test message: payloads of several sizes, with zero bytes (COBS)."""
    payload = bytes((index * 7 + k) % 256 for k in range(5 + index * 9))
    return Message(0x40 + index % 4, payload, flags=index % 16)


def exchange(link: SerialLink, count: int) -> list[Message | FrameDropped | None]:
    """Send messages one at a time; what came back for each (None: nothing, in time)."""
    replies: list[Message | FrameDropped | None] = []
    for index in range(count):
        link.send(message(index))
        try:
            replies.append(link.recv(timeout=REPLY_TIMEOUT))
        except TimeoutError:
            replies.append(None)
    return replies


def test_codec_profile_damage_both_ways_costs_only_the_frames_touched() -> None:
    """Frame 3 to the board and the board's frame 6 are damaged; the rest is exact."""
    to_board, from_board = FrameDamage({3}), FrameDamage({6})
    count = 10
    with board_line(firmware("echo-codec")) as line, host_terminal() as (master, device):
        relay = Relay([(master, line, to_board), (line, master, from_board)])
        try:
            with SerialLink.open(device, options=CHECKSUM_OPTIONS) as link:
                replies = exchange(link, count)
        finally:
            relay.close()
    assert to_board.damaged == [3]
    assert from_board.damaged == [6]
    for index, reply in enumerate(replies):
        if index == 3:  # the board dropped it and said so (FW-DLM-6)
            assert isinstance(reply, Message)
            assert (reply.type, reply.payload) == (REPORT_TYPE, (108).to_bytes(2, "big"))
        elif index == 6:  # its echo was damaged on the way back: dropped here
            assert isinstance(reply, FrameDropped)
            assert reply.error.name == "checksum-mismatch"
        else:
            assert reply == message(index), f"message {index}"


def run_cli(*args: str, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "framewire", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def read_lines(process: subprocess.Popen[str], count: int) -> str:
    """The first ``count`` lines of the process's output (fewer if it stops writing)."""
    assert process.stdout is not None
    descriptor = process.stdout.fileno()  # unbuffered reads: select() sees every byte
    data = b""
    while data.count(b"\n") < count:
        ready, _, _ = select.select([descriptor], [], [], REPLY_TIMEOUT)
        chunk = os.read(descriptor, 4096) if ready else b""
        if not chunk:
            break
        data += chunk
    return data.decode()


def test_cli_send_to_board_and_listen_to_its_echoes() -> None:
    """`framewire send --serial` -> board -> `framewire listen --serial`, frame 2 damaged."""
    to_board = FrameDamage({2})
    count = 6
    lines = "".join(
        f'{{"type": {message(i).type}, "flags": {message(i).flags}, '
        f'"payload_hex": "{message(i).payload.hex()}"}}\n'
        for i in range(count)
    )
    with (
        board_line(firmware("echo-codec")) as line,
        host_terminal() as (send_master, send_device),
        host_terminal() as (listen_master, listen_device),
    ):
        relay = Relay([(send_master, line, to_board), (line, listen_master, intact)])
        try:
            listener = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "framewire",
                    "listen",
                    "--serial",
                    listen_device,
                    "--checksum",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            assert listener.stderr is not None
            assert "listening" in listener.stderr.readline()
            sent = run_cli("send", "--serial", send_device, "--checksum", stdin=lines)
            assert sent.returncode == 0, sent.stderr
            out = read_lines(listener, count)
        finally:
            relay.close()
        os.close(listen_master)  # the hang-up ends `listen`
        rest, err = listener.communicate(timeout=30)
    echoed = [message_from_json(json.loads(line)) for line in (out + rest).splitlines()]
    assert to_board.damaged == [2]
    assert listener.returncode == 0, err  # no frame dropped on the way back
    assert len(echoed) == count, (out, err)
    # The board's report of the frame it dropped, then every other message byte-exact.
    assert echoed[2] == Message(REPORT_TYPE, (108).to_bytes(2, "big"))
    assert [echoed[i] for i in (0, 1, 3, 4, 5)] == [message(i) for i in (0, 1, 3, 4, 5)]


def test_session_profile_on_a_clean_line() -> None:
    """Preface and HELLO both ways (the board answers), then every message echoed."""
    count = 8
    with board_line(firmware("echo-session")) as line, host_terminal() as (master, device):
        relay = Relay([(master, line, intact), (line, master, intact)])
        try:
            with SerialLink.open(device, session=True) as link:
                link.handshake(REPLY_TIMEOUT)
                replies = exchange(link, count)
        finally:
            relay.close()
    assert replies == [message(index) for index in range(count)]


def test_cli_send_session_to_board() -> None:
    """`framewire send --serial --session`: the handshake with the board completes."""
    with board_line(firmware("echo-session")) as line, host_terminal() as (master, device):
        relay = Relay([(master, line, intact), (line, master, intact)])
        try:
            sent = run_cli(
                "send",
                "--serial",
                device,
                "--session",
                "--timeout",
                "20",
                stdin='{"type": 64, "payload": "over the session"}\n',
            )
        finally:
            relay.close()
    assert sent.returncode == 0, sent.stderr
