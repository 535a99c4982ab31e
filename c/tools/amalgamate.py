"""Join the C library into one framewire.h and one framewire.c, as SQLite ships.

Why: a firmware project adds two files to its build instead of a source tree and an
include path. The output is generated, never edited: every local ``#include "..."`` is
replaced by the file it names, each file once, in the order the includes appear, so
the result compiles exactly as the sources do.

Usage: python3 c/tools/amalgamate.py OUTPUT_DIR
(run from the repository root; reads c/include and c/src).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"\s*$')

PUBLIC_HEADER = "framewire.h"


class Amalgamation:
    """Inlines local includes depth-first, each file once."""

    def __init__(self, search: list[Path]) -> None:
        self.search = search
        self.seen: set[Path] = set()

    def find(self, name: str, beside: Path) -> Path:
        for folder in (beside, *self.search):
            candidate = (folder / name).resolve()
            if candidate.is_file():
                return candidate
        raise FileNotFoundError(f'#include "{name}" from {beside}: not found')

    def expand(self, path: Path) -> list[str]:
        path = path.resolve()
        if path in self.seen:
            return []
        self.seen.add(path)
        lines = [f"/* ---- {path.parent.name}/{path.name} ---- */\n"]
        for line in path.read_text().splitlines(keepends=True):
            match = _INCLUDE.match(line)
            if match is None:
                lines.append(line)
                continue
            lines.extend(self.expand(self.find(match.group(1), path.parent)))
        if lines[-1:] and not lines[-1].endswith("\n"):
            lines.append("\n")
        return lines


_BANNER = "/* Framewire C library, amalgamated by c/tools/amalgamate.py: do not edit. */\n"


def amalgamate(root: Path) -> tuple[str, str]:
    include, source = root / "c" / "include", root / "c" / "src"
    headers = Amalgamation([include, source])
    public = [path for path in sorted(include.glob("*.h")) if path.name != PUBLIC_HEADER]
    header_lines = headers.expand(include / PUBLIC_HEADER)
    for path in public:  # public headers the umbrella header does not pull in
        header_lines.extend(headers.expand(path))
    sources = Amalgamation([include, source])
    # The amalgamated framewire.c includes the amalgamated framewire.h once, so the
    # public headers are never inlined a second time.
    sources.seen.update(headers.seen)
    source_lines = [f'#include "{PUBLIC_HEADER}"\n']
    for path in sorted(source.glob("*.c")):
        source_lines.extend(sources.expand(path))
    return _BANNER + "".join(header_lines), _BANNER + "".join(source_lines)


def main(argv: list[str]) -> int:
    output = Path(argv[1])
    output.mkdir(parents=True, exist_ok=True)
    header, source = amalgamate(Path.cwd())
    (output / PUBLIC_HEADER).write_text(header)
    (output / "framewire.c").write_text(source)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
