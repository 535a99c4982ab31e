"""The differential fuzzer (framewire.conformance.fuzzdiff): it finds, shrinks and replays.

The proof that it can fail: against a deliberately broken adapter
(tests/conformance/broken_adapters/) it must exit 1 with a shrunk example, and that
example, sent again to both adapters by the runner's own client, must still split them.
Two copies of the reference must agree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.conformance import BROKEN_ADAPTERS, REFERENCE_ADAPTER, VECTORS, suite

from framewire.conformance import fuzzdiff, judge, wire
from framewire.conformance.adapter_client import AdapterProcess
from framewire.conformance.fuzzgen import Generator, Request

TIMEOUT = 30.0
SHRUNK_MOST = 64
"""A shrunk example must be short enough to read: at most this many bytes."""


def run(tmp_path: Path, *adapters: str, requests: int) -> tuple[int, dict[str, Any]]:
    report = tmp_path / "fuzz.json"
    argv = ["--seed", "1", "--requests", str(requests), "--vectors", str(VECTORS)]
    argv += ["--timeout", str(TIMEOUT), "--show", "3", "--report-json", str(report)]
    for index, command in enumerate(adapters):
        argv += ["--adapter", f"impl{index}={command}"]
    status = fuzzdiff.main(argv)
    return status, json.loads(report.read_text(encoding="utf-8"))


def normal(command: str, request: dict[str, Any]) -> Any:
    """The normal reply of one adapter to one request of a report, sent afresh."""
    fields = {key: value for key, value in request.items() if key != "op"}
    generated = Request(request["op"], "replay", fields, b"")
    with AdapterProcess(command, TIMEOUT) as adapter:
        reply = adapter.request(request["op"], fields)
    return fuzzdiff.normal_reply(generated, reply, suite().registry)


@pytest.mark.parametrize("script", ["ignore_crc.py", "accept_reserved_bit.py"])
def test_finds_and_shrinks_a_broken_adapter(tmp_path: Path, script: str) -> None:
    broken = f"{REFERENCE_ADAPTER.split()[0]} {BROKEN_ADAPTERS / script}"
    status, report = run(tmp_path, REFERENCE_ADAPTER, broken, requests=400)
    assert status == fuzzdiff.EXIT_FINDING
    assert report["findings"], "a finding must be shown"
    for finding in report["findings"]:
        assert finding["groups"] == [["impl0"], ["impl1"]]
        assert len(finding["input"]) // 2 <= min(SHRUNK_MOST, finding["generated_size"])
        replies = [normal(command, finding["request"]) for command in (REFERENCE_ADAPTER, broken)]
        assert replies[0] != replies[1], f"the shrunk example does not reproduce: {finding}"
        assert replies == [finding["replies"]["impl0"], finding["replies"]["impl1"]]


def test_the_reference_agrees_with_itself(tmp_path: Path) -> None:
    status, report = run(tmp_path, REFERENCE_ADAPTER, REFERENCE_ADAPTER, requests=300)
    assert (status, report["findings"]) == (0, [])
    assert report["requests"] == 300


def test_a_crash_is_a_finding_even_when_every_adapter_crashes(tmp_path: Path) -> None:
    crashing = f"{REFERENCE_ADAPTER.split()[0]} {BROKEN_ADAPTERS / 'cobs_overrun_crash.py'}"
    status, report = run(tmp_path, crashing, crashing, requests=300)
    assert status == fuzzdiff.EXIT_FINDING
    finding = report["findings"][0]
    assert finding["groups"] == [["impl0", "impl1"]]
    assert finding["unacceptable"] == ["impl0", "impl1"]
    assert finding["replies"]["impl0"] == {"crashed": True}


def test_shrink_keeps_only_what_the_test_needs() -> None:
    assert fuzzdiff.shrink(list(range(100)), lambda items: {17, 42} <= set(items)) == [17, 42]


def test_shrink_request_drops_bytes_and_chunk_boundaries() -> None:
    data = bytes(range(50))
    request = Request("decode", "test", {}, data, cuts=(3, 7, 8, 20, 33))

    def holds(candidate: Request) -> bool:  # byte 7 alone in a chunk of its own
        return any(chunk == b"\x07" for chunk in candidate.chunks) and len(candidate.data) > 1

    shrunk, tries = fuzzdiff.shrink_request(request, holds)
    assert len(shrunk.data) == 2
    assert b"\x07" in shrunk.chunks
    assert 0 < tries <= fuzzdiff.SHRINK_BUDGET


def test_shrink_request_tries_the_smallest_limits_first() -> None:
    limits = {"max_frame_size": 4096, "max_message_size": 65536}
    request = Request("decode", "test", {"framing": "delimited", "limits": limits}, bytes(40))

    def holds(candidate: Request) -> bool:  # a message limit below 1000, 3 bytes or more
        return (
            candidate.fields["limits"]["max_message_size"] in range(1, 1000)
            and len(candidate.data) >= 3
        )

    shrunk, _ = fuzzdiff.shrink_request(request, holds)
    assert shrunk.fields["limits"] == {"max_frame_size": 256, "max_message_size": 256}
    assert len(shrunk.data) == 3


def test_session_output_is_compared_by_error_code_not_reason() -> None:
    framing = wire.LENGTH_PREFIXED
    start = wire.preface(framing) + wire.hello(framing, 256, 1024)

    def output(code: int, reason: bytes) -> Any:
        error = wire.frame(wire.ERROR, wire.error_payload(code, reason))
        return judge.normal_output(start + error, framing)

    assert output(301, b"one reason") == output(301, b"another")
    assert output(301, b"one reason") != output(302, b"one reason")
    assert fuzzdiff.unacceptable({"events": [], "end": "clean", "sent": output(301, b"\xff")})


def test_the_same_seed_gives_the_same_requests() -> None:
    def first(seed: int) -> list[Request]:
        generator = Generator(seed, suite().cases, suite().registry)
        return [generator.next() for _ in range(50)]

    assert first(3) == first(3)
    assert first(3) != first(4)
    assert {r.kind for r in first(3)} == {"decode", "encode", "session"}
