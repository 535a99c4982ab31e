"""python/benchmarks/scale.py runs end to end on a few connections (the figures are not checked:
it is a benchmark; this keeps it working as the servers change)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "python" / "benchmarks" / "scale.py"

pytestmark = pytest.mark.timeout(90)


def test_scale_brings_up_every_connection_of_each_server() -> None:
    servers = ["bare-asyncio", "framewire-aio", "framewire-sync"]
    if shutil.which("node") is not None:
        servers.append("framewire-js")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "-n", "20", "--repeats", "1", "--servers", ",".join(servers)],
        capture_output=True,
        text=True,
        timeout=80,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "| 20 of 20 |" in line]
    assert len(rows) == len(servers), result.stdout
    assert "framewire-aio <= 8 KiB per idle connection" in result.stdout
