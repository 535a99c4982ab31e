"""The JavaScript implementation's programs (js/bin) as peers of Python tests."""

from __future__ import annotations

import contextlib
import select
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from framewire import Framing
from framewire.addresses import Address

NODE = shutil.which("node")
"""The Node.js binary, or None: tests that need a JavaScript peer skip without it."""
JS_BIN = Path(__file__).resolve().parents[2] / "js" / "bin"
WAIT = 15.0
"""Seconds any single wait on a JavaScript peer may take: well inside pytest's timeout."""


def node_address_args(address: Address) -> list[str]:
    """The command-line options that name ``address`` for the JavaScript programs."""
    if isinstance(address, str):
        return ["--unix", address]
    return ["--host", address[0], "--port", str(address[1])]


class JsEchoServer:
    """A running ``js/bin/echo-server.js``; ``log`` is its stderr, filled once it stopped."""

    def __init__(self, address: Address) -> None:
        self.address = address
        self.log = ""


@contextlib.contextmanager
def javascript_echo_server(
    address: Address, framing: Framing, *limit_args: str
) -> Iterator[JsEchoServer]:
    """Run the JavaScript echo peer on ``address`` until the block ends."""
    assert NODE is not None
    command = [NODE, str(JS_BIN / "echo-server.js"), "--framing", framing.value]
    process = subprocess.Popen(
        [*command, *node_address_args(address), *limit_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    server = JsEchoServer(address)
    try:
        ready, _, _ = select.select([process.stdout], [], [], WAIT)
        line = process.stdout.readline() if ready else ""
        assert line.startswith("listening "), f"echo server did not start: {line!r}"
        where = line.removeprefix("listening ").strip()
        if isinstance(address, str):
            server.address = where
        else:
            host, _, port = where.rpartition(":")
            server.address = (host, int(port))
        yield server
    finally:
        process.terminate()
        _, server.log = process.communicate(timeout=WAIT)
