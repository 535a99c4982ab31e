"""The frame layout, CRC-32C and COBS are written in exactly two places.

The construct schemas (``framewire._codec.schema``) state the layout for the implementation;
the wire oracle (``framewire.conformance.wire``, standard library only) states it, with its
own CRC-32C and COBS, for everything that must not share code with the implementation.
Everything else takes its bytes and constants from one of the two. This test greps the
repository's code for the marks of a third statement and names the file where one appears.

Not scanned: ``js/src`` (the second implementation states its own layout, which the vectors
judge) and the spec's pages (the spec is what both places are checked against).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("python", "tests", "vectors", "tools", "examples", "spec/_hooks", "js/test", "js/bin")
CODE_SUFFIXES = {".py", ".js", ".mjs", ".lua"}
NOT_SCANNED = {"node_modules", "__pycache__", ".venv"}
SELF = Path(__file__).resolve()  # its examples of each mark

SCHEMAS = "python/src/framewire/_codec/schema.py"
ORACLE = "python/src/framewire/conformance/wire.py"
DISSECTOR = "dissectors/framewire.lua"
"""Wireshark runs Lua, so the dissector verifies CRC-32C and decodes COBS itself; every
constant it uses is generated, from the schemas and (the CRC-32C polynomial) from the
oracle, by dissectors/generate_tables.py, which tests/dissectors/test_wireshark.py checks."""

MARKS: dict[str, tuple[re.Pattern[str], set[str]]] = {
    "the header's struct format": (re.compile(r"2sBBBI"), {ORACLE}),
    "the magic as a bytes literal": (re.compile(r"""\bb["']FW["'\\]"""), {SCHEMAS, ORACLE}),
    "the magic as byte values": (re.compile(r"0x46,\s*0x57\b"), set()),
    "the CRC-32C polynomial": (re.compile(r"(?i)0x82F63B78|0x1EDC6F41"), {ORACLE, DISSECTOR}),
    "a COBS code byte from a block's length": (
        re.compile(r"(?=.*(?:0xFF\b|FULL_BLOCK_CODE))(?=.*len\(\w+\)\s*\+\s*1\b)"),
        {ORACLE},
    ),
    "a COBS block overrun test": (re.compile(r"\+\s*code\s*>\s*len\("), {ORACLE}),
    "the length field by offsets 5 to 9": (re.compile(r"\+?\s*5\s*:\s*[\w ]*\+?\s*9\s*\]"), set()),
    "a header size, preface size or flag mask by number": (
        re.compile(r"\b(?:HEADER_SIZE|PREFACE_SIZE|FLAG_[CMNR](?:\s*,\s*FLAG_[CMNR])*)\s*=\s*\d"),
        {ORACLE, DISSECTOR},
    ),
}


def code_files() -> list[Path]:
    files = [ROOT / DISSECTOR]
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in CODE_SUFFIXES and not NOT_SCANNED & set(path.parts) and path != SELF:
                files.append(path)
    return files


def places(pattern: re.Pattern[str]) -> set[str]:
    """The files (relative to the repository) with a line that matches PATTERN."""
    found = set()
    for path in code_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        if any(pattern.search(line) for line in text.splitlines()):
            found.add(path.relative_to(ROOT).as_posix())
    return found


@pytest.mark.parametrize("mark", sorted(MARKS))
def test_the_layout_is_written_only_in_the_schemas_and_the_oracle(mark: str) -> None:
    pattern, allowed = MARKS[mark]
    assert places(pattern) == allowed, f"{mark}: take it from {ORACLE} or {SCHEMAS}"


@pytest.mark.parametrize(
    ("mark", "line"),
    [
        ("the header's struct format", 'HEADER = struct.Struct(">2sBBBI")'),
        ("the magic as a bytes literal", 'sock.sendall(b"FW\\x01\\x00\\x40")'),
        ("the magic as byte values", "Uint8Array.of(0x46, 0x57, 0x01)"),
        ("the CRC-32C polynomial", "crc = (crc >> 1) ^ 0x82f63b78"),
        (
            "a COBS code byte from a block's length",
            "out.append(0xFF if len(b) == 254 else len(b) + 1)",
        ),
        ("a COBS block overrun test", "if code == 0 or position + code > len(encoded):"),
        (
            "the length field by offsets 5 to 9",
            'int.from_bytes(frame[offset + 5 : offset + 9], "big")',
        ),
        ("a header size, preface size or flag mask by number", "FLAG_C, FLAG_M = 0x01, 0x02"),
    ],
)
def test_each_mark_finds_what_it_stands_for(mark: str, line: str) -> None:
    """The marks are regular expressions: each must match a typical line of a third
    statement, or the test above could pass by matching nothing."""
    assert MARKS[mark][0].search(line)
