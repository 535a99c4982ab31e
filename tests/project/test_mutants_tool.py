"""tools/mutants.py (`make mutation`): a constant's mutant takes effect at import, so the
tool judges it on an implementation imported afresh; these tests check that this path
kills a mutant where a vector tells it apart, and only there."""

from __future__ import annotations

import functools
import importlib.util
import sys
from types import ModuleType
from typing import Any

from helpers.conformance import ROOT

AT_BOUND_496 = "fw-686c706b"
"""delimited/encoded-size-at-bound-496: E differs for floor(n / 254) and floor(n / 255)."""
AT_BOUND_256 = "fw-1b3b1560"
"""delimited/encoded-size-at-bound: at max frame size 256 both give the same E."""


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
    tree, found, _ = tool.scan("framewire._cobs_codec")
    (block,) = [mutant for mutant in found if mutant.qualname == "BLOCK_SIZE"]
    assert block.constant
    assert block.change == "254 -> 255"
    runs, registry, _ = tool.prepare_runs()

    def judge(case_id: str) -> Any:
        selected = [run for run in runs if run.case.id == case_id]
        assert selected, case_id
        job = functools.partial(tool.judge_at_import, block, tree, selected, registry)
        return tool.in_child(job, 120.0)[0]  # in a child: the fresh import replaces modules

    assert judge(AT_BOUND_496) == tool.EXIT_KILLED
    assert judge(AT_BOUND_256) == tool.EXIT_SURVIVED
