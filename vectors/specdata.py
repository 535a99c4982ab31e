"""What the vectors need to know from the spec, read from the spec's own Markdown.

The generator and the coverage script both read the statement ids and the error registry
from `spec/*.md` through this module, so there is one parser and the vectors can never
cite a statement or an error that the spec does not define. Stdlib only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

VECTORS_DIR = Path(__file__).resolve().parent
SPEC_DIR = VECTORS_DIR.parent / "spec"

# A normative statement is defined where its id appears in bold, e.g. **FW-HDR-4**.
STATEMENT_DEFINITION = re.compile(r"\*\*(FW-[A-Z]+-[0-9]+)\*\*")
REGISTRY_BLOCK = re.compile(r"<!-- fw:table errors -->\n(.*?)<!-- /fw:table -->", re.S)


@dataclass(frozen=True)
class RegistryEntry:
    """One row of the error registry (spec/errors.md, section 8)."""

    code: int
    name: str
    statements: tuple[str, ...]
    sends_error_frame: bool


def spec_statements(spec_dir: Path = SPEC_DIR) -> dict[str, str]:
    """Map every statement id defined in the spec to the page that defines it."""
    found: dict[str, str] = {}
    for page in sorted(spec_dir.glob("*.md")):
        for statement in STATEMENT_DEFINITION.findall(page.read_text(encoding="utf-8")):
            found.setdefault(statement, page.name)
    return found


def error_registry(spec_dir: Path = SPEC_DIR) -> list[RegistryEntry]:
    """Parse the registry table between the `fw:table errors` markers of errors.md."""
    text = (spec_dir / "errors.md").read_text(encoding="utf-8")
    block = REGISTRY_BLOCK.search(text)
    if block is None:
        raise ValueError("spec/errors.md has no <!-- fw:table errors --> block")
    entries = []
    for line in block.group(1).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not cells[0].isdigit():
            continue  # the heading row and the |---| rule
        entries.append(
            RegistryEntry(
                code=int(cells[0]),
                name=cells[1].strip("`"),
                statements=tuple(re.findall(r"FW-[A-Z]+-[0-9]+", cells[3])),
                # "yes", "no", or "yes, except for a malformed `ERROR`" (FW-ERR-4).
                sends_error_frame=cells[-1].startswith("yes"),
            )
        )
    return entries
