"""The modules of the framewire package as source: their dotted names, files and syntax
trees, for the tests that read the package without running it (its import layers, the
names its docstrings give).

The package data directories (``conformance/vector_files``, ``cli/dissector_files``) link to
other parts of the repository and hold no module of the package. A compiled module is read
from its stub (``_codec/fastpath.pyi`` beside ``_codec/fastpath.c``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "python" / "src"
PACKAGE = SOURCE / "framewire"
DATA_DIRECTORIES = {"vector_files", "dissector_files"}


@dataclass(frozen=True)
class SourceModule:
    """One module of the package, read from its file."""

    name: str
    """Its dotted name: ``framewire.sync``; a package's is that of its ``__init__``."""
    path: Path
    is_package: bool

    @cached_property
    def tree(self) -> ast.Module:
        return ast.parse(self.path.read_text(encoding="utf-8"), filename=str(self.path))


def package_modules() -> list[SourceModule]:
    """Every module of the package, sorted by name."""
    modules = []
    compiled = [path for path in PACKAGE.rglob("*.pyi") if not path.with_suffix(".py").exists()]
    for path in [*PACKAGE.rglob("*.py"), *compiled]:
        parts = path.relative_to(SOURCE).with_suffix("").parts
        if DATA_DIRECTORIES.intersection(parts):
            continue
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        modules.append(SourceModule(name, path, is_package))
    return sorted(modules, key=lambda module: module.name)
