"""Micro-benchmark: what one event costs to create, per kind of type, in one run.

The readers create one `Message` (or `Piece`) per received message. This measures the
creation of a three-field event as the receive path does it, for the type `Message` is
(a tuple type built with `tuple.__new__`) against the frozen, slotted dataclass the other
events are, so the choice in `framewire.events` can be checked on any machine.
Run: .venv/bin/python python/benchmarks/event_types.py
"""

from __future__ import annotations

import sys
import timeit
from dataclasses import dataclass

from framewire.events import Event, Message

NUMBER = 200_000
REPEATS = 7


@dataclass(frozen=True, slots=True)
class FrozenMessage(Event):
    """What `Message` would be as a frozen, slotted dataclass."""

    type: int
    payload: bytes
    flags: int = 0


@dataclass(slots=True)
class MutableMessage(Event):
    """The same, mutable: the cheapest dataclass, for scale."""

    type: int
    payload: bytes
    flags: int = 0


CASES = {
    "Message via tuple.__new__ (the readers)": "new(Message, (64, payload, 0))",
    "Message(...) (the assembler)": "Message(64, payload, 0)",
    "frozen slotted dataclass": "FrozenMessage(64, payload, 0)",
    "mutable slotted dataclass": "MutableMessage(64, payload, 0)",
}


def main() -> int:
    """Print the best time per creation of each kind, interleaved so load hits all alike."""
    names = {
        "new": tuple.__new__,
        "Message": Message,
        "FrozenMessage": FrozenMessage,
        "MutableMessage": MutableMessage,
        "payload": b"x" * 16,
    }
    best = dict.fromkeys(CASES, float("inf"))
    for _ in range(REPEATS):
        for name, statement in CASES.items():
            seconds = timeit.timeit(statement, globals=names, number=NUMBER)
            best[name] = min(best[name], seconds / NUMBER)
    base = best["Message via tuple.__new__ (the readers)"]
    print(f"python {sys.version.split()[0]}, best of {REPEATS} x {NUMBER}")
    for name, seconds in best.items():
        print(f"  {name:42s} {seconds * 1e9:7.0f} ns  ({seconds / base:.1f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
