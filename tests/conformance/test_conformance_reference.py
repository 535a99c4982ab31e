"""The reference implementation through the conformance runner: adapter mode and live mode.

The reference must pass every vector, except those declared in
tests/conformance/conformance_known_failures.txt (each one a disagreement the spec must settle);
a declared vector that passes fails these tests, so the list cannot go stale.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.conformance import (
    FRAME_MS,
    HANDSHAKE_MS,
    LIVE_CONFIGS,
    REFERENCE_ADAPTER,
    REFERENCE_KNOWN_FAILURES,
    assert_conforms,
    assert_live_conforms,
    live_cases,
    outcomes,
    run_runner,
    suite,
)

from framewire import Deadlines, Framing, Limits
from framewire.addresses import format_address
from framewire.conformance import echo
from framewire.events import Message
from framewire.options import Options
from framewire.sync import Channel, Server, serve

KNOWN = ("--known-failures", str(REFERENCE_KNOWN_FAILURES))


@pytest.mark.parametrize("pure", ["", "1"], ids=["compiled", "pure"])
def test_reference_adapter_subprocess_smoke(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pure: str
) -> None:
    """The adapter as the runner starts it, over its pipe: the CRC vectors, all passed,
    on the compiled receive path and with FRAMEWIRE_PURE_PYTHON set (the adapter inherits
    the environment).

    Every vector runs in process, one test each, on both paths, in
    test_conformance_vectors.py.
    """
    monkeypatch.setenv("FRAMEWIRE_PURE_PYTHON", pure)
    status, report = run_runner(tmp_path, "--adapter", REFERENCE_ADAPTER, "--only", "crc", *KNOWN)
    assert_conforms(status, report)
    crc_group = {case.id for case in suite().cases if case.matches("crc")}
    assert crc_group
    assert outcomes(report, "passed") == crc_group


def _serve(framing: Framing, limits: Limits, handler: Any = echo.echo) -> Server:
    deadlines = Deadlines(handshake=HANDSHAKE_MS / 1000, frame=FRAME_MS / 1000)
    return serve(
        ("127.0.0.1", 0), handler, options=Options(framing, limits=limits), deadlines=deadlines
    )


@pytest.mark.serial  # the vectors played live measure the peer's deadlines
@pytest.mark.parametrize(("framing", "limits"), LIVE_CONFIGS)
def test_reference_echo_server_passes_live(
    framing: Framing, limits: Limits, tmp_path: Path
) -> None:
    """Every session vector of this framing and these limits, and the decode vectors that
    fit, played whole, byte by byte and in random splits against the echo server."""
    with _serve(framing, limits) as server:
        assert_live_conforms(tmp_path, format_address(server.address), framing, limits, KNOWN)


@pytest.fixture
def unix_path() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        yield str(Path(directory) / "runner.sock")


def test_live_serve_mode_with_an_echo_client_over_a_unix_socket(
    unix_path: str, tmp_path: Path
) -> None:
    """--live-serve: the runner listens, the reference echo client reconnects per case."""
    peer = (
        f"{sys.executable} -m framewire.conformance.echo --connect {{address}} --framing delimited"
    )
    status, report = run_runner(
        tmp_path,
        "--live-serve",
        "--unix",
        unix_path,
        "--live-peer",
        peer,
        "--only",
        "session",
        *KNOWN,
    )
    assert_conforms(status, report)
    played = outcomes(report, "passed") | outcomes(report, "known-failure")
    # the echo client runs with its default deadlines, which the runner is not told of
    assert played == live_cases(Framing.DELIMITED, Limits(), deadlines=False, kind="session")


def _echo_without_flags(channel: Channel) -> None:
    for message in channel:
        channel.send(Message(message.type, message.payload, 0))


def test_broken_echo_server_is_caught(tmp_path: Path) -> None:
    """An echo server that drops the application flags fails the flagged echo vectors."""
    with _serve(Framing.LENGTH_PREFIXED, Limits(), _echo_without_flags) as server:
        address = format_address(server.address)
        status, report = run_runner(tmp_path, "--live-connect", address, "--only", "session")
    assert status == 1
    flagged = {
        c.id
        for c in suite().cases
        if c.kind == "session"
        and c.framing == "length-prefixed"
        and not isinstance(c.raw["expect"]["end"], dict)  # echoes there may stop early
        and any(e["message"]["flags"] for e in c.raw["expect"]["events"] if "message" in e)
    }
    applied = {c["id"] for c in report["cases"] if c["outcome"] != "not-applicable"}
    assert flagged & applied
    assert outcomes(report, "failed") == flagged & applied  # those, and nothing else


def test_live_mode_reports_an_unreachable_peer(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert run_runner(tmp_path, "--live-connect", f"127.0.0.1:{port}")[0] == 2


class _CountingEcho:
    """The echo handler, counting the connections it serves at the same time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0

    def __call__(self, channel: Channel) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            echo.echo(channel)
        finally:
            with self.lock:
                self.now -= 1


def test_live_jobs_play_cases_at_once_with_the_same_verdicts(tmp_path: Path) -> None:
    """--live-jobs 4: the cases overlap on the echo server, and every verdict is the one a
    run of one case at a time gives. (One case at a time, two connections may overlap: the
    server's handler of one can still be ending when the next one opens.)"""
    with _serve(Framing.LENGTH_PREFIXED, Limits()) as server:
        one_at_a_time = run_runner(
            tmp_path, "--live-connect", format_address(server.address), "--only", "session"
        )
    handler = _CountingEcho()
    with _serve(Framing.LENGTH_PREFIXED, Limits(), handler) as server:
        at_once = run_runner(
            tmp_path,
            "--live-connect",
            format_address(server.address),
            "--only",
            "session",
            "--live-jobs",
            "4",
        )
    assert handler.most >= 3, handler.most
    for status, report in (one_at_a_time, at_once):
        assert_conforms(status, report)
    verdicts = [
        [(case["id"], case["outcome"]) for case in report["cases"]]
        for _, report in (one_at_a_time, at_once)
    ]
    assert verdicts[0] == verdicts[1]  # the same cases, in the same order


def test_live_jobs_need_a_server_to_connect_to(tmp_path: Path) -> None:
    """In --live-serve mode the echo client connects once per case, one at a time."""
    status, _ = run_runner(tmp_path, "--live-serve", "--live-jobs", "2")
    assert status == 2
