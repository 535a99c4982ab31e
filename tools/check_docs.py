"""Checks of the built site and of the spec's two ASCII diagrams. Exit status 1 on a problem.

Run after `mkdocs build`: `.venv/bin/python tools/check_docs.py [SITE_DIR]`.

- No page of the built site holds an include directive (`--8<--`) that was left unexpanded,
  which a snippet in an indented block or a wrong path produces without any warning.
- The flags diagram of spec 3.3 puts each bit's label under that bit's number, in the
  cell of the table's bit (a label one column off contradicts the table under it).
- The frame layout diagram of spec 3.1 draws each header field over exactly the bytes the
  offset table gives it, and every cell border falls on a byte boundary of the ruler.
- Every Mermaid diagram of the spec reaches the site as a diagram (not as a code block,
  which a missing custom fence gives), and the session diagram of 6.8 draws exactly the
  states of the table beside it.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT / "spec"
INCLUDE_MARKERS = ("--8<--", "--8&lt;--")
CODE_BLOCK = re.compile(r"^```text\n(.*?)^```", re.S | re.M)
TABLE_ROW = re.compile(r"^\|(.+)\|\s*$", re.M)
BITS_PER_ROW = 32
COLUMNS_PER_BIT = 2  # the ruler of RFC diagrams: one digit and one space per bit


def unexpanded_includes(site_dir: Path) -> Iterator[str]:
    """Pages of the built site that still hold an include directive."""
    pages = sorted(site_dir.rglob("*.html"))
    if not pages:
        yield f"no HTML page under {site_dir}: build the site first (make docs-build)"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if any(marker in text for marker in INCLUDE_MARKERS):
            yield f"{page.relative_to(site_dir)}: an include directive was not expanded"


MERMAID_FENCE = re.compile(r"^```mermaid\n(.*?)^```", re.S | re.M)
MERMAID_RENDERED = 'class="mermaid"'


def unrendered_mermaid(site_dir: Path) -> Iterator[str]:
    """Spec pages whose Mermaid diagrams the built page does not carry as diagrams."""
    for source in sorted(SPEC_DIR.glob("*.md")):
        wanted = len(MERMAID_FENCE.findall(source.read_text(encoding="utf-8")))
        if not wanted:
            continue
        page = site_dir / source.stem / "index.html"
        found = page.read_text(encoding="utf-8").count(MERMAID_RENDERED) if page.exists() else 0
        if found != wanted:
            yield f"{source.name}: {wanted} Mermaid diagrams, {found} rendered as diagrams"


def check_state_diagram(session_md: str) -> Iterator[str]:
    """The states drawn in 6.8 are the states of its table."""
    text = section(session_md, "## 6.8 States")
    match = MERMAID_FENCE.search(text)
    if match is None:
        yield "6.8: no state diagram"
        return
    ends = re.findall(r"^\s*(\S+) --> (\S+?):", match.group(1), re.M)
    drawn = {state for pair in ends for state in pair} - {"[*]"}
    tabled = set(re.findall(r"^\| `([A-Z_]+)` \|", text, re.M))
    if drawn != tabled:
        yield f"6.8: the diagram draws {sorted(drawn)}, the table lists {sorted(tabled)}"


def section(text: str, heading: str) -> str:
    """The Markdown from `heading` up to the next heading of the same or a higher level."""
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end >= 0 else len(text)]


def first_diagram(markdown: str) -> list[str]:
    """The lines of the first ```text block."""
    match = CODE_BLOCK.search(markdown)
    if match is None:
        raise ValueError("no ```text diagram")
    return match.group(1).splitlines()


def fw_table(markdown: str, name: str) -> list[dict[str, str]]:
    """The rows of the table between `<!-- fw:table NAME -->` and `<!-- /fw:table -->`."""
    start = markdown.index(f"<!-- fw:table {name} -->")
    end = markdown.index("<!-- /fw:table -->", start)
    rows = [
        [cell.strip() for cell in match.group(1).split("|")]
        for match in TABLE_ROW.finditer(markdown[start:end])
    ]
    header, body = rows[0], rows[2:]
    return [dict(zip(header, row, strict=True)) for row in body]


def cells(line: str) -> Iterator[tuple[int, int, str]]:
    """(column of the opening `|`, column of the closing `|`, text) of each cell of a row."""
    bars = [index for index, char in enumerate(line) if char == "|"]
    for left, right in itertools.pairwise(bars):
        yield left, right, line[left + 1 : right]


def flag_bits_from_table(rows: list[dict[str, str]]) -> dict[str, int]:
    """Label -> bit, from the flags table (the row of bits 4 to 7, A0 to A3, gives each its bit)."""
    bits: dict[str, int] = {}
    for row in rows:
        names = re.findall(r"`([A-Z][0-9]?)`", row["name"])
        numbers = [int(n) for n in re.findall(r"\d+", row["bit"])]
        if len(names) == 1 and len(numbers) == 1:
            bits[names[0]] = numbers[0]
        else:
            first, last = (int(n[1:]) for n in names)
            for offset in range(last - first + 1):
                bits[f"{names[0][0]}{first + offset}"] = numbers[0] + offset
    return bits


def check_flags_diagram(frame_md: str) -> Iterator[str]:
    """Spec 3.3: every bit's label sits under its number, inside one cell of the box."""
    text = section(frame_md, "## 3.3 Flags")
    lines = first_diagram(text)
    ruler = next(line for line in lines if line.lstrip().startswith("bit:"))
    bit_column = {int(m.group()): m.start() for m in re.finditer(r"\d", ruler)}
    border = next(line for line in lines if line.lstrip().startswith("+"))
    label_row = next(line for line in lines if line.lstrip().startswith("|"))
    corners = {index for index, char in enumerate(border) if char == "+"}
    for left, right, _ in cells(label_row):
        if left not in corners or right not in corners:
            yield f"3.3 flags diagram: a cell border at column {left} or {right} is off the box"
    expected = flag_bits_from_table(fw_table(text, "flags"))
    seen: dict[str, int] = {}
    for left, right, content in cells(label_row):
        for match in re.finditer(r"\S+", content):
            start, end = left + 1 + match.start(), left + 1 + match.end()
            under = [bit for bit, column in bit_column.items() if start <= column < end]
            if len(under) != 1:
                yield f"3.3 flags diagram: label {match.group()} is under no single bit number"
                continue
            bit_cell = [c for c in cells(label_row) if c[0] < bit_column[under[0]] < c[1]]
            if bit_cell != [(left, right, content)]:
                yield f"3.3 flags diagram: label {match.group()} is not in its bit's cell"
            seen[match.group()] = under[0]
    if seen != expected:
        yield f"3.3 flags diagram: labels {seen} disagree with the table {expected}"


def check_layout_diagram(frame_md: str) -> Iterator[str]:
    """Spec 3.1: each header field spans exactly the bytes of its offset and size."""
    text = section(frame_md, "## 3.1 Layout")
    lines = first_diagram(text)
    ruler = lines[1]
    for bit in range(BITS_PER_ROW):
        column = 1 + COLUMNS_PER_BIT * bit
        if ruler[column : column + 1] != str(bit % 10):
            yield f"3.1 layout diagram: the ruler does not show bit {bit} at column {column}"
    byte_columns = 8 * COLUMNS_PER_BIT
    covered: dict[str, set[int]] = {}
    rows = [line for line in lines if line.startswith("|")]
    for row_index, line in enumerate(rows):
        for left, right, content in cells(line):
            if left % byte_columns or right % byte_columns:
                yield f"3.1 layout diagram: cell {content.strip()!r} is not on byte boundaries"
                continue
            first_byte = BITS_PER_ROW // 8 * row_index + left // byte_columns
            spanned = range(first_byte, first_byte + (right - left) // byte_columns)
            words = re.findall(r"[a-z]+", content.replace("...", " "))
            if words:
                covered.setdefault(words[0], set()).update(spanned)
    for field in fw_table(text, "header"):
        name = field["field"].strip("`")
        offset, size = int(field["offset"]), int(field["size"])
        if covered.get(name) != set(range(offset, offset + size)):
            shown = sorted(covered.get(name, set()))
            yield (
                f"3.1 layout diagram: {name} is drawn over bytes {shown}, "
                f"the table says {offset}..{offset + size - 1}"
            )


def problems(site_dir: Path) -> list[str]:
    """Everything wrong with the built site and the diagrams."""
    frame_md = (SPEC_DIR / "frame.md").read_text(encoding="utf-8")
    return [
        *unexpanded_includes(site_dir),
        *check_flags_diagram(frame_md),
        *check_layout_diagram(frame_md),
        *unrendered_mermaid(site_dir),
        *check_state_diagram((SPEC_DIR / "session.md").read_text(encoding="utf-8")),
    ]


def main(argv: list[str]) -> int:
    """Print the problems; exit status 1 if there are any."""
    site_dir = Path(argv[0]) if argv else ROOT / "site"
    found = problems(site_dir)
    for problem in found:
        print(f"FAIL {problem}")
    if found:
        return 1
    print(
        "docs OK: no unexpanded include in the site; the diagrams of 3.1 and 3.3 match their "
        "tables; the Mermaid diagrams are rendered, and 6.8 draws the states of its table"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
