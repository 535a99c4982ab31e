"""errors.json: the error registry of spec/errors.md as data, for runners in any language."""

from __future__ import annotations

from casebuild import Json
from specdata import error_registry


def document() -> Json:
    """The registry, each error with its code, name, ERROR frame rule and statements."""
    return {
        "description": "The error registry of spec/errors.md (section 8) as data. "
        "error_frame: whether a session sends an ERROR frame for this error "
        "(malformed-control: yes, except for a malformed ERROR, FW-ERR-4).",
        "errors": [
            {
                "code": entry.code,
                "name": entry.name,
                "error_frame": entry.sends_error_frame,
                "statements": list(entry.statements),
            }
            for entry in error_registry()
        ],
    }
