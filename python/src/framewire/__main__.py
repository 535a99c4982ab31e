"""``python -m framewire`` and the ``framewire`` command: the command line (``framewire.cli``).

The command line needs the ``cli`` extra (``rich``), the library does not: without the
extra, the command says in one line what to install instead of failing with a traceback.
"""

from __future__ import annotations

import importlib
import sys

CLI_EXTRA_MISSING = (
    "framewire: the command line needs the 'cli' extra: pip install 'framewire[cli]'"
)


def run(module: str) -> int:
    """Run the ``main()`` of a command-line MODULE; exit status 1 when rich is missing."""
    try:
        command = importlib.import_module(module)
    except ModuleNotFoundError as missing:
        if missing.name != "rich":
            raise
        print(CLI_EXTRA_MISSING, file=sys.stderr)
        return 1
    status: int = command.main()
    return status


def main() -> int:
    """The ``framewire`` console script."""
    return run("framewire.cli")


if __name__ == "__main__":
    sys.exit(main())
