"""The JavaScript page's programs run as shown: each ``examples/js/<name>.mjs`` prints its
``<name>.out``, byte for byte.

Each runs as a user's program would, importing ``@framewire/framewire``: from a
directory whose ``node_modules`` links that name to the repository's ``js/`` (what
``npm install path/to/framewire/js`` makes). The first argument is this Python, for the
programs that talk to a Python peer.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "js"
PAGE = ROOT / "spec" / "javascript.md"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(NODE is None, reason="node is not installed (the JS tests need it)"),
]

PROGRAMS = sorted(EXAMPLES.glob("*.mjs"))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory where ``@framewire/framewire`` resolves to the repository's package."""
    directory = tmp_path_factory.mktemp("js-project")
    scope = directory / "node_modules" / "@framewire"
    scope.mkdir(parents=True)
    (scope / "framewire").symlink_to(ROOT / "js", target_is_directory=True)
    return directory


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda path: path.stem)
def test_javascript_example_prints_its_expected_output(program: Path, project: Path) -> None:
    copy = project / program.name
    shutil.copyfile(program, copy)
    assert NODE is not None
    result = subprocess.run(
        [NODE, str(copy), sys.executable],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == program.with_suffix(".out").read_text()


def test_the_page_includes_every_program_and_its_output() -> None:
    text = PAGE.read_text()
    for program in PROGRAMS:
        for path in (program, program.with_suffix(".out")):
            assert f'--8<-- "{path.relative_to(ROOT).as_posix()}"' in text
