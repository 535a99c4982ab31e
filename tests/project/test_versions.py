"""One version per package, the same for both, and in step with the CHANGELOG.

The rule: the Python package's version is `framewire.__version__` (pyproject.toml reads it
from there), the JavaScript package's is the `version` of js/package.json, and the two are
the same release version `x.y.z`. When the CHANGELOG has a released heading
(`## [x.y.z] - date`), the newest one is that version: a release commit renames
`## [Unreleased]` and sets both versions in one change, and later entries go under a new
`## [Unreleased]` until the next one. Before the first release there is no released heading
to compare with, and only the form of the version is checked.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import framewire

ROOT = Path(__file__).resolve().parents[2]
RELEASE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
RELEASED_HEADING = re.compile(r"^## \[(?!Unreleased\])([^\]]+)\]", re.MULTILINE)


def changelog_problem(version: str, changelog: str) -> str | None:
    """What is wrong with `version` for this CHANGELOG text, or None (the module's rule)."""
    if not RELEASE.match(version):
        return f"{version!r} is not a release version x.y.z"
    released = RELEASED_HEADING.findall(changelog)
    if released and released[0] != version:
        return f"the newest released heading is [{released[0]}], the version is {version}"
    return None


UNRELEASED_ONLY = "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- a thing\n"
RELEASED = "# Changelog\n\n## [Unreleased]\n\n- later\n\n## [0.2.0] - 2026-01-02\n\n## [0.1.0]\n"


@pytest.mark.parametrize(
    ("version", "changelog", "problem"),
    [
        ("0.1.0", UNRELEASED_ONLY, None),
        ("0.2.0", RELEASED, None),
        ("0.1.0", RELEASED, "the newest released heading is [0.2.0], the version is 0.1.0"),
        ("0.3.0", RELEASED, "the newest released heading is [0.2.0], the version is 0.3.0"),
        ("0.2", UNRELEASED_ONLY, "'0.2' is not a release version x.y.z"),
        ("0.2.0rc1", RELEASED, "'0.2.0rc1' is not a release version x.y.z"),
    ],
)
def test_the_rule(version: str, changelog: str, problem: str | None) -> None:
    assert changelog_problem(version, changelog) == problem


def test_both_packages_carry_one_version_in_step_with_the_changelog() -> None:
    package_json = json.loads((ROOT / "js" / "package.json").read_text(encoding="utf-8"))
    assert package_json["version"] == framewire.__version__
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog_problem(framewire.__version__, changelog) is None


def test_pyproject_reads_the_version_from_the_package() -> None:
    """One place: pyproject.toml has no version of its own."""
    pyproject = (ROOT / "python" / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r"^dynamic = \[[^\]]*\"version\"", pyproject, re.MULTILINE)
    assert not re.search(r"^version = ", pyproject, re.MULTILINE)


@pytest.mark.parametrize(
    ("pure", "path"),
    [
        ("", "compiled (framewire._codec.fastpath)"),
        ("1", "pure Python (FRAMEWIRE_PURE_PYTHON is set)"),
    ],
)
def test_the_command_prints_the_version_and_the_receive_path(pure: str, path: str) -> None:
    """The compiled receive path runs unless FRAMEWIRE_PURE_PYTHON is set (`make venv`
    builds it here), and `--version` says which runs."""
    result = subprocess.run(
        [sys.executable, "-m", "framewire", "--version"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "FRAMEWIRE_PURE_PYTHON": pure},
    )
    assert result.stdout.startswith(f"framewire {framewire.__version__} ")
    assert result.stdout.rstrip().endswith(f"receive path: {path}")
