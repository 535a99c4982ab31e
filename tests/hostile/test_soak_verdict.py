"""The soak's verdict (tests/soak/soak_run.py): a leak fails it, however it shows, and a
heap that grows to its size in the warm-up and stays there passes.

The readings are those of model servers, one a round: a leak adds the same memory each
round; a plateau grows during the warm-up only, as the JavaScript server's V8 heap and
the allocators did in the soak's 12-minute runs (tests/soak/RESULTS.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import memory_report

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "soak"))

import soak_run
from helpers.hostile import WAIT, RunningServer, _wait_listening
from soak_run import RSS_DRIFT_KIB, Subject, judge, warm_up_rounds

from framewire import Framing

ROUNDS = 60
"""The readings of the default 10-minute run."""
BASE_KIB = 100 * 1024
LEAK_PER_ROUND_KIB = 256
"""A small leak: 256 KiB a round, under 1.5 MiB a minute."""


def model(rss: list[int], held: list[int] | None = None) -> Subject:
    """A subject with these readings (KiB), flat descriptors, no client problem."""
    process = subprocess.Popen([sys.executable, "-c", ""])
    process.wait()
    server = RunningServer("model", Framing.LENGTH_PREFIXED, process, "", Path())
    reports: list[dict[str, object]] = [{"held": kib * 1024} for kib in held or []]
    return Subject(server, rss_kib=rss, fds=[7] * len(rss), reports=reports)


def leaking(per_round: int = LEAK_PER_ROUND_KIB) -> list[int]:
    return [BASE_KIB + per_round * index for index in range(ROUNDS)]


def plateau() -> list[int]:
    """Grows by 12 MiB over the first 15 rounds (inside the warm-up), then stays."""
    return [BASE_KIB + min(index, 15) * 820 for index in range(ROUNDS)]


def test_a_leak_fails() -> None:
    verdict = judge(model(leaking()), warm_up_rounds(ROUNDS))
    assert not verdict.passed
    assert verdict.drift_kib > RSS_DRIFT_KIB


def test_a_leak_of_held_memory_fails_while_the_rss_stays_flat() -> None:
    """An allocator that had kept enough free memory hides a leak from the RSS for a
    while; what the server holds after a collection shows it."""
    flat = [BASE_KIB] * ROUNDS
    verdict = judge(model(flat, held=leaking()), warm_up_rounds(ROUNDS))
    assert verdict.drift_kib == 0
    assert verdict.held_drift_kib is not None
    assert verdict.held_drift_kib > RSS_DRIFT_KIB
    assert not verdict.passed


def test_a_plateau_reached_in_the_warm_up_passes() -> None:
    flat_held = [20 * 1024] * ROUNDS
    verdict = judge(model(plateau(), held=flat_held), warm_up_rounds(ROUNDS))
    assert verdict.passed
    assert verdict.drift_kib == 0


def test_a_plateau_fails_when_judged_before_it_is_reached() -> None:
    """Why the warm-up lasts three minutes: judged from the sixth reading (the third of a
    3-minute run), the same plateau is a failure."""
    assert not judge(model(plateau()[:18]), 6).passed


@pytest.mark.slow_hostile
def test_a_leaking_server_fails_the_soak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real server that keeps every message, under the soak's clients for a few short
    rounds: the memory it holds grows, and the verdict is a failure."""
    monkeypatch.setenv(memory_report.ENVIRONMENT, str(tmp_path))
    monkeypatch.setattr(soak_run, "SAMPLE_EVERY", 2.0)
    script = Path(soak_run.__file__).with_name("leaky_echo_server.py")
    address = str(tmp_path / "leaky.sock")
    log_path = tmp_path / "leaky.log"
    command = [sys.executable, str(script), address, "--timeout", "1"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        listening = _wait_listening(process, log_path)
        server = RunningServer("asyncio", Framing.LENGTH_PREFIXED, process, listening, log_path)
        subject = Subject(server)
        soak_run.soak_rounds([subject], 6)
    finally:
        process.terminate()
        process.wait(WAIT)
    verdict = judge(subject, 1)
    assert verdict.held_drift_kib is not None
    assert verdict.held_drift_kib > RSS_DRIFT_KIB
    assert not verdict.passed
