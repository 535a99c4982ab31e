"""tools/mutants.py (`make mutation`): a constant's mutant takes effect at import, so the
tool judges it on an implementation imported afresh; these tests check that this path
kills a mutant where a vector tells it apart, and only there, through the adapter and
through the live stage (the live-only vectors against the mutated echo server); and that
the functions no vector drives are mutated too, judged by the tests named for them."""

from __future__ import annotations

import functools
import importlib.util
import sys
from types import ModuleType
from typing import Any

import pytest
from helpers.conformance import ROOT

AT_BOUND_496 = "fw-686c706b"
"""delimited/encoded-size-at-bound-496: E differs for floor(n / 254) and floor(n / 255)."""
AT_BOUND_256 = "fw-1b3b1560"
"""delimited/encoded-size-at-bound: at max frame size 256 both give the same E."""
FRAME_DEADLINE = "fw-c2d69c78"
"""A frame deadline expires: the echo peer must send ERROR timeout (FW-LIM-6, FW-ERR-1)."""
LINGER = "fw-5095c220"
"""Bad magic, then the echo peer lingers: no timeout is involved."""


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutants", ROOT / "tools" / "mutants.py")
    assert spec is not None
    assert spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = tool  # its dataclasses look their module up there
    spec.loader.exec_module(tool)
    return tool


def test_block_size_255_is_judged_at_import_and_killed_only_where_the_bounds_differ() -> None:
    tool = load_tool()
    tree, found, _ = tool.scan("framewire._codec.cobs_codec")
    (block,) = [mutant for mutant in found if mutant.qualname == "BLOCK_SIZE"]
    assert block.constant
    assert block.change == "254 -> 255"
    runs, registry, _, _ = tool.prepare_runs()

    def judge(case_id: str) -> Any:
        selected = [run for run in runs if run.case.id == case_id]
        assert selected, case_id
        job = functools.partial(tool.judge_at_import, block, tree, selected, registry)
        return tool.in_child(job, 120.0)[0]  # in a child: the fresh import replaces modules

    assert judge(AT_BOUND_496) == tool.EXIT_KILLED
    assert judge(AT_BOUND_256) == tool.EXIT_SURVIVED


@pytest.mark.serial  # a deadline vector played live
def test_timeout_without_its_error_frame_is_killed_live_only_by_a_deadline_vector() -> None:
    tool = load_tool()
    tree, found, _ = tool.scan("framewire.errors")
    (flag,) = [
        m for m in found if m.qualname == "ErrorCode.TIMEOUT" and m.change == "True -> False"
    ]
    _, registry, _, live_cases = tool.prepare_runs()

    def judge(case_id: str) -> Any:
        cases = [case for case in live_cases if case.id == case_id]
        assert cases, case_id
        play = functools.partial(tool.judge_live, cases, registry)
        job = functools.partial(tool.judge_mutant, flag, tree, lambda _: play(), at_import=True)
        return tool.in_child(job, 120.0)[0]

    assert judge(FRAME_DEADLINE) == tool.EXIT_KILLED
    assert judge(LINGER) == tool.EXIT_SURVIVED


def test_functions_no_vector_drives_are_mutated_and_judged_by_their_named_tests() -> None:
    tool = load_tool()
    scanned = [tool.scan("framewire.encoder")]
    (_, found, source) = scanned[0]
    keys = {mutant: tool.note_key(mutant, source.splitlines()) for mutant in found}
    streamed = [mutant for mutant in found if mutant.qualname.startswith("MessageWriter.")]
    assert streamed, "the encoder's streaming writer is mutated"
    own = tool.Unanswered("a reason of its own", ["tests/codec/test_events.py"])
    judging = tool.judging_tests(scanned, {keys[streamed[0]]: own})
    assert judging[keys[streamed[0]]] == own  # a mutant's own tests come first
    for mutant in streamed[1:]:
        assert judging[keys[mutant]].tests == ["tests/codec/test_codec_roundtrip.py"]
    driven = [mutant for mutant in found if mutant.qualname.startswith("Encoder._split")]
    assert driven
    assert not any(keys[mutant] in judging for mutant in driven)  # the vectors judge these
    named_files = {
        test.partition("::")[0]
        for functions in tool.JUDGED_BY_TESTS.values()
        for _, tests in functions.values()
        for test in tests
    }
    assert all((ROOT / path).is_file() for path in named_files), named_files
