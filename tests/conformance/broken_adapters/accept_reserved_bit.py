"""Broken: ignores the reserved flag bit R instead of rejecting it (breaks FW-FLG-1)."""

from typing import Any

from mutation import replace

from framewire._codec import readers
from framewire._codec.schema import FLAG_R
from framewire.conformance.adapter import main


def header_fault_ignoring_r(word: int, frame_type: int, length: int, max_frame: int) -> Any:
    return original(word & ~FLAG_R, frame_type, length, max_frame)


original = replace(readers, "header_fault", header_fault_ignoring_r)

if __name__ == "__main__":
    main()
