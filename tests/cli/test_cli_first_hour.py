"""What a newcomer meets in the first hour with ``framewire``: every failure is one line
with a documented exit status (no traceback), ``send`` is interactive on a terminal,
client certificates and TLS mix-ups are said in words."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.io_peers import echo, events_in, handshake_bytes
from helpers.tls_peers import TlsFiles
from test_cli_interrupt import Terminal

from framewire import Framing, Limits, tls
from framewire._codec import schema
from framewire.addresses import format_address
from framewire.events import Piece
from framewire.sync import Channel, Server, serve
from framewire.tls import server_context

pytestmark = pytest.mark.timeout(60)

FRAMEWIRE = [sys.executable, "-m", "framewire"]
MESSAGE = '{"type": 64, "payload": "hi"}\n'


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FRAMEWIRE, *args], input=stdin, capture_output=True, text=True, timeout=40, check=False
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """Standard error, checked to be one line and no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


@pytest.fixture
def echo_server() -> Iterator[Server]:
    with serve(("127.0.0.1", 0), echo) as server:
        yield server


# --- send on a terminal ----------------------------------------------------------------


def test_send_on_a_terminal_connects_first_and_prints_each_reply(
    echo_server: Server, tmp_path: Path
) -> None:
    terminal = Terminal(["send", format_address(echo_server.address)], tmp_path)
    try:
        terminal.wait_until(lambda t: "connected to" in t.text())
        os.write(terminal.master, b'{"type": 64, "payload": "one"}\n')
        terminal.wait_until(lambda t: '"payload": "one"' in t.text())
        os.write(terminal.master, b"oops\n")  # a typo is reported, the connection stays
        terminal.wait_until(lambda t: "not sent" in t.text())
        os.write(terminal.master, b'{"type": 65, "payload": "two"}\n')
        terminal.wait_until(lambda t: '"payload": "two"' in t.text())
        status = terminal.end_input()  # the echo server ends too
    finally:
        terminal.close()
    assert status == 0, terminal.text()
    assert "--text sends lines" in terminal.text()
    assert "Traceback" not in terminal.text()


def test_interactive_send_with_a_client_certificate_through_the_installed_command(
    tls_files: TlsFiles, tmp_path: Path
) -> None:
    """The ``framewire`` command as installed, as a user runs it: ``listen`` requiring
    client certificates, ``send`` on a terminal presenting one. It connects before the
    first line is typed, and each line reaches the listener as it is typed."""
    command = [str(Path(sys.executable).with_name("framewire"))]
    server_tls = ["--tls", "--certfile", str(tls_files.cert), "--keyfile", str(tls_files.key)]
    client = ["--certfile", str(tls_files.client_cert), "--keyfile", str(tls_files.client_key)]
    lines: list[str] = []
    with subprocess.Popen(
        [*command, "listen", "127.0.0.1:0", *server_tls, "--cafile", str(tls_files.ca)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as listen:
        assert listen.stdout is not None
        output = listen.stdout
        address = output.readline().split()[-1]  # "listening on HOST:PORT"
        reader = threading.Thread(target=lambda: lines.extend(iter(output.readline, "")))
        reader.start()
        terminal = Terminal(["send", address, *tls_args(tls_files), *client], tmp_path, command)
        try:
            terminal.wait_until(lambda t: "connected to" in t.text())
            for word in ("one", "two"):
                os.write(terminal.master, b'{"type": 64, "payload": "%s"}\n' % word.encode())
                expected = f'"payload": "{word}"'
                terminal.wait_until(lambda t: any(expected in line for line in lines))  # noqa: B023
            status = terminal.end_input()
        finally:
            terminal.close()
            listen.terminate()
            reader.join(10)
    assert status == 0, terminal.text()
    assert "Traceback" not in terminal.text() + "".join(lines)
    assert any('"conn": 1, "type": 64, "flags": 0, "payload": "two"' in line for line in lines)


def test_send_text_lines_interactively_from_a_pipe(echo_server: Server) -> None:
    result = run(
        "send", "--interactive", "--text", format_address(echo_server.address), stdin="a\nb\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        '{"type": 64, "flags": 0, "payload": "a"}',
        '{"type": 64, "flags": 0, "payload": "b"}',
    ]


def test_send_timeout_bounds_the_wait_for_the_peers_end() -> None:
    """A peer that receives and never ends: --timeout 1 is the wait after our end."""
    release = threading.Event()

    def silent(channel: Channel) -> None:
        release.wait(30)

    with serve(("127.0.0.1", 0), silent) as server:
        started = time.monotonic()
        result = run("send", "--timeout", "1", format_address(server.address), stdin=MESSAGE)
        took = time.monotonic() - started
        release.set()
    assert result.returncode == 1
    assert "did not end the connection within 1 s" in one_line(result)
    assert took < 8  # 1 s, plus start-up on a loaded machine; it took 8 s and more


def test_send_max_frame_size_help_says_what_it_does() -> None:
    help_text = " ".join(run("send", "--help").stdout.split())
    assert "the size the frames sent are split to" in help_text
    assert "largest frame payload accepted" in help_text


def frames_sent_by(args: list[str], stdin: str) -> list[Piece]:
    """The data frames ``framewire send ARGS`` puts on the wire, as a plain socket
    (answering with a handshake that allows frames of any size) receives them."""
    received = bytearray()
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def capture() -> None:
            sock, _ = listener.accept()
            with sock:
                sock.sendall(
                    handshake_bytes(Framing.LENGTH_PREFIXED, Limits(schema.MAX_FRAME_SIZE.maximum))
                )
                while chunk := sock.recv(65536):  # until send's half-close
                    received.extend(chunk)

        peer = threading.Thread(target=capture)
        peer.start()
        result = run("send", *args, format_address(listener.getsockname()[:2]), stdin=stdin)
        peer.join(30)
    assert result.returncode == 0, result.stderr
    events = events_in(bytes(received), streaming=True)
    return [event for event in events if isinstance(event, Piece)]


def test_send_splits_its_frames_to_max_frame_size() -> None:
    message = json.dumps({"type": 64, "payload": "x" * 3000}) + "\n"
    frames = frames_sent_by(["--max-frame-size", "1024"], message)
    assert [len(frame.payload) for frame in frames] == [1024, 1024, 952]
    assert b"".join(frame.payload for frame in frames) == b"x" * 3000


def test_send_splits_to_the_peers_limit_without_max_frame_size() -> None:
    message = json.dumps({"type": 64, "payload": "x" * 3000}) + "\n"
    assert [len(frame.payload) for frame in frames_sent_by([], message)] == [3000]


# --- one line for each failure ---------------------------------------------------------


def test_serial_session_without_an_answer_is_one_line(tmp_path: Path) -> None:
    """A serial port where nothing answers (a pseudo-terminal nobody reads)."""
    master, slave = os.openpty()
    try:
        result = run(
            "send", "--serial", os.ttyname(slave), "--session", "--timeout", "1", stdin=MESSAGE
        )
    finally:
        os.close(master)
        os.close(slave)
    assert result.returncode == 1
    assert "no answer" in one_line(result)


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        (["decode", "{raw}"], "", "add --raw"),
        (["send", "--timeout", "0", "127.0.0.1:1"], MESSAGE, "positive number of seconds, not 0"),
        (["decode", "--max-frame-size", "10"], "", "--max-frame-size 10"),
        (["send", "--serial", "loop://", "127.0.0.1:5"], "", "give one"),
        (["send", "--serial", "loop://", "--baud", "0"], MESSAGE, "--baud"),
    ],
    ids=["raw-to-decode", "timeout-0", "limit-flag", "serial-and-address", "baud-0"],
)
def test_input_mistakes_say_what_to_do(
    args: list[str], stdin: str, expected: str, tmp_path: Path
) -> None:
    raw = tmp_path / "frames.bin"
    raw.write_bytes(b"WXYZ\x00\x01")
    result = run(*[arg.replace("{raw}", str(raw)) for arg in args], stdin=stdin)
    assert result.returncode == 2
    line = one_line(result)
    assert expected in line
    assert "None" not in line
    assert "max_frame_size" not in line


def test_a_certificate_without_its_key_is_named(tls_files: TlsFiles) -> None:
    result = run("echo", "127.0.0.1:0", "--tls", "--certfile", str(tls_files.cert))
    assert result.returncode == 2
    line = one_line(result)
    assert "--keyfile" in line
    assert "pem lib" not in line


# --- TLS in words ----------------------------------------------------------------------


@pytest.fixture
def tls_server(tls_files: TlsFiles) -> Iterator[Server]:
    """An echo server that requires client certificates signed by the test CA."""
    context = server_context(str(tls_files.cert), str(tls_files.key), str(tls_files.ca))
    with serve(("127.0.0.1", 0), echo, ssl=context) as server:
        yield server


def tls_args(files: TlsFiles) -> list[str]:
    return ["--tls", "--cafile", str(files.ca), "--server-name", "localhost"]


def test_send_presents_a_client_certificate(tls_server: Server, tls_files: TlsFiles) -> None:
    result = run(
        "send",
        format_address(tls_server.address),
        *tls_args(tls_files),
        "--certfile",
        str(tls_files.client_cert),
        "--keyfile",
        str(tls_files.client_key),
        stdin=MESSAGE,
    )
    assert result.returncode == 0, result.stderr
    assert '"payload": "hi"' in result.stdout


def test_a_missing_client_certificate_is_said_in_words(
    tls_server: Server, tls_files: TlsFiles
) -> None:
    result = run("send", format_address(tls_server.address), *tls_args(tls_files), stdin=MESSAGE)
    assert result.returncode == 1
    line = one_line(result)
    assert "the server requires a client certificate" in line
    assert "--certfile" in line


def test_a_plain_client_is_told_the_port_speaks_tls(tls_server: Server) -> None:
    result = run("send", format_address(tls_server.address), stdin=MESSAGE)
    assert result.returncode == 1
    line = one_line(result)
    assert "this port speaks TLS, add --tls" in line
    assert "connect with TLS" not in line  # the library's hint, which says less


def test_a_tls_client_is_told_the_port_does_not_speak_tls(
    echo_server: Server, tls_files: TlsFiles
) -> None:
    result = run("send", format_address(echo_server.address), *tls_args(tls_files), stdin=MESSAGE)
    assert result.returncode == 1
    assert "does not speak TLS: it speaks Framewire without it" in one_line(result)


def test_the_conformance_runner_presents_a_client_certificate(
    tls_server: Server, tls_files: TlsFiles
) -> None:
    result = run(
        "conformance",
        "--live-connect",
        format_address(tls_server.address),
        *tls_args(tls_files),
        "--certfile",
        str(tls_files.client_cert),
        "--keyfile",
        str(tls_files.client_key),
        "--only",
        "FW-LPF-1*",
        "--quiet",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().startswith("PASS"), result.stdout


# --- conformance help and --quiet ------------------------------------------------------


def test_every_conformance_option_has_help() -> None:
    lines = run("conformance", "--help").stdout.splitlines()
    for option in ("--skip", "--known-failures", "--report-json", "--junit"):
        at = next(n for n, line in enumerate(lines) if line.strip().startswith(option))
        # The help follows the option on its line, or on the next when the option is long.
        words = lines[at].split()[2:] or lines[at + 1].split()
        assert words, f"{option} has no help"
        assert not words[0].startswith("-"), f"{option} has no help"


def test_conformance_quiet_still_says_pass_or_fail() -> None:
    result = run(
        "conformance",
        "--adapter",
        f"{sys.executable} -m framewire.conformance.adapter",
        "--only",
        "FW-LPF-1",
        "--quiet",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0].startswith("PASS"), result.stdout


def test_the_tls_module_knows_the_preface_signature() -> None:
    """Written out in framewire.tls (FW-CNF-4 keeps the codec out of it): the same bytes."""
    assert tls.PREFACE_SIGNATURE == schema.PREFACE_SIGNATURE


# --- listen says which connection each message came on ---------------------------------


def test_listen_tags_each_message_with_its_connection_number(tmp_path: Path) -> None:
    """Two clients at once: each line carries the number of the log's ``conn N`` lines,
    and the tagged line can still be fed to ``send``."""
    command = [*FRAMEWIRE, "listen", f"unix:{tmp_path / 'fw.sock'}", "--timeout", "5"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        assert server.stderr.readline().startswith("listening on")
        address = f"unix:{tmp_path / 'fw.sock'}"
        first = run("send", address, stdin='{"type": 64, "payload": "from one"}\n')
        second = run("send", address, stdin='{"type": 64, "payload": "from two"}\n')
        assert first.returncode == second.returncode == 0
    finally:
        server.send_signal(2)
        out, err = server.communicate(timeout=20)
    lines = out.splitlines()
    assert lines == [
        '{"conn": 1, "type": 64, "flags": 0, "payload": "from one"}',
        '{"conn": 2, "type": 64, "flags": 0, "payload": "from two"}',
    ]
    assert "conn 2 accepted" in err
    assert run("send", "--batch", "127.0.0.1:1", stdin=lines[0]).returncode == 1  # not 2
