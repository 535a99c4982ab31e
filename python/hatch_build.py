"""The wheel's build hook: the compiled receive path, where a C compiler is present.

`framewire._codec.fastpath` (src/framewire/_codec/fastpath.c, over the C library's CRC-32C
in c/) is built with the compiler and flags this Python was built with (`sysconfig`). Where that
fails (no compiler, no headers, a platform without a shared-library command) the wheel is
pure Python and says why in the build's output: the pure-Python code is the reference and
the package works the same without the module. `FRAMEWIRE_PURE_PYTHON=1` at build time
builds the pure wheel on purpose.

An editable install (`pip install -e`, `make venv`) builds the module in place, beside the
sources; `python python/hatch_build.py` builds it there again (`make` does after a change
to the C sources).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PURE_PYTHON_VARIABLE = "FRAMEWIRE_PURE_PYTHON"
MODULE = "fastpath"
PACKAGE = ("framewire", "_codec")
"""Where the module goes: its package, as a path inside the sources and the wheel."""
HERE = Path(__file__).resolve().parent


def c_library(root: Path) -> Path:
    """The C library's directory: c/ of the repository, or the copy an sdist carries."""
    for candidate in (root / "c", root.parent / "c"):
        if (candidate / "include" / "framewire.h").is_file():
            return candidate
    raise FileNotFoundError("the C library's sources (c/include/framewire.h) are not there")


def module_file_name() -> str:
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    if not suffix:
        raise RuntimeError("this Python names no extension-module suffix")
    return MODULE + str(suffix)


def compile_fastpath(root: Path, output: Path) -> None:
    """Compile and link the module into `output`; raise on any failure."""
    library = c_library(root)
    # The command that compiles and links, as setuptools takes it: LDSHARED overrides.
    link = os.environ.get("LDSHARED") or sysconfig.get_config_var("LDSHARED")
    if not link:
        raise RuntimeError("this Python names no command to link an extension module")
    command = [
        *shlex.split(str(link)),
        *shlex.split(str(sysconfig.get_config_var("CCSHARED") or "")),
        "-O2",
        "-DNDEBUG",
        # The CPU's CRC-32C instruction where it has one (checked at run time), as the
        # `crc32c` package the pure path uses does.
        "-DFW_CRC_HW_RUNTIME",
        "-I",
        sysconfig.get_paths()["include"],
        "-I",
        str(library / "include"),
        str(root.joinpath("src", *PACKAGE, f"{MODULE}.c")),
        str(library / "src" / "crc32c.c"),
        "-o",
        str(output),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed:\n{result.stderr.strip()}")


class CompiledPathHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds the compiled module to a wheel, or leaves the wheel pure Python."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or os.environ.get(PURE_PYTHON_VARIABLE):
            return
        root = Path(self.root)
        self._scratch: Path | None = None
        try:
            name = module_file_name()
            if version == "editable":  # beside the sources the editable install imports
                compile_fastpath(root, root.joinpath("src", *PACKAGE, name))
            else:
                self._scratch = Path(tempfile.mkdtemp(prefix="framewire-build-"))
                compile_fastpath(root, self._scratch / name)
                build_data["force_include"][str(self._scratch / name)] = "/".join([*PACKAGE, name])
        except (OSError, RuntimeError) as error:
            self.app.display_warning(
                f"framewire: the compiled receive path was not built, the package is pure "
                f"Python ({error})"
            )
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    compile_fastpath(HERE, HERE.joinpath("src", *PACKAGE, module_file_name()))
    sys.exit(0)
