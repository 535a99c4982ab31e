"""The Wireshark dissector ships with the package, and ``framewire wireshark`` finds it or
installs it where Wireshark loads personal Lua plugins."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from test_wireshark import DISSECTOR, TSHARK, TSHARK_PROBLEM

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]
FRAMEWIRE = [sys.executable, "-m", "framewire"]


def run(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)} if home is not None else None
    return subprocess.run(
        [*FRAMEWIRE, *args], capture_output=True, text=True, timeout=30, check=False, env=env
    )


def test_path_names_the_dissector_of_the_repository() -> None:
    result = run("wireshark", "--path")
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).read_bytes() == DISSECTOR.read_bytes()


def test_the_wheel_ships_the_dissector(tmp_path: Path) -> None:
    """Built from the checkout as pip builds it (the backend is a dev dependency)."""
    subprocess.run(
        [
            sys.executable,
            *("-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"),
            *("--wheel-dir", str(tmp_path), str(ROOT / "python")),
        ],
        check=True,
        timeout=110,
    )
    (wheel,) = tmp_path.glob("framewire-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert archive.read("framewire/cli/dissector_files/framewire.lua") == DISSECTOR.read_bytes()
    assert not [
        name
        for name in names
        if name.startswith("framewire/cli/dissector_files/") and name.endswith(".py")
    ]


@pytest.mark.skipif(TSHARK_PROBLEM is not None, reason=TSHARK_PROBLEM or "")
def test_install_puts_it_where_tshark_loads_it(tmp_path: Path) -> None:
    result = run("wireshark", "--install", home=tmp_path)
    assert result.returncode == 0, result.stderr
    installed = tmp_path / ".local" / "lib" / "wireshark" / "plugins" / "framewire.lua"
    assert str(installed) in result.stdout
    assert TSHARK is not None
    plugins = subprocess.run(
        [TSHARK, "-G", "plugins"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "HOME": str(tmp_path)},
    ).stdout
    assert str(installed) in plugins


def test_install_into_a_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run("wireshark", "--install", "--plugins-dir", str(blocker / "plugins"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "cannot install into" in result.stderr
