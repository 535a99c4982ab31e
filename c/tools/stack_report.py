"""Worst stack depth of the library's entry points, from GCC's call-graph files.

Why: painting the stack (c/firmware/startup.c) measures the depth the vectors reached;
this bounds it from the code instead: GCC's ``-fcallgraph-info=su`` writes, per
translation unit, each function's own frame (``-fstack-usage``) and its calls, and the
deepest path from an entry point is the worst case any input can reach, provided the
graph has no recursion and no call through a pointer (both reported here).

Usage: python3 c/tools/stack_report.py DIR_OF_CI_FILES
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path

_NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
_EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
_FRAME = re.compile(r"\\n(\d+) bytes \((static|dynamic[^)]*)\)")

ENTRY_POINTS = (
    "fw_decoder_feed",
    "fw_decoder_end",
    "fw_encode_message",
    "fw_session_feed",
    "fw_session_end_of_input",
    "fw_session_send",
    "fw_session_init",
    "fw_session_tick",
)


def read_graph(folder: Path) -> tuple[dict[str, int], dict[str, set[str]], set[str]]:
    """Frames (bytes) of defined functions, call edges, and functions with a dynamic frame."""
    frames: dict[str, int] = {}
    calls: dict[str, set[str]] = {}
    dynamic: set[str] = set()
    for path in sorted(folder.glob("*.ci")):
        for line in path.read_text().splitlines():
            if node := _NODE.search(line):
                if frame := _FRAME.search(node.group(2)):
                    frames[node.group(1)] = int(frame.group(1))
                    if frame.group(2) != "static":
                        dynamic.add(node.group(1))
            elif edge := _EDGE.search(line):
                calls.setdefault(edge.group(1), set()).add(edge.group(2))
    return frames, calls, dynamic


def worst(frames: dict[str, int], calls: dict[str, set[str]], entry: str) -> tuple[int, list[str]]:
    """Deepest path from entry: (bytes, the functions on it)."""

    @cache
    def depth(function: str, path: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
        if function in path:
            raise ValueError(f"recursion through {function}")
        best: tuple[int, tuple[str, ...]] = (0, ())
        for callee in calls.get(function, ()):
            candidate = depth(callee, (*path, function))
            best = max(best, candidate)
        return frames.get(function, 0) + best[0], (function, *best[1])

    total, path = depth(entry, ())
    return total, list(path)


def main(argv: list[str]) -> int:
    frames, calls, dynamic = read_graph(Path(argv[1]))
    print("worst stack depth by call graph (-fcallgraph-info=su), Cortex-M3 -Os:")
    for entry in ENTRY_POINTS:
        if entry not in frames:
            continue
        total, path = worst(frames, calls, entry)
        print(f"  {entry}: {total} bytes via {' > '.join(path)}")
    if dynamic:
        print(f"  functions with a dynamic frame: {', '.join(sorted(dynamic))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
