"""Live mode (spec 10.5): play vectors over real sockets against an echo peer.

The runner is the other peer of each session. It learns the echo peer's framing and limits
from a probe connection (FW-CNF-27), turns each applicable vector into a *plan* (bytes to
write, and the echoes, PONGs and ERROR to expect), and plays each plan three ways on fresh
connections (FW-CNF-28), keeping a byte log of every write and read (FW-CNF-30).
"""

from __future__ import annotations

import contextlib
import random
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framewire import addresses
from framewire._io.tls_sync import TlsSocket, tls_handshake
from framewire.addresses import Address
from framewire.conformance import judge, wire
from framewire.conformance.results import CaseResult, DeliveryResult, KnownFailures, Outcome
from framewire.conformance.vectors import JSON, Case, Registry, cut, random_cuts
from framewire.errors import TlsError
from framewire.tls import TlsLayer, prepare_context, resolve_server_hostname

Stream = socket.socket | TlsSocket
"""A connection to the echo peer: a socket, or TLS over one (spec section 12)."""

RUNNER_MAX_FRAME = 1 << 30  # what the runner announces: never a reason to split echoes
RUNNER_MAX_MESSAGE = 0
EOF_ERRORS = ("handshake-incomplete", "truncated-frame", "truncated-message")
"""What an echo peer may send when the runner's half-close ends its input mid-way."""
MAX_DELAY_S = 0.002
RECV_SIZE = 65536
POLL_S = 0.01


class LiveError(Exception):
    """The echo peer cannot be reached or does not speak Framewire (a usage error)."""


def parse_deadlines(text: str) -> dict[str, int]:
    """--live-deadlines "handshake_ms=1000,frame_ms=300" as a dict."""
    deadlines = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not value.isdigit() or name not in ("handshake_ms", "frame_ms"):
            raise LiveError(f"bad deadline {item!r}: use handshake_ms=N,frame_ms=N")
        deadlines[name] = int(value)
    return deadlines


def parse_address(text: str) -> Address:
    """HOST:PORT, [IPV6]:PORT or unix:PATH, as framewire's CLI writes addresses."""
    try:
        return addresses.parse_address(text)
    except ValueError as exc:
        raise LiveError(str(exc)) from exc


class Endpoint:
    """Where each live connection comes from: we connect, or we accept."""

    def open(self, timeout: float) -> Stream:
        """A new connected socket to the echo peer."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the endpoint holds (a listener, a peer process)."""


@dataclass
class ConnectEndpoint(Endpoint):
    """--live-connect / --unix: the echo peer is a server, over TLS with ``tls``."""

    address: Address
    tls: ssl.SSLContext | None = None
    server_hostname: str | None = None

    def open(self, timeout: float) -> Stream:
        sock = socket.socket(addresses.address_family(self.address), socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(self.address)
        except OSError as exc:
            sock.close()
            raise LiveError(f"cannot connect to the echo peer at {self.address}: {exc}") from exc
        if self.tls is None:
            return sock
        try:
            context = prepare_context(self.tls, server_side=False)
            assert context is not None
            name = resolve_server_hostname(context, self.address, self.server_hostname)
            secure = tls_handshake(
                sock, TlsLayer(context, server_side=False, server_hostname=name), timeout
            )
        except (OSError, TlsError) as exc:
            sock.close()
            raise LiveError(f"TLS with the echo peer at {self.address} failed: {exc}") from exc
        secure.settimeout(timeout)
        return secure


@dataclass
class ServeEndpoint(Endpoint):
    """--live-serve: the runner listens and the echo peer connects, once per case."""

    listener: socket.socket
    peer: subprocess.Popen[bytes] | None = None

    @classmethod
    def listen(
        cls, address: Address, peer_command: Sequence[str] | None, log_dir: Path | None = None
    ) -> ServeEndpoint:
        """Listen on ADDRESS and start PEER_COMMAND ({address} replaced) if given.

        The echo peer's own output goes to ``echo-peer.log`` in LOG_DIR, or nowhere: it
        must not mix with the runner's report.
        """
        listener = socket.socket(addresses.address_family(address), socket.SOCK_STREAM)
        listener.bind(address)
        listener.listen(1)
        endpoint = cls(listener)
        if peer_command:
            shown = endpoint.shown_address
            argv = [part.replace("{address}", shown) for part in peer_command]
            output: Any = subprocess.DEVNULL
            if log_dir is not None:
                log_dir.mkdir(parents=True, exist_ok=True)
                output = (log_dir / "echo-peer.log").open("wb")
            endpoint.peer = subprocess.Popen(
                argv, stdout=output, stderr=output, start_new_session=True
            )
            if output is not subprocess.DEVNULL:
                output.close()  # the child holds its own descriptor
        return endpoint

    @property
    def shown_address(self) -> str:
        """The listening address as the echo peer is told it: HOST:PORT, or the socket's path."""
        name = self.listener.getsockname()
        return name if isinstance(name, str) else addresses.format_address((name[0], name[1]))

    def open(self, timeout: float) -> Stream:
        self.listener.settimeout(timeout)
        try:
            sock, _ = self.listener.accept()
        except OSError as exc:
            raise LiveError(f"the echo peer did not connect within {timeout:g} s") from exc
        sock.settimeout(timeout)
        return sock

    def close(self) -> None:
        self.listener.close()  # the echo peer's next connect is refused: it exits
        if self.peer is not None:
            try:
                self.peer.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.peer.kill()
                self.peer.wait()


@dataclass(frozen=True)
class PeerProfile:
    """The echo peer's framing and limits (learnt from its preface and HELLO), and the
    deadlines it was started with (declared by the user with --live-deadlines)."""

    framing: str
    limits: Mapping[str, int]
    deadlines: Mapping[str, int] = field(default_factory=dict)
    controls_handshake: bool = True  # False in --live-serve: the peer's connect starts it


@dataclass(frozen=True)
class Plan:
    """One vector as a live exchange: what to write, and what must come back."""

    input: bytes
    eof: bool
    messages: Sequence[Mapping[str, JSON]]
    sent: Sequence[Mapping[str, str]]
    clean_end: bool  # the echo peer must end its direction cleanly (no reset)
    settle: float = 0.0  # a deadline vector: how long no deadline may expire
    timed: bool = False  # the vector is about deadlines: played whole only
    ends_in_error: bool = False  # a fatal error or the runner's ERROR ends the session
    pauses: Sequence[tuple[int, float]] = ()  # (input offset, seconds to wait before it)
    after_end: bytes = b""  # written one byte per write once the echo peer's output ended


@dataclass
class Exchange:
    """What happened on one connection."""

    received: bytearray = field(default_factory=bytearray)
    log: list[dict[str, Any]] = field(default_factory=list)
    ended: str = ""  # "eof", "reset" or "" (still open / timed out)
    shut_down: bool = False  # the runner half-closed its direction
    ended_first: bool = False  # the echo peer's output ended before the runner's
    after_end_failed: str = ""  # a write of the plan's after_end met a closed socket
    started: float = field(default_factory=time.monotonic)

    def note(self, direction: str, data: bytes = b"", event: str = "") -> None:
        """Append one log line: a write ("out"), a read ("in") or an event."""
        entry: dict[str, Any] = {"ms": round((time.monotonic() - self.started) * 1000, 3)}
        entry["dir"] = direction
        if data:
            entry["hex"] = data.hex()
        if event:
            entry["event"] = event
        self.log.append(entry)


def probe(
    endpoint: Endpoint, timeout: float, deadlines: Mapping[str, int] | None = None
) -> PeerProfile:
    """Learn the echo peer's framing and limits from one clean session (FW-CNF-27)."""
    with contextlib.closing(endpoint.open(timeout)) as sock:
        head = _read_exactly(sock, wire.PREFACE_SIZE, timeout)
        framing = next((f for f, b in wire.FRAMING_BYTES.items() if head[4] == b), None)
        if framing is None or head != wire.preface(framing):
            raise LiveError(f"the echo peer sent no Framewire preface: {head.hex()}")
        sock.sendall(wire.preface(framing) + wire.hello(framing, RUNNER_MAX_FRAME, 0))
        sock.shutdown(socket.SHUT_WR)
        exchange = Exchange()
        exchange.received += head
        _read_to_end(sock, exchange, timeout)
    transcript = wire.read_transcript(bytes(exchange.received), framing)
    if not transcript.items or transcript.items[0][0] != "hello":
        raise LiveError(f"the echo peer sent no HELLO: {exchange.received.hex()}")
    settings = transcript.items[0][1]
    assert isinstance(settings, dict)
    limits = {
        "max_frame_size": settings[wire.SETTING_MAX_FRAME],
        "max_message_size": settings[wire.SETTING_MAX_MESSAGE],
    }
    serving = isinstance(endpoint, ServeEndpoint)
    return PeerProfile(framing, limits, dict(deadlines or {}), controls_handshake=not serving)


def plan(case: Case, peer: PeerProfile, registry: Registry) -> Plan | str:
    """CASE as a live exchange with PEER, or the reason it does not apply (FW-CNF-27)."""
    if case.kind == "encode":
        return "encode vectors have no live form"
    if case.framing != peer.framing or dict(case.raw["limits"]) != dict(peer.limits):
        return f"needs a {case.framing} echo peer with limits {case.raw['limits']}"
    if case.kind == "session":
        return _plan_session(case, peer)
    return _plan_decode(case, peer, registry)


def _plan_session(case: Case, peer: PeerProfile) -> Plan | str:
    """A session vector is played as it is: its input starts with the preface.

    A vector with deadlines applies only when the echo peer runs with the same ones; the
    runner then waits three times the longest deadline for anything unexpected.
    """
    deadlines: Mapping[str, int] = case.raw.get("deadlines", {})
    if any(peer.deadlines.get(name) != value for name, value in deadlines.items()):
        return f"needs an echo peer with deadlines {dict(deadlines)} (--live-deadlines)"
    if deadlines and not peer.controls_handshake:
        return "a deadline vector is played in --live-connect mode only (FW-CNF-28)"
    if "send" in case.raw:
        return "an echo peer's application sends only echoes (FW-CNF-36)"
    expect = case.raw["expect"]
    return Plan(
        case.input,
        case.eof,
        [e["message"] for e in expect["events"] if "message" in e],  # no control (FW-CNF-35)
        expect["sent"],
        clean_end=expect["end"] == "clean",
        settle=max([0.0, *(3 * ms / 1000 for ms in deadlines.values())]),
        timed=bool(deadlines) or "after_end" in case.raw,
        ends_in_error=isinstance(expect["end"], dict),
        pauses=[(p["offset"], p["ms"] / 1000) for p in case.raw.get("pauses", ())],
        after_end=bytes.fromhex(case.raw.get("after_end", "")),
    )


def _plan_decode(case: Case, peer: PeerProfile, registry: Registry) -> Plan | str:
    """A decode vector after the runner's handshake; its first error becomes fatal."""
    raw, expect = case.raw, case.raw["expect"]
    if not case.eof or raw.get("hunting") or not raw.get("assemble", True):
        return "needs end of input, no hunting and whole messages"
    messages: list[Mapping[str, JSON]] = []
    error = expect["end"].get("error") if isinstance(expect["end"], dict) else None
    for event in expect["events"]:
        if "error" in event:
            error = event["error"]
            break
        if event["message"]["type"] < wire.DATA:
            return "expects a control message, which a session does not deliver"
        messages.append(event["message"])
    sent = [{"error": error}] if error and registry.by_name(error).error_frame else []
    handshake = wire.preface(peer.framing) + wire.hello(
        peer.framing, RUNNER_MAX_FRAME, RUNNER_MAX_MESSAGE
    )
    return Plan(
        handshake + case.input,
        True,
        messages,
        sent,
        clean_end=error is None,
        ends_in_error=error is not None,
    )


def live_deliveries(
    data: bytes, rng: random.Random, pauses: Sequence[tuple[int, float]] = ()
) -> Iterator[tuple[str, Sequence[bytes], Sequence[float]]]:
    """(name, pieces, delay before each piece) for the three ways of FW-CNF-28; with
    PAUSES (a deadline vector), "whole" is cut at their offsets and waits there."""
    whole = cut(data, [offset for offset, _ in pauses])
    yield "whole", whole, [0.0, *(seconds for _, seconds in pauses)][: len(whole)]
    yield "bytes", [data[i : i + 1] for i in range(len(data))], [0.0] * len(data)
    pieces = cut(data, random_cuts(len(data), rng))
    yield "split", pieces, [rng.uniform(0, MAX_DELAY_S) if i else 0.0 for i in range(len(pieces))]


def play(
    sock: Stream,
    *,
    pieces: Sequence[bytes],
    delays: Sequence[float],
    eof: bool,
    timeout: float,
    done: Callable[[bytes], bool],
    settle: float = 0.0,
    after_end: bytes = b"",
) -> Exchange:
    """Write PIECES, waiting DELAYS[i] seconds before piece i, while reading everything
    that comes; then half-close (at once if EOF).

    Without EOF the half-close is the barrier of FW-CNF-33: it comes once DONE says
    everything expected has arrived and, for a deadline vector, SETTLE seconds have
    passed (three times its longest deadline), never after a fixed quiet time. AFTER_END
    is written one byte per write once the echo peer's output has ended (FW-SES-8).
    """
    exchange = Exchange()
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = threading.Thread(target=_read_to_end, args=(sock, exchange, timeout), daemon=True)
    reader.start()
    try:
        for piece, delay in zip(pieces, delays, strict=True):
            if delay:
                time.sleep(delay)
            exchange.note("out", piece)  # logged first: the reply may beat the note
            sock.sendall(piece)
        deadline = time.monotonic() + timeout  # the wait for the replies starts now
        if not eof:
            while time.monotonic() < deadline and not done(bytes(exchange.received)):
                time.sleep(POLL_S)
            settle_until = time.monotonic() + settle
            while time.monotonic() < settle_until and not exchange.ended:
                time.sleep(POLL_S)  # a deadline must not expire before this
        if after_end:
            while time.monotonic() < deadline and not exchange.ended:
                time.sleep(POLL_S)
            for index in range(len(after_end)):
                exchange.note("out", after_end[index : index + 1])
                try:
                    sock.sendall(after_end[index : index + 1])
                except (OSError, TlsError) as exc:
                    exchange.after_end_failed = str(exc)
                    raise
        exchange.note("out", event="shutdown")
        exchange.shut_down = True
        sock.shutdown(socket.SHUT_WR)
    except (OSError, TlsError) as exc:  # the echo peer may close early on an error: keep reading
        exchange.note("out", event=f"write failed: {exc}")
    reader.join(timeout)  # the echo peer's end of input, after the runner's (or a reset)
    with contextlib.suppress(OSError, TlsError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes the reader: close() alone would not
    reader.join(timeout)
    sock.close()
    return exchange


def _read_to_end(sock: Stream, exchange: Exchange, timeout: float) -> None:
    sock.settimeout(timeout)
    while True:
        try:
            data = sock.recv(RECV_SIZE)
        except TimeoutError:
            exchange.note("in", event="timeout")
            return
        except (OSError, TlsError) as exc:
            if exchange.ended or sock.fileno() < 0:
                return
            exchange.ended = "reset"
            exchange.note("in", event=f"reset: {exc}")
            return
        if not data:
            exchange.ended = "eof"
            exchange.ended_first = not exchange.shut_down
            exchange.note("in", event="eof")
            return
        exchange.received += data
        exchange.note("in", data)


def _read_exactly(sock: Stream, size: int, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise LiveError(f"the echo peer closed after {data.hex()!r}")
        data += chunk
    return bytes(data)


def judge_exchange(
    exchange: Exchange, steps: Plan, peer: PeerProfile, registry: Registry, eof: bool
) -> str | None:
    """The difference between what the echo peer did and the plan (FW-CNF-29), or None."""
    difference = judge.check_output(
        bytes(exchange.received),
        peer.framing,
        peer.limits,
        messages=steps.messages,
        sent=steps.sent,
        registry=registry,
        echo_prefix=steps.ends_in_error,
    )
    if difference and not eof and not steps.ends_in_error:
        # FW-CNF-33: the runner's half-close was a barrier; the end of input it made may
        # be answered with the ERROR for that end, after everything the vector expects.
        for name in EOF_ERRORS:
            if not judge.check_output(
                bytes(exchange.received),
                peer.framing,
                peer.limits,
                messages=steps.messages,
                sent=[*steps.sent, {"error": name}],
                registry=registry,
            ):
                difference = None
                break
    if difference:
        return difference
    if exchange.after_end_failed:
        return (
            "a write after the echo peer's ERROR and end of input failed: it closed instead "
            f"of lingering until the runner's end of input (FW-SES-8): {exchange.after_end_failed}"
        )
    if eof and not exchange.ended:
        return "the echo peer did not end its output (no end of input before the timeout)"
    if steps.clean_end and eof and exchange.ended_first:
        return "the echo peer ended its output before the runner's end of input (FW-CNF-25)"
    if steps.clean_end and exchange.ended == "reset":
        return "the connection was reset instead of ending cleanly (FW-CLS-4)"
    return None


def run_live(
    endpoint: Endpoint,
    cases: Iterable[Case],
    *,
    registry: Registry,
    seed: int,
    timeout: float,
    known: KnownFailures,
    progress: Callable[[CaseResult], None] | None = None,
    log_dir: Path | None = None,
    deadlines: Mapping[str, int] | None = None,
    jobs: int = 1,
) -> tuple[PeerProfile, list[CaseResult]]:
    """Probe the echo peer, then play every applicable case three ways.

    With `jobs` above 1, that many cases are played at once, each on connections of its
    own (an echo server serves them side by side); the results keep the cases' order, and
    each case's deliveries and random splits are the same as when played alone.
    """
    peer = probe(endpoint, timeout, deadlines)

    def settle(case: Case) -> CaseResult:
        steps = plan(case, peer, registry)
        if isinstance(steps, str):
            return CaseResult(case, "live", Outcome.NOT_APPLICABLE, steps)
        result = known.settle(
            _run_plan(
                endpoint, case, steps, peer=peer, registry=registry, seed=seed, timeout=timeout
            )
        )
        if log_dir is not None:
            _write_logs(log_dir, result)
        for delivery in result.deliveries:
            if delivery.ok:
                delivery.log = None  # only failures keep their log in the report
        return result

    results = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for result in pool.map(settle, cases):
            results.append(result)
            if progress:
                progress(result)
    return peer, results


def _run_plan(
    endpoint: Endpoint,
    case: Case,
    steps: Plan,
    *,
    peer: PeerProfile,
    registry: Registry,
    seed: int,
    timeout: float,
) -> CaseResult:
    result = CaseResult(case, "live", Outcome.PASSED)
    rng = random.Random(f"{seed}:{case.id}:live")

    def complete(received: bytes) -> bool:
        expected = judge.check_output(
            received,
            peer.framing,
            peer.limits,
            messages=steps.messages,
            sent=steps.sent,
            registry=registry,
            echo_prefix=steps.ends_in_error,
        )
        return expected is None

    for name, pieces, delays in live_deliveries(steps.input, rng, steps.pauses):
        if steps.timed and name != "whole":
            continue  # a deadline vector tests time, not cutting: once is enough
        sock = endpoint.open(timeout)
        exchange = play(
            sock,
            pieces=pieces,
            delays=delays,
            eof=steps.eof,
            timeout=timeout,
            done=complete,
            settle=steps.settle,
            after_end=steps.after_end,
        )
        difference = judge_exchange(exchange, steps, peer, registry, steps.eof)
        result.deliveries.append(
            DeliveryResult(name, difference is None, difference or "", log=exchange.log)
        )
    if result.failures:
        result.outcome = Outcome.FAILED
    return result


def _write_logs(log_dir: Path, result: CaseResult) -> None:
    log_dir.mkdir(parents=True, exist_ok=True)
    for delivery in result.deliveries:
        lines = [
            f"{e['ms']:10.3f} ms {e['dir']:>3} {e.get('event') or e.get('hex', '')}"
            for e in delivery.log or ()
        ]
        verdict = "ok" if delivery.ok else f"FAILED: {delivery.detail}"
        path = log_dir / f"{result.case.id}-{delivery.delivery}.log"
        path.write_text("\n".join([f"# {result.case.id} {verdict}", *lines]) + "\n", "utf-8")
