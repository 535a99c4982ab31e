"""``framewire send/listen/echo --tls``: exchanges over TLS, and one clear line (exit 1)
for each bad set-up (spec section 12)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from helpers.tls_peers import TlsFiles

pytestmark = pytest.mark.timeout(60)

FRAMEWIRE = [sys.executable, "-m", "framewire"]
MESSAGE = '{"type": 64, "payload": "over TLS"}\n'


def server_args(files: TlsFiles) -> list[str]:
    return ["--tls", "--certfile", str(files.cert), "--keyfile", str(files.key)]


@pytest.fixture
def tls_echo(tls_files: TlsFiles) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``framewire echo --tls --once`` on a free port, once it listens."""
    command = [*FRAMEWIRE, "echo", "127.0.0.1:0", "--once", *server_args(tls_files)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stderr is not None
    line = process.stderr.readline().decode()
    assert line.startswith("listening on "), line
    yield line.removeprefix("listening on ").strip(), process
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=20)


def send(address: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FRAMEWIRE, "send", address, *options],
        input=MESSAGE,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


def finish(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    """The exit status and standard error of a server run with --once."""
    _, err = process.communicate(timeout=20)
    return process.returncode, err.decode()


def test_send_to_echo_over_tls(
    tls_echo: tuple[str, subprocess.Popen[bytes]], tls_files: TlsFiles
) -> None:
    address, server = tls_echo
    result = send(address, "--tls", "--cafile", str(tls_files.ca), "--server-name", "localhost")
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"type": 64, "flags": 0, "payload": "over TLS"}
    ]
    assert finish(server)[0] == 0


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize(
    ("options", "client_says", "server_says"),
    [
        (["--cafile", "OTHER_CA"], "certificate was rejected", "unknown ca"),
        (["--server-name", "example.org"], "Hostname mismatch", "bad certificate"),
    ],
    ids=["untrusted-ca", "hostname-mismatch"],
)
def test_bad_certificate_is_one_line_and_exit_1(
    tls_echo: tuple[str, subprocess.Popen[bytes]],
    tls_files: TlsFiles,
    options: list[str],
    client_says: str,
    server_says: str,
) -> None:
    address, server = tls_echo
    options = [str(tls_files.other_ca) if o == "OTHER_CA" else o for o in options]
    if "--cafile" not in options:
        options += ["--cafile", str(tls_files.ca)]
    result = send(address, "--tls", *options)
    assert result.returncode == 1
    assert client_says in one_line(result.stderr)
    assert result.stderr.startswith("framewire: TlsError: TLS handshake failed")
    status, err = finish(server)
    assert status == 1
    assert server_says in err


def test_plain_client_on_a_tls_server(tls_echo: tuple[str, subprocess.Popen[bytes]]) -> None:
    address, server = tls_echo
    result = send(address, "--timeout", "2")
    assert result.returncode == 1
    one_line(result.stderr)
    status, err = finish(server)
    assert status == 1
    assert "does not speak TLS" in err


def test_tls_client_on_a_plain_server(tls_files: TlsFiles) -> None:
    command = [*FRAMEWIRE, "listen", "127.0.0.1:0", "--once", "--timeout", "2"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stderr is not None
    address = process.stderr.readline().decode().removeprefix("listening on ").strip()
    result = send(address, "--tls", "--cafile", str(tls_files.ca))
    assert result.returncode == 1
    assert "does not speak TLS" in one_line(result.stderr)
    assert finish(process)[0] == 1


@pytest.mark.parametrize(
    "args",
    [
        ["listen", "127.0.0.1:0", "--tls"],
        ["listen", "127.0.0.1:0", "--certfile", "x.pem"],
        ["send", "127.0.0.1:1", "--cafile", "x.pem"],
        ["send", "127.0.0.1:1", "--tls", "--cafile", "/nonexistent/ca.pem"],
        ["echo", "127.0.0.1:0", "--tls", "--certfile", "/nonexistent/cert.pem"],
    ],
)
def test_tls_usage_errors_exit_2(args: list[str]) -> None:
    result = subprocess.run(
        [*FRAMEWIRE, *args], capture_output=True, text=True, timeout=20, check=False
    )
    assert result.returncode == 2
    assert one_line(result.stderr).startswith("framewire: usage error:")
