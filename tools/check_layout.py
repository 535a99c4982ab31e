"""Lay out pages of the built site in headless Chromium and report what does not fit.

Usage: python tools/check_layout.py [SITE_DIR]   (default: site; exit 1 on a problem)

Each page is copied, within a copy of the site (so that its relative links still
resolve), with a script that measures the laid-out page; the copy is shown in a frame
of the width to check, and ``chromium --headless --dump-dom`` prints the figures the
frame's page posts to the outer one. Checked at a phone's width and
a laptop's (``WIDTHS``):

- the page never scrolls sideways;
- a code block never wraps its lines (computed ``white-space`` is ``pre``) and never
  reaches past the screen (on a phone the theme lets it span the screen's width): a
  diagram keeps its shape, and a long line scrolls inside its block;
- the error registry's table fits its column, and its "raised when" column gets a fair
  share of the width.

Chromium is Debian's ``chromium`` (``.ci/run`` installs it), found on PATH.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

WIDTHS = (390, 1280)
"""A phone's viewport width and a laptop's, in CSS pixels."""
PAGES = (
    "index.html",
    "frame/index.html",
    "errors/index.html",
    "guide/index.html",
    "guide/asyncio/index.html",
    "reference/cli/index.html",
)
"""The home page's byte diagram, the frame layout diagram, the registry, Python programs
and CLI sessions with long lines."""
RAISED_WHEN_SHARE = 0.3
"""The least share of the registry table's width for its "raised when" column (prose)."""
SLACK = 1.0
"""CSS pixels of rounding allowed in a comparison of widths."""

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)

_MEASURE = """<script id="fw-measure">
(function () {
  const box = (element) => element.getBoundingClientRect();
  const out = {
    viewport: window.innerWidth,
    page: document.documentElement.scrollWidth,
    blocks: [],
    tables: [],
  };
  for (const pre of document.querySelectorAll(".md-typeset pre")) {
    const code = pre.querySelector("code") || pre;
    out.blocks.push({
      start: code.textContent.trim().slice(0, 40),
      whiteSpace: getComputedStyle(code).whiteSpace,
      left: box(pre).left,
      right: box(pre).right,
    });
  }
  for (const table of document.querySelectorAll(".fw-registry table")) {
    const column = table.closest(".md-content__inner");
    const heads = Array.from(table.querySelectorAll("th")).map((th) => th.textContent.trim());
    const raised = table.querySelector("th:nth-child(" + (heads.indexOf("raised when") + 1) + ")");
    out.tables.push({
      right: box(table).right,
      scrollWidth: table.scrollWidth,
      clientWidth: table.clientWidth,
      columnRight: box(column).right,
      width: box(table).width,
      raisedWhen: raised ? box(raised).width : 0,
    });
  }
  parent.postMessage(JSON.stringify(out), "*");
})();
</script>"""

_FRAME = """<!doctype html>
<html><body style="margin: 0">
<script>
window.addEventListener("message", (event) => {
  const result = document.createElement("script");
  result.type = "application/json";
  result.id = "fw-layout";
  result.textContent = event.data;
  document.body.appendChild(result);
});
</script>
<iframe src="fw-layout-probe.html" width="WIDTH" height="900" style="border: 0"></iframe>
</body></html>
"""
"""The page goes into a frame of the width to check: headless Chromium's window is at
least 500 pixels wide, a phone's screen is narrower. The frame's page posts its figures
to this one, which ``--dump-dom`` prints."""


def chromium() -> str | None:
    """The Chromium executable, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def measure(site_copy: Path, page: str, width: int, browser: str) -> dict[str, Any]:
    """The figures of ``page`` laid out ``width`` CSS pixels wide."""
    source = site_copy / page
    probe = source.with_name("fw-layout-probe.html")
    text = source.read_text(encoding="utf-8")
    # At the end of the body, after Material's own script has wrapped the tables.
    probe.write_text(text.replace("</body>", f"{_MEASURE}</body>"), encoding="utf-8")
    frame = source.with_name("fw-layout-frame.html")
    frame.write_text(_FRAME.replace("WIDTH", str(width)), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={max(WIDTHS) + 100},1000",
                "--virtual-time-budget=3000",
                "--dump-dom",
                frame.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    start = result.stdout.find('<script type="application/json" id="fw-layout">')
    if start < 0:
        raise RuntimeError(f"no figures from {page} at {width} px: {result.stderr[-2000:]}")
    body = result.stdout[start:].split(">", 1)[1].split("</script>", 1)[0]
    figures: dict[str, Any] = json.loads(html.unescape(body))
    return figures


def problems(page: str, width: int, figures: dict[str, Any]) -> list[str]:
    """What does not fit in one page's figures."""
    where = f"{page} at {width} px"
    found = []
    if figures["page"] > figures["viewport"] + SLACK:
        found.append(f"{where}: the page scrolls sideways ({figures['page']} px wide)")
    for block in figures["blocks"]:
        if block["whiteSpace"] != "pre":
            found.append(
                f"{where}: a code block wraps (white-space: {block['whiteSpace']}): "
                f"{block['start']!r}"
            )
        if block["left"] < -SLACK or block["right"] > figures["viewport"] + SLACK:
            found.append(f"{where}: a code block is wider than the screen: {block['start']!r}")
    for table in figures["tables"]:
        if table["scrollWidth"] > table["clientWidth"] + SLACK:
            found.append(f"{where}: the registry table scrolls sideways")
        if table["right"] > table["columnRight"] + SLACK:
            found.append(f"{where}: the registry table is wider than its column")
        if width >= max(WIDTHS) and table["raisedWhen"] < RAISED_WHEN_SHARE * table["width"]:
            found.append(
                f"{where}: 'raised when' gets {table['raisedWhen']:.0f} of {table['width']:.0f} px"
            )
    return found


def check(site: Path, browser: str) -> list[str]:
    """Every problem of every page of ``PAGES`` at every width of ``WIDTHS``."""
    found: list[str] = []
    with tempfile.TemporaryDirectory() as directory:
        site_copy = Path(directory) / "site"
        shutil.copytree(site, site_copy)
        for page in PAGES:
            for width in WIDTHS:
                found += problems(page, width, measure(site_copy, page, width, browser))
    return found


def main(argv: list[str]) -> int:
    site = Path(argv[0] if argv else "site")
    browser = chromium()
    if browser is None:
        print("check_layout: chromium is not installed (apt-get install chromium)")
        return 1
    found = check(site, browser)
    for line in found:
        print(line)
    print(f"layout: {len(found)} problem(s) in {len(PAGES)} pages at {WIDTHS} px")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
