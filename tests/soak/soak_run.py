"""Soak: honest and hostile clients at once against every server, for minutes; passes when
each server's memory and descriptors stay flat after the warm-up.

    .venv/bin/python tests/soak/soak_run.py [--minutes 10] [--write tests/soak/RESULTS.md]

The servers are those of the hostile suite (tests/hostile_helpers.py): the threaded
``framewire echo``, the asyncio server of tests/aio_echo_server.py and the JavaScript echo
peer, each over loopback TCP, a Unix socket and TLS (a trustme test PKI), length-prefixed
framing: nine processes at once. Beside each, an honest client exchanges random messages
and checks every echoed byte, and a hostile one cycles through attacks of the hostile
suite (header faults, an oversized length, garbage, a stalled frame, an end mid-frame, a
flood of empty continuations), each checked for the error the server must send.

Why in rounds: the clients run for ``SAMPLE_EVERY`` seconds, then finish what they are
doing, and each server's RSS and open descriptors are read from /proc once it has let go
of the connections just ended. A reading between rounds is of a server at rest, so its
descriptors are exact and its RSS is not that of the attack in flight. The first third
of the readings (at least one) is the warm-up. A server passes when, after the warm-up,
its RSS drift (median of the last three readings minus median of the first three, or
of the last and first halves of fewer than six) is at
most ``RSS_DRIFT_KIB`` and its descriptors never exceed their first reading; the run
passes when every server does and no client saw a wrong echo or a wrong error.

Not part of ``make test``: ``make soak`` runs it (``SOAK_MINUTES``, 10 by default) and
rewrites tests/soak/RESULTS.md. Loopback and Unix sockets only; every loop is bounded by
the run's end or a deadline. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
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

from hostile_helpers import (
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
from io_peers import handshake_bytes
from js_peers import NODE
from polling import poll

from framewire import Encoder, Framing, _schema
from framewire.errors import ErrorCode

FRAMING = Framing.LENGTH_PREFIXED
SAMPLE_EVERY = 10.0
"""Seconds of load between two readings."""
RSS_DRIFT_KIB = 5 * 1024
"""Largest RSS drift after the warm-up for a pass."""
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
    more, continued = _schema.FLAG_M, _schema.FLAG_M | _schema.FLAG_N
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
        _after_handshake(header(0x40, 0, flags=_schema.FLAG_R)),
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
def servers(log_dir: Path) -> Iterator[list[Subject]]:
    """Every server kind over every transport, running until the block ends."""
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
        ]
        yield subjects


@dataclass
class Verdict:
    """What the readings after the warm-up say about one server."""

    drift_kib: int
    fd_growth: int
    passed: bool


def judge(subject: Subject, warm_up: int) -> Verdict:
    """RSS drift and descriptor growth after the first ``warm_up`` readings."""
    rss, fds = subject.rss_kib[warm_up:], subject.fds[warm_up:]
    window = min(3, max(1, len(rss) // 2))  # the first and last windows do not overlap
    drift = int(statistics.median(rss[-window:]) - statistics.median(rss[:window]))
    growth = max(fds) - fds[0]
    passed = drift <= RSS_DRIFT_KIB and growth <= 0 and not subject.problems
    return Verdict(drift, growth, passed)


def soak(minutes: float) -> tuple[list[Subject], int, str, str]:
    """Run every server under load for ``minutes``; return the subjects, the warm-up
    length in readings, and the load averages at the start and the end."""
    rounds = max(3, round(minutes * 60 / SAMPLE_EVERY))
    warm_up = max(1, rounds // 3)
    started_load = load_average()
    with tempfile.TemporaryDirectory() as log_dir, servers(Path(log_dir)) as subjects:
        turns = {id(s): 0 for s in subjects}
        # A first short round opens whatever a server opens once (at rest from then on).
        run_round(subjects, 1.0, 0, turns)
        rest = {id(s): s.server.fd_count() for s in subjects}
        for number in range(rounds):
            run_round(subjects, SAMPLE_EVERY, (number + 1) * 100, turns)
            read_at_rest(subjects, rest)
            print(f"round {number + 1}/{rounds}: " + ", ".join(
                f"{s.name} {s.rss_kib[-1] / 1024:.1f} MiB {s.fds[-1]} fds" for s in subjects
            ), flush=True)  # fmt: skip
    return subjects, warm_up, started_load, load_average()


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
        f"median of the first three) is at most {RSS_DRIFT_KIB // 1024} MiB, its descriptors",
        "never exceed their first reading, and its clients saw no wrong echo or error.",
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
        "| descriptors (first, max, last) | honest messages | attacks | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for subject, verdict in zip(subjects, verdicts, strict=True):
        rss, fds = subject.rss_kib[warm_up:], subject.fds[warm_up:]
        lines.append(
            f"| {subject.name} | {rss[0] / 1024:.1f} MiB | {rss[-1] / 1024:.1f} MiB "
            f"| {verdict.drift_kib / 1024:+.2f} MiB | {(max(rss) - min(rss)) / 1024:.2f} MiB "
            f"| {fds[0]}, {max(fds)}, {fds[-1]} | {subject.honest_messages:,} "
            f"| {subject.attacks:,} | {'pass' if verdict.passed else 'FAIL'} |"
        )
    lines += ["", "RSS at each reading, in MiB (the warm-up's first):", "", "```text"]
    lines += [
        f"{s.name:<18} " + " ".join(f"{kib / 1024:.1f}" for kib in s.rss_kib) for s in subjects
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
    args = parser.parse_args()
    if args.minutes <= 0:
        parser.error("--minutes must be positive")
    subjects, warm_up, started, ended = soak(args.minutes)
    text, passed = report(subjects, warm_up, args.minutes, (started, ended))
    print(text)
    if args.write is not None:
        args.write.write_text(text, encoding="utf-8")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
