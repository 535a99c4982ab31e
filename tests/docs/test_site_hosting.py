"""The site works where it is hosted: under a sub-path too, and long code lines stay readable.

The 404 page is served for missing pages at any depth, so its links cannot be relative:
they start with the path of ``site_url``, which ``FRAMEWIRE_SITE_URL`` sets at build
time. Here the site is built for a sub-path and every local link of its 404 page must
point inside it; built with ``FRAMEWIRE_REPO_URL``, the repository paths the pages
name link to the repository. Long lines in code blocks (CLI sessions, program output, diagrams)
scroll inside their block rather than wrap, through the site's stylesheet.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]
SUB_PATH = "/docs/framewire/"
REPO_URL = "https://git.example/framewire"


@pytest.fixture(scope="module")
def site_under_a_sub_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    env = {
        **os.environ,
        "FRAMEWIRE_SITE_URL": f"https://docs.example{SUB_PATH}",
        "FRAMEWIRE_REPO_URL": REPO_URL,
        "NO_MKDOCS_2_WARNING": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return site


def _local_links(html: str) -> list[str]:
    links = re.findall(r'(?:href|src)="([^"#]+)"', html)
    return [link for link in links if not re.match(r"[a-z]+:", link)]


def test_the_404_page_links_inside_the_sub_path(site_under_a_sub_path: Path) -> None:
    links = _local_links((site_under_a_sub_path / "404.html").read_text(encoding="utf-8"))
    assert links
    outside = [link for link in links if not link.startswith(SUB_PATH)]
    assert not outside, f"404.html links outside {SUB_PATH}: {outside}"


def test_code_blocks_scroll_rather_than_wrap(site_under_a_sub_path: Path) -> None:
    """The stylesheet is linked and keeps code blocks unwrapped: a wrapped diagram is a
    shredded one (tests/docs/test_site_layout.py checks the laid-out pages)."""
    page = (site_under_a_sub_path / "reference" / "cli" / "index.html").read_text()
    stylesheets = re.findall(r'href="([^"]+\.css)"', page)
    extra = [sheet for sheet in stylesheets if sheet.endswith("stylesheets/extra.css")]
    assert extra, f"the extra stylesheet is not linked: {stylesheets}"
    css = (site_under_a_sub_path / "stylesheets" / "extra.css").read_text()
    rule = re.search(r"\.md-typeset pre > code \{([^}]*)\}", css)
    assert rule is not None
    assert "white-space: pre;" in rule.group(1)


def test_repository_paths_link_to_the_repository(site_under_a_sub_path: Path) -> None:
    """With FRAMEWIRE_REPO_URL, a path a page names is a link to the file, and each page
    links to its source for editing (spec/_hooks/repo_links.py)."""
    page = (site_under_a_sub_path / "guide" / "wireshark" / "index.html").read_text()
    assert f'href="{REPO_URL}/blob/main/dissectors/framewire.lua"' in page
    assert f'href="{REPO_URL}/edit/main/spec/guide/wireshark.md"' in page
    asyncio_page = (site_under_a_sub_path / "guide" / "asyncio" / "index.html").read_text()
    assert f'href="{REPO_URL}/blob/main/python/benchmarks/RESULTS.md"' in asyncio_page
