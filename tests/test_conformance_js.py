"""The worked example of spec/testing.md: the JavaScript adapter runs through the runner.

This checks that the example the page includes speaks the adapter protocol (no malformed
reply, no crash, no dead or hanging adapter) on every vector. How many vectors the
JavaScript implementation passes is its own business (js/), so it is printed, not asserted.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conformance_helpers import ROOT, outcomes, run_runner

NODE = shutil.which("node")
ADAPTER_FAULTS = ("malformed reply", "adapter died", "timeout", "crashed")


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_javascript_example_adapter_speaks_the_protocol(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = f"{NODE} {ROOT / 'js' / 'bin' / 'adapter.js'}"
    status, report = run_runner(tmp_path, "--adapter", adapter)
    assert status in (0, 1), "the runner could not use the adapter"
    faults = [
        (case["id"], failure["difference"][:120])
        for case in report["cases"]
        for failure in case.get("failures", [])
        if failure["difference"].startswith(ADAPTER_FAULTS)
    ]
    assert not faults
    passed_kinds = {c["kind"] for c in report["cases"] if c["outcome"] == "passed"}
    assert passed_kinds == {"decode", "encode", "session"}
    with capsys.disabled():
        passed, failed = len(outcomes(report, "passed")), len(outcomes(report, "failed"))
        print(
            f"\nJavaScript adapter ({report['implementation']}): {passed} passed, {failed} failed"
        )
