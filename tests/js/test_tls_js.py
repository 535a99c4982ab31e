"""Framewire over TLS between the Python and JavaScript implementations, both ways, and
the JavaScript TLS tests (js/test/tls.test.js) with the same trustme certificates."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
from pathlib import Path

import pytest
from helpers.io_peers import DATA, frame
from helpers.js_peers import JS_BIN, NODE, WAIT, javascript_echo_server
from helpers.tls_peers import TlsFiles, end_without_close_notify, raw_tls_connect, read_tls_to_end

from framewire import Framing, aio, sync
from framewire.events import Message
from framewire.options import Options

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not on PATH: the JavaScript peer cannot run"),
    pytest.mark.timeout(60),
]

JS_DIR = JS_BIN.parent
MESSAGES = [Message(DATA, b""), Message(0x41, b"over TLS", 3), Message(0xFF, bytes(300_000), 15)]
LOCALHOST = ("127.0.0.1", 0)


def js_server_args(files: TlsFiles) -> tuple[str, ...]:
    return ("--tls", "--certfile", str(files.cert), "--keyfile", str(files.key))


def test_javascript_tls_suite(tls_files: TlsFiles) -> None:
    """js/test/tls.test.js: a JS client and server over TLS, and the bad set-ups."""
    assert NODE is not None
    completed = subprocess.run(
        [NODE, "--test", str(JS_DIR / "test" / "tls.test.js")],
        cwd=JS_DIR,
        env={**os.environ, "FRAMEWIRE_TLS_DIR": str(tls_files.ca.parent)},
        capture_output=True,
        text=True,
        timeout=WAIT * 4,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "# pass 5" in completed.stdout
    assert "# skipped 0" in completed.stdout


@pytest.mark.parametrize("transport", ["sync", "aio"])
def test_python_client_to_javascript_server_over_tls(
    tls_files: TlsFiles, framing: Framing, transport: str
) -> None:
    """The JS echo peer answers every message and half-closes after our close_notify."""
    with javascript_echo_server(LOCALHOST, framing, *js_server_args(tls_files)) as server:
        if transport == "sync":
            with sync.connect(
                server.address, options=Options(framing), ssl=tls_files.client()
            ) as channel:
                for message in MESSAGES:
                    channel.send(message)
                channel.close_write()
                replies = list(channel)
        else:

            async def scenario() -> list[Message]:
                async with await aio.open_connection(
                    server.address, options=Options(framing), ssl=tls_files.client()
                ) as channel:
                    for message in MESSAGES:
                        await channel.send(message)
                    await channel.close_write()
                    return [message async for message in channel]

            replies = asyncio.run(scenario())
    assert replies == MESSAGES
    assert "error" not in server.log.lower(), server.log


def test_javascript_client_to_python_server_over_tls(
    tls_files: TlsFiles, framing: Framing, tmp_path: Path
) -> None:
    """interop-client.js --tls sends, half-closes with close_notify, and gets the echoes
    and the Python server's clean end."""
    assert NODE is not None
    received: list[Message] = []
    done = threading.Event()

    def echo(channel: sync.Channel) -> None:
        try:
            for message in channel:
                received.append(message)
                channel.send(message)
        finally:
            done.set()

    script = tmp_path / "messages.json"
    script.write_text(
        json.dumps(
            [
                {"type": m.type, "flags": m.flags, "checksum": False, "payload": ""}
                for m in MESSAGES[:2]
            ]
        )
    )
    with sync.serve(LOCALHOST, echo, options=Options(framing), ssl=tls_files.server()) as server:
        assert isinstance(server.address, tuple)
        host, port = server.address
        completed = subprocess.run(
            [
                NODE,
                str(JS_BIN / "interop-client.js"),
                "--host",
                str(host),
                "--port",
                str(port),
                "--framing",
                framing.value,
                "--messages",
                str(script),
                "--tls",
                "--cafile",
                str(tls_files.ca),
                "--server-name",
                "localhost",
            ],
            capture_output=True,
            text=True,
            timeout=WAIT + 5,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        assert done.wait(WAIT)
        assert server.errors == []
    report = json.loads(completed.stdout)
    assert report["failure"] is None
    assert report["cleanEnd"] is True
    assert [(r["type"], r["flags"], r["size"]) for r in report["received"]] == [
        (m.type, m.flags, 0) for m in MESSAGES[:2]
    ]
    assert [(m.type, m.flags) for m in received] == [(m.type, m.flags) for m in MESSAGES[:2]]


def test_javascript_server_detects_a_truncation_inside_a_frame(
    tls_files: TlsFiles, framing: Framing
) -> None:
    """A TCP end without close_notify in the middle of a frame is truncated-frame for the
    JavaScript peer (FW-CLS-5); at a frame boundary it could not tell (spec 12.3)."""
    with javascript_echo_server(LOCALHOST, framing, *js_server_args(tls_files)) as server:
        sock = raw_tls_connect(server.address, tls_files, framing)
        with sock:
            sock.sendall(frame(framing, 0, DATA, b"cut short")[:6])
            end_without_close_notify(sock)
            read_tls_to_end(sock)
    assert "truncated-frame" in server.log, server.log
