"""``framewire echo --workers N`` as a user runs it: a bounded N, workers that never outlive
their parent, a failed start that leaves nothing behind, the same exit status with and
without workers, and log lines that say which worker served which connection.

Each command runs in a session of its own (``start_new_session``), so that every process
it started can be found afterwards by its process group, whoever its parent is by then.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.io_peers import DATA
from helpers.polling import wait_until

from framewire import Message
from framewire.sync import connect

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(sys.platform != "linux", reason="reads /proc (Linux)"),
]

WAIT = 20.0
MAX_WORKERS = 4 * (os.cpu_count() or 1)
"""The most workers the command takes (the CLI reference: four per CPU)."""


def _group(pgid: int) -> list[int]:
    """The processes (not zombies) of process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            # the fields after the command's name, in parentheses: state, ppid, pgrp, ...
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


_NO_THREADS = (
    "import os, resource, sys; "
    # Every new thread would need a stack of a terabyte: none can start.
    "resource.setrlimit(resource.RLIMIT_STACK, (1 << 40, resource.RLIM_INFINITY)); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


@contextlib.contextmanager
def _command(
    *arguments: str, log: Path, no_threads: bool = False
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``framewire ARGUMENTS`` in a session of its own; kill what is left at the end.
    With ``no_threads``, under a stack limit that lets no thread start."""
    prefix = ["-c", _NO_THREADS] if no_threads else []
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, *prefix, "-m", "framewire", *arguments],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _port(log: Path) -> int:
    match = wait_until(
        lambda: re.search(r"listening on 127\.0\.0\.1:(\d+)", log.read_text()),
        what="the command says where it listens",
        timeout=WAIT,
    )
    return int(match.group(1))


def _exchange(port: int) -> None:
    with connect(("127.0.0.1", port)) as channel:
        channel.send(Message(DATA, b"w"))
        assert channel.recv(timeout=WAIT) == Message(DATA, b"w")


def test_too_many_workers_is_a_usage_error(tmp_path: Path) -> None:
    log = tmp_path / "err.log"
    with _command("echo", "127.0.0.1:0", "--workers", str(MAX_WORKERS + 1), log=log) as process:
        assert process.wait(WAIT) == 2
        assert not _group(process.pid)
    text = log.read_text()
    assert "Traceback" not in text
    assert f"--workers: at most {MAX_WORKERS}" in text.splitlines()[-1]


def test_workers_end_when_their_parent_is_killed(tmp_path: Path) -> None:
    log = tmp_path / "err.log"
    with _command("echo", "127.0.0.1:0", "--workers", "2", log=log) as process:
        _exchange(_port(log))
        assert len(_group(process.pid)) == 3
        process.kill()  # SIGKILL: the parent cannot pass anything on
        process.wait()
        wait_until(lambda: not _group(process.pid), what="no worker left", timeout=WAIT)


def test_workers_that_cannot_start_leave_nothing_behind(tmp_path: Path) -> None:
    log = tmp_path / "err.log"
    with _command("echo", "127.0.0.1:0", "--workers", "2", log=log, no_threads=True) as process:
        assert process.wait(WAIT) == 1
        assert not _group(process.pid)
    lines = log.read_text().splitlines()
    assert "Traceback" not in log.read_text()
    assert len(lines) == 1, lines
    assert "worker" in lines[0]


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["alone", "workers"])
def test_sigterm_ends_the_server_cleanly_with_or_without_workers(
    workers: list[str], tmp_path: Path
) -> None:
    log = tmp_path / "err.log"
    with _command("echo", "127.0.0.1:0", *workers, log=log) as process:
        _exchange(_port(log))
        process.send_signal(signal.SIGTERM)
        assert process.wait(WAIT) == 0, log.read_text()
        wait_until(lambda: not _group(process.pid), what="no process left", timeout=WAIT)


def test_worker_log_lines_name_the_worker_and_the_connection(tmp_path: Path) -> None:
    log = tmp_path / "err.log"
    with _command("echo", "127.0.0.1:0", "--workers", "2", log=log) as process:
        port = _port(log)
        for _ in range(12):
            _exchange(port)
        accepted = wait_until(
            lambda: re.findall(r"^conn (w\d+-\d+) accepted", log.read_text(), re.MULTILINE)[11:],
            what="twelve connections logged",
        )
        process.send_signal(signal.SIGTERM)
        process.wait(WAIT)
    ids = re.findall(r"^conn (w\d+-\d+) accepted", log.read_text(), re.MULTILINE)
    assert accepted
    assert len(ids) == len(set(ids)) == 12
    assert {conn.split("-")[0] for conn in ids} <= {"w1", "w2"}
