"""The Python package's README (its PyPI description) shows code that runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "python" / "README.md"


def test_each_python_block_of_the_package_readme_runs() -> None:
    blocks = re.findall(r"^```python\n(.*?)^```", README.read_text("utf-8"), re.S | re.M)
    assert blocks, "no python block in python/README.md"
    for block in blocks:
        result = subprocess.run(
            [sys.executable, "-c", block], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{block}\n{result.stderr}"
