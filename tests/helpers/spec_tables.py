"""Read the spec's machine-checkable parts: `fw:table` blocks and statement ids.

The spec marks every table that code must mirror with `<!-- fw:table NAME -->` ...
`<!-- /fw:table -->`; tests compare those rows with the schemas and the error registry, so
the spec and the code cannot drift apart silently.
"""

from __future__ import annotations

import re
from pathlib import Path

SPEC_DIR = Path(__file__).resolve().parents[2] / "spec"

_TABLE_RE = re.compile(r"<!-- fw:table (\S+) -->\n(.*?)<!-- /fw:table -->", re.DOTALL)
_STATEMENT_RE = re.compile(r"\*\*(FW-[A-Z]+-\d+)\*\*")
_CODE_RE = re.compile(r"`([^`]*)`")


def fw_tables(page: str) -> dict[str, list[dict[str, str]]]:
    """Every fw:table of a spec page, as rows of {column header: cell text}."""
    text = (SPEC_DIR / page).read_text(encoding="utf-8")
    tables = {}
    for name, body in _TABLE_RE.findall(text):
        lines = [line.strip() for line in body.strip().splitlines() if line.strip()]
        header = _cells(lines[0])
        rows = [dict(zip(header, _cells(line), strict=True)) for line in lines[2:]]
        tables[name] = rows
    return tables


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip("|").split("|")]


def code_spans(cell: str) -> list[str]:
    """The `code` spans of a cell, without backticks."""
    return _CODE_RE.findall(cell)


def hex_bytes(cell: str) -> bytes:
    """`0x46 0x57` (the first code span of a cell) as bytes."""
    return bytes(int(token, 16) for token in code_spans(cell)[0].split())


def spec_int(text: str) -> int:
    """A number as the spec writes it: 1,048,576 or 2^30 or 2^32 (minus sign) 1 or 0x0001."""
    text = text.replace(",", "").replace("\u2212", "-").replace("`", "").strip()
    match = re.fullmatch(r"2\^(\d+)(?:\s*-\s*(\d+))?", text)
    if match:
        return (1 << int(match.group(1))) - int(match.group(2) or 0)
    return int(text, 0)


def defined_statements() -> set[str]:
    """Every statement id defined (in bold) anywhere in the spec."""
    ids: set[str] = set()
    for page in SPEC_DIR.glob("*.md"):
        ids.update(_STATEMENT_RE.findall(page.read_text(encoding="utf-8")))
    return ids
