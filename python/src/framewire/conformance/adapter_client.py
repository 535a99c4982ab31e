"""The runner's side of the adapter protocol (spec 10.3): one adapter subprocess.

The adapter is untrusted: it may print garbage, die, or hang. Every read has a deadline
(selectors on the pipe, never a blocking readline), and any fault kills the adapter's whole
process group and starts a fresh one (FW-CNF-21, FW-CNF-22), so one bad case never takes
the run down with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shlex
import signal
import subprocess
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PROTOCOL_VERSIONS = (1, 2)
"""The adapter protocol versions the runner speaks (FW-CNF-10, FW-CNF-38)."""
LATEST_VERSION = PROTOCOL_VERSIONS[-1]
HELLO_ATTEMPTS = 3
STDERR_LINES_KEPT = 20
READ_SIZE = 65536


class AdapterFaultError(Exception):
    """The adapter broke the protocol for one request: the case fails, the adapter restarts."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind  # "malformed reply", "adapter died" or "timeout"
        self.detail = detail


class AdapterUnusableError(Exception):
    """The adapter cannot be started or fails its hello: the run stops (a usage error)."""


@dataclass(frozen=True)
class AdapterInfo:
    """What the adapter said about itself in its hello reply."""

    version: int
    implementation: str
    profiles: tuple[str, ...]
    receive: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per request kind ("decode", "session"), the receive paths to run each vector through
    (FW-CNF-31); a kind not listed has one unnamed path."""
    control: frozenset[str] = frozenset()
    """The optional control events the adapter reports ("ping", FW-CNF-35)."""


class AdapterProcess:
    """A running adapter that answers requests one at a time, restarted after any fault."""

    def __init__(self, command: str | Sequence[str], timeout: float) -> None:
        self.argv = shlex.split(command) if isinstance(command, str) else list(command)
        if not self.argv:
            raise AdapterUnusableError("empty adapter command")
        self.timeout = timeout
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_LINES_KEPT)
        self.restarts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._buffer = bytearray()
        self._seq = 0
        self.info = self._start_with_hello()

    def request(self, op: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Send one request and return its reply, or raise AdapterFaultError (adapter restarted)."""
        self._seq += 1
        message = {"op": op, "seq": self._seq, **fields}
        try:
            reply = self._exchange(message)
            if reply.get("seq") != self._seq:
                raise AdapterFaultError(
                    "malformed reply", f"seq {reply.get('seq')!r} != {self._seq}"
                )
        except AdapterFaultError:
            self.restart()
            raise
        return reply

    def close(self) -> None:
        """End the adapter: close its stdin (FW-CNF-8), then kill it if it lingers."""
        process = self._process
        self._process = None
        if process is None:
            return
        if process.stdin:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=min(self.timeout, 2.0))
        except subprocess.TimeoutExpired:
            _kill_group(process)
        self._drain_stderr(process)
        if process.stdout:
            process.stdout.close()

    def __enter__(self) -> AdapterProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------

    def _start_with_hello(self) -> AdapterInfo:
        last_problem = ""
        for _ in range(HELLO_ATTEMPTS):
            try:
                self._spawn()
                return self._hello()
            except AdapterFaultError as fault:
                last_problem = str(fault)
                self._kill()
        raise AdapterUnusableError(
            f"adapter {shlex.join(self.argv)!r} failed its hello {HELLO_ATTEMPTS} times: "
            f"{last_problem}; stderr: {' | '.join(self.stderr_tail)}"
        )

    def _spawn(self) -> None:
        try:
            self._process = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group: we can kill it whole
            )
        except OSError as exc:
            raise AdapterUnusableError(f"cannot start adapter {self.argv[0]!r}: {exc}") from exc
        self._buffer.clear()

    def _hello(self) -> AdapterInfo:
        reply = self._exchange({"op": "hello", "versions": list(PROTOCOL_VERSIONS)})
        version = reply.get("version")
        if reply.get("op") != "hello" or version not in PROTOCOL_VERSIONS:
            raise AdapterUnusableError(f"adapter speaks no protocol version we know: {reply!r}")
        implementation = reply.get("implementation")
        profiles = reply.get("profiles")
        if not isinstance(implementation, str) or not implementation:
            raise AdapterFaultError("malformed reply", "hello without an implementation name")
        if not isinstance(profiles, list) or not all(isinstance(p, str) for p in profiles):
            raise AdapterFaultError("malformed reply", "hello without a list of profiles")
        control = reply.get("control", [])
        if not isinstance(control, list) or not all(isinstance(c, str) for c in control):
            raise AdapterFaultError("malformed reply", "hello with a malformed 'control' field")
        return AdapterInfo(
            int(version), implementation, tuple(profiles), _receive_paths(reply), frozenset(control)
        )

    def restart(self) -> None:
        """Kill the adapter and start a fresh one (FW-CNF-22)."""
        self._kill()
        self.restarts += 1
        self.info = self._start_with_hello()

    def _kill(self) -> None:
        process = self._process
        self._process = None
        if process is None:
            return
        _kill_group(process)
        self._drain_stderr(process)
        for stream in (process.stdin, process.stdout):
            if stream:
                with contextlib.suppress(OSError):
                    stream.close()

    def _drain_stderr(self, process: subprocess.Popen[bytes]) -> None:
        """Keep the last lines the adapter wrote on stderr, for the report."""
        if process.stderr is None:
            return
        try:
            os.set_blocking(process.stderr.fileno(), False)
            data = process.stderr.read() or b""
        except (OSError, ValueError):
            data = b""
        for line in data.decode("utf-8", "replace").splitlines():
            self.stderr_tail.append(line)
        process.stderr.close()

    def _exchange(self, message: Mapping[str, Any]) -> dict[str, Any]:
        process = self._process
        assert process is not None
        assert process.stdin is not None
        try:
            process.stdin.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
            process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise AdapterFaultError("adapter died", f"writing the request failed: {exc}") from exc
        line = self._read_line(process)
        try:
            reply = json.loads(line)
        except ValueError as exc:
            raise AdapterFaultError("malformed reply", f"not JSON: {line[:200]!r}") from exc
        if not isinstance(reply, dict):
            raise AdapterFaultError("malformed reply", f"not a JSON object: {line[:200]!r}")
        return reply

    def _read_line(self, process: subprocess.Popen[bytes]) -> bytes:
        """One reply line, within the per-request timeout, without ever blocking past it.

        The adapter's stderr is drained at the same time, so an adapter that writes a lot
        of logging cannot deadlock on a full stderr pipe.
        """
        assert process.stdout is not None
        assert process.stderr is not None
        deadline = time.monotonic() + self.timeout
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            selector.register(process.stderr, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AdapterFaultError("timeout", f"no reply within {self.timeout:g} s")
                for key, _ in selector.select(remaining):
                    chunk = os.read(key.fd, READ_SIZE)
                    if key.fileobj is process.stderr:
                        if chunk:
                            text = chunk.decode("utf-8", "replace")
                            self.stderr_tail.extend(text.splitlines())
                        else:
                            selector.unregister(process.stderr)
                    elif chunk:
                        self._buffer += chunk
                    else:
                        status = process.wait(timeout=self.timeout)
                        raise AdapterFaultError("adapter died", f"exit status {status}")
        line, _, rest = self._buffer.partition(b"\n")
        self._buffer[:] = rest
        return bytes(line)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the adapter and every process it started (its own process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def _receive_paths(reply: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The optional `receive` field of a hello reply: {kind: [path name, ...]} (FW-CNF-31)."""
    receive = reply.get("receive", {})
    if not isinstance(receive, dict) or not all(
        isinstance(paths, list) and paths and all(isinstance(p, str) and p for p in paths)
        for paths in receive.values()
    ):
        raise AdapterFaultError("malformed reply", "hello with a malformed 'receive' field")
    return {str(kind): tuple(paths) for kind, paths in receive.items()}
