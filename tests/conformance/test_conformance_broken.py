"""Deliberately broken adapters: the runner must catch each one
(tests/conformance/broken_adapters/).

Each broken adapter is the reference adapter with one targeted mutation. The cases that
must catch it are selected from what the vectors expect (an error name, an end, a kind),
never from a list of ids, and only among the cases the reference itself passes: a
disagreement between the reference and the vectors is not evidence against a mutant.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers.conformance import (
    BROKEN_ADAPTERS,
    REFERENCE_ADAPTER,
    expected_errors,
    outcomes,
    run_runner,
    suite,
)

from framewire.conformance import wire
from framewire.conformance.vectors import Case

CONTINUATION_ERRORS = {"unexpected-continuation", "message-interrupted", "continuation-mismatch"}


def _end(case: Case) -> Any:
    return case.raw["expect"].get("end")


def _decode_expecting(*names: str) -> Callable[[Case], bool]:
    return lambda case: case.kind == "decode" and bool(expected_errors(case) & set(names))


def _fatal_after_messages(case: Case) -> bool:
    if case.kind != "decode":
        return False
    return isinstance(_end(case), dict) and len(case.raw["expect"]["events"]) > 0


def _empty_input(case: Case) -> bool:
    return case.kind == "decode" and not case.raw["input"] and case.eof


@dataclass(frozen=True)
class Broken:
    """A broken adapter and how the runner must catch it."""

    script: str
    targets: Callable[[Case], bool]
    every: bool = False  # every target the reference passes must fail (else: at least one)
    detail: str = ""  # the failure detail the runner must give (a fault of the adapter)
    only: tuple[str, ...] = ()  # --only patterns, to keep slow faults few


BROKEN = [
    Broken("ignore_crc.py", _decode_expecting("checksum-mismatch"), every=True),
    Broken("accept_oversized.py", _decode_expecting("frame-too-large")),
    Broken("split_header.py", lambda c: c.kind == "decode" and len(c.input) > wire.HEADER_SIZE),
    Broken(
        "eof_is_clean.py",
        lambda c: c.kind == "decode" and _end(c) == {"error": "truncated-frame"},
        every=True,
    ),
    Broken(
        "accept_reserved_bit.py",
        lambda c: _decode_expecting("reserved-flag")(c) and "FW-FLG-1" in c.statements,
    ),
    Broken("cobs_trailing_block.py", lambda c: c.kind == "encode" and c.framing == "delimited"),
    Broken("skip_continuation_checks.py", _decode_expecting(*CONTINUATION_ERRORS), every=True),
    Broken(
        "accept_any_framing_byte.py",
        lambda c: c.kind == "session" and "bad-preface" in expected_errors(c),
    ),
    Broken("ignore_message_limit.py", _decode_expecting("message-too-large"), every=True),
    Broken("lose_events_on_error.py", _fatal_after_messages, every=True),
    Broken(
        "cobs_overrun_crash.py", _decode_expecting("cobs-invalid"), every=True, detail="crashed"
    ),
    Broken("hang_on_empty_input.py", _empty_input, every=True, detail="timeout"),
    Broken("exit_on_empty_input.py", _empty_input, every=True, detail="adapter died"),
    Broken(
        "chatty_stdout.py",
        _decode_expecting("message-interrupted"),
        every=True,
        detail="malformed reply",
        only=("message-interrupted",),
    ),
]


RECEIVE = ("--receive", "feed+events", "--receive", "receive_data+next_event")
"""One receive path per kind: the broken adapters break the implementation, or the
adapter's plain path (the `feed` hook), and the runs stay short. The reference's baseline
runs on the same paths (every path of the reference runs in test_conformance_vectors.py)."""


@pytest.fixture(scope="module")
def reference_passes(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The vectors the reference adapter passes on the mutants' receive paths (the
    baseline of every mutant)."""
    status, report = run_runner(
        tmp_path_factory.mktemp("reference"), "--adapter", REFERENCE_ADAPTER, *RECEIVE
    )
    assert report, f"the reference run failed to report (status {status})"
    return outcomes(report, "passed")


def _run_broken(broken: Broken, tmp_path: Path) -> tuple[int, dict[str, Any]]:
    command = f"{sys.executable} {BROKEN_ADAPTERS / broken.script}"
    selection = [arg for pattern in broken.only for arg in ("--only", pattern)]
    return run_runner(tmp_path, "--adapter", command, "--timeout", "1", *selection, *RECEIVE)


def _verdict(broken: Broken, report: dict[str, Any], reference: set[str]) -> str | None:
    """None when the runner caught the mutant as it must, else what went wrong."""
    selected = {case["id"] for case in report["cases"]}
    targets = {c.id for c in suite().cases if broken.targets(c)} & reference & selected
    failed = {c["id"]: c for c in report["cases"] if c["outcome"] == "failed"}
    if not targets:
        return "no vector targets this mutation"
    caught = targets & failed.keys()
    if not caught or (broken.every and caught != targets):
        return f"escaped on {sorted(targets - caught)[:5]} ({len(caught)}/{len(targets)} caught)"
    if broken.detail:
        details = [f["difference"] for c in caught for f in failed[c]["failures"]]
        if not all(broken.detail in d for d in details):
            return f"failures do not say {broken.detail!r}: {details[:2]}"
    return None


@pytest.mark.parametrize("broken", BROKEN, ids=[broken.script for broken in BROKEN])
def test_broken_adapter_is_caught(
    broken: Broken, reference_passes: set[str], tmp_path: Path
) -> None:
    """The broken adapter fails the run, on the vectors of the rule it breaks."""
    status, report = _run_broken(broken, tmp_path)
    assert status == 1, "the run passed"
    problem = _verdict(broken, report, reference_passes)
    assert problem is None, problem
