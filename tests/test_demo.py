"""`make demo` (python -m framewire.demo) runs a real loopback exchange and says so."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(30)


def test_demo_runs_both_framings_and_shows_the_refusal() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "framewire.demo"],
        capture_output=True,
        text=True,
        timeout=25,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for framing in ("length-prefixed", "delimited"):
        assert f"[{framing}] echo server on 127.0.0.1:" in out
    assert out.count("echoed back intact: True") == 2
    assert out.count("as 5 frames; received back whole: True") == 2
    assert out.count("PING answered by PONG") == 2
    assert out.count("ERROR 105 (frame-too-large)") == 2
    assert len(out.splitlines()) <= 14  # a few readable lines
