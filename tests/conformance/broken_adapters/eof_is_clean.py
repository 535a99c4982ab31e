"""Broken: treats end of input in the middle of a frame as a clean end (breaks FW-LPF-4)."""

from typing import Any

from framewire.conformance.adapter import ReferenceAdapter, Reply, main
from framewire.errors import RemoteProtocolError


class EofIsClean(ReferenceAdapter):
    def fatal_reply(self, events: list[dict[str, Any]], error: RemoteProtocolError) -> Reply:
        if error.name == "truncated-frame":
            return {"status": "result", "events": events, "end": "clean"}
        return super().fatal_reply(events, error)


if __name__ == "__main__":
    main(EofIsClean())
