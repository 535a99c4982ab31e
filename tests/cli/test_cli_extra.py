"""The library installs and imports without rich; the command line says it needs the extra.

rich comes with the ``cli`` extra (``pip install 'framewire[cli]'``). These tests run a
fresh interpreter in which importing rich fails, as it does where the extra is not
installed.
"""

from __future__ import annotations

import subprocess
import sys

from framewire.__main__ import CLI_EXTRA_MISSING

WITHOUT_RICH = """
import sys

class NoRich:
    def find_spec(self, name, path=None, target=None):
        if name == "rich" or name.startswith("rich."):
            raise ModuleNotFoundError(f"No module named {name!r}", name="rich")
        return None

sys.meta_path.insert(0, NoRich())
"""


def run_without_rich(program: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_RICH + program],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_library_and_transports_import_without_rich() -> None:
    result = run_without_rich(
        "import framewire, framewire.sync, framewire.aio, framewire.conformance.runner\n"
        "framewire.Session()\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'rich'))\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_command_line_without_rich_names_the_extra() -> None:
    for module in ("framewire", "framewire.conformance"):
        result = run_without_rich(
            f"import runpy; runpy.run_module({module!r}, run_name='__main__')"
        )
        assert result.returncode == 1, (module, result.stderr)
        assert result.stderr.strip() == CLI_EXTRA_MISSING
