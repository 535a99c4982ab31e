"""Soak: honest and hostile clients at once against every server, for minutes; passes when
each server's memory and descriptors stay flat after the warm-up.

    .venv/bin/python tests/soak/soak_run.py [--minutes 10] [--servers 'javascript/*,*/tls']
                                            [--write tests/soak/RESULTS.md]

The servers are those of the hostile suite (tests/helpers/hostile.py): the threaded
``framewire echo``, the asyncio server of tests/helpers/aio_echo_server.py and the JavaScript echo
peer, each over loopback TCP, a Unix socket and TLS (a trustme test PKI), length-prefixed
framing: nine processes at once (``--servers`` picks some). Beside each, an honest client
exchanges random messages and checks every echoed byte, and a hostile one cycles through
attacks of the hostile suite (header faults, an oversized length, garbage, a stalled
frame, an end mid-frame, a flood of empty continuations), each checked for the error the
server must send.

Why in rounds: the clients run for ``SAMPLE_EVERY`` seconds, then finish what they are
doing, and each server's RSS and open descriptors are read from /proc once it has let go
of the connections just ended. A reading between rounds is of a server at rest, so its
descriptors are exact and its RSS is not that of the attack in flight. The asyncio and
JavaScript servers then report the memory they hold after a full garbage collection
(tests/helpers/memory_report.py, js/bin/echo-server.js): RSS also counts what the allocators and
V8 keep for later, which grows to a size and stays; a leak grows both.

The warm-up is the first third of the readings, and at least ``WARM_UP_ROUNDS``: the
time the allocators and V8 took to reach their size. A server passes when, after the
warm-up, its RSS drift and the drift of the memory it holds (each the median of the last
three readings minus median of the first three) are at most ``RSS_DRIFT_KIB`` and its
descriptors never exceed their first reading; the run passes when every server does and
no client saw a wrong echo or a wrong error. tests/hostile/test_soak_verdict.py shows that a
leak fails, a real one among them.

Not part of ``make test``: ``make soak`` runs it (``SOAK_MINUTES``, 10 by default) and
rewrites tests/soak/RESULTS.md. Loopback and Unix sockets only; every loop is bounded by
the run's end or a deadline. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import fnmatch
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers.hostile import (
    SERVER_KINDS,
    TRANSPORTS,
    RunningServer,
    attack,
    code_of,
    header,
    honest_exchange,
    raw_frame,
    running_server,
)
from helpers.io_peers import handshake_bytes
from helpers.js_peers import NODE
from helpers.memory_report import ENVIRONMENT as MEMORY_REPORT
from helpers.polling import poll

from framewire import Encoder, Framing
from framewire._codec import schema
from framewire.errors import ErrorCode

FRAMING = Framing.LENGTH_PREFIXED
SAMPLE_EVERY = 10.0
"""Seconds of load between two readings."""
RSS_DRIFT_KIB = 5 * 1024
"""Largest drift after the warm-up for a pass, of the RSS and of the memory held."""
WARM_UP_ROUNDS = 18
"""Least number of readings in the warm-up: three minutes of load, which the
JavaScript server's V8 heap and the allocators took to reach their size in runs of 12
minutes (tests/soak/RESULTS.md); a third of the readings when that is more."""
JUDGED_ROUNDS = 6
"""Least number of readings after the warm-up: two windows of three."""
SETTLE = 10.0
"""Seconds a server gets to let go of the connections of a round before it is read."""
HONEST_ROUND = 10
"""Messages per honest connection (0 to 64 KiB each, every byte checked)."""
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "RESULTS.md"


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages: how shared the CPUs were."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def machine() -> str:
    """CPUs, Python and Node.js versions."""
    node = "no Node.js"
    if NODE is not None:
        version = subprocess.run([NODE, "--version"], capture_output=True, text=True, check=False)
        node = f"Node.js {version.stdout.strip()}"
    return f"{os.cpu_count()} CPUs, CPython {platform.python_version()}, {node}"


@dataclass(frozen=True)
class Attack:
    """One hostile connection: what it sends, how it ends, the ERROR code it must get."""

    name: str
    data: Callable[[Framing], bytes]
    expected: int | None
    then: str = "read"
    plain_only: bool = False
    """Needs a half-close, which Python's ssl cannot do and read on."""


def _after_handshake(head: bytes, payload: bytes = b"") -> Callable[[Framing], bytes]:
    return lambda framing: handshake_bytes(framing) + raw_frame(framing, head, payload)


def _continuations(framing: Framing) -> bytes:
    encoder = Encoder(framing)
    more, continued = schema.FLAG_M, schema.FLAG_M | schema.FLAG_N
    flood = encoder.frame(more, 0x40, b"s") + encoder.frame(continued, 0x40, b"") * 10_000
    return handshake_bytes(framing) + flood + encoder.frame(0, 0x41, b"")


_PARTIAL = header(0x40, 100) + b"x" * 40  # a frame that stops 60 bytes short
ATTACKS = (
    Attack("bad magic", _after_handshake(header(0x40, 0, magic=b"FX")), ErrorCode.BAD_MAGIC),
    Attack(
        "bad version", _after_handshake(header(0x40, 0, version=2)), ErrorCode.UNSUPPORTED_VERSION
    ),
    Attack(
        "reserved flag",
        _after_handshake(header(0x40, 0, flags=schema.FLAG_R)),
        ErrorCode.RESERVED_FLAG,
    ),
    Attack("reserved type", _after_handshake(header(0x05, 0)), ErrorCode.RESERVED_TYPE),
    Attack("4 GiB length", _after_handshake(header(0x40, 2**32 - 1)), ErrorCode.FRAME_TOO_LARGE),
    Attack("garbage", lambda _: os.urandom(64), None),
    Attack("stalled frame", _after_handshake(_PARTIAL), ErrorCode.TIMEOUT),
    Attack("reset mid-frame", _after_handshake(_PARTIAL), None, then="reset"),
    Attack("FIN mid-frame", _after_handshake(_PARTIAL), None, then="half-close", plain_only=True),
    Attack("10,000 empty continuations", _continuations, ErrorCode.MESSAGE_INTERRUPTED),
)


@dataclass
class Subject:
    """One server under soak, with its readings and what its clients did."""

    server: RunningServer
    rss_kib: list[int] = field(default_factory=list)
    fds: list[int] = field(default_factory=list)
    reports: list[dict[str, object]] = field(default_factory=list)
    """What the server said it holds at each reading (asyncio and JavaScript servers)."""
    honest_messages: int = 0
    attacks: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.server.kind} / {self.server.transport}"


def honest_client(subject: Subject, until: float, seed: int) -> None:
    """Honest rounds until ``until``; a wrong echo or a failure is a problem."""
    while time.monotonic() < until:
        try:
            subject.honest_messages += honest_exchange(subject.server, HONEST_ROUND, seed)
        except Exception as error:  # every failure is reported; none ends the run
            subject.problems.append(f"honest client: {type(error).__name__}: {error}")
            return
        seed += 1


def hostile_client(subject: Subject, until: float, start: int) -> int:
    """Attacks in turn until ``until``; a wrong answer is a problem. Returns the next turn."""
    usable = [a for a in ATTACKS if not (a.plain_only and subject.server.tls is not None)]
    turn = start
    while time.monotonic() < until:
        chosen = usable[turn % len(usable)]
        turn += 1
        try:
            answer = attack(subject.server, chosen.data(FRAMING), then=chosen.then)
        except Exception as error:
            subject.problems.append(f"{chosen.name}: {type(error).__name__}: {error}")
            return turn
        subject.attacks += 1
        if chosen.expected is not None and code_of(answer, FRAMING) != chosen.expected:
            got = code_of(answer, FRAMING)
            subject.problems.append(f"{chosen.name}: ERROR {got}, not {chosen.expected}")
    return turn


def read_at_rest(subjects: list[Subject], rest_fds: dict[int, int]) -> None:
    """Record each server's descriptors and RSS once all hold no more descriptors than at
    rest (or SETTLE seconds have passed: then a reading shows what a server kept)."""
    poll(lambda: all(s.server.fd_count() <= rest_fds[id(s)] for s in subjects), timeout=SETTLE)
    for subject in subjects:
        subject.fds.append(subject.server.fd_count())
        subject.rss_kib.append(subject.server.rss_kib())
    for subject in subjects:
        report = memory_report(subject.server)
        if report is not None:
            subject.reports.append(report)


def memory_report(server: RunningServer) -> dict[str, object] | None:
    """Ask a server that can (tests/helpers/memory_report.py, js/bin/echo-server.js) what it
    holds after a full garbage collection; None for one that cannot."""
    if server.kind == "threaded":
        return None
    path = Path(os.environ[MEMORY_REPORT]) / f"{server.process.pid}.jsonl"
    before = path.read_text().count("\n") if path.exists() else 0
    server.process.send_signal(signal.SIGUSR2)

    def written() -> list[str]:
        lines = path.read_text().splitlines() if path.exists() else []
        return lines if len(lines) > before else []

    lines = poll(written, timeout=SETTLE)
    if not lines:
        return None
    report: dict[str, object] = json.loads(lines[before])
    return report


def run_round(subjects: list[Subject], seconds: float, seed: int, turns: dict[int, int]) -> None:
    """Both clients of every server for ``seconds`` (each finishes what it is doing)."""
    until = time.monotonic() + seconds

    def hostile(subject: Subject) -> None:
        turns[id(subject)] = hostile_client(subject, until, turns[id(subject)])

    threads = [threading.Thread(target=honest_client, args=(s, until, seed)) for s in subjects]
    threads += [threading.Thread(target=hostile, args=(s,)) for s in subjects]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@contextlib.contextmanager
def servers(log_dir: Path, chosen: Callable[[str], bool]) -> Iterator[list[Subject]]:
    """Every server kind over every transport whose name ``chosen`` accepts, running
    until the block ends."""
    kinds = [kind for kind in SERVER_KINDS if kind != "javascript" or NODE is not None]
    with contextlib.ExitStack() as stack:
        subjects = [
            Subject(
                stack.enter_context(
                    running_server(kind, FRAMING, log_dir, transport=transport, deadline=1.0)
                )
            )
            for kind in kinds
            for transport in TRANSPORTS
            if chosen(f"{kind}/{transport}")
        ]
        yield subjects


@dataclass
class Verdict:
    """What the readings after the warm-up say about one server."""

    drift_kib: int
    held_drift_kib: int | None
    """Of the memory the server holds after a full collection; None: not reported."""
    fd_growth: int
    passed: bool


def drift(readings: list[int]) -> int:
    """Median of the last three readings minus median of the first three (of the last and
    first halves of fewer than six)."""
    window = min(3, max(1, len(readings) // 2))  # the two windows do not overlap
    return int(statistics.median(readings[-window:]) - statistics.median(readings[:window]))


def judge(subject: Subject, warm_up: int) -> Verdict:
    """RSS drift, drift of the memory held (where the server reports it) and descriptor
    growth after the first ``warm_up`` readings."""
    rss, fds = subject.rss_kib[warm_up:], subject.fds[warm_up:]
    held = [int(str(r["held"])) // 1024 for r in subject.reports[warm_up:]]
    held_drift = drift(held) if held else None
    growth = max(fds) - fds[0]
    passed = (
        drift(rss) <= RSS_DRIFT_KIB
        and (held_drift is None or held_drift <= RSS_DRIFT_KIB)
        and growth <= 0
        and not subject.problems
    )
    return Verdict(drift(rss), held_drift, growth, passed)


def warm_up_rounds(rounds: int) -> int:
    """The warm-up's readings in a run of ``rounds``."""
    return max(WARM_UP_ROUNDS, rounds // 3)


def soak(
    minutes: float, chosen: Callable[[str], bool] = lambda _: True
) -> tuple[list[Subject], int, str, str]:
    """Run every server ``chosen`` accepts under load for ``minutes``; return the
    subjects, the warm-up length in readings, and the load averages at the start and the
    end."""
    rounds = round(minutes * 60 / SAMPLE_EVERY)
    warm_up = warm_up_rounds(rounds)
    started_load = load_average()
    with tempfile.TemporaryDirectory() as log_dir:
        os.environ[MEMORY_REPORT] = log_dir  # the servers inherit it
        with servers(Path(log_dir), chosen) as subjects:
            soak_rounds(subjects, rounds)
    return subjects, warm_up, started_load, load_average()


def soak_rounds(subjects: list[Subject], rounds: int) -> None:
    """The rounds of a soak, each followed by a reading."""
    turns = {id(s): 0 for s in subjects}
    # A first short round opens whatever a server opens once (at rest from then on).
    run_round(subjects, 1.0, 0, turns)
    rest = {id(s): s.server.fd_count() for s in subjects}
    for number in range(rounds):
        run_round(subjects, SAMPLE_EVERY, (number + 1) * 100, turns)
        read_at_rest(subjects, rest)
        print(f"round {number + 1}/{rounds}: " + ", ".join(
            f"{s.name} {s.rss_kib[-1] / 1024:.1f} MiB {s.fds[-1]} fds"
            + (f" (held {held_mib(s)[-1]:.1f} MiB)" if s.reports else "") for s in subjects
        ), flush=True)  # fmt: skip


def held_mib(subject: Subject) -> list[float]:
    """The memory the server held at each reading, in MiB (empty: not reported)."""
    return [int(str(r["held"])) / 1024 / 1024 for r in subject.reports]


def alive(subject: Subject) -> str:
    """The connections alive at the last reading, as the server counted them."""
    last = subject.reports[-1]
    if "liveSessions" in last:
        return f"{last['liveSessions']} of {last['sessions']} sessions not collected"
    live = last["live"]
    assert isinstance(live, dict)
    return ", ".join(f"{count} {name}" for name, count in live.items())


def report(
    subjects: list[Subject], warm_up: int, minutes: float, loads: tuple[str, str]
) -> tuple[str, bool]:
    """The RESULTS.md text, and whether every server passed."""
    verdicts = [judge(s, warm_up) for s in subjects]
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Soak results",
        "",
        "Honest and hostile clients at once against the threaded, asyncio and JavaScript",
        "echo servers, each over loopback TCP, a Unix socket and TLS (length-prefixed",
        "framing), with readings of each server's RSS and open descriptors between rounds",
        f"of {SAMPLE_EVERY:.0f} s of load. A server passes when, after the warm-up (the first",
        f"{warm_up} readings), its RSS drift (median of the last three readings minus the",
        f"median of the first three) is at most {RSS_DRIFT_KIB // 1024} MiB, so is the drift of",
        "the memory it holds after a full garbage collection (the asyncio and JavaScript",
        "servers report it: see below), its descriptors never exceed their first reading,",
        "and its clients saw no wrong echo or error.",
        "How it works, and why in rounds: `tests/soak/soak_run.py`.",
        "",
        "Reproduce (`make soak` runs 10 minutes and rewrites this file):",
        "",
        f"    .venv/bin/python tests/soak/soak_run.py --minutes {minutes:g} --write "
        "tests/soak/RESULTS.md",
        "",
        f"Last run: {now}, {minutes:g} minutes, {len(subjects[0].rss_kib)} readings per",
        f"server. Machine: {machine()}. Load average {loads[0]} at the start, {loads[1]} at the",
        "end: the CPUs were shared with other work, which slows the clients (fewer",
        "messages and attacks per round).",
        "",
        "| server / transport | RSS after warm-up | RSS at the end | drift | max - min "
        "| held after warm-up | held at the end | held drift "
        "| descriptors (first, max, last) | honest messages | attacks | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for subject, verdict in zip(subjects, verdicts, strict=True):
        rss, fds = subject.rss_kib[warm_up:], subject.fds[warm_up:]
        held = held_mib(subject)[warm_up:]
        held_figures = "- | - | -"
        if held and verdict.held_drift_kib is not None:
            held_drift = verdict.held_drift_kib / 1024
            held_figures = f"{held[0]:.1f} MiB | {held[-1]:.1f} MiB | {held_drift:+.2f} MiB"
        lines.append(
            f"| {subject.name} | {rss[0] / 1024:.1f} MiB | {rss[-1] / 1024:.1f} MiB "
            f"| {verdict.drift_kib / 1024:+.2f} MiB | {(max(rss) - min(rss)) / 1024:.2f} MiB "
            f"| {held_figures} | {fds[0]}, {max(fds)}, {fds[-1]} | {subject.honest_messages:,} "
            f"| {subject.attacks:,} | {'pass' if verdict.passed else 'FAIL'} |"
        )
    lines += ["", "RSS at each reading, in MiB (the warm-up's first):", "", "```text"]
    lines += [
        f"{s.name:<18} " + " ".join(f"{kib / 1024:.1f}" for kib in s.rss_kib) for s in subjects
    ]
    lines.append("```")
    lines += [
        "",
        "Memory held after a full garbage collection at each reading, in MiB (asyncio: the",
        "C heap's bytes in use and pymalloc's; JavaScript: the V8 heap in use and the",
        "ArrayBuffers), and the connections still alive at the last reading:",
        "",
        "```text",
    ]
    lines += [
        f"{s.name:<18} " + " ".join(f"{mib:.1f}" for mib in held_mib(s)) + f"  ({alive(s)})"
        for s in subjects
        if s.reports
    ]
    lines.append("```")
    problems = [f"- {s.name}: {p}" for s in subjects for p in s.problems[:5]]
    if problems:
        lines += ["", "Problems the clients saw (at most five per server):", "", *problems]
    passed = all(v.passed for v in verdicts)
    lines += ["", f"Verdict: {'pass' if passed else 'FAIL'}.", ""]
    return "\n".join(lines), passed


def main() -> int:
    """Run the soak, print (and with --write, save) the results; exit 1 unless it passed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the run")
    parser.add_argument("--write", type=Path, help=f"write the results (e.g. {DEFAULT_OUTPUT})")
    parser.add_argument(
        "--servers",
        default="*",
        help="comma-separated KIND/TRANSPORT patterns of the servers to run "
        "(e.g. javascript/tcp,asyncio/tls or '*/tls'; default: all)",
    )
    args = parser.parse_args()
    shortest = (WARM_UP_ROUNDS + JUDGED_ROUNDS) * SAMPLE_EVERY / 60
    if args.minutes < shortest:
        parser.error(f"--minutes must be at least {shortest:g}: the warm-up, then readings")
    patterns = args.servers.split(",")
    subjects, warm_up, started, ended = soak(
        args.minutes, lambda name: any(fnmatch.fnmatch(name, p) for p in patterns)
    )
    text, passed = report(subjects, warm_up, args.minutes, (started, ended))
    print(text)
    if args.write is not None:
        args.write.write_text(text, encoding="utf-8")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
