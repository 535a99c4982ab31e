"""MkDocs hook: the C API reference, rendered from the comments of c/include/framewire.h.

The header is the one place the C API is documented; a page that holds the marker
``<!-- fw:c-api -->`` gets, in its place, every declaration of the header with the
comment that precedes it (or follows it, for ``/**< ... */``), grouped by the header's
banner sections. So the site cannot drift from the header: it is rebuilt from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HEADER = Path(__file__).resolve().parents[2] / "c" / "include" / "framewire.h"
MARKER = "<!-- fw:c-api -->"
BANNER = re.compile(r"^/\* -{20,} \*/$")
SKIPPED = re.compile(r"^#(ifndef|ifdef|endif|else|include)|^(extern|})|^$")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
COMMENT = re.compile(r"/\*.*?\*/", re.S)
TYPE_NAME = re.compile(r"^}\s*(\w+)\s*;", re.M)
MACRO_NAME = re.compile(r"^#define\s+(\w+)", re.M)
FUNCTION_NAME = re.compile(r"(\w+)\s*\(")


@dataclass
class Entry:
    """One declaration (or a run of macros) and its comment."""

    doc: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)


def _comment_lines(block: list[str], *, keep_indent: bool = False) -> list[str]:
    """The text of a C comment, without its delimiters and leading asterisks."""
    text = "\n".join(block).strip()
    text = re.sub(r"^/\*\*?<?", "", text)
    text = re.sub(r"\*/$", "", text)
    lines = []
    for raw in text.splitlines():
        line = raw
        if line.strip().startswith("*"):
            line = line.split("*", 1)[1]
            line = line.removeprefix(" ")
        lines.append(line.rstrip())
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if keep_indent:
        return lines
    return [line.strip() if not line.startswith("    ") else line for line in lines]


def _doc_markdown(lines: list[str]) -> str:
    """Comment text as Markdown: prose escaped, indented lines as a C code block."""
    out: list[str] = []
    code: list[str] = []

    def flush_code() -> None:
        if code:
            body = "\n".join(c[4:] for c in code)
            out.extend(["", "```c", body, "```", ""])
            code.clear()

    for line in lines:
        if line.startswith("    "):
            code.append(line)
            continue
        flush_code()
        out.append(MARKDOWN_SPECIAL.sub(r"\\\1", line))
    flush_code()
    return "\n".join(out).strip()


def _parse(source: str) -> tuple[str, list[tuple[str, list[Entry]]]]:
    """The header's opening comment, and its sections with their entries."""
    lines = source.splitlines()
    end = next(i for i, line in enumerate(lines) if line.strip().endswith("*/"))
    intro = "\n".join(_comment_lines(lines[: end + 1], keep_indent=True))
    sections: list[tuple[str, list[Entry]]] = [("Overview", [])]
    pending: list[str] = []
    i = end + 1
    while i < len(lines):
        line = lines[i]
        if BANNER.match(line):
            title = lines[i + 1].strip().removeprefix("/*").removesuffix("*/").strip()
            sections.append((title, []))
            i += 3
            continue
        if line.startswith("/*"):
            block = [line]
            while not block[-1].rstrip().endswith("*/"):
                i += 1
                block.append(lines[i])
            pending = _comment_lines(block)
            i += 1
            continue
        if SKIPPED.match(line) or "FRAMEWIRE_H" in line:
            i += 1
            continue
        entry = Entry(doc=pending)
        pending = []
        if line.startswith("#define"):
            while i < len(lines) and lines[i].startswith("#define"):
                entry.code.append(lines[i])
                i += 1
        else:
            depth = 0
            while True:
                entry.code.append(lines[i])
                depth += lines[i].count("{") - lines[i].count("}")
                if depth == 0 and lines[i].rstrip().endswith(";"):
                    break
                i += 1
            i += 1
        sections[-1][1].append(entry)
    return intro, [(title, entries) for title, entries in sections if entries]


def _name(entry: Entry) -> str:
    """The name a declaration is known by: the type, the first macro, the function."""
    code = COMMENT.sub("", "\n".join(entry.code))
    for pattern in (TYPE_NAME, MACRO_NAME, FUNCTION_NAME):
        match = pattern.search(code)
        if match:
            return match.group(1)
    return code.split()[-1].rstrip(";")


def render(source: str) -> str:
    """The reference page's body for the header's text."""
    intro, sections = _parse(source)
    parts = ["```text", intro, "```"]
    for title, entries in sections:
        parts.append(f"\n## {title}\n")
        for entry in entries:
            parts.append(f"### `{_name(entry)}`\n")
            parts.extend(["```c", "\n".join(entry.code), "```", ""])
            if entry.doc:
                parts.append(_doc_markdown(entry.doc) + "\n")
    return "\n".join(parts)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Replace the marker with the reference rendered from the header."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, render(HEADER.read_text(encoding="utf-8")))
