"""Peer-supplied text made safe to show in a terminal or a log (FW-SEC-5).

A peer chooses the reason of the ``ERROR`` it sends, and that text ends up in exception
messages, log lines and command output. Written raw, an ESC sequence could retitle or
clear the reader's terminal, a CR or LF could forge a log line, and a bidirectional
override could make the line read differently from what it holds. ``escape_peer_text``
is the one place that turns such text into something inert: every message or ``repr``
built from peer text calls it where the text enters, so no caller has to remember.
"""

from __future__ import annotations

import re

__all__ = ["MAX_SHOWN", "escape_peer_text"]

MAX_SHOWN = 300
"""Characters of escaped text shown before the rest is cut: an ERROR reason is at most
254 UTF-8 bytes (FW-ERR-2), but its escapes can make it several times longer."""

_UNSAFE = re.compile(
    "[\\\\"  # the backslash itself, so that an escape in the output is never ambiguous
    "\x00-\x1f\x7f-\x9f"  # C0 controls (ESC, BEL, CR, LF, ...), DEL, C1 controls
    "\u061c\u200b-\u200f"  # Arabic letter mark, zero-width characters, LRM/RLM
    "\u2028-\u202e"  # line and paragraph separators, bidi embeddings and overrides
    "\u2060-\u206f"  # word joiner, invisible operators, bidi isolates, deprecated formats
    "\ufeff\ufff9-\ufffb]"  # zero-width no-break space, interlinear annotations
)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\\":
        return "\\\\"
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"  # noqa: PLR2004 - one byte


def escape_peer_text(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` with every control, format and bidi character shown as an escape
    (``\\x1b``, ``\\u202e``; a backslash as ``\\\\``), cut after ``limit`` characters
    with a marker that says how many characters of the original were left out.

    >>> escape_peer_text("\\x1b]0;pwned\\x07 done\\u202e")
    '\\\\x1b]0;pwned\\\\x07 done\\\\u202e'
    >>> escape_peer_text("abcdef", limit=3)
    'abc[... 3 more characters]'
    """
    escaped = _UNSAFE.sub(_escape, text)
    if len(escaped) <= limit:
        return escaped
    # Cut the original, not the escaped text, so that no escape is split in two.
    shown = 0
    kept = 0
    for char in text:
        width = len(_UNSAFE.sub(_escape, char))
        if shown + width > limit:
            break
        shown += width
        kept += 1
    return f"{_UNSAFE.sub(_escape, text[:kept])}[... {len(text) - kept} more characters]"
