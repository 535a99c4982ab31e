"""The `framewire` command line: formats, exit codes, colour policy, sockets."""

from __future__ import annotations

import importlib.util
import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.io_peers import raw_connect, read_to_eof
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framewire import Encoder, Framing
from framewire.cli import build_parser, main
from framewire.conformance import wire
from framewire.events import Message

pytestmark = pytest.mark.timeout(30)

FRAMEWIRE = [sys.executable, "-m", "framewire"]


def run_cli(
    *args: str, stdin: str | bytes = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(
        [*FRAMEWIRE, *args],
        input=data,
        capture_output=True,
        timeout=20,
        check=False,
        env={**os.environ, **(env or {})},
    )


def in_process(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], stdin_text: str
) -> tuple[int, str, str]:
    """Run main() in this process with the input in a file (faster than a subprocess)."""
    source = tmp_path / "input.txt"
    source.write_text(stdin_text)
    status = main([*args, str(source)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("framing", [f.value for f in Framing])
@pytest.mark.parametrize("checksum", [[], ["--checksum"]])
def test_encode_then_decode_round_trip(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, framing: str, checksum: list[str]
) -> None:
    lines = [
        {"type": 64, "flags": 0, "payload": "hello"},
        {"type": 255, "flags": 15, "payload_hex": "00ff" * 300},
        {"type": 65, "flags": 1, "payload": ""},
    ]
    text = "\n".join(json.dumps(line) for line in lines)
    status, encoded, _ = in_process(
        capsys, tmp_path, ["encode", "-f", framing, "--max-frame-size", "256", *checksum], text
    )
    assert status == 0
    status, decoded, _ = in_process(capsys, tmp_path, ["decode", "-f", framing], encoded)
    assert status == 0
    assert [json.loads(line) for line in decoded.splitlines()] == lines


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    frame_type=st.integers(0x40, 0xFF),
    flags=st.integers(0, 15),
    payload=st.binary(max_size=600),
)
def test_encode_matches_the_codec(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    frame_type: int,
    flags: int,
    payload: bytes,
) -> None:
    message = {"type": frame_type, "flags": flags, "payload_hex": payload.hex()}
    status, out, _ = in_process(
        capsys, tmp_path, ["encode", "--max-frame-size", "256"], json.dumps(message)
    )
    assert status == 0
    expected = Encoder(max_frame_size=256).encode(Message(frame_type, payload, flags))
    assert bytes.fromhex(out) == expected


def test_raw_bytes_in_and_out() -> None:
    encoded = run_cli("encode", "--raw", stdin='{"type": 64, "payload": "raw"}')
    assert encoded.returncode == 0
    assert encoded.stdout == wire.frame(wire.DATA, b"raw")
    decoded = run_cli("decode", "--raw", stdin=encoded.stdout)
    assert json.loads(decoded.stdout) == {"type": 64, "flags": 0, "payload": "raw"}


def test_decode_error_exits_1_after_delivering_what_came_before(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = Encoder().encode(Message(0x40, b"ok")).hex()
    bad = "4657010840000000 00"  # reserved bit R set
    status, out, err = in_process(capsys, tmp_path, ["decode"], good + bad)
    assert status == 1
    assert json.loads(out) == {"type": 64, "flags": 0, "payload": "ok"}
    assert "reserved-flag" in err
    assert "102" in err
    assert "FW-FLG-1" in err


def test_delimited_decode_reports_dropped_frames_and_goes_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    encoder = Encoder(Framing.DELIMITED, checksum=True)
    first = encoder.encode(Message(0x40, b"one"))
    trailer = int.from_bytes(wire.frame(0x40, b"two", checksum=True)[-4:], "big")
    corrupted = wire.delimit(wire.frame(0x40, b"two", checksum=True, crc=trailer ^ 1))
    third = encoder.encode(Message(0x40, b"three"))
    stream = (first + corrupted + third).hex()
    status, out, _ = in_process(capsys, tmp_path, ["decode", "-f", "delimited"], stream)
    results = [json.loads(line) for line in out.splitlines()]
    assert status == 1
    assert len(results) == 3
    assert results[0] == {"type": 64, "flags": 0, "payload": "one"}
    assert results[1]["dropped"]["name"] == "checksum-mismatch"
    assert results[2] == {"type": 64, "flags": 0, "payload": "three"}


@pytest.mark.parametrize(
    "args",
    [
        ["encode", "--max-frame-size", "0"],  # below the minimum of FW-LIM-12
        ["decode", "--framing", "morse"],
        ["frobnicate"],
        [],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert run_cli(*args, stdin="").returncode == 2


@pytest.mark.parametrize(
    "stdin",
    ['{"type": 64, "payload": "x", "payload_hex": "00"}', "not json", '{"type": 3.5}', "[1]"],
)
def test_bad_message_input_exits_2(stdin: str) -> None:
    result = run_cli("encode", stdin=stdin)
    assert result.returncode == 2
    assert b"usage error" in result.stderr


def test_unencodable_message_exits_2() -> None:
    result = run_cli("encode", stdin='{"type": 16, "payload": "reserved type"}')
    assert result.returncode == 2
    assert b"FW-TYP-2" in result.stderr


def test_every_command_has_help_with_an_example() -> None:
    parser = build_parser()
    subparsers = next(
        action for action in parser._actions if action.__class__.__name__ == "_SubParsersAction"
    )
    choices: dict[str, object] = subparsers.choices  # type: ignore[assignment]
    for name in ("encode", "decode", "inspect", "send", "listen", "echo"):
        result = run_cli(name, "--help")
        assert result.returncode == 0
        assert b"example:" in result.stdout, name
        assert name in choices


def _inspect_on_a_terminal(env: dict[str, str]) -> bytes:
    """Run `inspect` with its stdout on a pseudo-terminal and return what it wrote."""
    hex_input = Encoder(checksum=True).encode(Message(0x40, b"hi")).hex()
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "TERM"}} | env
    process = subprocess.Popen(
        [*FRAMEWIRE, "inspect"],
        stdin=subprocess.PIPE,
        stdout=follower,
        stderr=subprocess.PIPE,
        env={**env, "TERM": "xterm-256color"},
    )
    os.close(follower)
    process.communicate(hex_input.encode(), timeout=20)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO once the child has closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.returncode == 0
    return output


def test_inspect_colours_a_terminal_unless_no_color() -> None:
    coloured = _inspect_on_a_terminal({})
    plain = _inspect_on_a_terminal({"NO_COLOR": "1"})
    assert b"\x1b[" in coloured
    assert b"\x1b[" not in plain
    assert b"CRC-32C" in plain
    assert b"magic" in plain


def test_inspect_to_a_pipe_is_plain_and_points_at_the_error() -> None:
    result = run_cli("inspect", stdin="4657010040ffffffff")
    assert result.returncode == 1
    assert b"\x1b[" not in result.stdout
    assert b"frame-too-large" in result.stdout
    assert b"FW-LEN-3" in result.stdout
    assert b"BAD" in result.stdout


def test_inspect_shows_a_session_preface_and_hello() -> None:
    encoder = Encoder()
    stream = Encoder.preface(Framing.LENGTH_PREFIXED) + encoder.hello({1: 4096, 2: 0})
    result = run_cli("inspect", stdin=stream.hex())
    assert result.returncode == 0
    assert b"session preface" in result.stdout
    assert b"MAX_FRAME_SIZE=4096" in result.stdout


@pytest.fixture
def echo_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`framewire echo --once` in a subprocess; yields (address, framing)."""
    framing, family = request.param
    address = "127.0.0.1:0" if family == "tcp" else f"unix:{tmp_path / 'echo.sock'}"
    process = subprocess.Popen(
        [*FRAMEWIRE, "echo", address, "--once", "-f", framing, "--timeout", "5"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    assert process.stderr is not None
    line = process.stderr.readline().decode()
    assert line.startswith("listening on "), line
    yield line.removeprefix("listening on ").strip(), framing
    assert process.wait(timeout=10) == 0
    process.stderr.close()


@pytest.mark.parametrize(
    "echo_server",
    [("length-prefixed", "tcp"), ("delimited", "unix"), ("delimited", "tcp")],
    indirect=True,
)
def test_send_to_echo_over_sockets(echo_server: tuple[str, str]) -> None:
    address, framing = echo_server
    messages = [
        {"type": 64, "flags": 2, "payload": "ping"},
        {"type": 66, "flags": 0, "payload_hex": "00" * 3000},
    ]
    result = run_cli(
        "send",
        address,
        "-f",
        framing,
        "--checksum",
        stdin="\n".join(json.dumps(m) for m in messages),
    )
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == messages


def test_send_to_nobody_exits_1(tmp_path: Path) -> None:
    result = run_cli("send", f"unix:{tmp_path / 'nobody.sock'}", stdin="")
    assert result.returncode == 1
    assert b"TransportError" in result.stderr


def test_conformance_plugs_in_when_present() -> None:
    """Asked of the package that runs (an installed wheel too), not of a checkout's files."""
    result = run_cli("--help")
    has_plugin = importlib.util.find_spec("framewire.conformance.cli") is not None
    assert (b"conformance" in result.stdout) == has_plugin


def _listen_once(path: Path) -> subprocess.Popen[bytes]:
    """`framewire listen --once` on a Unix socket in a subprocess, once it is listening."""
    process = subprocess.Popen(
        [*FRAMEWIRE, "listen", f"unix:{path}", "--once", "--timeout", "5"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.stderr is not None
    assert process.stderr.readline().startswith(b"listening on unix:")
    return process


def test_listen_prints_messages_and_a_failed_connection_exits_1(tmp_path: Path) -> None:
    """`listen --once` prints what a peer sent; a peer that breaks the protocol makes the
    command exit 1 after printing the messages that came before the fault."""
    process = _listen_once(tmp_path / "l.sock")
    sock = raw_connect(str(tmp_path / "l.sock"), Framing.LENGTH_PREFIXED)
    good = Encoder().encode(Message(0x40, b"first"))
    sock.sendall(good + wire.frame(wire.DATA, raw_flags=wire.FLAG_R))  # then a reserved bit
    read_to_eof(sock)
    sock.close()
    out, err = process.communicate(timeout=10)
    assert process.returncode == 1
    assert json.loads(out) == {"conn": 1, "type": 64, "flags": 0, "payload": "first"}
    assert b"reserved-flag" in err


def test_listen_once_exits_when_the_first_connection_fails_its_handshake(
    tmp_path: Path,
) -> None:
    """A peer speaking the other framing fails at the preface, before any handler runs:
    `--once` must still end the command (exit 1, the error named), not wait forever."""
    address = tmp_path / "h.sock"
    process = _listen_once(address)
    sock = raw_connect(str(address), Framing.DELIMITED)
    read_to_eof(sock)
    sock.close()
    out, err = process.communicate(timeout=10)
    assert process.returncode == 1
    assert out == b""
    assert b"bad-preface" in err
