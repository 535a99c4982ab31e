"""The code on the site is the code that runs: each guide example prints what its page shows.

Each ``examples/guide/<name>.py`` is a complete program (server and client in one script,
on loopback). The guide pages include it with pymdownx.snippets, together with
``<name>.out``, the output it must print. Here each program runs in a subprocess and its
output must equal that file byte for byte, so breaking an example (or the API under it)
fails ``make test``.

The second half keeps untested code off the site: every fenced Python block in the pages
must either be nothing but snippet includes of tested examples, or be marked as not meant
to run with an HTML comment on the line just before its fence::

    <!-- fw:not-run: a fragment of the loop above, not a program -->

The reason after the colon is required, so a reviewer sees why the block is exempt.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "guide"
PAGES = ROOT / "spec"
FIRST_EXCHANGE_MAX_LINES = 20
EXAMPLE_TIMEOUT = 30.0
"""Seconds one example may run; each takes well under one on loopback."""

PYTHON_LANGUAGES = frozenset({"python", "py", "python3", "py3", "pycon", "pyi"})
NOT_RUN_MARKER = re.compile(r"^\s*<!--\s*fw:not-run:\s*\S.*-->\s*$")
FENCE_OPEN = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")
SNIPPET_LINE = re.compile(r'^\s*-{1,2}8<-{1,2}\s+"(?P<target>[^"]+)"\s*$')

EXAMPLE_PROGRAMS = sorted(EXAMPLES.glob("*.py"))


def _relative(path: Path) -> str:
    """A path as the pages and messages write it: relative to the repository when inside."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


@pytest.mark.parametrize("program", EXAMPLE_PROGRAMS, ids=lambda path: path.stem)
def test_example_prints_its_expected_output(program: Path) -> None:
    expected_file = program.with_suffix(".out")
    assert expected_file.is_file(), f"{_relative(program)} has no expected output file"
    result = subprocess.run(
        [sys.executable, str(program)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=EXAMPLE_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"{program.name} failed:\n{result.stderr}"
    assert result.stderr == "", f"{program.name} wrote to stderr:\n{result.stderr}"
    assert result.stdout == expected_file.read_text(encoding="utf-8")


def test_there_are_examples() -> None:
    assert EXAMPLE_PROGRAMS, "no examples found in examples/guide"


def test_first_exchange_fits_the_promise() -> None:
    """The guide promises a client and a server in under 20 lines: keep that true."""
    lines = (EXAMPLES / "first_exchange.py").read_text(encoding="utf-8").splitlines()
    assert len(lines) < FIRST_EXCHANGE_MAX_LINES


# --- the pages ------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block of a page: where it is, its language, its body, its marker."""

    page: str
    line: int
    language: str
    body: list[str]
    marked_not_run: bool


def _language(info: str) -> str:
    """The language of a fence's info string: ``python``, ``{.python title="x"}`` ..."""
    info = info.strip()
    if info.startswith("{"):
        match = re.search(r"\.([\w+-]+)", info)
        return match.group(1).lower() if match else ""
    return info.split(maxsplit=1)[0].lower() if info else ""


def code_blocks(page: Path) -> list[CodeBlock]:
    """Every fenced block of a Markdown page (backtick or tilde fences, any indent)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[CodeBlock] = []
    index = 0
    while index < len(lines):
        opening = FENCE_OPEN.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence = opening.group("fence")
        closing = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        blocks.append(
            CodeBlock(
                page=_relative(page),
                line=index + 1,
                language=_language(opening.group("info")),
                body=lines[index + 1 : end],
                marked_not_run=index > 0 and bool(NOT_RUN_MARKER.match(lines[index - 1])),
            )
        )
        index = end + 1
    return blocks


def snippet_targets(body: list[str]) -> list[str] | None:
    """The files a block includes, or None if it holds anything but snippet lines."""
    targets = []
    for line in body:
        if not line.strip():
            continue
        match = SNIPPET_LINE.match(line)
        if match is None:
            return None
        targets.append(match.group("target"))
    return targets or None


def _tested_example(target: str) -> bool:
    """Whether a snippet target (``path`` or ``path:section``) is a program run above."""
    path = ROOT / target.partition(":")[0]
    return path in EXAMPLE_PROGRAMS


SITE_PAGES = sorted(PAGES.rglob("*.md"))
PYTHON_BLOCKS = [
    block
    for page in SITE_PAGES
    for block in code_blocks(page)
    if block.language in PYTHON_LANGUAGES
]


def test_every_python_block_is_tested_or_marked() -> None:
    untested = []
    for block in PYTHON_BLOCKS:
        if block.marked_not_run:
            continue
        targets = snippet_targets(block.body)
        if targets is None or not all(_tested_example(target) for target in targets):
            untested.append(f"{block.page}:{block.line}")
    assert not untested, (
        "Python blocks that are neither an include of a tested examples/guide/*.py file "
        f"nor marked '<!-- fw:not-run: reason -->' on the line before: {untested}"
    )


def _all_snippet_targets() -> set[str]:
    included = set()
    for page in SITE_PAGES:
        for line in page.read_text(encoding="utf-8").splitlines():
            if match := SNIPPET_LINE.match(line):
                included.add(match.group("target").partition(":")[0])
    return included


def test_every_example_and_its_output_is_on_a_page() -> None:
    included = _all_snippet_targets()
    missing = [
        _relative(path)
        for program in EXAMPLE_PROGRAMS
        for path in (program, program.with_suffix(".out"))
        if _relative(path) not in included
    ]
    assert not missing, f"examples not shown on any page: {missing}"


# --- the checker itself ---------------------------------------------------------------


def test_checker_finds_unmarked_blocks(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Text.\n\n"
        "```python\nprint('untested')\n```\n\n"
        "<!-- fw:not-run: a sketch -->\n"
        '``` { .py title="x" }\nsketch()\n```\n\n'
        "  ~~~~pycon\n  >>> 1\n  ~~~~\n\n"
        '```python\n--8<-- "examples/guide/first_exchange.py"\n```\n',
        encoding="utf-8",
    )
    blocks = code_blocks(page)
    assert [(block.language, block.marked_not_run) for block in blocks] == [
        ("python", False),
        ("py", True),
        ("pycon", False),
        ("python", False),
    ]
    assert snippet_targets(blocks[0].body) is None
    assert snippet_targets(blocks[3].body) == ["examples/guide/first_exchange.py"]


def test_marker_needs_a_reason() -> None:
    assert NOT_RUN_MARKER.match("<!-- fw:not-run: shows a signature only -->")
    assert not NOT_RUN_MARKER.match("<!-- fw:not-run: -->")
    assert not NOT_RUN_MARKER.match("<!-- fw:not-run -->")
