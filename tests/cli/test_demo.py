"""`make demo` (python -m framewire.cli._demo) runs a real loopback exchange, and the guide shows
its output as it is."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(30)

ROOT = Path(__file__).resolve().parents[2]
SHOWN = ROOT / "examples" / "make-demo.txt"
"""The output the guide's first page shows: the command, the install line, the demo."""
GUIDE_FIRST_PAGE = ROOT / "spec" / "guide" / "index.md"


def _demo_output() -> str:
    result = subprocess.run(
        [sys.executable, "-m", "framewire.cli._demo"],
        capture_output=True,
        text=True,
        timeout=25,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert not result.stderr
    return result.stdout


def test_the_guide_shows_the_real_output() -> None:
    command, install, *shown = SHOWN.read_text(encoding="utf-8").splitlines(keepends=True)
    assert command == "$ make demo\n"
    assert "".join(shown) == _demo_output()
    # The install line is the one the Makefile prints on a fresh clone.
    echoed = re.search(r'@echo "(==> installing [^"]*)"', (ROOT / "Makefile").read_text())
    assert echoed is not None
    assert install.rstrip("\n") == echoed.group(1).replace("$(VENV)", ".venv")
    assert f'--8<-- "{SHOWN.relative_to(ROOT).as_posix()}"' in GUIDE_FIRST_PAGE.read_text()


def test_demo_shows_a_frame_both_framings_and_next_steps() -> None:
    out = _demo_output()
    assert "46 57 01 00 40 00 00 00 05 68 65 6c 6c 6f" in out
    assert "└─ payload: 'hello'" in out
    for framing in ("length-prefixed", "delimited"):
        assert f"{framing} framing, an echo server on 127.0.0.1:" in out
    assert out.count("came back intact") == 2
    assert out.count("as 5 frames and came back whole") == 2
    assert out.count("ERROR 105 (frame-too-large)") == 2
    last_two = out.splitlines()[-2:]
    assert "make docs" in last_two[0]
    assert ".venv/bin/framewire --help" in last_two[1]


def test_make_demo_installs_the_package_with_its_command_line_only() -> None:
    makefile = (ROOT / "Makefile").read_text()
    demo_rule = re.search(r"^demo: (.*)$", makefile, re.MULTILINE)
    assert demo_rule is not None
    assert demo_rule.group(1).startswith("$(PACKAGE_STAMP)")
    package_rule = makefile.split("$(PACKAGE_STAMP): $(PYPROJECT)\n", 1)[1].split("\n\n", 1)[0]
    assert "pip install" in package_rule
    # The cli extra, so that the command the demo names works; not the dev extras.
    assert re.findall(r"\[[^\]]*\]", package_rule) == ["[cli]"]


def test_the_next_step_the_demo_prints_works_as_printed() -> None:
    """The command is run as a user copies it, from the clone, with .venv/bin not on PATH."""
    commands = re.findall(r"`([^`]*--help)`", _demo_output().splitlines()[-1])
    assert commands, "the demo names no command to try"
    venv_bin = Path(sys.executable).parent
    if venv_bin != ROOT / ".venv" / "bin":
        pytest.skip("the tests run outside the clone's .venv, which the demo names")
    for command in commands:
        result = subprocess.run(
            command.split(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=25,
            check=False,
            env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)},
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("usage: framewire"), result.stdout
