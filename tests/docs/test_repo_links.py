"""Repository paths named on the site's pages exist, so that each becomes a working link
when the site is built with ``FRAMEWIRE_REPO_URL`` (spec/_hooks/repo_links.py)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "spec" / "_hooks"))

import repo_links  # noqa: E402 - a hook of mkdocs, not a package

URL = "https://git.example/framewire"


def test_every_repository_path_a_page_names_exists() -> None:
    missing = [
        f"{page.relative_to(ROOT)}: {match.group('path')}"
        for page in sorted((ROOT / "spec").rglob("*.md"))
        for match in repo_links._PATH.finditer(page.read_text())
        if not (ROOT / match.group("path").rstrip("/")).exists()
    ]
    assert not missing


def test_paths_in_prose_are_linked_and_code_blocks_left_alone() -> None:
    markdown = (
        "See `tests/io/test_serial.py` and `vectors/`, not `tests/no_such_file.py`.\n"
        "```text\n`tests/io/test_serial.py`\n```\n"
        "Already a link: [`tests/io/test_serial.py`](x).\n"
    )
    assert repo_links.link_paths(markdown, URL).splitlines() == [
        f"See [`tests/io/test_serial.py`]({URL}/blob/main/tests/io/test_serial.py) and "
        f"[`vectors/`]({URL}/tree/main/vectors), not `tests/no_such_file.py`.",
        "```text",
        "`tests/io/test_serial.py`",
        "```",
        "Already a link: [`tests/io/test_serial.py`](x).",
    ]
