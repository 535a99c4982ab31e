"""The JavaScript implementation (js/) through the conformance runner, as CI proves it.

Two things are checked. The adapter of js/, which spec/testing.md uses as its worked
example, speaks the adapter protocol (no malformed reply, no crash, no dead or hanging
adapter). And the implementation conforms: it passes every vector in adapter mode, and
its echo server passes live mode started with each framing and limits the vectors are
written for, apart from the vectors declared in js/test/known-failures.txt (a declared
vector that passes fails the run, FW-CNF-24). The runner is the judge of both: the JS
suite (js/test) holds no judge of the wire of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.conformance import (
    FRAME_MS,
    HANDSHAKE_MS,
    ROOT,
    assert_conforms,
    assert_live_conforms,
    live_cases,
    run_runner,
    suite,
)
from helpers.js_peers import NODE, javascript_echo_server

from framewire import Framing, Limits
from framewire.addresses import format_address

JS = ROOT / "js"
KNOWN = ("--known-failures", str(JS / "test" / "known-failures.txt"))
ADAPTER_FAULTS = ("malformed reply", "adapter died", "timeout", "crashed")

pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


def test_javascript_adapter_passes_every_vector(tmp_path: Path) -> None:
    adapter = f"{NODE} {JS / 'bin' / 'adapter.js'}"
    status, report = run_runner(tmp_path, "--adapter", adapter, *KNOWN)
    faults = [
        (case["id"], failure["difference"][:120])
        for case in report["cases"]
        for failure in case.get("failures", [])
        if failure["difference"].startswith(ADAPTER_FAULTS)
    ]
    assert not faults, "the adapter broke the adapter protocol"
    assert {c["kind"] for c in report["cases"] if c["outcome"] == "passed"} == {
        "decode",
        "encode",
        "session",
    }
    assert_conforms(status, report)


def vector_configs() -> list[tuple[Framing, Limits]]:
    """Every framing and limits some vector is played live with: the JS echo server is
    started with each (the reference's refuses no message limit without streaming,
    FW-LIM-5, so test_conformance_reference.py runs the default and the small limits)."""
    written = {
        (case.framing, case.raw["limits"]["max_frame_size"], case.raw["limits"]["max_message_size"])
        for case in suite().cases
        if case.kind != "encode"
    }
    configs = [(Framing(framing), Limits(*sizes)) for framing, *sizes in sorted(written)]
    return [config for config in configs if live_cases(*config)]


JS_LIVE_CONFIGS = vector_configs()


@pytest.mark.parametrize(
    ("framing", "limits"),
    JS_LIVE_CONFIGS,
    ids=[f"{f.value}-{lim.max_frame_size}-{lim.max_message_size}" for f, lim in JS_LIVE_CONFIGS],
)
@pytest.mark.serial  # the vectors played live measure the peer's deadlines
def test_javascript_echo_server_passes_live(
    framing: Framing, limits: Limits, tmp_path: Path
) -> None:
    options = {
        "--max-frame-size": limits.max_frame_size,
        "--max-message-size": limits.max_message_size,
        "--handshake-timeout": HANDSHAKE_MS,
        "--frame-timeout": FRAME_MS,
    }
    arguments = [str(part) for option in options.items() for part in option]
    with javascript_echo_server(("127.0.0.1", 0), framing, *arguments) as server:
        assert_live_conforms(tmp_path, format_address(server.address), framing, limits, KNOWN)
