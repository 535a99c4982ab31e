"""``python -m framewire`` and the ``framewire`` command: the command line (``framewire.cli``).

The command line needs the ``cli`` extra (``rich``), the library does not: without the
extra, the command says in one line what to install instead of failing with a traceback.
Ctrl-C ends any command with exit status 130 (128 + SIGINT, as a shell reports a command
that the signal ended) and no traceback; the servers catch it earlier, as their normal end.
"""

from __future__ import annotations

import importlib
import sys

EXIT_INTERRUPTED = 130
"""The exit status after Ctrl-C (SIGINT) ended a command before it finished."""

CLI_EXTRA_MISSING = (
    "framewire: the command line needs the 'cli' extra: pip install 'framewire[cli]'"
)


def run(module: str) -> int:
    """Run the ``main()`` of a command-line MODULE; exit status 1 when rich is missing,
    130 after Ctrl-C."""
    try:
        try:
            command = importlib.import_module(module)
        except ModuleNotFoundError as missing:
            if missing.name != "rich":
                raise
            print(CLI_EXTRA_MISSING, file=sys.stderr)
            return 1
        status: int = command.main()
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return status


def main() -> int:
    """The ``framewire`` console script."""
    return run("framewire.cli")


if __name__ == "__main__":
    sys.exit(main())
