"""Every vector through the reference implementation, in this process: one test per id.

`pytest -k fw-497fd00a` runs one vector. The cases come from the `vector_case` fixture
(conftest.py); each is run through the reference adapter's request handler and judged by
the conformance runner, delivery by delivery (whole, byte by byte, random splits), as the
runner does with an adapter subprocess. The subprocess path has its smoke test in
test_conformance_reference.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from helpers.conformance import ROOT, SEED, suite

from framewire.conformance.adapter import DECODE_PATHS, SESSION_PATHS, ReferenceAdapter
from framewire.conformance.results import KnownFailures, Outcome
from framewire.conformance.runner import receive_paths, run_case
from framewire.conformance.vectors import Case

RECEIVE_PATHS = {"decode": DECODE_PATHS, "session": SESSION_PATHS}
BATCHED = {"compiled": ("*+next_events",), "pure": ()}
"""The receive-path patterns run with each receive loop (none: all of them)."""


class InProcessAdapter:
    """The reference adapter called directly: the runner's view of it without a pipe."""

    def __init__(self) -> None:
        self.adapter = ReferenceAdapter()

    def request(self, op: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self.adapter.handle({"op": op, **fields})

    def restart(self) -> None:
        self.adapter = ReferenceAdapter()


def test_vector(vector_case: Case, known_failures: KnownFailures, receive_loop: str) -> None:
    """Every receive path (FW-CNF-31) with the pure-Python loops; with the compiled one,
    the paths that reach it (the batched `next_events`: the others run the same code)."""
    paths = receive_paths(RECEIVE_PATHS, vector_case.kind, BATCHED[receive_loop])
    result = known_failures.settle(
        run_case(InProcessAdapter(), vector_case, suite().registry, SEED, paths)
    )
    failures = [(d.delivery, d.detail) for d in result.failures]
    declared = known_failures.mentions(vector_case.id)
    assert result.outcome == (Outcome.KNOWN_FAILURE if declared else Outcome.PASSED), failures


def test_the_mutation_score_is_judged_as_these_tests_judge() -> None:
    """tools/mutants.py sends the same requests (every delivery and receive path, from
    runner.request_for) to the same adapter and judges the replies with the same
    runner.judge_reply; with the same seed for the random splits, a mutant it counts as
    killed fails at least one test above, named by the vector's id."""
    tool = (ROOT / "tools" / "mutants.py").read_text(encoding="utf-8")
    (tool_seed,) = re.findall(r"^SEED = (\d+)$", tool, re.MULTILINE)
    assert int(tool_seed) == SEED
    shared_code = ("runner.request_for(", "runner.judge_reply(", "ReferenceAdapter()")
    for shared in (*shared_code, "compiled.DECODE_RUN = None"):  # and it runs pure Python
        assert shared in tool
