"""Ctrl-C ends every ``framewire`` command in its documented way: no traceback, exit
status 130 (0 for the servers ``listen`` and ``echo``, whose normal end it is).

Each command runs on a real pseudo-terminal (standard input, output and error), as a
user's shell runs it; the test waits until the command is blocked where a user would
press Ctrl-C (reading the terminal, or listening), then sends it SIGINT.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from framewire.addresses import format_address
from framewire.sync import Channel, Server, serve

pytestmark = pytest.mark.timeout(60)

FRAMEWIRE = [sys.executable, "-m", "framewire"]
WAIT = 20.0
"""Seconds a command may take to get ready, and to end after SIGINT (a loaded machine)."""


class Terminal:
    """A command on a pseudo-terminal: what it wrote so far, and its process."""

    def __init__(self, args: list[str], cwd: Path, command: list[str] = FRAMEWIRE) -> None:
        self.master, slave = os.openpty()
        self.process = subprocess.Popen(
            [*command, *args], stdin=slave, stdout=slave, stderr=slave, cwd=cwd
        )
        os.close(slave)
        self.output = b""

    def read_some(self, wait: float) -> None:
        ready, _, _ = select.select([self.master], [], [], wait)
        if ready:
            try:
                self.output += os.read(self.master, 65536)
            except OSError:  # EIO: the command has exited and closed the terminal
                time.sleep(wait)

    def reading_stdin(self) -> bool:
        """True while the main thread waits in read(0, ...) (Linux /proc)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/syscall").read_text().split()
        except OSError:
            return False
        return fields[:2] == ["0", "0x0"]

    def wait_until(self, ready: Callable[[Terminal], bool]) -> None:
        deadline = time.monotonic() + WAIT
        while not ready(self):
            assert self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, f"never ready: {self.text()!r}"
            self.read_some(0.05)
        time.sleep(0.2)  # the command is blocked where a user would press Ctrl-C

    def end_input(self) -> int:
        """Type Ctrl-D (the end of input) and return the command's exit status."""
        os.write(self.master, b"\x04")
        deadline = time.monotonic() + WAIT
        while self.process.poll() is None and time.monotonic() < deadline:
            self.read_some(0.05)
        return self.process.wait(timeout=1)

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + WAIT
        while self.process.poll() is None:
            assert time.monotonic() < deadline, f"still running after SIGINT: {self.text()!r}"
            self.read_some(0.05)
        self.read_some(0.1)
        return self.process.returncode

    def text(self) -> str:
        return self.output.decode(errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


@pytest.fixture
def server() -> Iterator[Server]:
    """A Framewire server that receives and never answers: a peer to `send` to."""

    def handler(channel: Channel) -> None:
        for _ in channel:
            pass

    with serve(("127.0.0.1", 0), handler) as running:
        yield running


def waiting_for_input(terminal: Terminal) -> bool:
    return terminal.reading_stdin()


def connected(terminal: Terminal) -> bool:
    return "connected to" in terminal.text()


def listening(terminal: Terminal) -> bool:
    return "listening on" in terminal.text() or "waiting for the echo peer" in terminal.text()


@pytest.mark.parametrize(
    ("args", "ready", "status"),
    [
        (["encode"], waiting_for_input, 130),
        (["decode"], waiting_for_input, 130),
        (["inspect"], waiting_for_input, 130),
        (["send", "{server}"], connected, 130),
        (["send", "--batch", "{server}"], waiting_for_input, 130),
        (["listen", "127.0.0.1:0"], listening, 0),
        (["echo", "127.0.0.1:0"], listening, 0),
        (["conformance", "--live-serve", "127.0.0.1:0"], listening, 130),
    ],
    ids=["encode", "decode", "inspect", "send", "send-batch", "listen", "echo", "conformance"],
)
def test_ctrl_c_ends_a_command_without_a_traceback(
    args: list[str],
    ready: Callable[[Terminal], bool],
    status: int,
    server: Server,
    tmp_path: Path,
) -> None:
    args = [arg.replace("{server}", format_address(server.address)) for arg in args]
    terminal = Terminal(args, tmp_path)
    try:
        terminal.wait_until(ready)
        returncode = terminal.interrupt()
    finally:
        terminal.close()
    assert "Traceback" not in terminal.text()
    assert returncode == status, terminal.text()
