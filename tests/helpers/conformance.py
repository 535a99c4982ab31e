"""Shared helpers of the conformance runner tests: running the runner, reading vectors."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any

from framewire import Framing, Limits
from framewire.conformance import cli, live
from framewire.conformance.vectors import Case, Suite, default_vectors_dir, load_suite

ROOT = Path(__file__).resolve().parents[2]


def _vectors() -> Path:
    """The checkout's vectors; the tests run against an installed package outside the
    checkout (`make dist-test`) read the copy that package ships, so a wheel without it
    fails them."""
    checkout = ROOT / "vectors"
    found = checkout if checkout.is_dir() else default_vectors_dir()
    if found is None:
        raise FileNotFoundError("no vectors: no vectors/ beside tests/ and none in the package")
    return found


VECTORS = _vectors()
CONFORMANCE_TESTS = Path(__file__).resolve().parents[1] / "conformance"
BROKEN_ADAPTERS = CONFORMANCE_TESTS / "broken_adapters"
REFERENCE_KNOWN_FAILURES = CONFORMANCE_TESTS / "conformance_known_failures.txt"
REFERENCE_ADAPTER = f"{sys.executable} -m framewire.conformance.adapter"
SEED = 1
"""The random splits of the deliveries: the seed `make mutation` judges with (tools/mutants.py),
so a mutant it kills fails the per-vector test of the case that killed it."""
HANDSHAKE_MS = 1000
"""Handshake deadline of the echo peers in live tests, declared to the runner: longer than
the frame deadline, as the vectors that tell the two apart need (FW-LIM-9)."""
FRAME_MS = 300
"""Frame deadline of the echo peers in live tests, declared to the runner."""
DEADLINES = f"handshake_ms={HANDSHAKE_MS},frame_ms={FRAME_MS}"


@functools.cache
def suite() -> Suite:
    """The repository's vectors (read once per test run)."""
    return load_suite(VECTORS)


def run_runner(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Run the runner in-process with a JSON report; (exit status, report)."""
    report = tmp_path / f"report-{len(list(tmp_path.glob('report-*')))}.json"
    fixed = ["--vectors", str(VECTORS), "--seed", str(SEED), "--quiet"]
    status = cli.main([*fixed, "--report-json", str(report), *args])
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return status, data


def outcomes(report: dict[str, Any], outcome: str) -> set[str]:
    """The ids of the cases of a report with this outcome."""
    return {case["id"] for case in report["cases"] if case["outcome"] == outcome}


def expected_errors(case: Case) -> set[str]:
    """Every error name a vector expects: recoverable events, the fatal end, ERROR frames."""
    expect = case.raw["expect"]
    names = {event["error"] for event in expect.get("events", []) if "error" in event}
    end = expect.get("end")
    if isinstance(end, dict) and "error" in end:
        names.add(end["error"])
    names |= {item["error"] for item in expect.get("sent", []) if "error" in item}
    return names


def assert_conforms(status: int, report: dict[str, Any]) -> None:
    """Every applicable case passed (or is a known failure that still fails)."""
    failed = outcomes(report, "failed") | outcomes(report, "fixed")
    details = [
        (c["id"], c["outcome"], c.get("failures", [{}])[0].get("difference"))
        for c in report["cases"]
        if c["id"] in failed
    ]
    assert not details, details
    assert status == 0


def session_cases(framing: Framing, limits: Limits) -> set[str]:
    """The session vectors written for this framing and these limits, but those whose
    application sends messages, which an echo peer does not (FW-CNF-36)."""
    wanted = {"max_frame_size": limits.max_frame_size, "max_message_size": limits.max_message_size}
    return {
        c.id
        for c in suite().cases
        if c.kind == "session"
        and c.framing == framing.value
        and c.raw["limits"] == wanted
        and "send" not in c.raw
    }


LIVE_CONFIGS = [
    (framing, limits)
    for framing in Framing
    for limits in (Limits(), Limits(max_frame_size=256, max_message_size=1024))
]


def live_cases(
    framing: Framing, limits: Limits, *, deadlines: bool = True, kind: str | None = None
) -> set[str]:
    """The vectors (of ``kind``, or all) live mode plays against an echo peer with this
    framing, these limits and (``deadlines``) the deadlines DEADLINES declared, by the
    runner's own rule (FW-CNF-27)."""
    peer = live.PeerProfile(
        framing.value,
        {"max_frame_size": limits.max_frame_size, "max_message_size": limits.max_message_size},
        {"handshake_ms": HANDSHAKE_MS, "frame_ms": FRAME_MS} if deadlines else {},
    )
    vectors = suite()
    return {
        case.id
        for case in vectors.cases
        if kind in (None, case.kind)
        and not isinstance(live.plan(case, peer, vectors.registry), str)
    }


LIVE_JOBS = ("--live-jobs", "4")
"""The echo servers under test serve connections side by side: four cases at once keep the
runs of deadline vectors, which mostly wait, short."""


def assert_live_conforms(
    tmp_path: Path, address: str, framing: Framing, limits: Limits, known: tuple[str, ...]
) -> None:
    """Run live mode against the echo peer at ADDRESS: it conforms, and exactly the vectors
    written for its framing and limits were played (none silently not applicable), the
    session vectors among them."""
    status, report = run_runner(
        tmp_path, "--live-connect", address, "--live-deadlines", DEADLINES, *LIVE_JOBS, *known
    )
    assert_conforms(status, report)
    played = outcomes(report, "passed") | outcomes(report, "known-failure")
    assert played == live_cases(framing, limits)
    assert session_cases(framing, limits) <= played
