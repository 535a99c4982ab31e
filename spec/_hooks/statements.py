"""MkDocs hook: give every normative statement of the spec its own anchor.

A statement is defined by a paragraph or list item that starts with its bold id,
for example ``- **FW-HDR-1** A frame MUST ...``. This hook inserts an empty
``<span id="fw-hdr-1"></span>`` just before the bold id, so that
``frame.md#fw-hdr-1`` links to the statement and ``mkdocs build --strict``
validates such links like any other anchor.
"""

import re
from typing import Any

STATEMENT_RE = re.compile(r"^(\s*(?:[-*] |\d+\. )?)\*\*(FW-[A-Z]+-\d+)\*\*", re.MULTILINE)


def _anchor(match: re.Match[str]) -> str:
    prefix, statement_id = match.group(1), match.group(2)
    return f'{prefix}<span id="{statement_id.lower()}"></span>**{statement_id}**'


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Prepend an anchor ``<span>`` to each statement definition in a page."""
    return STATEMENT_RE.sub(_anchor, markdown)
