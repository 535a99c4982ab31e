"""python/benchmarks/scale.py runs end to end on a few connections (the figures are not checked:
it is a benchmark; this keeps it working as the servers change)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "python" / "benchmarks" / "scale.py"

pytestmark = pytest.mark.timeout(90)


@pytest.mark.serial  # a benchmark: the memory of each idle connection
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


def test_report_prints_no_ratio_against_a_baseline_that_grew_by_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A few idle connections can leave the bare server's RSS unchanged (page granularity);
    the ratio against it is then undefined and the report says so instead of failing."""
    monkeypatch.syspath_prepend(str(SCRIPT.parent))  # the script imports its neighbours
    spec = importlib.util.spec_from_file_location("fw_benchmark_scale", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    scale = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = scale  # dataclasses look their module up while executing it
    spec.loader.exec_module(scale)

    def measured(server: str, grown_kib: int) -> list[Any]:
        return [scale.Measurement(server, 20, 20, 0.5, 30_000, 30_000 + grown_kib, {})]

    scale.report(
        {
            "bare-asyncio": measured("bare-asyncio", 0),
            "framewire-aio": measured("framewire-aio", 80),
        },
        20,
    )
    out = capsys.readouterr().out
    assert "| framewire-aio vs bare-asyncio | n/a | 1.00 |" in out
