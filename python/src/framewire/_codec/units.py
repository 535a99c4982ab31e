"""Byte counts written for people, in error texts and logs."""

from __future__ import annotations

__all__ = ["binary_size"]


def binary_size(size: int) -> str:
    """`` (64 KiB)`` after a count that is an exact number of KiB, MiB or GiB, else ``""``.

    Written after the exact figure (``65536 (64 KiB)``): the figure is what a user types
    into an option, the unit is what they recognise.
    """
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f" ({size // scale} {unit})"
    return ""
