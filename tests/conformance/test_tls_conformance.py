"""Live conformance over TLS (spec 12.4): ``framewire conformance --live-connect ... --tls``
plays the session vectors against the reference echo server and the JavaScript echo
peer, each serving TLS with the trustme test certificate."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.conformance import (
    DEADLINES,
    FRAME_MS,
    HANDSHAKE_MS,
    REFERENCE_KNOWN_FAILURES,
    assert_conforms,
    outcomes,
    run_runner,
    session_cases,
)
from helpers.js_peers import NODE, javascript_echo_server
from helpers.tls_peers import TlsFiles

from framewire import Deadlines, Framing, Limits
from framewire.addresses import format_address
from framewire.conformance import echo
from framewire.options import Options
from framewire.sync import serve

pytestmark = pytest.mark.timeout(120)

JS_KNOWN_FAILURES = Path(__file__).resolve().parents[2] / "js" / "test" / "known-failures.txt"


def run_live_over_tls(
    tmp_path: Path, address: str, files: TlsFiles, known: Path
) -> tuple[int, dict[str, object]]:
    """The session vectors, live over TLS, against the echo peer at ``address``."""
    return run_runner(
        tmp_path,
        "--live-connect",
        address,
        "--tls",
        "--cafile",
        str(files.ca),
        "--server-name",
        "localhost",
        "--live-deadlines",
        DEADLINES,
        "--only",
        "session",
        "--known-failures",
        str(known),
    )


@pytest.mark.serial  # the vectors played live measure the peer's deadlines
def test_reference_echo_server_passes_live_over_tls(tls_files: TlsFiles, tmp_path: Path) -> None:
    framing = Framing.LENGTH_PREFIXED  # TLS is below the framing: one is enough here
    deadlines = Deadlines(handshake=HANDSHAKE_MS / 1000, frame=FRAME_MS / 1000)
    with serve(
        ("127.0.0.1", 0),
        echo.echo,
        options=Options(framing),
        deadlines=deadlines,
        ssl=tls_files.server(),
    ) as server:
        address = format_address(server.address)
        status, report = run_live_over_tls(tmp_path, address, tls_files, REFERENCE_KNOWN_FAILURES)
    assert_conforms(status, report)
    played = outcomes(report, "passed") | outcomes(report, "known-failure")
    assert played == session_cases(framing, Limits())


@pytest.mark.serial  # the vectors played live measure the peer's deadlines
@pytest.mark.skipif(NODE is None, reason="node is not on PATH: the JavaScript peer cannot run")
def test_javascript_echo_server_passes_live_over_tls(tls_files: TlsFiles, tmp_path: Path) -> None:
    framing = Framing.DELIMITED
    options = ["--handshake-timeout", str(HANDSHAKE_MS), "--frame-timeout", str(FRAME_MS)]
    tls = ["--tls", "--certfile", str(tls_files.cert), "--keyfile", str(tls_files.key)]
    with javascript_echo_server(("127.0.0.1", 0), framing, *options, *tls) as server:
        address = format_address(server.address)
        status, report = run_live_over_tls(tmp_path, address, tls_files, JS_KNOWN_FAILURES)
    assert_conforms(status, report)
    played = outcomes(report, "passed") | outcomes(report, "known-failure")
    assert played == session_cases(framing, Limits())


def test_live_over_tls_with_an_untrusted_certificate_is_a_usage_error(
    tls_files: TlsFiles, tmp_path: Path
) -> None:
    with serve(("127.0.0.1", 0), echo.echo, ssl=tls_files.server()) as server:
        status, _ = run_runner(
            tmp_path,
            "--live-connect",
            format_address(server.address),
            "--tls",
            "--cafile",
            str(tls_files.other_ca),
            "--only",
            "session",
        )
    assert status == 2
