"""The built site on a phone and on a laptop: diagrams and code never wrap or spill out of
the screen, the error registry fits (tools/check_layout.py, in headless Chromium)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import check_layout  # noqa: E402 - tools/ is not a package

pytestmark = pytest.mark.timeout(600)

SITE = ROOT / "site"
SOURCES = [ROOT / "mkdocs.yml", *(ROOT / "spec").rglob("*.md"), *(ROOT / "spec").rglob("*.css")]


def test_key_pages_fit_a_phone_and_a_laptop() -> None:
    browser = check_layout.chromium()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run does)")
    built = SITE / "stylesheets" / "extra.css"
    if not built.exists() or built.stat().st_mtime < max(p.stat().st_mtime for p in SOURCES):
        pytest.skip("the site is not built, or older than its sources (make docs-build)")
    assert check_layout.check(SITE, browser) == []


def test_the_check_finds_a_diagram_that_wraps() -> None:
    """The figures of a wrapped diagram, a block past the screen's edge and a registry
    that scrolls are each reported."""
    figures = {
        "viewport": 390,
        "page": 390,
        "blocks": [
            {"start": "0   1", "whiteSpace": "pre-wrap", "left": 0, "right": 390},
            {"start": "+---+", "whiteSpace": "pre", "left": 0, "right": 500},
        ],
        "tables": [
            {
                "scrollWidth": 700,
                "clientWidth": 380,
                "right": 390,
                "columnRight": 390,
                "width": 380,
                "raisedWhen": 50,
            }
        ],
    }
    found = check_layout.problems("frame/index.html", 390, figures)
    assert len(found) == 3, found
