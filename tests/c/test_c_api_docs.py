"""The C API reference page is rendered from c/include/framewire.h: every function and
type the header declares has its own entry, with the header's comment for it."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "spec" / "_hooks"))

import c_api  # noqa: E402

HEADER = (ROOT / "c" / "include" / "framewire.h").read_text(encoding="utf-8")


def test_every_function_and_type_has_an_entry() -> None:
    page = c_api.render(HEADER)
    functions = set(re.findall(r"^[\w ]+?\**(fw_\w+)\(", HEADER, re.M))
    types = set(re.findall(r"^} (fw_\w+);", HEADER, re.M))
    assert functions
    assert types
    for name in functions | types:
        assert f"### `{name}`" in page, name


def test_an_entry_carries_its_comment() -> None:
    page = c_api.render(HEADER)
    entry = page.split("### `fw_decoder_feed`", 1)[1].split("### ", 1)[0]
    assert "Feed up to n bytes; stops at the first event." in entry
    assert "```c" in entry


def test_the_marker_is_replaced() -> None:
    page = c_api.on_page_markdown("before\n<!-- fw:c-api -->\nafter")
    assert c_api.MARKER not in page
    assert "### `fw_session_init`" in page
