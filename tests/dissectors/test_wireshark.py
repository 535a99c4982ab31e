"""The Wireshark dissector (dissectors/framewire.lua) against the test vectors, in tshark.

Every decode vector, every encode vector (its expected output decoded) and every session
vector that does not need real time is written into one pcap file as a TCP stream of its
own (split into segments, so frames span segments and are reassembled), with a FIN on the
last segment when the vector ends its input. Each group of vectors with the same limits,
framing and profile gets its own server port, set up with the dissector's "More ports"
preference, and ONE tshark run dissects them all (``-T pdml``). For each vector the
messages, pieces, dropped frames and the final error that the dissector shows must equal
the vector's expectation.

Skipped, with the reason, when tshark (with Lua) is not installed: ``.ci/run`` installs
it.
"""

from __future__ import annotations

import contextlib
import io
import json
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers.js_peers import NODE, javascript_echo_server
from helpers.pcap import Capture
from rich.console import Console

from framewire import Encoder, Framing, Limits
from framewire.events import Message
from framewire.options import Options
from framewire.sync import Channel

ROOT = Path(__file__).resolve().parents[2]
DISSECTOR = ROOT / "dissectors" / "framewire.lua"
VECTORS = ROOT / "vectors"
TSHARK = shutil.which("tshark")
FIRST_PORT = 7100
FIRST_CLIENT_PORT = 20000
TSHARK_TIMEOUT = 600


def _tshark_problem() -> str | None:
    if TSHARK is None:
        return "tshark is not installed (apt-get install tshark): the dissector is not tested"
    version = subprocess.run([TSHARK, "-v"], capture_output=True, text=True, check=False).stdout
    if "with Lua" not in version:
        return "this tshark has no Lua support: the dissector is not tested"
    return None


TSHARK_PROBLEM = _tshark_problem()
needs_tshark = pytest.mark.skipif(TSHARK_PROBLEM is not None, reason=TSHARK_PROBLEM or "")


def run_tshark(pcap: Path, *options: str) -> str:
    """tshark with the dissector on a capture; standard output."""
    assert TSHARK is not None
    result = subprocess.run(
        [TSHARK, "-n", "-X", f"lua_script:{DISSECTOR}", "-r", str(pcap), *options],
        capture_output=True,
        text=True,
        timeout=TSHARK_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lua_errors = [line for line in result.stderr.splitlines() if "Lua" in line]
    assert not lua_errors, lua_errors
    assert "Lua Error" not in result.stdout, "the dissector raised an error (see the output)"
    return result.stdout


# --- the vectors as TCP streams ---------------------------------------------------------


@dataclass
class Case:
    """One vector as tshark will see it: its stream, its port, what it must show."""

    id: str
    kind: str
    framing: str
    session: bool
    streaming: bool
    eof: bool
    events: list[dict[str, Any]]
    end: Any
    empty: bool = False
    port: int = 0
    stream: int = 0


def load_cases() -> tuple[list[tuple[Case, bytes, list[int] | None, tuple[Any, ...]]], list[str]]:
    """Every vector tshark can check, with its input, chunk sizes and port settings key;
    and the ids of the vectors left out (they need real time)."""
    rows = []
    skipped = []
    for path in sorted(VECTORS.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        for vector in document.get("cases", []):
            kind, framing = vector["kind"], vector["framing"]
            if "live-only" in vector["tags"]:
                skipped.append(vector["id"])
                continue
            if kind == "encode":
                options = vector["options"]
                limits = (options["max_frame_size"], 0)
                data = bytes.fromhex(vector["expect"]["output"])
                case = Case(vector["id"], kind, framing, False, False, True,
                            [{"message": vector["message"]}], "clean")  # fmt: skip
                chunks = None
                hunting = False
            else:
                limits = (vector["limits"]["max_frame_size"], vector["limits"]["max_message_size"])
                data = bytes.fromhex(vector["input"])
                expect = vector["expect"]
                case = Case(
                    vector["id"],
                    kind,
                    framing,
                    kind == "session",
                    not vector.get("assemble", True),
                    vector.get("eof", True),
                    # a dissector shows frames, not what a session tells its application
                    # of the peer's HELLO and PINGs (FW-CNF-35)
                    [e for e in expect["events"] if "hello" not in e and "ping" not in e],
                    expect["end"],
                )
                chunks = vector.get("chunks")
                hunting = vector.get("hunting", False)
            case.empty = not data
            settings = (framing, "session" if case.session else "codec", *limits, hunting)
            rows.append((case, data, chunks, settings))
    return rows, skipped


def split(data: bytes, chunks: list[int] | None) -> list[bytes]:
    """The vector's own split, or three pieces, so that frames span TCP segments."""
    if chunks is None:
        third = max(len(data) // 3, 1)
        chunks = [third, third, len(data) - 2 * third] if len(data) >= 3 else [len(data)]
    pieces, at = [], 0
    for size in chunks:
        pieces.append(data[at : at + size])
        at += size
    return [piece for piece in pieces if piece]


def port_option(settings: tuple[Any, ...], port: int) -> str:
    framing, profile, max_frame, max_message, hunting = settings
    option = f"{port}:{framing}:{profile}:max_frame={max_frame}:max_message={max_message}"
    return option + (":hunting" if hunting else "")


# --- what tshark shows ------------------------------------------------------------------


@dataclass
class Observed:
    """What the dissector showed for one stream."""

    events: list[dict[str, Any]] = field(default_factory=list)
    pieces: list[dict[str, Any]] = field(default_factory=list)
    fatal: str | None = None
    peer_error: dict[str, Any] | None = None


def _fields(element: ET.Element) -> dict[str, ET.Element]:
    """The first field of each name inside a protocol element."""
    found: dict[str, ET.Element] = {}
    for item in element.iter("field"):
        found.setdefault(item.get("name", ""), item)
    return found


def _number(item: ET.Element) -> int:
    return int(item.get("show", "0"), 0)


def observe(pdml: str) -> dict[int, Observed]:
    """Per TCP stream: the events the dissector showed, in order."""
    streams: dict[int, Observed] = defaultdict(Observed)
    for pdu in ET.fromstring(pdml).iter("proto"):
        if pdu.get("name") == "framewire":
            fields = _fields(pdu)
            _observe_pdu(streams[_number(fields["framewire.stream"])], fields)
    return streams


def _observe_pdu(seen: Observed, fields: dict[str, ET.Element]) -> None:
    if seen.fatal is not None:
        return
    if "framewire.error.name" in fields:
        name = fields["framewire.error.name"].get("show")
        if fields["framewire.error.fatal"].get("show") == "1":
            seen.fatal = name
            return
        seen.events.append({"error": name})
        seen.pieces.append({"error": name})
    if "framewire.frame.accepted" not in fields:
        return
    frame_type = _number(fields["framewire.type"])
    payload = fields["framewire.payload"].get("value", "") if "framewire.payload" in fields else ""
    if frame_type >= 0x40:
        role = fields["framewire.frame.role"].get("show")
        seen.pieces.append(
            {
                "piece": {
                    "type": frame_type,
                    "flags": _number(fields["framewire.flags.application"]),
                    "payload": payload,
                    "first": role in {"single", "first"},
                    "last": role in {"single", "last"},
                }
            }
        )
    if "framewire.error_frame.code" in fields:
        reason = fields.get("framewire.error_frame.reason")
        seen.peer_error = {
            "code": _number(fields["framewire.error_frame.code"]),
            "reason": bytes.fromhex(reason.get("value", "")).decode() if reason is not None else "",
        }
    if "framewire.message" in fields:
        message_payload = fields.get("framewire.message.payload")
        message = {
            "message": {
                "type": _number(fields["framewire.message.type"]),
                "flags": _number(fields["framewire.message.flags"]),
                "payload": message_payload.get("value", "") if message_payload is not None else "",
            }
        }
        seen.events.append(message)
        if frame_type < 0x40:
            seen.pieces.append(message)


# --- the run ------------------------------------------------------------------------------


@dataclass
class Run:
    cases: list[Case]
    observed: dict[int, Observed]
    skipped: list[str]


@pytest.fixture(scope="module")
def vector_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """All vectors in one capture, dissected by one tshark run."""
    rows, skipped = load_cases()
    capture = Capture()
    ports: dict[tuple[Any, ...], int] = {}
    for index, (case, data, chunks, settings) in enumerate(rows):
        case.port = ports.setdefault(settings, FIRST_PORT + len(ports))
        case.stream = index
        capture.stream(FIRST_CLIENT_PORT + index, case.port, split(data, chunks), eof=case.eof)
    pcap = tmp_path_factory.mktemp("wireshark") / "vectors.pcap"
    capture.write(str(pcap))
    more_ports = " ".join(port_option(settings, port) for settings, port in ports.items())
    pdml = run_tshark(
        pcap, "-o", f"framewire.more_ports:{more_ports}", "-T", "pdml", "-J", "framewire"
    )
    return Run([row[0] for row in rows], observe(pdml), skipped)


def expected_end(case: Case) -> Any:
    return case.end


def observed_end(case: Case, seen: Observed) -> Any:
    if seen.fatal is not None:
        return {"error": seen.fatal}
    if case.session and seen.peer_error is not None:
        return {"peer_error": seen.peer_error}
    return "clean" if case.eof else "open"


def nothing_on_the_wire(case: Case) -> bool:
    """A connection closed before any byte: TCP hands no data to any dissector, so
    nothing Framewire appears in the capture (the peer's view, handshake-incomplete,
    cannot be shown)."""
    return case.empty and case.eof


@needs_tshark
def test_tshark_agrees_with_every_vector(vector_run: Run) -> None:
    disagreements = []
    unseen = [c.id for c in vector_run.cases if nothing_on_the_wire(c) and c.end != "clean"]
    for case in vector_run.cases:
        if nothing_on_the_wire(case) and case.end != "clean":
            continue
        seen = vector_run.observed.get(case.stream, Observed())
        if case.session:
            events = [e for e in seen.events if "message" in e and e["message"]["type"] >= 0x40]
        else:
            events = seen.pieces if case.streaming else seen.events
        got = {"events": events, "end": observed_end(case, seen)}
        want = {"events": case.events, "end": expected_end(case)}
        if got != want:
            disagreements.append(f"{case.id} ({case.kind}, {case.framing}): {got} != {want}")
    counts: dict[str, int] = defaultdict(int)
    for case in vector_run.cases:
        counts[case.kind] += 1
    print(
        f"tshark checked {dict(counts)}; left out: {len(vector_run.skipped)} that need real "
        f"time, {len(unseen)} that end in an error with no byte on the wire"
    )
    assert set(counts) == {"decode", "encode", "session"}  # no kind silently left out
    assert not disagreements, "\n".join(disagreements[:20]) + f"\n({len(disagreements)} in all)"


def test_generated_tables_match_the_schemas() -> None:
    """The dissector's constants are what dissectors/generate_tables.py makes of the schemas."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "dissectors" / "generate_tables.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- a live exchange between the two implementations, captured on loopback --------------

DUMPCAP = shutil.which("dumpcap")
CAPTURE_WAIT = 20.0
"""Seconds to wait for dumpcap to start, or for the exchange to appear in its file."""


@contextlib.contextmanager
def loopback_capture(path: Path, port: int, dumpcap: str | None = DUMPCAP) -> Iterator[None]:
    """dumpcap on the loopback interface, for the TCP port, while the block runs."""
    assert dumpcap is not None
    command = [dumpcap, "-q", "-i", "lo", "-f", f"tcp port {port}", "-P", "-w", str(path)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    try:
        ready, _, _ = select.select([process.stderr], [], [], CAPTURE_WAIT)
        line = process.stderr.readline() if ready else ""
        if "permission" in line.lower() or "not permitted" in line.lower():
            pytest.skip(f"capture on loopback is not permitted here: {line.strip()!r}")
        assert line.startswith("Capturing on"), line
        # dumpcap says so before packets flow: probe with connections until one is seen.
        deadline = time.monotonic() + CAPTURE_WAIT
        while not (path.exists() and path.stat().st_size > PCAP_FILE_HEADER):
            assert time.monotonic() < deadline, "dumpcap captured nothing"
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            select.select([], [], [], 0.05)
        yield
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=CAPTURE_WAIT)


PCAP_FILE_HEADER = 24


def exchange_ended(path: Path, client_port: int) -> bool:
    """True once the capture holds a FIN from each side of the connection from
    `client_port` (the latest one, should the port have been used before): everything
    sent on it is in the file by then. Only that connection counts: the probes of
    loopback_capture() carry the server's preface and HELLO and end too."""
    fields = ("tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.flags.fin")
    output = run_tshark(path, "-T", "fields", *(arg for f in fields for arg in ("-e", f)))
    rows = [line.split("\t") for line in output.splitlines() if line]
    ours = [row for row in rows if str(client_port) in row[1:3]]
    if not ours:
        return False
    stream = max(ours, key=lambda row: int(row[0]))[0]
    finished = {row[1] for row in ours if row[0] == stream and row[3] in {"1", "True"}}
    return len(finished) == 2


def live_observations(pcap: Path, server_port: int) -> dict[str, Observed]:
    """What the dissector shows per direction ("client", "server") of a live capture."""
    pdml = run_tshark(pcap, "-T", "pdml", "-J", "tcp framewire")
    directions: dict[str, Observed] = defaultdict(Observed)
    for packet in ET.fromstring(pdml).iter("packet"):
        source = next(f for f in packet.iter("field") if f.get("name") == "tcp.srcport")
        seen = directions["server" if _number(source) == server_port else "client"]
        for pdu in packet.iter("proto"):
            if pdu.get("name") == "framewire":
                _observe_pdu(seen, _fields(pdu))
    return directions


def slow_dumpcap(directory: Path, delay: float) -> str:
    """A dumpcap that says it is capturing `delay` seconds before it starts to, as a
    dumpcap slow to open the interface does: the probes of loopback_capture() meanwhile
    see nothing, and those made as it starts are captured whole."""
    wrapper = directory / "slow-dumpcap"
    wrapper.write_text(
        f"#!/bin/sh\necho \"Capturing on 'Loopback: lo'\" >&2\nsleep {delay}\n"
        f'exec {DUMPCAP} "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    return str(wrapper)


needs_capture = pytest.mark.skipif(DUMPCAP is None or NODE is None, reason="needs dumpcap and node")


@needs_tshark
@needs_capture
@pytest.mark.parametrize("framing", list(Framing), ids=[f.value for f in Framing])
def test_tshark_reads_a_python_js_exchange_captured_on_loopback(
    framing: Framing, tmp_path: Path
) -> None:
    """A Python client talks to the JavaScript echo peer; dumpcap records it; the dissector
    finds the session by its preface (no port preference) and shows every message."""
    check_captured_exchange(framing, tmp_path, DUMPCAP)


@needs_tshark
@needs_capture
def test_a_slow_dumpcap_start_still_captures_the_whole_exchange(tmp_path: Path) -> None:
    """The wait for the exchange's end counts the test's own connection only: the probe
    connections made while dumpcap starts carry the server's preface, HELLO and FINs,
    and must not end the capture before the exchange is written."""
    check_captured_exchange(Framing.LENGTH_PREFIXED, tmp_path, slow_dumpcap(tmp_path, 0.7))


def check_captured_exchange(framing: Framing, tmp_path: Path, dumpcap: str | None) -> None:
    """Capture a Python client's exchange with the JavaScript echo peer through `dumpcap`
    and check what the dissector shows of it."""
    messages = [
        Message(0x40, b"hello, wireshark"),
        Message(0x41, bytes(range(256)) * 3, flags=5),  # 768 bytes: frames of 256
        Message(0x42, b""),
    ]
    pcap = tmp_path / "exchange.pcap"
    limit_args = ("--checksum", "--max-frame-size", "256")
    with javascript_echo_server(("127.0.0.1", 0), framing, *limit_args) as server:
        assert isinstance(server.address, tuple)
        with loopback_capture(pcap, server.address[1], dumpcap):
            limits = Limits(max_frame_size=256)
            sock = socket.create_connection(server.address, timeout=CAPTURE_WAIT)
            client_port = sock.getsockname()[1]
            with Channel(sock, Options(framing, limits=limits, checksum=True)) as channel:
                channel.handshake()
                # the exchange has not ended: the wait below must not be over already
                assert not exchange_ended(pcap, client_port), "the wait for the end is over"
                for message in messages:
                    channel.send(message)
                channel.ping()
                echoes = [channel.recv(timeout=CAPTURE_WAIT) for _ in messages]
            deadline = time.monotonic() + CAPTURE_WAIT
            while not exchange_ended(pcap, client_port):
                assert time.monotonic() < deadline, "the capture never showed the exchange's end"
                select.select([], [], [], 0.05)
    assert echoes == messages
    seen = live_observations(pcap, server.address[1])
    for direction in ("client", "server"):
        observed = seen[direction]
        assert observed.fatal is None, (direction, observed.fatal)
        data = [e["message"] for e in observed.events if e["message"]["type"] >= 0x40]
        assert data == [
            {"type": m.type, "flags": m.flags, "payload": m.payload.hex()} for m in messages
        ], direction
        controls = [e["message"]["type"] for e in observed.events if e["message"]["type"] < 0x40]
        assert controls == [1, 3] if direction == "client" else [1, 4]
    for direction in ("client", "server"):  # both peers announced MAX_FRAME_SIZE 256
        pieces = [p["piece"] for p in seen[direction].pieces if "piece" in p]
        assert [p["first"] for p in pieces if p["type"] == 0x41] == [True, False, False]


# --- the guide's screenshot ---------------------------------------------------------------

SCREENSHOT = ROOT / "spec" / "guide" / "img" / "wireshark-tshark.svg"
DEMO_PORT = 7000
SCREEN_WIDTH = 118


def demo_capture(path: Path) -> None:
    """The capture the guide shows: delimited codec frames on one TCP connection, a
    three-frame message spread over segments, a frame whose payload lost a bit (its CRC
    fails), and a message after it that arrives intact."""
    encoder = Encoder(Framing.DELIMITED, checksum=True, max_frame_size=256)
    long_message = encoder.encode(Message(0x40, b"temperature log " * 40, flags=1))
    damaged = bytearray(encoder.encode(Message(0x41, b"set interval 10s")))
    damaged[14] ^= 0x04
    after = encoder.encode(Message(0x41, b"set interval 20s"))
    capture = Capture()
    capture.stream(
        40000, DEMO_PORT, [long_message[:300], long_message[300:], bytes(damaged) + after], eof=True
    )
    capture.write(str(path))


def screenshot_svg(tmp_path: Path) -> str:
    """Run tshark on the demo capture, as the guide shows, and render what it prints."""
    demo_capture(tmp_path / "demo.pcap")
    options = ["-o", f"framewire.port:{DEMO_PORT}", "-o", "framewire.framing:delimited"]
    shown = "tshark -X lua_script:framewire.lua " + " ".join(options) + " -r demo.pcap"
    listing = run_tshark(tmp_path / "demo.pcap", *options, "-Y", "framewire")
    chosen = "framewire.message.frames > 1 || framewire.error.name"
    details = run_tshark(tmp_path / "demo.pcap", *options, "-Y", chosen, "-O", "framewire", "-V")
    console = Console(record=True, width=SCREEN_WIDTH, file=io.StringIO(), color_system=None)
    console.print(f"$ {shown} -Y framewire", markup=False, highlight=False)
    console.print(listing.rstrip(), markup=False, highlight=False)
    console.print(f"$ {shown} -Y '{chosen}' -O framewire -V", markup=False, highlight=False)
    console.print(details.rstrip(), markup=False, highlight=False)
    return console.export_svg(title="tshark with dissectors/framewire.lua")


@needs_tshark
def test_the_guide_screenshot_is_a_real_tshark_run(tmp_path: Path) -> None:
    """spec/guide/img/wireshark-tshark.svg is tshark's output on the demo capture, as of
    now. To redraw it (tests/ on the path, for its helpers):
    PYTHONPATH=tests .venv/bin/python tests/dissectors/test_wireshark.py --screenshot"""
    assert screenshot_svg(tmp_path) == SCREENSHOT.read_text(encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--screenshot"]:
        with tempfile.TemporaryDirectory() as scratch:
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            SCREENSHOT.write_text(screenshot_svg(Path(scratch)), encoding="utf-8")
        print(f"wrote {SCREENSHOT.relative_to(ROOT)}")
