"""The guide's first page lists every page of the guide, in the order of the site's menu,
so a newcomer finds the pages on TLS, serial lines and Wireshark from where they start."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE_FIRST_PAGE = ROOT / "spec" / "guide" / "index.md"


def guide_menu() -> list[tuple[str, str]]:
    """The Python guide in the site's menu (mkdocs.yml's nav), in order: (title, path
    under guide/). Read as text: the file's !ENV tags need mkdocs' own YAML loader."""
    nav = (ROOT / "mkdocs.yml").read_text().split("  - Python guide:\n", 1)[1]
    section = re.match(r"(?:      - .*\n)+", nav)
    assert section is not None
    return re.findall(r"- (.+): guide/(\S+)", section.group(0))


def test_the_first_page_lists_every_page_of_the_guide() -> None:
    text = GUIDE_FIRST_PAGE.read_text()
    listed = re.findall(r"^\d+\. (?:\[[^\]]*\]\(([^)#]+)\)|.*\(this page\))", text, re.MULTILINE)
    assert [page or "index.md" for page in listed] == [path for _, path in guide_menu()]


def test_the_menu_numbers_every_page_of_the_guide() -> None:
    titles = [title for title, _ in guide_menu()]
    assert [title.split(".", 1)[0] for title in titles] == [
        str(n) for n in range(1, len(titles) + 1)
    ]
