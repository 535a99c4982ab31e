"""``framewire wireshark``: where the Wireshark dissector that ships with the package is,
and its installation into the user's personal Lua plugins folder.

The dissector (``framewire.lua``) is package data, like the test vectors: in a checkout
``framewire/cli/dissector_files`` links to the repository's ``dissectors/``, and a wheel holds
a copy, so an installed package has it without the repository.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from importlib import resources
from pathlib import Path

from framewire._cli_options import UsageError

__all__ = ["DISSECTOR_NAME", "add_parser", "dissector_path", "personal_plugins_dir"]

DISSECTOR_NAME = "framewire.lua"


def dissector_path() -> Path:
    """The shipped dissector's file."""
    path = Path(str(resources.files("framewire.cli") / "dissector_files" / DISSECTOR_NAME))
    if not path.is_file():
        raise UsageError(f"this installation of framewire has no {DISSECTOR_NAME} (reinstall it)")
    return path


def personal_plugins_dir() -> Path:
    """Wireshark's personal plugins folder (Help > About Wireshark > Folders): Lua scripts
    there are loaded at start-up."""
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home())) / "Wireshark" / "plugins"
    return Path.home() / ".local" / "lib" / "wireshark" / "plugins"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``framewire wireshark``."""
    parser = subparsers.add_parser(
        "wireshark",
        help="print the path of the Wireshark dissector, or install it",
        description="The Wireshark dissector for Framewire ships with this package.\n\n"
        "examples:\n"
        '  tshark -X lua_script:"$(framewire wireshark --path)" -r capture.pcap\n'
        "  framewire wireshark --install   # then restart Wireshark",
        epilog="exit status: 0 success, 2 usage error (e.g. a folder that cannot be written)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--path", action="store_true", help="print the dissector's path (the default)"
    )
    action.add_argument(
        "--install",
        action="store_true",
        help="copy it into the personal Lua plugins folder, replacing an older copy",
    )
    parser.add_argument(
        "--plugins-dir",
        type=Path,
        metavar="DIR",
        help="install here instead (default: ~/.local/lib/wireshark/plugins, "
        "or %%APPDATA%%\\Wireshark\\plugins on Windows)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the path, or install the dissector and say where."""
    source = dissector_path()
    if not args.install:
        if args.plugins_dir is not None:
            raise UsageError("--plugins-dir goes with --install")
        print(source)
        return 0
    folder = args.plugins_dir or personal_plugins_dir()
    target = folder / DISSECTOR_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    except OSError as exc:
        raise UsageError(f"cannot install into {folder}: {exc.strerror or exc}") from None
    print(f"installed {target}; restart Wireshark (or Analyze > Reload Lua Plugins)")
    return 0
