"""The conformance runner's own parts: deliveries, the independent wire reader, judging,
known failures, reports and the command line (spec section 10)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from helpers.conformance import REFERENCE_ADAPTER, ROOT, VECTORS, outcomes, run_runner, suite
from hypothesis import given, settings
from hypothesis import strategies as st

from framewire.conformance import cli, judge, live, wire
from framewire.conformance.results import CaseResult, DeliveryResult, KnownFailures, Outcome
from framewire.conformance.vectors import (
    Case,
    _registry_from_markdown,
    cut,
    deliveries,
    load_registry,
    random_cuts,
)

SPEC_ERRORS = VECTORS.parent / "spec" / "errors.md"


def _case(data: bytes, chunks: list[int] | None = None) -> Case:
    raw: dict[str, Any] = {"input": data.hex(), "framing": "length-prefixed"}
    if chunks:
        raw["chunks"] = chunks
    return Case("fw-00000000", "g", "decode", "MUST", ("FW-HDR-1",), (), "d", raw)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), st.integers(0, 2**32))
def test_every_delivery_is_the_whole_input_in_nonempty_pieces(data: bytes, seed: int) -> None:
    cut_ways = list(deliveries(_case(data), seed))
    assert cut_ways[0].name == "whole"
    for delivery in cut_ways:
        assert b"".join(delivery.chunks) == data
        assert all(delivery.chunks)
    assert len({d.chunks for d in cut_ways}) == len(cut_ways)  # no delivery repeated


@given(st.binary(min_size=2, max_size=200), st.integers(0, 2**32))
def test_random_split_depends_only_on_seed_and_case(data: bytes, seed: int) -> None:
    first = [d.chunks for d in deliveries(_case(data), seed)]
    assert first == [d.chunks for d in deliveries(_case(data), seed)]


def test_vector_chunks_are_a_delivery() -> None:
    names = {d.name: d.chunks for d in deliveries(_case(b"abcdefgh", [3, 1, 4]), 1)}
    assert names["chunks"] == (b"abc", b"d", b"efgh")


def test_cut_and_random_cuts() -> None:
    assert cut(b"abcdef", [2, 4]) == (b"ab", b"cd", b"ef")
    cuts = random_cuts(10, random.Random(3))
    assert cuts == sorted(set(cuts))
    assert all(0 < c < 10 for c in cuts)
    assert random_cuts(1, random.Random(3)) == []


def test_registry_data_matches_the_spec_table() -> None:
    """vectors/errors.json and the Markdown fallback give the same registry."""
    assert load_registry(VECTORS) == _registry_from_markdown(SPEC_ERRORS.read_text("utf-8"))


def test_independent_wire_reader_agrees_with_every_encode_vector() -> None:
    """The runner's own reader (used to judge what implementations send) reads V's bytes."""
    encode_cases = [case for case in suite().cases if case.kind == "encode"]
    assert {case.framing for case in encode_cases} == {"length-prefixed", "delimited"}
    for case in encode_cases:
        output = bytes.fromhex(case.raw["expect"]["output"])
        frames, tail, problem = wire.read_frames(output, case.framing)
        assert problem is None, case.id
        assert tail == b""
        message = case.raw["message"]
        assert b"".join(f.payload for f in frames).hex() == message["payload"], case.id
        assert {f.flags >> 4 for f in frames} == {message["flags"]}
        if case.framing == "delimited":
            encoded = [e for e in output.split(b"\x00") if e]
            assert all(wire.cobs_encode(wire.cobs_decode(e) or b"") == e for e in encoded)


@given(st.binary(max_size=1200))
def test_own_cobs_round_trips(data: bytes) -> None:
    encoded = wire.cobs_encode(data)
    assert 0 not in encoded
    assert len(encoded) <= len(data) + 1 + len(data) // 254
    assert wire.cobs_decode(encoded) == data


REGISTRY = load_registry(VECTORS)
DECODE = Case(
    "fw-00000001",
    "g",
    "decode",
    "MUST",
    ("FW-CRC-3",),
    (),
    "d",
    {
        "framing": "length-prefixed",
        "expect": {
            "events": [{"message": {"type": 64, "flags": 1, "payload": "00"}}],
            "end": {"error": "checksum-mismatch"},
        },
    },
)
GOOD_EVENTS = [{"message": {"type": 64, "flags": 1, "payload": "00"}}]


def test_judge_accepts_the_expected_reply() -> None:
    reply = {
        "status": "error",
        "events": GOOD_EVENTS,
        "error": {"code": 108, "name": "checksum-mismatch"},
    }
    assert judge.check_decode(DECODE, reply, REGISTRY) is None


@pytest.mark.parametrize(
    ("reply", "difference"),
    [
        ({"status": "result", "events": GOOD_EVENTS, "end": "clean"}, "end: expected"),
        ({"status": "error", "events": [], "error": {"code": 108}}, "missing events"),
        (
            {"status": "error", "events": GOOD_EVENTS, "error": {"code": 108, "name": "bad-magic"}},
            "?108/bad-magic",
        ),
        ({"status": "error", "events": GOOD_EVENTS, "error": {"code": 999}}, "?999"),
    ],
)
def test_judge_reports_differences(reply: dict[str, Any], difference: str) -> None:
    found = judge.check_decode(DECODE, reply, REGISTRY)
    assert found is not None
    assert difference in found


@pytest.mark.parametrize(
    "reply",
    [
        {"status": "result", "end": "clean"},
        {"status": "result", "events": "x", "end": "clean"},
        {"status": "result", "events": [{"message": {"type": 64, "flags": 1}}], "end": "clean"},
        {"status": "result", "events": [{"message": {"type": 64, "flags": 16, "payload": ""}}]},
        {"status": "result", "events": [{"message": {"type": 64, "flags": 0, "payload": "0G"}}]},
        {"status": "result", "events": [{"frame": {}}], "end": "clean"},
        {"status": "result", "events": [], "end": "finished"},
        {"status": "error", "events": [], "error": {"name": "bad-magic"}},
    ],
)
def test_malformed_replies_are_adapter_faults(reply: dict[str, Any]) -> None:
    with pytest.raises(judge.MalformedReplyError):
        judge.check_decode(DECODE, reply, REGISTRY)


def _result(outcome: Outcome, failed: list[str], passed: list[str]) -> CaseResult:
    result = CaseResult(DECODE, "adapter", outcome)
    result.deliveries = [DeliveryResult(n, False, "x") for n in failed] + [
        DeliveryResult(n, True) for n in passed
    ]
    return result


def test_known_failures_settle_and_go_stale(tmp_path: Path) -> None:
    listing = tmp_path / "known.txt"
    listing.write_text("# comment\n\nfw-00000001  # why\n", encoding="utf-8")
    known = KnownFailures.load(listing)
    failed = known.settle(_result(Outcome.FAILED, ["whole"], ["bytes"]))
    assert failed.outcome is Outcome.KNOWN_FAILURE
    assert not failed.blocking
    fixed = known.settle(_result(Outcome.PASSED, [], ["whole"]))
    assert fixed.outcome is Outcome.FIXED
    assert fixed.blocking


def test_known_failure_of_one_delivery() -> None:
    known = KnownFailures(frozenset({"fw-00000001/bytes"}))
    assert known.settle(_result(Outcome.FAILED, ["bytes"], ["whole"])).outcome is (
        Outcome.KNOWN_FAILURE
    )
    assert known.settle(_result(Outcome.FAILED, ["whole"], ["bytes"])).outcome is Outcome.FIXED
    assert known.settle(_result(Outcome.FAILED, ["whole", "bytes"], [])).outcome is Outcome.FAILED


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_runner(tmp_path)[0] == 2  # neither an adapter nor a live mode
    assert run_runner(tmp_path, "--adapter", "/nonexistent/adapter")[0] == 2
    silent = f"{sys.executable} -c pass"  # exits at once: no hello reply
    assert run_runner(tmp_path, "--adapter", silent, "--timeout", "2")[0] == 2
    missing = tmp_path / "none"
    assert cli_main(["--vectors", str(missing), "--adapter", REFERENCE_ADAPTER]) == 2


def cli_main(argv: list[str]) -> int:
    return cli.main([*argv, "--quiet"])


def test_selection_reports_and_stale_known_failure(tmp_path: Path) -> None:
    """--only by statement; a passing case declared as a known failure fails the run."""
    junit = tmp_path / "junit.xml"
    status, report = run_runner(
        tmp_path, "--adapter", REFERENCE_ADAPTER, "--only", "FW-CRC-*", "--junit", str(junit)
    )
    selected = report["cases"]
    crc_cases = {c.id for c in suite().cases if any(s.startswith("FW-CRC-") for s in c.statements)}
    assert {c["id"] for c in selected} == crc_cases
    passing = sorted(outcomes(report, "passed"))
    assert set(passing) == crc_cases
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuite"
    assert int(root.get("tests", "0")) == len(selected)
    listing = tmp_path / "known.txt"
    listing.write_text(f"{passing[0]}\n", encoding="utf-8")
    status, report = run_runner(
        tmp_path,
        "--adapter",
        REFERENCE_ADAPTER,
        "--only",
        passing[0],
        "--known-failures",
        str(listing),
    )
    assert status == 1
    assert outcomes(report, "fixed") == {passing[0]}


RUNNER_MODULES = (
    "adapter_client",
    "cli",
    "judge",
    "live",
    "report",
    "results",
    "runner",
    "vectors",
    "wire",
)
"""What decides outcomes, and `cli`, the runner's command line; `adapter` and `echo` are the
reference peers, which are the implementation."""
CARRIERS = {
    "framewire",  # the version
    "framewire.addresses",  # address parsing
    "framewire._cli_options",  # the --tls options and usage error of both command lines
    # Live mode over TLS (spec 12.4): the TLS layer below the session and its errors carry
    # bytes and settings; none of them decides an outcome.
    "framewire.tls",
    "framewire._io",  # the package of tls_sync, which loads nothing itself
    "framewire._io.tls_sync",
    "framewire.errors",
    "framewire._codec",  # the package of peertext, which loads nothing itself
    "framewire._codec.peertext",  # the errors' escaping of peer text in messages
}
IMPLEMENTATION_LIBRARIES = {"construct", "crc32c", "cobs"}


def loaded_modules(program: str) -> set[str]:
    """Every module a fresh interpreter holds after running PROGRAM."""
    code = f"{program}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return set(result.stdout.split())


def implementation_in(loaded: set[str]) -> set[str]:
    """The modules of the implementation (or of its C libraries) among LOADED."""
    ours = {
        name
        for name in loaded
        if name.startswith("framewire.") and not name.startswith("framewire.conformance")
    }
    return (ours - CARRIERS) | (loaded & IMPLEMENTATION_LIBRARIES)


def test_runner_never_loads_the_implementation_it_judges() -> None:
    """FW-CNF-4 over the whole import closure: importing the runner loads no codec,
    session or transport of framewire, nor the C libraries they use."""
    imports = "; ".join(f"import framewire.conformance.{name}" for name in RUNNER_MODULES)
    assert implementation_in(loaded_modules(imports)) == set()


def test_vector_generator_never_loads_the_implementation() -> None:
    """The vectors are computed from the spec, by the wire oracle, never by the codec."""
    program = "import sys; sys.path.insert(0, 'vectors'); import generate"
    loaded = loaded_modules(program)
    assert "framewire.conformance.wire" in loaded
    assert implementation_in(loaded) == set()


def test_known_failures_naming_an_absent_id_are_refused(tmp_path: Path) -> None:
    """FW-CNF-24: a typo in a known-failures file must not quietly declare nothing."""
    real = suite().cases[0].id
    listing = tmp_path / "known.txt"
    listing.write_text(f"{real}  # a real one\nfw-00000000/bytes  # a typo\n", encoding="utf-8")
    status, _ = run_runner(
        tmp_path, "--adapter", REFERENCE_ADAPTER, "--only", real, "--known-failures", str(listing)
    )
    assert status == 2
    assert KnownFailures.load(listing).unknown([real]) == ["fw-00000000/bytes"]


def test_hello_frame_is_compared_after_lone_delimiters() -> None:
    """FW-DLM-1 lets a delimited sender put lone 0x00 bytes after its preface; the SHOULD
    hello_frame vectors (FW-HEL-8) compare the HELLO that follows them."""
    vectors = suite()
    case = next(
        c
        for c in vectors.cases
        if c.kind == "session" and c.framing == wire.DELIMITED and "hello_frame" in c.raw["expect"]
    )
    hello = bytes.fromhex(case.raw["expect"]["hello_frame"])
    for lone in (b"", b"\x00", b"\x00\x00"):
        sent = wire.preface(wire.DELIMITED) + lone + hello
        reply = {
            "status": "result",
            "events": [],
            "sent": sent.hex(),
            "end": "open",
            "sending": "open",
        }
        assert judge.check_session(case, reply, vectors.registry) is None


def _live_case(key: str) -> Any:
    """The vector recorded under ``key`` in ids.json."""
    ids = json.loads((VECTORS / "ids.json").read_text(encoding="utf-8"))
    return next(case for case in suite().cases if case.id == ids[key])


def test_deadline_vectors_are_not_played_when_the_peer_connects() -> None:
    """FW-CNF-28: in --live-serve mode the echo peer's handshake deadline runs from its
    connect, which the runner does not control: a deadline vector does not apply."""
    case = _live_case("session/frame-deadline-not-per-read/lpf")
    deadlines = {"handshake_ms": 1000, "frame_ms": 300}
    limits = case.raw["limits"]
    connected = live.PeerProfile(wire.LENGTH_PREFIXED, limits, deadlines)
    serving = live.PeerProfile(wire.LENGTH_PREFIXED, limits, deadlines, controls_handshake=False)
    assert isinstance(live.plan(case, connected, suite().registry), live.Plan)
    assert isinstance(live.plan(case, serving, suite().registry), str)


def test_the_half_close_barrier_admits_only_the_error_for_the_end_of_input() -> None:
    """FW-CNF-33: after the runner's half-close, an ERROR for that end of input may follow
    what the vector expects; any other frame, or another ERROR, fails the vector."""
    case = _live_case("session/ping-pong/lpf")
    peer = live.PeerProfile(wire.LENGTH_PREFIXED, case.raw["limits"])
    steps = live.plan(case, peer, suite().registry)
    assert isinstance(steps, live.Plan)
    assert not steps.eof
    expected = wire.preface(wire.LENGTH_PREFIXED) + wire.hello(
        wire.LENGTH_PREFIXED, **case.raw["limits"]
    )
    expected += wire.on_wire(
        wire.LENGTH_PREFIXED, wire.frame(wire.PONG, bytes.fromhex("0102030405060708"))
    )

    def verdict(tail: bytes) -> str | None:
        exchange = live.Exchange(received=bytearray(expected + tail), ended="eof")
        exchange.shut_down = True
        return live.judge_exchange(exchange, steps, peer, suite().registry, steps.eof)

    def error_frame(name: str) -> bytes:
        code = suite().registry.by_name(name).code
        return wire.on_wire(
            wire.LENGTH_PREFIXED, wire.frame(wire.ERROR, wire.error_payload(code, b""))
        )

    assert verdict(b"") is None
    assert verdict(error_frame("truncated-frame")) is None
    assert verdict(error_frame("timeout")) is not None
    assert verdict(wire.on_wire(wire.LENGTH_PREFIXED, wire.frame(wire.DATA, b"late"))) is not None
